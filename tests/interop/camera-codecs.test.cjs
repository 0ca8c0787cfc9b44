'use strict';
// What Chromium is sent of cameras whose H.264 is not what WebRTC expects: a High-profile camera passes through,
// announced as High; a camera with B-frames (frame reordering, which WebRTC receivers do not take) is re-encoded once
// without reordering for every viewer, and plays in presentation order.
const test = require('node:test');
const assert = require('node:assert/strict');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startCamera, waitFor } = require('./lib/sightline.cjs');
const { startPageServer, launchBrowser } = require('./lib/browser.cjs');

let server, pages, browser, ov;
const FPS = 25;

test.before(async () => {
  server = await startSightline({ SIGHTLINE_CAMERA_LINGER_MS: '500' });
  ov = new OpenVidu(server.url, server.secret);
  pages = await startPageServer();
  browser = await launchBrowser();
});

test.after(async () => {
  await browser?.close();
  await pages?.close();
  await server?.stop();
});

const runtime = () => server.runtime();

async function watch(codec, adaptativeBitrate) {
  const camera = await startCamera(['--codec', codec, '--width', '640', '--height', '480', '--fps', String(FPS), '--gop', '50']);
  const page = await browser.newPage();
  try {
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate });
    const streamId = cam.publishers[0].streamId;
    const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
    await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
    await page.evaluate(() => window.connected);
    await waitFor(async () => ((await page.evaluate(() => window.result())).frames[streamId] || { count: 0 }).count >= 10, 15000, 'Chromium decoding');
    const before = await page.evaluate((id) => window.videoStats(id), streamId);
    const shownBefore = (await page.evaluate(() => window.result())).frames[streamId].count;
    await new Promise((r) => setTimeout(r, 8000));
    const after = await page.evaluate((id) => window.videoStats(id), streamId);
    const frames = (await page.evaluate(() => window.result())).frames[streamId];
    const share = (after.framesDecoded - before.framesDecoded) / ((after.at - before.at) / 1000 * FPS);
    const answer = await page.evaluate((id) => window.subscribers.find((s) => s.stream.streamId === id).stream.getRTCPeerConnection().remoteDescription.sdp, streamId);
    const camRuntime = (await runtime()).cameras.find((c) => c.viewers === 1);
    await session.close();
    return { share, frames, shown: frames.count - shownBefore, after, answer, camRuntime, log: server.log.join('') };
  } finally {
    await page.close();
    await camera.stop();
  }
}

test('a High-profile camera passes through to Chromium, and the answer says High', async () => {
  const r = await watch('h264-high', false);
  const profiles = [...r.answer.matchAll(/profile-level-id=([0-9a-f]{6})/g)].map((m) => m[1]);
  console.log(`High camera: answer profile-level-id ${profiles.join(',')}; ${(r.share * 100).toFixed(1)} % of frames decoded at ${r.frames.width}x${r.frames.height}; layers ${JSON.stringify(r.camRuntime.layers)}`);
  assert.deepEqual(profiles.map((p) => p.slice(0, 2)), ['64'], 'the answer announces the High profile the camera sends');
  assert.match(r.answer, /packetization-mode=1/);
  assert.equal(r.camRuntime.encodersRunning, 0, 'passed through: no encoder');
  assert.equal(r.frames.width, 640);
  assert.ok(r.share >= 0.95, `decoded ${(r.share * 100).toFixed(1)} %`);
});

for (const adaptive of [false, true]) {
  test(`a camera with B-frames plays in Chromium re-encoded without reordering (adaptativeBitrate ${adaptive}): ≥ 95 % of frames, in presentation order`, async () => {
    const r = await watch('h264-bframes', adaptive);
    console.log(`B-frame camera (adaptive ${adaptive}): ${(r.share * 100).toFixed(1)} % of ${FPS} fps decoded over 8 s (${r.shown} shown), ${r.frames.width}x${r.frames.height}, ${r.frames.backwards} frames shown out of order, freezes ${r.after.freezeCount}; layers ${JSON.stringify(r.camRuntime.layers)}`);
    assert.ok(r.share >= 0.95, `decoded ${(r.share * 100).toFixed(1)} % of the camera's frames`);
    assert.equal(r.frames.width, 640);
    assert.equal(r.frames.height, 480);
    assert.ok(r.frames.timed >= r.frames.count * 0.9, 'Chromium gave the RTP timestamp of the frames it showed');
    assert.equal(r.frames.backwards, 0, 'frames shown in presentation order');
    assert.match(r.log, /reorders frames \(B-frames/, 'the log says why it is re-encoded');
    assert.equal(r.camRuntime.layers.filter((l) => l.source === 'camera').length, 0, 'the camera\'s own stream is not offered to browsers');
    assert.ok(r.camRuntime.layers.some((l) => l.source === 'encoder' && l.layer === 0 && l.viewers === 1), 'the viewer is on the full-size re-encoded layer');
  });
}
