'use strict';
// pion (Debian's pion/webrtc 3.1.56, a WebRTC implementation nobody here wrote) as the viewer: tests/interop/pion-viewer
// joins through /openvidu exactly as openvidu-browser 2.32.2 does, offers recvonly audio + video with pion's default
// codecs and interceptors (NACK, receiver reports, transport-wide feedback), and counts what arrives.
const test = require('node:test');
const assert = require('node:assert/strict');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startCamera } = require('./lib/sightline.cjs');
const { buildPionViewer, startPionViewer, statsOf, window } = require('./lib/pion.cjs');

let server, ov;

test.before(async () => {
  buildPionViewer();
  server = await startSightline();
  ov = new OpenVidu(server.url, server.secret);
});

test.after(async () => {
  await server?.stop();
});

const runtime = () => server.runtime();

const errorsOf = (lines) => lines.filter((l) => l.type === 'error').map((l) => l.message);

test('pion takes the answers and receives every frame: H.264 without audio, H.264 with PCMU, H.264 with Opus, VP8', async () => {
  const kinds = [
    { codec: 'h264', audio: 'none', video: 'video/H264', audioCodec: null },
    { codec: 'h264', audio: 'pcmu', video: 'video/H264', audioCodec: 'audio/PCMU' },
    { codec: 'h264', audio: 'opus', video: 'video/H264', audioCodec: 'audio/opus' },
    { codec: 'vp8', audio: 'none', video: 'video/VP8', audioCodec: null },
  ];
  const cameras = await Promise.all(kinds.map((k) => startCamera(['--codec', k.codec, '--audio', k.audio, '--width', '640', '--height', '480', '--fps', '25', '--gop', '25'])));
  try {
    const session = await ov.createSession();
    const streams = [];
    for (let i = 0; i < kinds.length; i++) {
      const cam = await session.createConnection({ type: 'IPCAM', rtspUri: cameras[i].url, adaptativeBitrate: false });
      streams.push(cam.publishers[0].streamId);
    }
    const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
    // One viewer, one PeerConnection per camera stream of the joinRoom answer.
    const pion = startPionViewer([viewer.token], ['--duration', '10s']);
    const { code, lines } = await pion.done;
    assert.deepEqual(errorsOf(lines), [], `pion reported errors; stderr: ${pion.stderr.join('')}`);
    assert.equal(code, 0);
    for (let i = 0; i < kinds.length; i++) {
      const k = kinds[i];
      const id = streams[i];
      // receiveVideoFrom answered and SetRemoteDescription took the answer.
      assert.ok(lines.some((l) => l.type === 'subscribed' && l.stream === id), `${k.codec}/${k.audio}: not subscribed`);
      const tracks = lines.filter((l) => l.type === 'track' && l.stream === id);
      assert.deepEqual(tracks.map((t) => t.codec).sort(), [k.video, k.audioCodec].filter(Boolean).sort());
      // Over the last 6 s (the first 4 hold the camera's start and the cached GOP's burst).
      const w = window(lines, 0, id, 'video', 4);
      assert.ok(w, `${k.codec}/${k.audio}: no video stats`);
      const summary = lines.find((l) => l.type === 'summary' && l.stream === id && l.kind === 'video');
      const audio = k.audioCodec ? lines.find((l) => l.type === 'summary' && l.stream === id && l.kind === 'audio') : null;
      console.log(`${k.codec}/${k.audio}: ${tracks.map((t) => `${t.codec} pt ${t.payloadType}${t.fmtp ? ` (${t.fmtp})` : ''}`).join(', ')}; `
        + `${w.fps.toFixed(1)} fps, ${(w.bps / 1000).toFixed(0)} kb/s over ${w.seconds.toFixed(1)} s; ${summary.frames} frames, ${summary.keyframes} keyframes, `
        + `${summary.lost} lost of ${summary.packets} packets, ${summary.width}x${summary.height}` + (audio ? `; audio ${audio.packets} packets, ${(audio.avgBps / 1000).toFixed(0)} kb/s` : ''));
      assert.ok(w.fps >= 0.9 * 25, `${k.codec}/${k.audio}: ${w.fps} fps of the camera's 25`);
      assert.ok(w.keyframes >= 1, `${k.codec}/${k.audio}: no keyframe in the window`);
      assert.equal(summary.width, 640);
      assert.equal(summary.height, 480);
      // Loopback: nothing should be lost (pion 3.1 keeps RTX repairs to itself, so a repaired packet still counts).
      assert.ok(summary.lost <= 0.02 * summary.packets, `${k.codec}/${k.audio}: ${summary.lost} lost of ${summary.packets}`);
      if (audio) assert.ok(audio.packets >= 20, `${k.audioCodec}: ${audio.packets} packets`);
    }
    await session.close();
  } finally {
    await Promise.all(cameras.map((c) => c.stop()));
  }
});

test('the pion viewer reports a JSON-RPC error and exits non-zero (a token the session never issued)', async () => {
  const session = await ov.createSession();
  const viewer = await session.createConnection({ role: 'SUBSCRIBER' });
  const forged = viewer.token.replace(/token=[^&]+/, 'token=tok_NotIssuedByTheServer');
  const { code, lines } = await startPionViewer([forged], ['--duration', '5s']).done;
  assert.equal(code, 1);
  const errors = errorsOf(lines);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^joinRoom: JSON-RPC error 401: Unable to join session /);
  await session.close();
});

test('REMB is a ceiling: two pion viewers announcing 400 kb/s get a lighter rung, the two others the camera stream', async () => {
  // Snow: every frame new, so the encoder really spends its 2 Mb/s. Rungs: 800 kb/s (640x360), 320 kb/s (320x180).
  const camera = await startCamera(['--codec', 'h264', '--width', '1280', '--height', '720', '--fps', '25', '--gop', '25', '--kbps', '2000', '--pattern', 'snow']);
  try {
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: true });
    const id = cam.publishers[0].streamId;
    const tokens = [];
    for (let i = 0; i < 4; i++) tokens.push((await session.createConnection({ role: 'SUBSCRIBER' })).token);
    const durationS = 22;
    const fromS = 8; // settling: the cached GOP at full rate, the first REMB, the move at the rung's next keyframe
    const limited = startPionViewer(tokens.slice(0, 2), ['--duration', `${durationS}s`, '--remb', '400000']);
    const free = startPionViewer(tokens.slice(2), ['--duration', `${durationS}s`]);
    // The camera's own measure of its rate, sampled through the window.
    const cameraRates = [];
    let layers;
    await new Promise((r) => setTimeout(r, fromS * 1000));
    while (cameraRates.length < 6) {
      const c = (await runtime()).cameras.find((x) => x.viewers > 0);
      cameraRates.push(c.cameraBitrate);
      layers = c.layers;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const [a, b] = await Promise.all([limited.done, free.done]);
    assert.deepEqual(errorsOf(a.lines), [], limited.stderr.join(''));
    assert.deepEqual(errorsOf(b.lines), [], free.stderr.join(''));
    assert.equal(a.code, 0);
    assert.equal(b.code, 0);
    const cameraBps = cameraRates.reduce((x, y) => x + y, 0) / cameraRates.length;
    const wl = [0, 1].map((v) => window(a.lines, v, id, 'video', fromS));
    const wf = [0, 1].map((v) => window(b.lines, v, id, 'video', fromS));
    const fmt = (w) => `${(w.linkBps / 1000).toFixed(0)} kb/s on the link (${(w.bps / 1000).toFixed(0)} kb/s media), ${w.fps.toFixed(1)} fps, ${w.last.width}x${w.last.height}, ${w.lost} lost`;
    console.log(`camera: ${(cameraBps / 1000).toFixed(0)} kb/s measured by the server (${cameraRates.map((r) => (r / 1000).toFixed(0)).join(', ')})`);
    wl.forEach((w, i) => console.log(`REMB 400 kb/s viewer ${i}: ${fmt(w)}; REMBs sent ${w.last.rembSent}`));
    wf.forEach((w, i) => console.log(`viewer without REMB ${i}: ${fmt(w)}`));
    console.log(`layers: ${JSON.stringify(layers)}`);

    assert.ok(cameraBps >= 1_500_000, `the camera sends ${cameraBps} b/s, not the 2 Mb/s asked`);
    for (const w of wl) {
      // Everything that reached the link (media, retransmissions, padding) stays under the ceiling plus 50 kb/s.
      assert.ok(w.linkBps <= 450_000, `a limited viewer receives ${w.linkBps} b/s`);
      assert.ok(w.fps >= 20, `a limited viewer gets ${w.fps} fps`);
      assert.ok(w.last.width < 1280, 'a limited viewer is on a re-encoded rung');
    }
    for (const w of wf) {
      // The camera's own stream: the server's 1 s measure and the viewer's RTP bytes (headers included, about 2 %)
      // over different windows of a rate that varies with each keyframe; 15 % covers both.
      assert.ok(Math.abs(w.bps - cameraBps) <= 0.15 * cameraBps, `a viewer without REMB receives ${w.bps} b/s of the camera's ${cameraBps}`);
      assert.equal(w.last.width, 1280);
      assert.equal(w.last.height, 720);
    }
    assert.equal(layers.find((l) => l.source === 'camera').viewers, 2);
    assert.equal(layers.filter((l) => l.source === 'encoder' && l.layer > 0).reduce((n, l) => n + l.viewers, 0), 2);
    // The rung they are on is encoded under the ceiling with the selector's headroom (85 %).
    const rung = layers.find((l) => l.viewers > 0 && l.source === 'encoder');
    assert.ok(rung.targetBitrate <= 0.85 * 400_000, `their rung's encoder aims at ${rung.targetBitrate} b/s`);
    await session.close();
  } finally {
    await camera.stop();
  }
});
