'use strict';
// What recording costs Sightline: server CPU for 10 cameras recorded INDIVIDUAL at once (next to the same cameras
// only ingested), and for one COMPOSED recording of 4 cameras (1280x720, 25 fps). Cameras are the project's GStreamer
// fixture (640x480, 25 fps, 1 Mb/s H.264), in their own processes; only the server's CPU is counted (/proc/<pid>/stat).
// Prints figures, never pass/fail. Usage: node bench/recording.cjs [seconds]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const interop = path.join(__dirname, '..', 'tests', 'interop');
const { cpuOver } = require('./lib.cjs');
const { OpenVidu } = require(path.join(interop, 'node_modules', 'openvidu-node-client'));
const { startSightline, startCamera, waitFor } = require(path.join(interop, 'lib', 'sightline.cjs'));

async function main() {
  const seconds = Number(process.argv[2] || 15);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-rec-bench-'));
  const cameras = [];
  for (let i = 0; i < 10; i++) cameras.push(await startCamera(['--codec', 'h264', '--width', '640', '--height', '480', '--fps', '25', '--gop', '50', '--kbps', '1000', '--pattern', i % 2 ? 'ball' : 'smpte']));
  const server = await startSightline({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: dir });
  const ov = new OpenVidu(server.url, server.secret);
  console.log(`Recording cost — Sightline CPU (% of one core), ${seconds} s per figure, ${os.cpus().length} cores`);
  try {
    const session = await ov.createSession();
    for (const c of cameras) await session.createConnection({ type: 'IPCAM', rtspUri: c.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await new Promise((r) => setTimeout(r, 4000));
    const ingest = await cpuOver(server.pid, seconds);
    console.log(`  10 cameras ingested, nothing recorded          : ${(ingest * 100).toFixed(1)} %`);
    const individual = await ov.startRecording(session.sessionId, { outputMode: 'INDIVIDUAL' });
    await new Promise((r) => setTimeout(r, 1000));
    const withIndividual = await cpuOver(server.pid, seconds);
    await ov.stopRecording(individual.id);
    const ready = await waitFor(async () => { const r = await ov.getRecording(individual.id); return r.status === 'ready' ? r : null; }, 30000, 'ready');
    console.log(`  10 cameras recorded INDIVIDUAL (no re-encode)  : ${(withIndividual * 100).toFixed(1)} %  (+${((withIndividual - ingest) * 100).toFixed(1)} % for recording; ${(ready.size / 1e6).toFixed(1)} MB in ${ready.duration} s)`);
    await session.close();

    const four = await ov.createSession();
    for (const c of cameras.slice(0, 4)) await four.createConnection({ type: 'IPCAM', rtspUri: c.url, adaptativeBitrate: false, onlyPlayWithSubscribers: false });
    await new Promise((r) => setTimeout(r, 3000));
    const ingest4 = await cpuOver(server.pid, seconds);
    const composed = await ov.startRecording(four.sessionId, { outputMode: 'COMPOSED', resolution: '1280x720', frameRate: 25 });
    await new Promise((r) => setTimeout(r, 1000));
    const withComposed = await cpuOver(server.pid, seconds);
    await ov.stopRecording(composed.id);
    const done = await waitFor(async () => { const r = await ov.getRecording(composed.id); return r.status === 'ready' ? r : null; }, 30000, 'ready');
    console.log(`  4 cameras ingested, nothing recorded           : ${(ingest4 * 100).toFixed(1)} %`);
    console.log(`  4 cameras in one COMPOSED 1280x720 25 fps      : ${(withComposed * 100).toFixed(1)} %  (+${((withComposed - ingest4) * 100).toFixed(1)} % for decode x4, compose, encode; ${(done.size / 1e6).toFixed(1)} MB in ${done.duration} s)`);
    await four.close();
  } finally {
    await server.stop();
    for (const c of cameras) await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
