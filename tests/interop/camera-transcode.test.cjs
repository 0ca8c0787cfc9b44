'use strict';
// Cameras in codecs Chromium cannot decode over WebRTC (H.265, MJPEG) still play: Sightline transcodes them to H.264
// for the browser, even with adaptativeBitrate:false, and only while someone watches.
const test = require('node:test');
const assert = require('node:assert/strict');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startCamera, waitFor } = require('./lib/sightline.cjs');
const { startPageServer, launchBrowser } = require('./lib/browser.cjs');

let server, pages, browser, ov;

test.before(async () => {
  server = await startSightline();
  ov = new OpenVidu(server.url, server.secret);
  pages = await startPageServer();
  browser = await launchBrowser();
});

test.after(async () => {
  await browser?.close();
  await pages?.close();
  await server?.stop();
});

for (const codec of ['h265', 'mjpeg']) {
  test(`a ${codec} camera plays in Chromium through the H.264 transcoder`, async () => {
    const camera = await startCamera(['--codec', codec, '--width', '640', '--height', '480', '--fps', '25']);
    try {
      const session = await ov.createSession();
      const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false });
      const streamId = cam.publishers[0].streamId;
      const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
      const page = await browser.newPage();
      await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
      await page.evaluate(() => window.connected);
      await waitFor(async () => ((await page.evaluate(() => window.result())).frames[streamId] || { count: 0 }).count >= 50, 15000, '50 decoded frames');
      const f = (await page.evaluate(() => window.result())).frames[streamId];
      console.log(`${codec}: ${f.count} frames decoded at ${f.width}x${f.height}, first ${f.first - f.subscribedAt} ms after subscribe`);
      assert.equal(f.width, 640);
      assert.equal(f.height, 480);
      assert.ok(server.log.join('').includes('is transcoded to H.264 for browsers'), 'the log says why it transcodes');
      await page.close();
      await session.close();
    } finally {
      await camera.stop();
    }
  });
}

test('an AAC camera\'s audio reaches the browser as Opus', async () => {
  const camera = await startCamera(['--codec', 'h264', '--audio', 'aac', '--width', '320', '--height', '240']);
  try {
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false });
    const streamId = cam.publishers[0].streamId;
    const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
    const page = await browser.newPage();
    await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
    await page.evaluate(() => window.connected);
    await waitFor(async () => ((await page.evaluate((id) => window.audioStats(id), streamId)).packetsReceived || 0) >= 100, 15000, '100 audio packets');
    const audio = await page.evaluate((id) => window.audioStats(id), streamId);
    console.log(`audio: ${JSON.stringify(audio)}`);
    assert.equal(audio.codec, 'audio/opus');
    assert.ok(audio.audioLevel > 0, 'the 440 Hz tone is heard (audioLevel > 0)');
    assert.ok(server.log.join('').includes('AAC audio is transcoded to Opus'));
    await page.close();
    await session.close();
  } finally {
    await camera.stop();
  }
});
