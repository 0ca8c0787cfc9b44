'use strict';
// Time to first frame in real headless Chromium with openvidu-browser: from session.subscribe() to the first decoded
// frame (requestVideoFrameCallback), for an always-on camera (GOP cache) and an on-demand one (RTSP connect + first
// keyframe). Prints median and max of N trials each. Usage: node bench/ttff.cjs [trials]
const path = require('node:path');
const interop = path.join(__dirname, '..', 'tests', 'interop');
const { OpenVidu } = require(path.join(interop, 'node_modules', 'openvidu-node-client'));
const { startSightline, startCamera, waitFor } = require(path.join(interop, 'lib', 'sightline.cjs'));
const { startPageServer, launchBrowser } = require(path.join(interop, 'lib', 'browser.cjs'));

async function main() {
  const trials = Number(process.argv[2] || 10);
  const camera = await startCamera(['--codec', 'h264', '--width', '1280', '--height', '720', '--gop', '25', '--kbps', '2000']);
  const server = await startSightline({ SIGHTLINE_CAMERA_LINGER_MS: '0' });
  const pages = await startPageServer();
  const browser = await launchBrowser();
  const ov = new OpenVidu(server.url, server.secret);
  const results = {};
  try {
    for (const [label, onlyPlay] of [['always-on camera (GOP cache)', false], ['onlyPlayWithSubscribers (RTSP connect + first keyframe)', true]]) {
      const session = await ov.createSession();
      const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: onlyPlay });
      const streamId = cam.publishers[0].streamId;
      if (!onlyPlay) await new Promise((r) => setTimeout(r, 2000));
      const times = [];
      for (let i = 0; i < trials; i++) {
        const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
        const page = await browser.newPage();
        await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
        await page.evaluate(() => window.connected);
        await waitFor(async () => ((await page.evaluate(() => window.result())).frames[streamId] || {}).first > 0, 15000, 'first frame');
        const f = (await page.evaluate(() => window.result())).frames[streamId];
        times.push(f.first - f.subscribedAt);
        await page.evaluate(() => window.leave());
        await page.close();
        // Let an on-demand camera go before the next trial, so each trial pays the RTSP connect.
        if (onlyPlay) await waitFor(async () => camera.closes() > i, 8000, 'camera released');
      }
      times.sort((a, b) => a - b);
      results[label] = times;
      await session.close();
    }
  } finally {
    await browser.close();
    await pages.close();
    await server.stop();
    await camera.stop();
  }
  console.log(`Time to first decoded frame in Chromium (openvidu-browser), ${trials} trials each, 1280x720 H.264 camera, 1 s GOP:`);
  console.log(`${'case'.padEnd(58)} ${'median ms'.padStart(9)} ${'max ms'.padStart(7)}`);
  for (const [label, t] of Object.entries(results)) {
    console.log(`${label.padEnd(58)} ${String(t[Math.floor(t.length / 2)]).padStart(9)} ${String(t[t.length - 1]).padStart(7)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
