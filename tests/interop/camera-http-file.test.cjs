'use strict';
// Cameras that are not RTSP, as OpenVidu accepts them: an HTTP MJPEG camera (multipart/x-mixed-replace, as the
// openvidu-ipcameras tutorial lists), a file:// MP4 (as OpenVidu's e2e test publishes) and an HTTPS MPEG-TS stream
// with a self-signed certificate. Each is published with openvidu-node-client and watched in Chromium through
// openvidu-browser; Sightline reads them through FFmpeg's libavformat.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const https = require('node:https');
const { execFileSync } = require('node:child_process');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, waitFor } = require('./lib/sightline.cjs');
const { startPageServer, launchBrowser } = require('./lib/browser.cjs');

let dir, server, pages, browser, ov;
const servers = [];

function ffmpeg(args) {
  execFileSync('ffmpeg', ['-y', '-v', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-http-file-'));
  server = await startSightline({ SIGHTLINE_CAMERA_FILES_DIR: dir });
  ov = new OpenVidu(server.url, server.secret);
  pages = await startPageServer();
  browser = await launchBrowser();
});

test.after(async () => {
  await browser?.close();
  await pages?.close();
  await server?.stop();
  for (const s of servers) {
    s.closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

async function listen(s) {
  servers.push(s);
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return s.address().port;
}

// Publishes a camera URI with openvidu-node-client, watches it in Chromium, and returns what the page decoded.
async function watch(rtspUri, frames = 75) {
  const session = await ov.createSession();
  const cam = await session.createConnection({ type: 'IPCAM', rtspUri, adaptativeBitrate: false });
  const streamId = cam.publishers[0].streamId;
  const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('page error: ' + e.message));
  await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
  await page.evaluate(() => window.connected);
  const decoded = async () => (await page.evaluate(() => window.result())).frames[streamId] || { count: 0 };
  await waitFor(async () => (await decoded()).count >= frames, 20000, `${frames} decoded frames of ${rtspUri}`);
  const f = await decoded();
  const status = (await (await fetch(`${server.url}/openvidu/api/sessions/${session.sessionId}/connection/${cam.connectionId}`, {
    headers: { Authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${server.secret}`).toString('base64') },
  })).json()).cameraStatus;
  return { f, page, session, streamId, status };
}

test('an HTTP MJPEG camera (multipart/x-mixed-replace) plays in Chromium, re-encoded to H.264', async () => {
  const pattern = path.join(dir, 'mjpeg-%03d.jpg');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=25', '-frames:v', '50', '-q:v', '5', pattern]);
  const jpegs = Array.from({ length: 50 }, (_, i) => fs.readFileSync(path.join(dir, `mjpeg-${String(i + 1).padStart(3, '0')}.jpg`)));
  let clients = 0;
  // An Axis-style camera at /mjpg/video.mjpg: one JPEG every 40 ms, each a part of a never-ending multipart body.
  const port = await listen(http.createServer((req, res) => {
    if (req.url !== '/mjpg/video.mjpg') return res.writeHead(404).end();
    clients++;
    res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=myboundary', 'Cache-Control': 'no-cache' });
    let i = 0;
    const timer = setInterval(() => {
      const jpeg = jpegs[i++ % jpegs.length];
      res.write(`--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
      res.write(jpeg);
      res.write('\r\n');
    }, 40);
    res.on('close', () => clearInterval(timer));
  }));
  const started = Date.now();
  const { f, page, session, status } = await watch(`http://127.0.0.1:${port}/mjpg/video.mjpg`);
  console.log(`MJPEG over HTTP: ${f.count} frames decoded at ${f.width}x${f.height}, first ${f.first - f.subscribedAt} ms after subscribe (${f.first - started} ms after publishing), status ${JSON.stringify(status)}`);
  assert.equal(f.width, 640);
  assert.equal(f.height, 480);
  assert.equal(status.state, 'playing');
  assert.equal(status.transport, 'HTTP');
  assert.equal(clients, 1, 'one HTTP pull');
  assert.ok(server.log.join('').includes('MJPEG is transcoded to H.264 for browsers'), 'the log says why it transcodes');
  await page.close();
  await session.close();
});

test('a file:// MP4 camera (H.264 and AAC) plays in Chromium at its own pace, looping', async () => {
  const mp4 = path.join(dir, 'lobby.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'baseline', '-g', '25', '-bf', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', mp4]);
  // 100 frames of a 2 s file: the viewer sees it loop at least once without a stall.
  const { f, page, session, streamId, status } = await watch(`file://${mp4}`, 100);
  const audio = await page.evaluate((id) => window.audioStats(id), streamId);
  // The decoding rate over 2 s more (the page's frame times are on another clock than Date.now()).
  const before = { count: f.count, at: Date.now() };
  await new Promise((r) => setTimeout(r, 2000));
  const after = (await page.evaluate(() => window.result())).frames[streamId];
  const fps = (after.count - before.count) / ((Date.now() - before.at) / 1000);
  console.log(`file:// MP4: ${f.count} frames decoded at ${f.width}x${f.height}, first ${f.first - f.subscribedAt} ms after subscribe, ${fps.toFixed(1)} fps, longest gap ${f.maxGap.toFixed(0)} ms; audio ${JSON.stringify(audio)}`);
  assert.equal(f.width, 640);
  assert.equal(f.height, 360);
  assert.equal(status.transport, 'FILE');
  assert.ok(fps > 20 && fps < 30, `played at its own pace (25 fps), not faster: ${fps.toFixed(1)}`);
  assert.ok(f.maxGap < 500, `no stall at the loop: longest gap ${f.maxGap} ms`);
  assert.equal(audio.codec, 'audio/opus');
  assert.ok(audio.packetsReceived > 20);
  await page.close();
  await session.close();
});

test('an HTTPS MPEG-TS stream with a self-signed certificate plays in Chromium', async () => {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=camera.local'], { stdio: 'ignore' });
  const ts = path.join(dir, 'live.ts');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=480x270:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-g', '25', '-bf', '0',
    '-pix_fmt', 'yuv420p', '-f', 'mpegts', ts]);
  const bytes = fs.readFileSync(ts);
  // A live stream: the 4 s TS sent again and again at its own bitrate, with no length and no ranges.
  const port = await listen(https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
    res.writeHead(200, { 'Content-Type': 'video/mp2t' });
    const perTick = Math.ceil(bytes.length / 4 / 10);
    let offset = 0;
    const timer = setInterval(() => {
      const end = Math.min(offset + perTick, bytes.length);
      res.write(bytes.subarray(offset, end));
      offset = end === bytes.length ? 0 : end;
    }, 100);
    res.on('close', () => clearInterval(timer));
  }));
  const { f, page, session, status } = await watch(`https://127.0.0.1:${port}/live.ts`, 125);
  console.log(`HTTPS MPEG-TS: ${f.count} frames decoded at ${f.width}x${f.height}, first ${f.first - f.subscribedAt} ms after subscribe, longest gap ${f.maxGap.toFixed(0)} ms, status ${JSON.stringify(status)}`);
  assert.equal(f.width, 480);
  assert.equal(f.height, 270);
  assert.equal(status.transport, 'HTTPS');
  assert.ok(f.maxGap < 500, `the stream's timestamps restarting every 4 s cause no stall: longest gap ${f.maxGap} ms`);
  await page.close();
  await session.close();
});

test('a file:// camera outside SIGHTLINE_CAMERA_FILES_DIR is refused by openvidu-node-client\'s createConnection with 400', async () => {
  const session = await ov.createSession();
  await assert.rejects(session.createConnection({ type: 'IPCAM', rtspUri: `file://${dir}/../etc/passwd` }), (e) => e.message === '400');
  await session.close();
});
