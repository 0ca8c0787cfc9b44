'use strict';
// Starts the built Sightline server as a child process on free loopback ports, and a webhook receiver next to it.
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const fs = require('node:fs');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const serverDll = process.env.SIGHTLINE_SERVER_DLL
  || path.join(repoRoot, 'src', 'Sightline.Server', 'bin', 'Release', 'net10.0', 'sightline.dll');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** A backend's webhook endpoint: keeps every JSON body it receives, in order. */
async function startWebhookReceiver() {
  const events = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      events.push({ body: JSON.parse(body), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhook`,
    events,
    names: () => events.map((e) => e.body.event),
    waitForEvent: (name, predicate = () => true, timeoutMs = 10000) =>
      waitFor(() => events.find((e) => e.body.event === name && predicate(e.body)), timeoutMs, `webhook ${name}`),
    close: () => new Promise((r) => server.close(r)),
  };
}

/** Starts Sightline with OpenVidu-style environment variables; resolves once the REST API answers. */
async function startSightline(env = {}) {
  if (!fs.existsSync(serverDll)) {
    throw new Error(`Sightline is not built: ${serverDll} is missing (run the test command, which builds it)`);
  }
  const port = await freePort();
  const secret = 'MY_SECRET';
  const log = [];
  const child = spawn('dotnet', [serverDll], {
    env: { ...process.env, SERVER_PORT: String(port), SERVER_ADDRESS: '127.0.0.1', OPENVIDU_SECRET: secret, SIGHTLINE_WEBRTC_PORT: '0', SIGHTLINE_WEBRTC_ANNOUNCED_IPS: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${secret}`).toString('base64');
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${log.join('')}`);
    const r = await fetch(`${url}/openvidu/api/config`, { headers: { Authorization: auth } });
    return r.status === 200;
  }, 30000, 'Sightline to start');
  return {
    url,
    secret,
    port,
    log,
    pid: child.pid,
    /** Sightline's own figures (`GET /openvidu/api/sightline/runtime`): cameras, their layers and viewers. */
    runtime: async () => (await fetch(`${url}/openvidu/api/sightline/runtime`, { headers: { Authorization: auth } })).json(),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    }),
  };
}

/** Starts the project's fake IP camera (GStreamer RTSP server); resolves once it serves. Lines it prints are kept. */
async function startCamera(args = []) {
  const port = await freePort();
  const script = path.join(repoRoot, 'tests', 'fixtures', 'rtsp-camera.py');
  const lines = [];
  let child;
  const start = () => new Promise((resolve, reject) => {
    child = spawn('/usr/bin/python3', [script, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    child.stdout.on('data', (d) => {
      buffer += d.toString();
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        lines.push(line);
        if (line.startsWith('READY')) resolve();
      }
    });
    child.stderr.on('data', (d) => lines.push('stderr: ' + d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`camera exited (${code}): ${lines.join(' | ')}`)));
  });
  await start();
  return {
    url: `rtsp://127.0.0.1:${port}/cam`,
    lines,
    clients: () => lines.filter((l) => l.startsWith('CLIENT connected')).length,
    plays: () => lines.filter((l) => l === 'CLIENT play').length,
    closes: () => lines.filter((l) => l === 'CLIENT closed').length,
    kill: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL'); }),
    restart: () => start(),
    stop: () => new Promise((resolve) => { if (child.exitCode !== null) return resolve(); child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}

module.exports = { startSightline, startWebhookReceiver, startCamera, waitFor, freePort, repoRoot };
