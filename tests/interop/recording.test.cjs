'use strict';
// Recording through the real openvidu-node-client, with the project's GStreamer camera: INDIVIDUAL (the camera's own
// H.264 in MP4, the ZIP and its synchronization JSON, webhooks), COMPOSED (a 1280x720 grid of two cameras), a server
// killed with SIGKILL in the middle of a recording, and recording paths that are read-only or full.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startWebhookReceiver, startCamera, waitFor } = require('./lib/sightline.cjs');
const { readZip } = require('./lib/zip.cjs');
const { startPageServer, launchBrowser } = require('./lib/browser.cjs');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-rec-test-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const auth = (secret) => ({ Authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${secret}`).toString('base64') });
const probe = (file, args) => execFileSync('ffprobe', ['-v', 'error', ...args, file]).toString().trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('INDIVIDUAL: a record:true camera into its own MP4, as the camera sends it, in the ZIP with the sync JSON', async () => {
  const hooks = await startWebhookReceiver();
  const camera = await startCamera(['--codec', 'h264-high', '--width', '640', '--height', '480', '--fps', '25', '--gop', '25', '--kbps', '800']);
  const dir = path.join(tmp, 'individual');
  const server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: dir, OPENVIDU_WEBHOOK: 'true', OPENVIDU_WEBHOOK_ENDPOINT: hooks.url, OPENVIDU_WEBHOOK_EVENTS: '["recordingStatusChanged"]' });
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    // Errors first: no participant yet (406), unknown session (404).
    await assert.rejects(ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL' }), /406/);
    await assert.rejects(ov.startRecording('ses_nope', { outputMode: 'INDIVIDUAL' }), /404/);
    // An on-demand camera: nobody watches, the recording alone keeps it playing.
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: true, data: 'front door', record: true });
    const streamId = cam.publishers[0].streamId;
    await assert.rejects(ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL', hasAudio: false, hasVideo: false }), /422/);
    const started = Date.now();
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL', name: 'door' });
    assert.equal(rec.status, 'started');
    assert.equal(rec.id, session.sessionId);
    assert.equal(rec.properties.name, 'door');
    assert.equal(rec.properties.outputMode, 'INDIVIDUAL');
    await assert.rejects(ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL' }), /409/);
    await assert.rejects(ov.deleteRecording(rec.id), /409/);
    await session.fetch();
    assert.equal(session.recording, true);
    await sleep(10000);
    const stopped = await ov.stopRecording(rec.id);
    const wall = (Date.now() - started) / 1000;
    assert.equal(stopped.status, 'stopped');
    await assert.rejects(ov.stopRecording('nope'), /404/);
    const ready = await waitFor(async () => { const r = await ov.getRecording(rec.id); return r.status === 'ready' ? r : null; }, 15000, 'recording ready');
    console.log(`INDIVIDUAL: ${ready.size} bytes, duration ${ready.duration} s for ${wall.toFixed(1)} s of wall time, url ${ready.url}`);
    assert.ok(ready.url.endsWith(`/openvidu/recordings/${rec.id}/door.zip`));
    assert.ok(Math.abs(ready.duration - wall) / wall < 0.1, `duration ${ready.duration} vs ${wall}`);
    assert.equal((await ov.listRecordings()).filter((r) => r.id === rec.id).length, 1);

    // The files: Basic auth needed; the ZIP holds the sync JSON and the camera's MP4.
    const url = `${server.url}/openvidu/recordings/${rec.id}/door.zip`;
    assert.equal((await fetch(url)).status, 401);
    const zipResponse = await fetch(url, { headers: auth(server.secret) });
    assert.equal(zipResponse.status, 200);
    const entries = readZip(Buffer.from(await zipResponse.arrayBuffer()));
    const sync = JSON.parse(entries.find((e) => e.name === 'door.json').data.toString());
    const mp4 = entries.find((e) => e.name === `${streamId}.mp4`);
    assert.ok(mp4, `entries: ${entries.map((e) => e.name)}`);
    assert.equal(ready.size, mp4.data.length);
    assert.equal(sync.id, rec.id);
    assert.equal(sync.name, 'door');
    assert.equal(sync.sessionId, session.sessionId);
    assert.equal(sync.createdAt, rec.createdAt);
    const f = sync.files[0];
    assert.equal(f.connectionId, cam.connectionId);
    assert.equal(f.streamId, streamId);
    assert.equal(f.size, mp4.data.length);
    assert.equal(f.serverData, 'front door');
    assert.equal(f.hasVideo, true);
    assert.equal(f.hasAudio, false);
    assert.equal(f.typeOfVideo, 'IPCAM');
    assert.ok(f.startTimeOffset >= 0 && f.endTimeOffset > f.startTimeOffset);
    const file = path.join(tmp, 'door.mp4');
    fs.writeFileSync(file, mp4.data);
    // Not re-encoded: the camera's codec, profile and size; duration within 10 % of the wall time.
    const info = probe(file, ['-select_streams', 'v:0', '-show_entries', 'stream=codec_name,profile,width,height', '-of', 'csv=p=0']);
    assert.equal(info, 'h264,High,640,480');
    const duration = Number(probe(file, ['-show_entries', 'format=duration', '-of', 'csv=p=0']));
    console.log(`MP4: ${info}, ${duration} s`);
    assert.ok(Math.abs(duration - wall) / wall < 0.1, `file duration ${duration} vs wall ${wall}`);
    // A browser can seek: range requests.
    const part = await fetch(url, { headers: { ...auth(server.secret), Range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 100);

    // Webhooks: started, stopped, ready, in order, with OpenVidu's fields (event last).
    await hooks.waitForEvent('recordingStatusChanged', (b) => b.status === 'ready');
    const statuses = hooks.events.map((e) => e.body).filter((b) => b.event === 'recordingStatusChanged');
    assert.deepEqual(statuses.map((b) => b.status), ['started', 'stopped', 'ready']);
    for (const b of statuses) {
      assert.equal(b.id, rec.id);
      assert.equal(b.name, 'door');
      assert.equal(b.outputMode, 'INDIVIDUAL');
      assert.equal(b.sessionId, session.sessionId);
      assert.equal(b.startTime, rec.createdAt);
      assert.equal(typeof b.duration, 'number');
      assert.equal(typeof b.size, 'number');
      assert.equal(b.hasAudio, true);
      assert.equal(b.hasVideo, true);
      assert.equal(Object.keys(b).at(-1), 'event');
    }
    assert.equal(statuses[0].reason, undefined);
    assert.equal(statuses[1].reason, 'recordingStoppedByServer');
    assert.equal(statuses[2].reason, 'recordingStoppedByServer');
    assert.equal(statuses[2].size, ready.size);

    await ov.deleteRecording(rec.id);
    await assert.rejects(ov.getRecording(rec.id), /404/);
    assert.equal(fs.existsSync(path.join(dir, rec.id)), false);
    await session.close();
  } finally {
    await server.stop();
    await camera.stop();
    await hooks.close();
  }
});

test('INDIVIDUAL: a VP8 + Opus camera goes into WebM, an H.265 + AAC one into MP4, both as sent', async () => {
  const vp8 = await startCamera(['--codec', 'vp8', '--audio', 'opus', '--width', '320', '--height', '240']);
  const h265 = await startCamera(['--codec', 'h265', '--audio', 'aac', '--width', '320', '--height', '240']);
  const server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: path.join(tmp, 'codecs') });
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    const a = await session.createConnection({ type: 'IPCAM', rtspUri: vp8.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    const b = await session.createConnection({ type: 'IPCAM', rtspUri: h265.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await sleep(1500);
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL', name: 'codecs' });
    await sleep(5000);
    await ov.stopRecording(rec.id);
    const ready = await waitFor(async () => { const r = await ov.getRecording(rec.id); return r.status === 'ready' ? r : null; }, 15000, 'ready');
    const entries = readZip(Buffer.from(await (await fetch(`${server.url}/openvidu/recordings/${rec.id}/codecs.zip`, { headers: auth(server.secret) })).arrayBuffer()));
    const streams = {};
    for (const [conn, ext] of [[a, 'webm'], [b, 'mp4']]) {
      const entry = entries.find((e) => e.name === `${conn.publishers[0].streamId}.${ext}`);
      assert.ok(entry, `${ext} in ${entries.map((e) => e.name)}`);
      const file = path.join(tmp, `codecs.${ext}`);
      fs.writeFileSync(file, entry.data);
      streams[ext] = probe(file, ['-show_entries', 'stream=codec_name', '-of', 'csv=p=0']).split('\n').map((l) => l.replace(/,+$/, '')).join(',');
      const duration = Number(probe(file, ['-show_entries', 'format=duration', '-of', 'csv=p=0']));
      assert.ok(duration > 4 && duration < 7.5, `${ext} duration ${duration}`);
    }
    console.log(`VP8 camera: ${streams.webm}; H.265 camera: ${streams.mp4}; ${ready.size} bytes`);
    assert.equal(streams.webm, 'vp8,opus');
    assert.equal(streams.mp4, 'hevc,aac');
    const sync = JSON.parse(entries.find((e) => e.name === 'codecs.json').data.toString());
    assert.equal(sync.files.length, 2);
    assert.ok(sync.files.every((f) => f.hasAudio && f.hasVideo));
    await session.close();
  } finally {
    await server.stop();
    await vp8.stop();
    await h265.stop();
  }
});

test('COMPOSED: two cameras of different sizes in one 1280x720 25 fps grid, their audio mixed, with a thumbnail', async () => {
  const red = await startCamera(['--codec', 'h264', '--width', '640', '--height', '480', '--fps', '25', '--pattern', 'red', '--audio', 'aac']);
  const blue = await startCamera(['--codec', 'h264', '--width', '320', '--height', '240', '--fps', '15', '--pattern', 'blue', '--audio', 'pcmu']);
  const server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: path.join(tmp, 'composed') });
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    await session.createConnection({ type: 'IPCAM', rtspUri: red.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    const blueCam = await session.createConnection({ type: 'IPCAM', rtspUri: blue.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await sleep(2000);
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'COMPOSED' });
    assert.equal(rec.properties.resolution, '1280x720');
    assert.equal(rec.properties.frameRate, 25);
    await sleep(8000);
    // The blue camera leaves: the grid is laid out again for the red one alone.
    await session.forceDisconnect(blueCam.connectionId);
    await sleep(3000);
    await ov.stopRecording(rec.id);
    const ready = await waitFor(async () => { const r = await ov.getRecording(rec.id); return r.status === 'ready' ? r : null; }, 20000, 'composed recording ready');
    assert.ok(ready.url.endsWith(`/openvidu/recordings/${rec.id}/${rec.id}.mp4`));
    const file = path.join(tmp, 'composed.mp4');
    fs.writeFileSync(file, Buffer.from(await (await fetch(ready.url.replace(/^https?:\/\/[^/]+/, server.url), { headers: auth(server.secret) })).arrayBuffer()));
    const info = probe(file, ['-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'csv=p=0']);
    const duration = Number(probe(file, ['-show_entries', 'format=duration', '-of', 'csv=p=0']));
    console.log(`COMPOSED: ${info}, ${duration} s (recording says ${ready.duration} s, ${ready.size} bytes)`);
    assert.equal(info, 'h264,1280,720,25/1');
    // Both cameras' tones mixed into one AAC track as long as the video, and audible.
    const audio = probe(file, ['-select_streams', 'a:0', '-show_entries', 'stream=codec_name,sample_rate,duration', '-of', 'csv=p=0']).replace(/,+$/, '').split(',');
    assert.equal(audio[0], 'aac');
    assert.equal(audio[1], '48000');
    assert.ok(Math.abs(Number(audio[2]) - duration) < 0.5, `audio ${audio[2]} s, video ${duration} s`);
    const volume = execFileSync('sh', ['-c', `ffmpeg -v info -i "${file}" -map 0:a -af volumedetect -f null - 2>&1 | grep mean_volume`]).toString();
    const mean = Number(/mean_volume: (-?[\d.]+) dB/.exec(volume)[1]);
    console.log(`COMPOSED audio: ${audio.join(',')}, mean volume ${mean} dB`);
    assert.ok(mean > -40, `mean volume ${mean} dB`);
    assert.ok(duration > 10 && duration < 13, `duration ${duration}`);
    const frames = Number(probe(file, ['-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0']));
    assert.ok(Math.abs(frames - duration * 25) <= 2, `${frames} frames in ${duration} s`);
    // The middle frame shows both cameras: red in the left cell, blue in the right one (BEST_FIT, 2 columns).
    const rgb = execFileSync('ffmpeg', ['-v', 'error', '-ss', String(duration / 2), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 16 << 20 });
    const px = (x, y) => { const o = (y * 1280 + x) * 3; return [rgb[o], rgb[o + 1], rgb[o + 2]]; };
    const [lr, lg, lb] = px(320, 360);
    const [rr, rg, rb] = px(960, 360);
    console.log(`pixels: left ${[lr, lg, lb]}, right ${[rr, rg, rb]}, top-left corner ${px(4, 4)}`);
    assert.ok(lr > 180 && lg < 60 && lb < 60, 'left cell is the red camera');
    assert.ok(rb > 180 && rr < 60 && rg < 60, 'right cell is the blue camera');
    // Letterbox above the 4:3 pictures in 640x720 cells stays black.
    assert.ok(px(320, 20).every((c) => c < 40), 'black letterbox');
    // Near the end the red camera alone fills the canvas's height (960x720, centred), black bars left and right.
    const last = execFileSync('ffmpeg', ['-v', 'error', '-sseof', '-0.5', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 16 << 20 });
    const lastPx = (x, y) => { const o = (y * 1280 + x) * 3; return [last[o], last[o + 1], last[o + 2]]; };
    console.log(`after the blue camera left: centre ${lastPx(640, 360)}, left bar ${lastPx(80, 360)}, right of centre ${lastPx(1000, 360)}`);
    assert.ok(lastPx(640, 360)[0] > 180 && lastPx(1000, 360)[0] > 180, 'red fills the middle');
    assert.ok(lastPx(80, 360).every((c) => c < 40), 'black bar on the left');
    const thumbnail = await fetch(`${server.url}/openvidu/recordings/${rec.id}/${rec.id}.jpg`, { headers: auth(server.secret) });
    assert.equal(thumbnail.status, 200);
    const jpg = Buffer.from(await thumbnail.arrayBuffer());
    assert.equal(jpg.readUInt16BE(0), 0xffd8);
    await session.close();
  } finally {
    await server.stop();
    await red.stop();
    await blue.stop();
  }
});

test('a server killed with SIGKILL while recording leaves a file that plays up to within 2 s of the kill', async () => {
  const camera = await startCamera(['--codec', 'h264', '--width', '320', '--height', '240', '--fps', '25', '--gop', '50']);
  const dir = path.join(tmp, 'killed');
  const env = { OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: dir };
  let server = await startSightline(env);
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await sleep(1500);
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL' });
    await sleep(7000);
    const file = path.join(dir, rec.id, `${cam.publishers[0].streamId}.mp4`);
    const killedAfter = (Date.now() - rec.createdAt) / 1000;
    process.kill(server.pid, 'SIGKILL');
    await waitFor(async () => { try { process.kill(server.pid, 0); return false; } catch { return true; } }, 5000, 'server gone');
    const times = probe(file, ['-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0']).split('\n').map((l) => Number(l.replace(/,+$/, ''))).filter((n) => !Number.isNaN(n));
    const last = Math.max(...times);
    console.log(`killed ${killedAfter.toFixed(1)} s into the recording: ${times.length} frames on disk, the last at ${last} s`);
    assert.ok(last >= killedAfter - 2 - 0.5, `last frame at ${last} s, killed at ${killedAfter} s`);
    // A restarted server finishes the recording from what reached the disk: ready, its ZIP holds the file.
    server = await startSightline(env);
    const after = await new OpenVidu(server.url, server.secret).getRecording(rec.id);
    console.log(`after the restart: ${after.status}, ${after.duration} s, ${after.size} bytes`);
    assert.equal(after.status, 'ready');
    assert.ok(after.duration >= killedAfter - 2.5 && after.duration <= killedAfter + 2, `duration ${after.duration}`);
    const zip = readZip(Buffer.from(await (await fetch(`${server.url}/openvidu/recordings/${rec.id}/${rec.id}.zip`, { headers: auth(server.secret) })).arrayBuffer()));
    assert.deepEqual(zip.map((e) => e.name).sort(), [`${cam.publishers[0].streamId}.mp4`, `${rec.id}.json`].sort());
    assert.equal(zip.find((e) => e.name.endsWith('.mp4')).data.length, fs.statSync(file).size);
  } finally {
    await server.stop();
    await camera.stop();
  }
});

test('a read-only or full recording path: an error or a failed recording, never a crash', async (t) => {
  if (process.getuid() !== 0) return t.skip('needs root to mount read-only and tiny file systems');
  const camera = await startCamera(['--codec', 'h264', '--width', '640', '--height', '480', '--fps', '25', '--kbps', '2000', '--pattern', 'snow']);
  const readOnly = path.join(tmp, 'ro');
  const full = path.join(tmp, 'full');
  fs.mkdirSync(readOnly);
  fs.mkdirSync(full);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', full]);
  const hooks = await startWebhookReceiver();
  let server;
  try {
    server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: readOnly });
    let ov = new OpenVidu(server.url, server.secret);
    let session = await ov.createSession();
    await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await assert.rejects(ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL' }), /500/);
    assert.ok(server.log.join('').includes('is not writable'), 'the log says why');
    // Still serving.
    await session.fetch();
    assert.equal(session.recording, false);
    assert.equal((await ov.listRecordings()).length, 0);
    await server.stop();

    server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: full, OPENVIDU_WEBHOOK: 'true', OPENVIDU_WEBHOOK_ENDPOINT: hooks.url, OPENVIDU_WEBHOOK_EVENTS: '["recordingStatusChanged"]' });
    ov = new OpenVidu(server.url, server.secret);
    session = await ov.createSession();
    await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await sleep(1000);
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL' });
    // 2 Mb/s into 400 KB: the disk is full within a few seconds; the recording ends failed by itself.
    const failed = await waitFor(async () => { const r = await ov.getRecording(rec.id); return r.status === 'failed' ? r : null; }, 20000, 'recording failed');
    const hook = await hooks.waitForEvent('recordingStatusChanged', (b) => b.status === 'failed');
    console.log(`full disk: recording ${failed.status}, webhook error: ${hook.body.error}`);
    assert.ok(/space|full/i.test(hook.body.error), hook.body.error);
    assert.deepEqual(hooks.events.map((e) => e.body.status), ['started', 'stopped', 'failed']);
    await session.fetch();
    assert.equal(session.recording, false);
    assert.equal((await ov.fetch()) !== undefined, true);
  } finally {
    await server?.stop();
    await camera.stop();
    await hooks.close();
    execFileSync('umount', [readOnly]);
    execFileSync('umount', [full]);
  }
});

test('recordingMode ALWAYS starts with the camera; a camera that drops leaves a gap; no publisher stops it (automaticStop)', async () => {
  const hooks = await startWebhookReceiver();
  const camera = await startCamera(['--codec', 'h264', '--width', '320', '--height', '240', '--fps', '25', '--gop', '25']);
  const dir = path.join(tmp, 'always');
  const server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: dir, OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT: '2', OPENVIDU_WEBHOOK: 'true', OPENVIDU_WEBHOOK_ENDPOINT: hooks.url, OPENVIDU_WEBHOOK_EVENTS: '["recordingStatusChanged","sessionDestroyed"]' });
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession({ recordingMode: 'ALWAYS', defaultRecordingProperties: { outputMode: 'INDIVIDUAL', name: 'always' } });
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    const started = await hooks.waitForEvent('recordingStatusChanged', (b) => b.status === 'started');
    assert.equal(started.body.name, 'always');
    assert.equal(started.body.outputMode, 'INDIVIDUAL');
    await sleep(3000);
    await camera.kill();
    await sleep(3000);
    await camera.restart();
    await sleep(5000);
    // The camera leaves: nobody publishes; after OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT (2 s) the recording stops and
    // the empty session closes, both for automaticStop.
    await session.forceDisconnect(cam.connectionId);
    const ready = await hooks.waitForEvent('recordingStatusChanged', (b) => b.status === 'ready', 15000);
    const stopped = hooks.events.find((e) => e.body.event === 'recordingStatusChanged' && e.body.status === 'stopped');
    assert.equal(stopped.body.reason, 'automaticStop');
    const destroyed = await hooks.waitForEvent('sessionDestroyed');
    assert.equal(destroyed.body.reason, 'automaticStop');
    // The file: frames before the drop, a gap of about the 3 s the camera was away, frames after it, all decodable.
    const file = path.join(dir, ready.body.id, `${cam.publishers[0].streamId}.mp4`);
    const times = probe(file, ['-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0']).split('\n').map((l) => Number(l.replace(/,+$/, ''))).filter((n) => !Number.isNaN(n));
    // (ffprobe prints a side-data line with a bare 0 under some keyframes: look at the distinct times in order)
    times.splice(0, times.length, ...[...new Set(times)].sort((a, b) => a - b));
    let gap = 0;
    let gapAt = 0;
    for (let i = 1; i < times.length; i++) if (times[i] - times[i - 1] > gap) { gap = times[i] - times[i - 1]; gapAt = times[i - 1]; }
    console.log(`ALWAYS: ${times.length} frames, last at ${Math.max(...times)} s, longest gap ${gap.toFixed(2)} s after ${gapAt.toFixed(2)} s; recording ${ready.body.duration} s`);
    assert.ok(gap >= 2.5 && gap < 8, `gap of ${gap} s`);
    assert.ok(gapAt >= 2, 'frames before the drop');
    assert.ok(Math.max(...times) - (gapAt + gap) >= 2, 'frames after the camera came back');
  } finally {
    await server.stop();
    await camera.stop();
    await hooks.close();
  }
});

test('browsers whose role OPENVIDU_RECORDING_NOTIFICATION names hear recordingStarted and recordingStopped', async () => {
  const camera = await startCamera(['--codec', 'h264', '--width', '320', '--height', '240']);
  const server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: path.join(tmp, 'notify') });
  const pages = await startPageServer();
  const browser = await launchBrowser();
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    const open = async (role) => {
      const c = await session.createConnection({ role });
      const page = await browser.newPage();
      await page.goto(`${pages.url}/viewer.html?token=${encodeURIComponent(c.token)}`);
      await page.evaluate(() => window.connected);
      return page;
    };
    const publisher = await open('PUBLISHER');
    const subscriber = await open('SUBSCRIBER');
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL', name: 'told' });
    await sleep(2000);
    await ov.stopRecording(rec.id);
    const names = async (page) => (await page.evaluate(() => window.result())).events.filter((e) => e.type.startsWith('recording'));
    await waitFor(async () => (await names(publisher)).length === 2, 10000, 'recording events in the publisher page');
    const told = await names(publisher);
    console.log(`publisher page: ${JSON.stringify(told)}`);
    assert.deepEqual(told.map((e) => e.type), ['recordingStarted', 'recordingStopped']);
    assert.equal(told[0].id, rec.id);
    assert.equal(told[0].name, 'told');
    assert.equal(told[1].reason, 'recordingStoppedByServer');
    // The default OPENVIDU_RECORDING_NOTIFICATION is publisher_moderator: a SUBSCRIBER hears nothing.
    assert.deepEqual(await names(subscriber), []);
    // A recording still running when the session is closed stops with it (sessionClosedByServer) and is finished.
    const second = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL', name: 'closing' });
    await sleep(2000);
    await session.close();
    const closed = await waitFor(async () => { const r = await ov.getRecording(second.id); return r.status === 'ready' ? r : null; }, 15000, 'recording of the closed session ready');
    assert.ok(closed.duration > 1.5, `duration ${closed.duration}`);
  } finally {
    await browser.close();
    await pages.close();
    await server.stop();
    await camera.stop();
  }
});

test('a session kept open only by its recording closes when the recording is stopped', async () => {
  const camera = await startCamera(['--codec', 'h264', '--width', '320', '--height', '240']);
  const server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: path.join(tmp, 'kept') });
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await sleep(1000);
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL' });
    await sleep(2000);
    await session.forceDisconnect(cam.connectionId);
    // Its last participant left, but it is being recorded: the session stays (the automatic stop is 120 s away).
    const get = () => fetch(`${server.url}/openvidu/api/sessions/${session.sessionId}`, { headers: auth(server.secret) });
    assert.equal((await get()).status, 200);
    await ov.stopRecording(rec.id);
    await waitFor(async () => (await get()).status === 404, 5000, 'the session closed');
    await waitFor(async () => (await ov.getRecording(rec.id)).status === 'ready', 15000, 'recording ready');
  } finally {
    await server.stop();
    await camera.stop();
  }
});

test('a server stopped normally (SIGTERM) finishes its running recordings first: ready after the restart', async () => {
  const camera = await startCamera(['--codec', 'h264', '--width', '320', '--height', '240']);
  const env = { OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: path.join(tmp, 'sigterm') };
  let server = await startSightline(env);
  try {
    let ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await sleep(1000);
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL' });
    await sleep(3000);
    assert.equal(await server.stop(), 0);
    server = await startSightline(env);
    ov = new OpenVidu(server.url, server.secret);
    const after = await ov.getRecording(rec.id);
    assert.equal(after.status, 'ready');
    assert.ok(after.duration > 2.5 && after.size > 0, `${after.duration} s, ${after.size} bytes`);
    assert.equal((await fetch(`${server.url}/openvidu/recordings/${rec.id}/${rec.id}.zip`, { headers: auth(server.secret) })).status, 200);
  } finally {
    await server.stop();
    await camera.stop();
  }
});
