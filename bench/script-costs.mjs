// Pairs bench/script-costs.sh's callgrind dumps with the slow log's EVALSHA
// calls and prints each script's instructions per call:
//   node bench/script-costs.mjs SLOWLOG.json NAMES.txt DUMP_DIR
// Dump k (redis.cg.k) is written as the k-th EVALSHA begins, so the k-th
// call's instructions are in dump k + 1. Calls the slow log does not show
// (EVAL, when a script was not loaded yet) fall into the dump before them.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

function names(file) {
  const out = new Map();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const [sha, name] = line.split(' ');
    out.set(sha, name);
  }
  return out;
}

function totals(dir) {
  const out = [];
  for (const f of readdirSync(dir)) {
    const k = Number(/\.(\d+)$/.exec(f)?.[1]);
    if (!k) continue;
    const m = /^totals: (\d+)/m.exec(readFileSync(path.join(dir, f), 'latin1'));
    if (m) out[k] = Number(m[1]);
  }
  return out;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function main() {
  const [slow, nameFile, dir] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node bench/script-costs.mjs SLOWLOG.json NAMES.txt DUMP_DIR');
    process.exit(2);
  }
  const byName = names(nameFile);
  const calls = JSON.parse(readFileSync(slow, 'latin1'))
    .sort((a, b) => a[0] - b[0])
    .filter((e) => String(e[3][0]).toUpperCase() === 'EVALSHA')
    .map((e) => byName.get(e[3][1]) ?? e[3][1].slice(0, 8));
  const dumps = totals(dir);
  const per = new Map();
  calls.forEach((name, i) => {
    const n = dumps[i + 2];
    if (n === undefined) return;
    if (!per.has(name)) per.set(name, []);
    per.get(name).push(n);
  });
  const cycles = per.get('create')?.length ?? 0;
  console.log(`${calls.length} script calls, ${cycles} requests created; Redis instructions per call:`);
  console.log(`${'script'.padEnd(16)} ${'calls'.padStart(6)} ${'a cycle'.padStart(8)} ${'p10'.padStart(10)} ` +
    `${'p25'.padStart(10)} ${'p50'.padStart(10)} ${'p75'.padStart(10)} ${'p90'.padStart(10)}`);
  for (const [name, v] of [...per].sort((a, b) => b[1].length - a[1].length)) {
    v.sort((a, b) => a - b);
    const q = [0.1, 0.25, 0.5, 0.75, 0.9].map((x) => String(quantile(v, x)).padStart(10)).join(' ');
    const each = cycles ? (v.length / cycles).toFixed(2) : '-';
    console.log(`${name.padEnd(16)} ${String(v.length).padStart(6)} ${each.padStart(8)} ${q}`);
  }
}

main();
