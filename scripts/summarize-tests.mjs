// Reads every runner's results (dotnet TRX files, node TAP files) under a folder, prints one line per runner
// and the closing line "N passed, N failed". Exits 1 if any test failed or none ran.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.trx') || name.endsWith('.tap')) files.push(p);
  }
})(root);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const f of files.sort()) {
  const text = readFileSync(f, 'utf8');
  let p = 0; let fl = 0; let s = 0;
  if (f.endsWith('.trx')) {
    const counters = text.match(/<Counters\b[^>]*>/);
    if (!counters) { console.log(`${f}: no counters (runner crashed?)`); failed++; continue; }
    const n = (k) => Number((counters[0].match(new RegExp(`\\b${k}="(\\d+)"`)) || [0, 0])[1]);
    p = n('passed');
    fl = n('failed') + n('error') + n('timeout') + n('aborted');
    s = n('notExecuted');
  } else {
    const n = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) || [0, 0])[1]);
    if (!/^# tests \d+$/m.test(text)) { console.log(`${f}: no summary (runner crashed?)`); failed++; continue; }
    p = n('pass');
    fl = n('fail') + n('cancelled');
    s = n('skipped') + n('todo');
  }
  console.log(`  ${f.slice(root.length + 1)}: ${p} passed, ${fl} failed, ${s} skipped`);
  passed += p; failed += fl; skipped += s;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
