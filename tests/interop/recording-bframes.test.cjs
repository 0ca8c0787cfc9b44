'use strict';
// An INDIVIDUAL recording, through the real openvidu-node-client, of a GStreamer camera whose H.264 uses B-frames
// (x264 Main, 3 B-frames, as many Main/High cameras and NVRs send): the file keeps the camera's stream, B-frames
// included, and ffmpeg plays it in presentation order without an error.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { OpenVidu } = require('openvidu-node-client');
const { startSightline, startCamera, waitFor } = require('./lib/sightline.cjs');
const { readZip } = require('./lib/zip.cjs');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-rec-bframes-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const auth = (secret) => ({ Authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${secret}`).toString('base64') });
const probe = (file, args) => execFileSync('ffprobe', ['-v', 'error', ...args, file]).toString().trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('INDIVIDUAL: a B-frame camera is recorded with its B-frames, in presentation order, every frame decodable', async () => {
  const fps = 25;
  const camera = await startCamera(['--codec', 'h264-bframes', '--audio', 'aac', '--width', '640', '--height', '480', '--fps', String(fps), '--gop', '25', '--kbps', '800']);
  const server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: path.join(tmp, 'recordings') });
  try {
    const ov = new OpenVidu(server.url, server.secret);
    const session = await ov.createSession();
    const cam = await session.createConnection({ type: 'IPCAM', rtspUri: camera.url, adaptativeBitrate: false, onlyPlayWithSubscribers: true });
    const streamId = cam.publishers[0].streamId;
    const started = Date.now();
    const rec = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL', name: 'bframes' });
    await sleep(10000);
    await ov.stopRecording(rec.id);
    const wall = (Date.now() - started) / 1000;
    const ready = await waitFor(async () => { const r = await ov.getRecording(rec.id); return r.status === 'ready' ? r : null; }, 15000, 'recording ready');
    const zip = await fetch(`${server.url}/openvidu/recordings/${rec.id}/bframes.zip`, { headers: auth(server.secret) });
    assert.equal(zip.status, 200);
    const entry = readZip(Buffer.from(await zip.arrayBuffer())).find((e) => e.name === `${streamId}.mp4`);
    assert.ok(entry, 'the camera\'s MP4 is in the ZIP');
    const file = path.join(tmp, 'bframes.mp4');
    fs.writeFileSync(file, entry.data);

    // The camera's own stream: Main profile, with frame reordering (ffprobe's has_b_frames is the reorder depth).
    const stream = probe(file, ['-select_streams', 'v:0', '-show_entries', 'stream=codec_name,profile,width,height,has_b_frames', '-of', 'csv=p=0']);
    const [codec, profile, width, height, hasBFrames] = stream.split(',');
    assert.deepEqual([codec, profile, width, height], ['h264', 'Main', '640', '480']);
    assert.ok(Number(hasBFrames) > 0, `has_b_frames ${hasBFrames}`);

    // Packets in decode order whose presentation times go back (B-frames), never decoded after they are shown.
    // (JSON: ffprobe's csv puts side-data lines between frames.)
    const packets = JSON.parse(probe(file, ['-select_streams', 'v:0', '-show_entries', 'packet=pts,dts', '-of', 'json'])).packets.map((p) => [p.pts, p.dts]);
    const backwards = packets.filter((p, i) => i > 0 && p[0] < packets[i - 1][0]).length;
    assert.ok(backwards > packets.length / 10, `${backwards} of ${packets.length} packets shown before the one decoded ahead of them`);
    assert.ok(packets.every((p) => p[1] <= p[0]), 'dts <= pts');

    // Decoded frames come out in presentation order: pts strictly increasing, one frame per packet.
    const frames = JSON.parse(probe(file, ['-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'json'])).frames.map((f) => Number(f.pts_time));
    assert.equal(frames.length, packets.length);
    const outOfOrder = frames.filter((t, i) => i > 0 && !(t > frames[i - 1])).length;
    assert.equal(outOfOrder, 0, 'frames in presentation order');

    // As many frames as the duration holds at the camera's rate; the duration is the wall time's.
    const duration = Number(probe(file, ['-show_entries', 'format=duration', '-of', 'csv=p=0']));
    const span = frames.at(-1) - frames[0] + 1 / fps;
    // No frame missing inside: a hole only at the very end, where the stop can cut a P-frame off the B-frames shown before it.
    const gaps = frames.map((t, i) => [i, i > 0 ? Math.round((t - frames[i - 1]) * fps) : 1]).filter(([, g]) => g !== 1);
    assert.ok(gaps.every(([i, g]) => i >= frames.length - 3 && g <= 4), `holes (index, frames): ${JSON.stringify(gaps)} of ${frames.length}`);
    console.log(`B-frame recording: ${stream}, ${frames.length} frames over ${span.toFixed(2)} s, file ${duration} s, wall ${wall.toFixed(1)} s, ${backwards} reordered packets, ${ready.size} bytes`);
    assert.ok(Math.abs(frames.length - span * fps) <= 3, `${frames.length} frames in ${span} s at ${fps} fps`);
    // The wall time also holds the on-demand camera's start and x264's look-ahead (no zerolatency: 1 to 2 s).
    assert.ok(duration < wall && duration > wall - 2.5, `file duration ${duration} vs wall ${wall}`);

    // Audio alongside, starting with the picture.
    const audio = probe(file, ['-select_streams', 'a:0', '-show_entries', 'stream=codec_name,start_time', '-of', 'csv=p=0']).split(',');
    assert.equal(audio[0], 'aac');
    assert.ok(Math.abs(Number(audio[1]) - frames[0]) < 0.2, `audio starts at ${audio[1]} s, video at ${frames[0]} s`);

    // The whole file decodes without a single error.
    const decode = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-']);
    assert.equal(decode.status, 0);
    assert.equal(decode.stderr.toString().trim(), '');
    await session.close();
  } finally {
    await server.stop();
    await camera.stop();
  }
});
