'use strict';
// adaptativeBitrate: two Chromium viewers of one 1280x720 H.264 camera. One runs in a network namespace whose media link
// (UDP from the server) is shaped to 400 kb/s with `tc` (htb + tbf, dropping what does not fit); the other is on
// loopback. The limited viewer must move to a lighter re-encoded rung and keep decoding; the other keeps the camera's
// own stream. Needs root (ip netns, tc), as the test machines have.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startCamera, waitFor } = require('./lib/sightline.cjs');
const { startPageServer, launchBrowser } = require('./lib/browser.cjs');

const n = (process.pid % 200) + 20;
const ns = `slab${n}`;
const hostIf = `slh${n}`;
const nsIf = `sln${n}`;
const hostIp = `10.231.${n}.1`;
const nsIp = `10.231.${n}.2`;
const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function makeLimitedLink() {
  removeLink();
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
  sh('ip', ['link', 'set', nsIf, 'netns', ns]);
  sh('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
  sh('ip', ['link', 'set', hostIf, 'up']);
  sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
  sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
  sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  // UDP towards the namespace (the media) at 400 kb/s with a 200 ms queue; pages and signaling (TCP) are not limited.
  sh('tc', ['qdisc', 'add', 'dev', hostIf, 'root', 'handle', '1:', 'htb', 'default', '10', 'r2q', '1000']);
  sh('tc', ['class', 'add', 'dev', hostIf, 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '1000mbit']);
  sh('tc', ['class', 'add', 'dev', hostIf, 'parent', '1:', 'classid', '1:20', 'htb', 'rate', '400kbit', 'ceil', '400kbit', 'burst', '4kb', 'cburst', '4kb']);
  sh('tc', ['qdisc', 'add', 'dev', hostIf, 'parent', '1:20', 'handle', '20:', 'tbf', 'rate', '400kbit', 'burst', '4kb', 'latency', '200ms']);
  sh('tc', ['filter', 'add', 'dev', hostIf, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'protocol', '17', '0xff', 'flowid', '1:20']);
}

function removeLink() {
  try { sh('ip', ['link', 'del', hostIf]); } catch { /* not there */ }
  try { sh('ip', ['netns', 'del', ns]); } catch { /* not there */ }
}

let server, pages, browser, limitedBrowser, ov, camera, wrapperDir;
// Network namespaces and qdiscs need root (the test machines run the suite as root); elsewhere the test says so and skips.
const root = process.getuid() === 0;

test.before(async () => {
  if (!root) return;
  makeLimitedLink();
  // Chromium for the limited viewer runs inside the namespace (playwright talks to it over pipes, which cross it).
  wrapperDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-netns-'));
  const wrapper = path.join(wrapperDir, 'chromium-in-netns');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${process.env.CHROMIUM || '/usr/bin/chromium'} "$@"\n`, { mode: 0o755 });
  camera = await startCamera(['--codec', 'h264', '--width', '1280', '--height', '720', '--fps', '25', '--gop', '25', '--kbps', '2500', '--pattern', 'snow']);
  server = await startSightline({ SERVER_ADDRESS: '0.0.0.0', SIGHTLINE_WEBRTC_ANNOUNCED_IPS: `${hostIp},127.0.0.1`, OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH: '1000', OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH: '300' });
  ov = new OpenVidu(server.url, server.secret);
  pages = await startPageServer('0.0.0.0');
  browser = await launchBrowser();
  limitedBrowser = await launchBrowser(wrapper);
});

test.after(async () => {
  if (!root) return;
  await limitedBrowser?.close();
  await browser?.close();
  await pages?.close();
  await server?.stop();
  await camera?.stop();
  removeLink();
  if (wrapperDir) fs.rmSync(wrapperDir, { recursive: true, force: true });
});

const runtime = () => server.runtime();

async function rate(page, streamId, ms) {
  const a = await page.evaluate((id) => window.videoStats(id), streamId);
  await new Promise((r) => setTimeout(r, ms));
  const b = await page.evaluate((id) => window.videoStats(id), streamId);
  return { kbps: ((b.bytesReceived - a.bytesReceived) * 8) / (b.at - a.at), fps: ((b.framesDecoded - a.framesDecoded) * 1000) / (b.at - a.at), last: b };
}

test('a viewer behind a 400 kb/s link gets a lighter rung and keeps playing; the other keeps the camera stream', async (t) => {
  if (!root) return t.skip('needs root to create a network namespace and shape its link with tc');
  const session = await ov.createSession();
  const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: true });
  const streamId = cam.publishers[0].streamId;

  // Before anyone watches on a bad link: three good viewers would be passthrough only. Here: the unlimited one first.
  const good = await session.createConnection({ role: 'SUBSCRIBER' });
  const goodPage = await browser.newPage();
  await goodPage.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(good.token)}`);
  await goodPage.evaluate(() => window.connected);
  await waitFor(async () => ((await goodPage.evaluate(() => window.result())).frames[streamId] || { count: 0 }).count >= 50, 20000, 'the good viewer decoding');
  const before = await runtime();
  assert.equal(before.cameras[0].encodersRunning, 0, 'no encoder while every viewer is on a good link');
  assert.equal(before.cameras[0].decoding, false);

  const limited = await session.createConnection({ role: 'SUBSCRIBER' });
  // The limited browser reaches the server through the shaped link: the token's origin is the link's address.
  const limitedToken = limited.token.replace(/^ws(s?):\/\/[^/?]+/, (_m, s) => `ws${s}://${hostIp}:${server.port}`);
  const limitedPage = await limitedBrowser.newPage();
  await limitedPage.goto(`http://${hostIp}:${pages.port}/viewer.html?token=${encodeURIComponent(limitedToken)}`);
  await limitedPage.evaluate(() => window.connected);
  const subscribedAt = Date.now();
  // Within 20 s it must be on a re-encoded rung (smaller picture) and decoding.
  await waitFor(async () => {
    const s = await limitedPage.evaluate((id) => window.videoStats(id), streamId).catch(() => ({}));
    return s.frameWidth > 0 && s.frameWidth < 1280 && s.framesDecoded > 0;
  }, 20000, 'the limited viewer on a lighter rung');
  const settledMs = Date.now() - subscribedAt;
  // Let it settle (its first keyframes on the new rung), then measure for 15 s.
  await new Promise((r) => setTimeout(r, 2000));
  await limitedPage.evaluate((id) => window.resetGaps(id), streamId);
  const [lim, gd] = await Promise.all([rate(limitedPage, streamId, 15000), rate(goodPage, streamId, 15000)]);
  const limFrames = (await limitedPage.evaluate(() => window.result())).frames[streamId];
  const gdFrames = (await goodPage.evaluate(() => window.result())).frames[streamId];
  const after = await runtime();
  const c = after.cameras[0];
  console.log(`limited viewer: on a ${lim.last.frameWidth}x${lim.last.frameHeight} rung ${settledMs} ms after subscribe; ${lim.kbps.toFixed(0)} kb/s, ${lim.fps.toFixed(1)} fps, longest gap between frames ${limFrames.maxGap.toFixed(0)} ms, freezes ${lim.last.freezeCount}, packets lost ${lim.last.packetsLost} of ${lim.last.packetsReceived}`);
  try { console.log(sh('tc', ['-s', 'qdisc', 'show', 'dev', hostIf]).split('\n').filter((l) => l.includes('Sent') || l.includes('qdisc')).join(' | ')); } catch { /* diagnostics only */ }
  console.log(`good viewer: ${gd.last.frameWidth}x${gd.last.frameHeight}, ${gd.kbps.toFixed(0)} kb/s, ${gd.fps.toFixed(1)} fps`);
  console.log(`server: camera ${c.cameraBitrate} b/s, layer switches ${c.layerSwitches}, layers ${JSON.stringify(c.layers)}`);

  assert.ok(lim.kbps <= 400, `limited viewer receives ${lim.kbps} kb/s`);
  assert.ok(lim.fps >= 15, `limited viewer decodes ${lim.fps} fps`);
  assert.ok(limFrames.maxGap <= 1000, `limited viewer froze ${limFrames.maxGap} ms`);
  assert.ok(lim.last.frameWidth < 1280);
  assert.equal(gd.last.frameWidth, 1280);
  assert.equal(gd.last.frameHeight, 720);
  assert.ok(gd.kbps >= 1500, `good viewer receives ${gd.kbps} kb/s`);
  assert.ok(gdFrames.maxGap < 1000);
  // The server agrees: one viewer on the camera's stream, one on a re-encoded layer; the top layer is not encoded.
  assert.equal(c.layers[0].source, 'camera');
  assert.equal(c.layers[0].viewers, 1);
  assert.equal(c.layers.filter((l) => l.source === 'encoder' && l.codec === 'H264' && l.layer > 0).reduce((n, l) => n + l.viewers, 0), 1);
  const encoded = c.layers.filter((l) => l.viewers > 0 && l.source === 'encoder');
  assert.equal(encoded.length, 1);
  assert.ok(encoded[0].encodeMsPerFrame > 0);
  await limitedPage.close();
  await goodPage.close();
  await session.close();
});
