'use strict';
// openvidu-node-client 2.32.2, unchanged, against Sightline: sessions, WEBRTC tokens, IP cameras, webhooks.
const test = require('node:test');
const assert = require('node:assert/strict');
const { OpenVidu, ConnectionType } = require('openvidu-node-client');
const { startSightline, startWebhookReceiver } = require('./lib/sightline.cjs');

let server;
let hooks;
let ov;

test.before(async () => {
  hooks = await startWebhookReceiver();
  server = await startSightline({
    OPENVIDU_WEBHOOK: 'true',
    OPENVIDU_WEBHOOK_ENDPOINT: hooks.url,
    OPENVIDU_WEBHOOK_HEADERS: '["Authorization: Basic dXNlcjpwYXNz"]',
  });
  ov = new OpenVidu(server.url, server.secret);
});

test.after(async () => {
  const code = await server?.stop();
  await hooks?.close();
  assert.equal(code, 0, 'server exits cleanly on SIGTERM');
});

test('createSession with and without customSessionId', async () => {
  const generated = await ov.createSession();
  assert.match(generated.sessionId, /^ses_[A-Z][0-9A-Za-z]{9}$/);
  assert.equal(typeof generated.createdAt, 'number');

  const custom = await ov.createSession({ customSessionId: 'lobby_1' });
  assert.equal(custom.sessionId, 'lobby_1');
  // A second create with the same custom id takes the client's 409 path and still resolves to that session.
  const again = await ov.createSession({ customSessionId: 'lobby_1' });
  assert.equal(again.sessionId, 'lobby_1');
  await custom.close();
  await generated.close();
});

test('WEBRTC connection, IPCAM connection, fetch, forceDisconnect, close — with the webhooks a backend sees', async () => {
  const session = await ov.createSession();
  const sid = session.sessionId;

  const browser = await session.createConnection({ type: ConnectionType.WEBRTC, data: 'viewer-1', role: 'SUBSCRIBER' });
  assert.equal(browser.status, 'pending');
  assert.match(browser.token, new RegExp(`^wss?://[^?/]+\\?sessionId=${sid}&token=tok_[A-Z][0-9A-Za-z]{15}$`));
  const tokenUrl = new URL(browser.token);
  assert.equal(tokenUrl.searchParams.get('sessionId'), sid);

  const camera = await session.createConnection({
    type: ConnectionType.IPCAM,
    rtspUri: 'rtsp://127.0.0.1:8554/cam',
    data: 'front-door',
    record: false,
    adaptativeBitrate: false,
    onlyPlayWithSubscribers: true,
    networkCache: 1000,
  });
  assert.equal(camera.status, 'active');
  assert.match(camera.connectionId, /^ipc_IPCAM_rtsp_[0-9A-Z]{4}_127_0_0_1_8554_cam$/);
  assert.equal(camera.platform, 'IPCAM');
  assert.equal(camera.connectionProperties.type, 'IPCAM');
  assert.equal(camera.connectionProperties.rtspUri, 'rtsp://127.0.0.1:8554/cam');
  assert.equal(camera.connectionProperties.adaptativeBitrate, false);
  assert.equal(camera.connectionProperties.onlyPlayWithSubscribers, true);
  assert.equal(camera.connectionProperties.networkCache, 1000);
  assert.equal(camera.connectionProperties.record, false);
  assert.equal(camera.serverData, 'front-door');
  assert.equal(camera.publishers.length, 1);
  const stream = camera.publishers[0];
  assert.match(stream.streamId, new RegExp(`^str_IPC_[A-Z][0-9A-Za-z]{3}_${camera.connectionId}$`));
  assert.equal(stream.typeOfVideo, 'IPCAM');
  assert.equal(stream.hasVideo, true);

  // Session.fetch and OpenVidu.fetch see both connections.
  await session.fetch();
  const ids = session.connections.map((c) => c.connectionId).sort();
  assert.deepEqual(ids, [browser.connectionId, camera.connectionId].sort());
  assert.deepEqual(session.activeConnections.map((c) => c.connectionId), [camera.connectionId]);
  await ov.fetch();
  const listed = ov.activeSessions.find((s) => s.sessionId === sid);
  assert.ok(listed, 'OpenVidu.fetch lists the session');
  assert.equal(listed.connections.length, 2);

  // A camera's stream cannot be force-unpublished: OpenVidu answers 405 and the camera stays.
  await assert.rejects(session.forceUnpublish(stream.streamId), (e) => e.message === '405');
  await session.fetch();
  assert.equal(session.activeConnections[0].publishers.length, 1);

  // The backend's webhook heard the camera arrive.
  const joined = (await hooks.waitForEvent('participantJoined', (b) => b.sessionId === sid)).body;
  assert.equal(joined.platform, 'IPCAM');
  assert.equal(joined.serverData, 'front-door');
  assert.equal(joined.connectionId, camera.connectionId);
  assert.equal(joined.participantId, camera.connectionId);
  const created = (await hooks.waitForEvent('webrtcConnectionCreated', (b) => b.sessionId === sid)).body;
  assert.equal(created.connection, 'OUTBOUND');
  assert.equal(created.streamId, stream.streamId);
  assert.equal(created.rtspUri, 'rtsp://127.0.0.1:8554/cam');
  assert.equal(created.adaptativeBitrate, false);
  assert.equal(created.onlyPlayWithSubscribers, true);
  assert.equal(created.networkCache, 1000);
  assert.equal(created.videoSource, 'IPCAM');

  // forceDisconnect removes the camera; the pending browser token keeps the session alive in the API.
  await session.forceDisconnect(camera);
  assert.ok(!session.connections.some((c) => c.connectionId === camera.connectionId));
  const destroyed = (await hooks.waitForEvent('webrtcConnectionDestroyed', (b) => b.sessionId === sid)).body;
  assert.equal(destroyed.reason, 'forceDisconnectByServer');
  assert.equal(destroyed.streamId, stream.streamId);
  assert.equal(destroyed.rtspUri, 'rtsp://127.0.0.1:8554/cam');
  const left = (await hooks.waitForEvent('participantLeft', (b) => b.sessionId === sid)).body;
  assert.equal(left.reason, 'forceDisconnectByServer');
  assert.equal(left.platform, 'IPCAM');
  assert.equal(left.serverData, 'front-door');
  // The camera was the only participant: the session ends with it.
  const ended = (await hooks.waitForEvent('sessionDestroyed', (b) => b.sessionId === sid)).body;
  assert.equal(ended.reason, 'lastParticipantLeft');

  const order = hooks.events.filter((e) => e.body.sessionId === sid).map((e) => e.body.event);
  assert.deepEqual(order, ['sessionCreated', 'participantJoined', 'webrtcConnectionCreated', 'webrtcConnectionDestroyed', 'participantLeft', 'sessionDestroyed']);
  for (const e of hooks.events) assert.equal(e.headers.authorization, 'Basic dXNlcjpwYXNz');
  for (const e of hooks.events) assert.equal(e.body.uniqueSessionId.startsWith(`${e.body.sessionId}_`), true);
});

test('session.close() evicts the camera with sessionClosedByServer', async () => {
  const session = await ov.createSession({ customSessionId: 'to_close' });
  const camera = await session.createConnection({ type: 'IPCAM', rtspUri: 'rtsp://127.0.0.1:8554/other', data: 'cam-2' });
  await session.close();
  const left = (await hooks.waitForEvent('participantLeft', (b) => b.sessionId === 'to_close')).body;
  assert.equal(left.reason, 'sessionClosedByServer');
  assert.equal(left.connectionId, camera.connectionId);
  const ended = (await hooks.waitForEvent('sessionDestroyed', (b) => b.sessionId === 'to_close')).body;
  assert.equal(ended.reason, 'sessionClosedByServer');
  await assert.rejects(session.fetch(), (e) => e.message === '404');
});

test('bad IPCAM properties are refused with 400 and leave nothing behind', async () => {
  const session = await ov.createSession();
  await assert.rejects(session.createConnection({ type: 'IPCAM', rtspUri: 'ftp://cam/x' }), (e) => e.message === '400');
  await assert.rejects(session.createConnection({ type: 'IPCAM' }), (e) => e.message === '400');
  await assert.rejects(session.createConnection({ type: 'IPCAM', rtspUri: 'rtsp://cam/x', adaptativeBitrate: 'yes' }), (e) => e.message === '400');
  await session.fetch();
  assert.equal(session.connections.length, 0);
  await session.close();
});

test('deprecated generateToken and the CE-only routes', async () => {
  const session = await ov.createSession();
  const token = await session.generateToken({ role: 'PUBLISHER', data: 'legacy' });
  assert.match(token, new RegExp(`\\?sessionId=${session.sessionId}&token=tok_`));
  // updateConnection is a Pro route that Sightline offers too.
  const conn = (await session.fetch(), session.connections[0]);
  const updated = await session.updateConnection(conn.connectionId, { role: 'MODERATOR', record: false });
  assert.equal(updated.connectionProperties.role, 'MODERATOR');
  assert.equal(updated.connectionProperties.record, false);
  // Recording is off by default: OpenVidu answers 501.
  await assert.rejects(ov.listRecordings(), (e) => e.message === '501');
  await session.close();
});
