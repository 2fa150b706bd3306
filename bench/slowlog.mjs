// Each script's share of Redis's time, from a slow log taken at threshold 4 µs:
//   redis-cli -p PORT config set slowlog-max-len 1000000
//   redis-cli -p PORT config set slowlog-log-slower-than 4; sleep 3
//   redis-cli -p PORT config set slowlog-log-slower-than 10000
//   redis-cli -p PORT --json slowlog get 1000000 > slow.json
//   node bench/slowlog.mjs slow.json
// Redis 7.0 logs the commands a script calls before the script itself, and a
// script runs alone, so the entries between two scripts belong to the second
// (top-level commands of other clients, such as the server's PUBLISH, land in
// the next script too). Figures are per request created (create.lua), the
// cycle of the load scenarios. At 4 µs most commands inside scripts stay out
// of the log (their counts with them); at 0 they are all in, but logging
// them slows the scripts that call many: compare those times with care.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A loaded script's SHA-1 names it; bench/loadgen (built by make bench)
// prints each one as the server loads it (dm_store_script_text).
function scriptNames() {
  const loadgen = fileURLToPath(new URL('loadgen', import.meta.url));
  const names = new Map();
  for (const line of execFileSync(loadgen, ['scripts'], { encoding: 'utf8' }).trim().split('\n')) {
    const [sha, name] = line.split(' ');
    names.set(sha, name);
  }
  return names;
}

function attribute(entries, names) {
  const scripts = new Map();
  let inner = [];
  for (const [, , us, args] of entries.sort((a, b) => a[0] - b[0])) {
    const cmd = String(args[0]).toUpperCase();
    if (cmd !== 'EVALSHA' && cmd !== 'EVAL') {
      inner.push(cmd);
      continue;
    }
    const name = names.get(args[1]) ?? args[1].slice(0, 8);
    const s = scripts.get(name) ?? { calls: 0, us: 0, inner: new Map() };
    s.calls++;
    s.us += us;
    for (const c of inner) s.inner.set(c, (s.inner.get(c) ?? 0) + 1);
    scripts.set(name, s);
    inner = [];
  }
  return scripts;
}

function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/slowlog.mjs SLOWLOG.json');
    process.exit(2);
  }
  const scripts = attribute(JSON.parse(readFileSync(file, 'latin1')), scriptNames());
  const cycles = scripts.get('create')?.calls ?? 0;
  const total = [...scripts.values()].reduce((t, s) => t + s.us, 0);
  console.log(`${cycles} requests created; per request:`);
  for (const [name, s] of [...scripts].sort((a, b) => b[1].us - a[1].us)) {
    const calls = cycles ? (s.calls / cycles).toFixed(2) : '-';
    const top = [...s.inner].sort((a, b) => b[1] - a[1]).slice(0, 6);
    const called = top.map(([c, n]) => `${c} ${(n / s.calls).toFixed(1)}`).join(', ');
    console.log(`${name.padEnd(16)} calls ${calls.padStart(5)}  ${(s.us / s.calls).toFixed(1).padStart(6)} µs each` +
      `  ${((100 * s.us) / total).toFixed(0).padStart(3)}% of scripts' time  calls in it: ${called}`);
  }
}

main();
