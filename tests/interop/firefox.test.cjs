'use strict';
// A second browser engine: Debian's Firefox ESR (no H.264 offline: it offers VP8, VP9 and AV1 only) watches cameras
// through the real openvidu-browser. An H.264 or H.265 camera reaches it re-encoded to VP8, a VP8 camera as it is, and
// AAC audio as Opus; each at the camera's size, nearly every frame.
const test = require('node:test');
const assert = require('node:assert/strict');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startCamera, waitFor } = require('./lib/sightline.cjs');
const { startPageServer, launchFirefox } = require('./lib/browser.cjs');

let server, pages, firefox, ov;

test.before(async () => {
  // Firefox gathers no loopback candidate on a machine that has another interface (even with ice.loopback): the
  // server announces its own addresses as by default (every up IPv4 interface, then 127.0.0.1); the traffic stays on
  // this machine.
  server = await startSightline({ SIGHTLINE_CAMERA_LINGER_MS: '500', SIGHTLINE_WEBRTC_ANNOUNCED_IPS: '' });
  ov = new OpenVidu(server.url, server.secret);
  pages = await startPageServer();
  firefox = await launchFirefox();
});

test.after(async () => {
  await firefox?.close();
  await pages?.close();
  await server?.stop();
});

const FPS = 25;

// Watches one camera in a new Firefox page; returns the decoding rate over a window once it plays, and the stats.
async function watch(cameraArgs, { audio = false } = {}) {
  const camera = await startCamera([...cameraArgs, '--width', '640', '--height', '480', '--fps', String(FPS)]);
  const page = await firefox.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`firefox console: ${m.text()}`); });
  try {
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false });
    const streamId = cam.publishers[0].streamId;
    const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
    const subscribedAt = Date.now();
    await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
    await page.evaluate(() => window.connected);
    await waitFor(async () => ((await page.evaluate(() => window.result())).frames[streamId] || { count: 0 }).count >= 10, 30000, 'Firefox decoding');
    const firstFrameMs = (await page.evaluate(() => window.result())).frames[streamId].first - subscribedAt;
    // Decoded frames over a window, from the receiver's own counter (framesDecoded), against the camera's rate.
    const before = await page.evaluate((id) => window.videoStats(id), streamId);
    await new Promise((r) => setTimeout(r, 8000));
    const after = await page.evaluate((id) => window.videoStats(id), streamId);
    const seconds = (after.at - before.at) / 1000;
    const share = (after.framesDecoded - before.framesDecoded) / (seconds * FPS);
    const frames = (await page.evaluate(() => window.result())).frames[streamId];
    const codec = await page.evaluate(async (id) => {
      const pc = window.subscribers.find((s) => s.stream.streamId === id).stream.getRTCPeerConnection();
      let out = '';
      (await pc.getStats()).forEach((s) => { if (s.type === 'codec' && s.mimeType.startsWith('video')) out = s.mimeType; });
      return out;
    }, streamId);
    const sound = audio ? await page.evaluate((id) => window.audioStats(id), streamId) : null;
    await session.close();
    return { share, frames, after, codec, sound, firstFrameMs, log: server.log.join('') };
  } finally {
    await page.close();
    await camera.stop();
  }
}

for (const [codec, expected] of [['h264', 'video/VP8'], ['vp8', 'video/VP8'], ['h265', 'video/VP8']]) {
  test(`Firefox ESR watches a ${codec} camera through openvidu-browser: ${expected}, ≥ 95 % of the frames at 640x480`, async () => {
    const r = await watch(['--codec', codec]);
    console.log(`${codec} camera in Firefox: ${r.codec}, ${(r.share * 100).toFixed(1)} % of ${FPS} fps decoded over 8 s, ${r.frames.width}x${r.frames.height}, first frame ${r.firstFrameMs} ms after subscribe, freezes ${r.after.freezeCount}`);
    assert.equal(r.codec.toLowerCase(), expected.toLowerCase());
    assert.equal(r.frames.width, 640);
    assert.equal(r.frames.height, 480);
    assert.equal(r.after.frameWidth, 640);
    assert.ok(r.share >= 0.95, `decoded ${(r.share * 100).toFixed(1)} % of the camera's frames`);
    if (codec !== 'vp8') assert.match(r.log, /re-encoded to VP8/, 'the log says why the camera is re-encoded for this viewer');
  });
}

test('Firefox ESR hears an AAC camera as Opus, and sees its H.264 video as VP8', async () => {
  const r = await watch(['--codec', 'h264', '--audio', 'aac'], { audio: true });
  console.log(`AAC camera in Firefox: audio ${JSON.stringify(r.sound)}; video ${r.codec} ${(r.share * 100).toFixed(1)} %, first frame ${r.firstFrameMs} ms after subscribe`);
  assert.equal(r.sound.codec.toLowerCase(), 'audio/opus');
  assert.ok(r.sound.packetsReceived >= 100, `${r.sound.packetsReceived} audio packets`);
  assert.ok(r.sound.totalAudioEnergy > 0 || r.sound.audioLevel > 0, 'the 440 Hz tone is heard');
  assert.ok(r.share >= 0.95);
});
