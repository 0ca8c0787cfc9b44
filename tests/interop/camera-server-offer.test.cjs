'use strict';
// The other subscribe flow openvidu-browser 2.32 speaks: joinRoom says mediaServer "mediasoup", so the browser asks
// for the server's offer (prepareReceiveVideoFrom) and answers it (receiveVideoFrom with sdpAnswer).
const test = require('node:test');
const assert = require('node:assert/strict');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startCamera, waitFor } = require('./lib/sightline.cjs');
const { startPageServer, launchBrowser } = require('./lib/browser.cjs');

test('openvidu-browser subscribes with the server offering', async () => {
  const camera = await startCamera(['--codec', 'h264', '--width', '640', '--height', '480']);
  const server = await startSightline({ SIGHTLINE_SUBSCRIBE_FLOW: 'server-offers' });
  const pages = await startPageServer();
  const browser = await launchBrowser();
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false });
    const streamId = cam.publishers[0].streamId;
    const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
    const page = await browser.newPage();
    await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(viewer.token)}`);
    await page.evaluate(() => window.connected);
    page.on('console', (m) => console.log('page: ' + m.text()));
    try {
      await waitFor(async () => ((await page.evaluate(() => window.result())).frames[streamId] || { count: 0 }).count >= 50, 10000, '50 frames');
    } catch (e) {
      console.log(JSON.stringify(await page.evaluate(() => window.result())));
      console.log(server.log.join('').slice(-3000));
      throw e;
    }
    const f = (await page.evaluate(() => window.result())).frames[streamId];
    assert.equal(f.width, 640);
    assert.equal(f.height, 480);
    await session.fetch();
    const me = session.activeConnections.find((c) => c.connectionId === viewer.connectionId);
    assert.deepEqual(me.subscribers, [streamId]);
    await session.close();
  } finally {
    await browser.close();
    await pages.close();
    await server.stop();
    await camera.stop();
  }
});
