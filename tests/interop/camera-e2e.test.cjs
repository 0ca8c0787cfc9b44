'use strict';
// End to end, as the OpenVidu IP-camera documentation describes it: a GStreamer RTSP camera published with
// openvidu-node-client, watched in headless Chromium through the real openvidu-browser, then force-disconnected.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startWebhookReceiver, startCamera, waitFor, repoRoot } = require('./lib/sightline.cjs');
const { startPageServer, launchBrowser } = require('./lib/browser.cjs');

let server, hooks, pages, browser, ov;

test.before(async () => {
  hooks = await startWebhookReceiver();
  server = await startSightline({ OPENVIDU_WEBHOOK: 'true', OPENVIDU_WEBHOOK_ENDPOINT: hooks.url, SIGHTLINE_CAMERA_LINGER_MS: '500' });
  ov = new OpenVidu(server.url, server.secret);
  pages = await startPageServer();
  browser = await launchBrowser();
});

test.after(async () => {
  await browser?.close();
  await pages?.close();
  await server?.stop();
  await hooks?.close();
});

async function openViewer(session) {
  const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('page error: ' + e.message));
  await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
  await page.evaluate(() => window.connected);
  return { page, viewer };
}

const frames = async (page, streamId) => (await page.evaluate(() => window.result())).frames[streamId] || { count: 0 };

test('a camera published with openvidu-node-client plays in openvidu-browser, then is force-disconnected', async () => {
  const camera = await startCamera(['--codec', 'h264', '--width', '640', '--height', '480', '--fps', '25']);
  try {
    const session = await ov.createSession();
    const cam = await session.createConnection({
      type: 'IPCAM', rtspUri: camera.url, data: 'front-door', adaptativeBitrate: false, onlyPlayWithSubscribers: true, networkCache: 1000,
    });
    const streamId = cam.publishers[0].streamId;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(camera.clients(), 0, 'onlyPlayWithSubscribers: no RTSP client before the first subscriber');

    const { page, viewer } = await openViewer(session);
    const subscribedAt = Date.now();
    const created = (await page.evaluate(() => window.result())).events;
    assert.ok(created.some((e) => e.type === 'connectionCreated' && e.id === cam.connectionId));
    assert.ok(created.some((e) => e.type === 'streamCreated' && e.id === streamId && e.typeOfVideo === 'IPCAM'));

    await waitFor(async () => (await frames(page, streamId)).count >= 100, 10000, '100 decoded frames');
    const seen = await frames(page, streamId);
    console.log(`decoded ${seen.count} frames at ${seen.width}x${seen.height}; first frame ${seen.first - subscribedAt} ms after subscribe`);
    assert.equal(seen.width, 640);
    assert.equal(seen.height, 480);
    assert.equal(camera.clients(), 1, 'one RTSP session for the viewer');
    // The camera's state is in its Connection JSON (a Sightline extension after OpenVidu's keys).
    const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${server.secret}`).toString('base64');
    const json = await (await fetch(`${server.url}/openvidu/api/sessions/${session.sessionId}/connection/${cam.connectionId}`, { headers: { Authorization: auth } })).json();
    assert.equal(json.cameraStatus.state, 'playing');
    assert.equal(json.cameraStatus.viewers, 1);
    fs.mkdirSync(path.join(repoRoot, '.test-output'), { recursive: true });
    await page.screenshot({ path: path.join(repoRoot, '.test-output', 'camera-viewer.png') });

    await session.forceDisconnect(cam);
    await waitFor(async () => {
      const ev = (await page.evaluate(() => window.result())).events;
      return ev.some((e) => e.type === 'streamDestroyed' && e.id === streamId && e.reason === 'forceDisconnectByServer')
        && ev.some((e) => e.type === 'connectionDestroyed' && e.id === cam.connectionId && e.reason === 'forceDisconnectByServer');
    }, 5000, 'streamDestroyed and connectionDestroyed in the page');

    await hooks.waitForEvent('participantLeft', (b) => b.connectionId === cam.connectionId);
    const mine = hooks.events.map((e) => e.body).filter((b) => b.sessionId === session.sessionId);
    const joined = mine.find((b) => b.event === 'participantJoined' && b.connectionId === cam.connectionId);
    assert.equal(joined.platform, 'IPCAM');
    assert.equal(joined.serverData, 'front-door');
    const outbound = mine.find((b) => b.event === 'webrtcConnectionCreated' && b.connection === 'OUTBOUND');
    assert.equal(outbound.rtspUri, camera.url);
    assert.equal(outbound.videoSource, 'IPCAM');
    const inbound = mine.find((b) => b.event === 'webrtcConnectionCreated' && b.connection === 'INBOUND');
    assert.equal(inbound.connectionId, viewer.connectionId);
    assert.equal(inbound.receivingFrom, cam.connectionId);
    const destroyed = mine.filter((b) => b.event === 'webrtcConnectionDestroyed');
    assert.equal(destroyed.length, 2);
    assert.deepEqual(destroyed.map((b) => b.connection), ['INBOUND', 'OUTBOUND']);
    assert.ok(destroyed.every((b) => b.reason === 'forceDisconnectByServer'));
    const left = mine.find((b) => b.event === 'participantLeft' && b.connectionId === cam.connectionId);
    assert.equal(left.reason, 'forceDisconnectByServer');
    // No viewer left: the camera is let go.
    await waitFor(async () => camera.closes() >= 1, 8000, 'the RTSP session to close');
    await page.close();
    await session.close();
  } finally {
    await camera.stop();
  }
});

test('onlyPlayWithSubscribers: the RTSP session ends within 5 s of the last unsubscribe, and a new viewer brings it back', async () => {
  const camera = await startCamera(['--codec', 'vp8']);
  try {
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false });
    const streamId = cam.publishers[0].streamId;
    const { page } = await openViewer(session);
    await waitFor(async () => (await frames(page, streamId)).count >= 25, 10000, 'VP8 frames');
    assert.equal(camera.clients(), 1);
    await page.evaluate(() => window.unsubscribeAll());
    const unsubscribedAt = Date.now();
    await waitFor(async () => camera.closes() >= 1, 5000, 'the camera to be let go within 5 s');
    console.log(`RTSP session closed ${Date.now() - unsubscribedAt} ms after the last unsubscribe`);
    const again = await openViewer(session);
    await waitFor(async () => (await frames(again.page, streamId)).count >= 25, 10000, 'frames for the next viewer');
    assert.equal(camera.clients(), 2);
    await page.close();
    await again.page.close();
    await session.close();
  } finally {
    await camera.stop();
  }
});

test('three browsers watch one camera over one RTSP session; the same camera in two sessions is pulled once', async () => {
  const camera = await startCamera(['--codec', 'h264-high', '--width', '640', '--height', '480']);
  try {
    const a = await ov.createSession();
    const b = await ov.createSession();
    const camA = await a.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    const camB = await b.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await waitFor(async () => camera.plays() >= 1, 8000, 'onlyPlayWithSubscribers:false to connect at publish time');
    const viewers = [await openViewer(a), await openViewer(a), await openViewer(b)];
    const ids = [camA.publishers[0].streamId, camA.publishers[0].streamId, camB.publishers[0].streamId];
    await waitFor(async () => {
      const counts = await Promise.all(viewers.map((v, i) => frames(v.page, ids[i])));
      return counts.every((c) => c.count >= 50);
    }, 15000, 'all three viewers decoding');
    assert.equal(camera.clients(), 1, 'one RTSP client for two sessions and three viewers');
    for (const v of viewers) await v.page.close();
    await a.close();
    await b.close();
  } finally {
    await camera.stop();
  }
});

test('a camera killed and restarted while a browser watches: the same <video> resumes within 10 s', async () => {
  const camera = await startCamera(['--codec', 'h264']);
  try {
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false });
    const streamId = cam.publishers[0].streamId;
    const { page } = await openViewer(session);
    await waitFor(async () => (await frames(page, streamId)).count >= 25, 10000, 'first frames');
    await camera.kill();
    await new Promise((r) => setTimeout(r, 3000));
    const before = (await frames(page, streamId)).count;
    await camera.restart();
    const restarted = Date.now();
    await waitFor(async () => (await frames(page, streamId)).count >= before + 25, 10000, 'frames after the restart');
    console.log(`video resumed ${Date.now() - restarted} ms after the camera restarted`);
    await page.close();
    await session.close();
  } finally {
    await camera.stop();
  }
});
