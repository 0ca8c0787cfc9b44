'use strict';
// The cost of adaptativeBitrate when every link is good: Sightline's CPU for one 1280x720 H.264 camera watched by three
// headless Chromium viewers on loopback, with adaptativeBitrate false (passthrough) and true. With good links no viewer
// leaves the camera's own stream, so no decoder or encoder should run and both figures should match.
// Prints figures, never pass/fail. Usage: node bench/adaptive.cjs [seconds]
const path = require('node:path');
const interop = path.join(__dirname, '..', 'tests', 'interop');
const { cpuOver } = require('./lib.cjs');
const { OpenVidu } = require(path.join(interop, 'node_modules', 'openvidu-node-client'));
const { startSightline, startCamera, waitFor } = require(path.join(interop, 'lib', 'sightline.cjs'));
const { startPageServer, launchBrowser } = require(path.join(interop, 'lib', 'browser.cjs'));

async function main() {
  const seconds = Number(process.argv[2] || 20);
  const camera = await startCamera(['--codec', 'h264', '--width', '1280', '--height', '720', '--fps', '25', '--gop', '50', '--kbps', '2000']);
  const server = await startSightline();
  const pages = await startPageServer();
  const browser = await launchBrowser();
  const ov = new OpenVidu(server.url, server.secret);
  const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${server.secret}`).toString('base64');
  console.log(`adaptativeBitrate on good links: Sightline CPU for one 1280x720 25 fps camera and 3 Chromium viewers, ${seconds} s each`);
  try {
    for (const adaptive of [false, true]) {
      const session = await ov.createSession();
      const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: adaptive });
      const streamId = cam.publishers[0].streamId;
      const viewers = [];
      for (let i = 0; i < 3; i++) {
        const v = await session.createConnection({ role: 'SUBSCRIBER' });
        const page = await browser.newPage();
        await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(v.token)}`);
        await page.evaluate(() => window.connected);
        viewers.push(page);
      }
      for (const page of viewers) {
        await waitFor(async () => ((await page.evaluate(() => window.result())).frames[streamId] || { count: 0 }).count >= 25, 20000, 'frames');
      }
      await new Promise((r) => setTimeout(r, 3000));
      const cpu = await cpuOver(server.pid, seconds);
      const runtime = await (await fetch(`${server.url}/openvidu/api/sightline/runtime`, { headers: { Authorization: auth } })).json();
      const c = runtime.cameras.find((x) => x.viewers === 3) || runtime.cameras[0];
      const frames = await Promise.all(viewers.map(async (p) => (await p.evaluate(() => window.result())).frames[streamId]));
      console.log(`  adaptativeBitrate ${String(adaptive).padEnd(5)}: ${(cpu * 100).toFixed(1)} % of one core   encoders running ${c.encodersRunning}, decoding ${c.decoding}, viewers per layer ${c.layers.map((l) => l.viewers).join('/')}, layer switches ${c.layerSwitches}, viewers at ${frames.map((f) => `${f.width}x${f.height}`).join(', ')}`);
      for (const page of viewers) await page.close();
      await session.close();
      await new Promise((r) => setTimeout(r, 3000));
    }
  } finally {
    await browser.close();
    await pages.close();
    await server.stop();
    await camera.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
