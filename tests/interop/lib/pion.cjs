'use strict';
// Runs the pion viewer (tests/interop/pion-viewer, Go, built from Debian's packages by its build.sh) and collects the
// JSON lines it prints: see the header of pion-viewer/main.go for what each line holds.
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'pion-viewer');
const binary = path.join(dir, 'build', 'pion-viewer');
let built = false;

/** Builds the viewer once per test process (a second build without changes takes about a second). */
function buildPionViewer() {
  if (built) return binary;
  execFileSync(path.join(dir, 'build.sh'), { stdio: ['ignore', 'pipe', 'pipe'] });
  built = true;
  return binary;
}

/**
 * Starts one pion-viewer process: `tokens` (one viewer each) and extra arguments (`--duration`, `--remb`, …).
 * Returns { lines, stderr, done } where done resolves with { code, lines } when the process ends.
 */
function startPionViewer(tokens, args = []) {
  const bin = buildPionViewer();
  const argv = [...tokens.flatMap((t) => ['--token', t]), ...args];
  const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const stderr = [];
  let buffer = '';
  child.stdout.on('data', (d) => {
    buffer += d.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        lines.push(JSON.parse(text));
      } catch {
        stderr.push(`not JSON: ${text}`);
      }
    }
  });
  child.stderr.on('data', (d) => stderr.push(d.toString()));
  const done = new Promise((resolve) => child.once('exit', (code) => resolve({ code, lines })));
  return { lines, stderr, done, kill: () => child.kill('SIGKILL') };
}

/** The "stats" lines of one viewer's track, in time order. */
const statsOf = (lines, viewer, stream, kind) =>
  lines.filter((l) => l.type === 'stats' && l.viewer === viewer && l.stream === stream && l.kind === kind);

/**
 * Rates of one track between the first stats line at or after `fromS` and the last one (seconds since the viewer
 * started): media b/s, link b/s (every RTP byte of the PeerConnection, RTX and padding included) and frames/s.
 */
function window(lines, viewer, stream, kind, fromS) {
  const s = statsOf(lines, viewer, stream, kind);
  const a = s.find((l) => l.t >= fromS);
  const b = s[s.length - 1];
  if (!a || !b || b.t - a.t < 1) return null;
  const span = b.t - a.t;
  return {
    seconds: span,
    bps: ((b.bytes - a.bytes) * 8) / span,
    linkBps: ((b.linkBytes - a.linkBytes) * 8) / span,
    fps: (b.frames - a.frames) / span,
    keyframes: b.keyframes - a.keyframes,
    lost: b.lost - a.lost,
    last: b,
  };
}

module.exports = { buildPionViewer, startPionViewer, statsOf, window };
