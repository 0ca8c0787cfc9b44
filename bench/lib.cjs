'use strict';
// Shared by the node benchmarks.
const fs = require('node:fs');

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's CPU use over the next `seconds`, as a fraction of one core. */
async function cpuOver(pid, seconds) {
  const c0 = cpuSeconds(pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return (cpuSeconds(pid) - c0) / ((Date.now() - t0) / 1000);
}

module.exports = { cpuSeconds, cpuOver };
