'use strict';
// A camera that cannot play, seen from openvidu-browser in Chromium: the page's subscribe() is rejected within 5 s with
// the camera's reason (JSON-RPC 303), in both subscribe flows, and the camera's Connection JSON says the same. And a
// slow receiveVideoFrom (a camera that accepts TCP and never answers) does not hold up a signal on the same socket.
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startCamera, waitFor, freePort } = require('./lib/sightline.cjs');
const { startPageServer, launchBrowser } = require('./lib/browser.cjs');

let browserOffers, serverOffers, pages, browser;

test.before(async () => {
  browserOffers = await startSightline({ SIGHTLINE_CAMERA_LINGER_MS: '500' });
  serverOffers = await startSightline({ SIGHTLINE_CAMERA_LINGER_MS: '500', SIGHTLINE_SUBSCRIBE_FLOW: 'server-offers' });
  pages = await startPageServer();
  browser = await launchBrowser();
});

test.after(async () => {
  await browser?.close();
  await pages?.close();
  await browserOffers?.stop();
  await serverOffers?.stop();
});

/** Publishes the camera with openvidu-node-client and opens a viewer page that subscribes to it. */
async function watch(server, rtspUri) {
  const ov = new OpenVidu(server.url, server.secret);
  const session = await ov.createSession();
  const cam = await session.createConnection({ type: 'IPCAM', rtspUri, adaptativeBitrate: false });
  const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
  const page = await browser.newPage();
  await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
  await page.evaluate(() => window.connected);
  return { session, cam, streamId: cam.publishers[0].streamId, page };
}

const outcome = async (page, streamId) => (await page.evaluate(() => window.result())).events
  .find((e) => (e.type === 'subscribeError' || e.type === 'subscribed') && e.id === streamId);

async function cameraStatus(server, sessionId, connectionId) {
  const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${server.secret}`).toString('base64');
  const r = await fetch(`${server.url}/openvidu/api/sessions/${sessionId}/connection/${connectionId}`, { headers: { Authorization: auth } });
  return (await r.json()).cameraStatus;
}

/** Subscribes in both flows and checks the rejection: within 5 s, code 303, the reason in the message and in cameraStatus. */
async function expectRefusal(what, rtspUri, reason) {
  for (const [flow, server] of [['browser offers', browserOffers], ['server offers', serverOffers]]) {
    const { session, cam, streamId, page } = await watch(server, rtspUri);
    try {
      const settled = await waitFor(() => outcome(page, streamId), 10000, `the subscription to settle (${what}, ${flow})`);
      console.log(`${what} (${flow}): subscribe rejected after ${settled.ms} ms: ${settled.error}`);
      assert.equal(settled.type, 'subscribeError');
      assert.ok(settled.ms < 5000, `rejected after ${settled.ms} ms`);
      const method = flow === 'browser offers' ? 'receiveVideoFrom :' : 'prepareReceiveVideoFrom:';
      assert.ok(settled.error.startsWith(`Error on ${method} `), settled.error);
      const rpcError = JSON.parse(settled.error.slice(settled.error.indexOf('{')));
      assert.equal(rpcError.code, 303);
      assert.ok(rpcError.message.startsWith(`Camera ${streamId} cannot play: `), rpcError.message);
      assert.ok(rpcError.message.includes(reason), rpcError.message);
      assert.ok(!rpcError.message.includes('wr0ngpass'), 'no password in the message');
      const status = await cameraStatus(server, session.sessionId, cam.connectionId);
      assert.equal(`Camera ${streamId} cannot play: ${status.lastError}`, rpcError.message);
    } finally {
      await page.close();
      await session.close();
    }
  }
}

test('a refused port: subscribe fails within 5 s, saying so', async () => {
  const port = await freePort();
  await expectRefusal('refused port', `rtsp://127.0.0.1:${port}/cam`, `the camera at 127.0.0.1:${port} refused the connection`);
});

test('a wrong password: subscribe fails within 5 s, naming the user', async () => {
  const camera = await startCamera(['--auth', 'digest', '--user', 'admin', '--password', 'right']);
  try {
    await expectRefusal('wrong password', camera.url.replace('rtsp://', 'rtsp://admin:wr0ngpass@'),
      "the camera refused the credentials for user 'admin' (wrong user name or password)");
  } finally {
    await camera.stop();
  }
});

test('an unknown path (404): subscribe fails within 5 s, saying so', async () => {
  const camera = await startCamera([]);
  try {
    await expectRefusal('404', camera.url.replace('/cam', '/nothing-here'), 'the camera has no stream at this path (DESCRIBE: 404 Not Found)');
  } finally {
    await camera.stop();
  }
});

test('DESCRIBE answered 503: subscribe fails within 5 s, saying so', async () => {
  const camera = await startCamera(['--codec', 'broken']);
  try {
    await expectRefusal('503', camera.url, 'the camera answered DESCRIBE with 503 Service Unavailable');
  } finally {
    await camera.stop();
  }
});

test('a signal sent while receiveVideoFrom waits for a silent camera is answered in < 100 ms', async () => {
  // A camera that accepts the connection and never answers a request.
  const sockets = new Set();
  const silent = net.createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); });
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const connected = new Promise((r) => silent.once('connection', r));
  try {
    const { session, streamId, page } = await watch(browserOffers, `rtsp://127.0.0.1:${silent.address().port}/cam#transport=tcp`);
    try {
      await connected; // the subscription now waits for the camera
      const times = [];
      for (let i = 0; i < 5; i++) times.push(await page.evaluate((n) => window.signal(`probe-${n}`), i));
      const pending = !(await outcome(page, streamId));
      console.log(`signals answered in ${times.map((t) => t.toFixed(1)).join(', ')} ms while receiveVideoFrom was pending: ${pending}`);
      assert.ok(pending, 'the subscription should still be pending');
      assert.ok(Math.max(...times) < 100, `a signal took ${Math.max(...times)} ms`);

      const settled = await waitFor(() => outcome(page, streamId), 10000, 'the subscription to settle');
      console.log(`the silent camera's subscription was rejected after ${settled.ms} ms: ${settled.error}`);
      assert.equal(settled.type, 'subscribeError');
      assert.ok(settled.ms < 5000, `rejected after ${settled.ms} ms`);
      assert.ok(settled.error.includes('did not start playing within 4 s (still connecting)'), settled.error);
    } finally {
      await page.close();
      await session.close();
    }
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});
