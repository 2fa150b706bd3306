// The table of a bench run: reads the JSON files bench/run.sh wrote into DIR,
// prints dragomand's figures beside their ceilings and the issue's targets,
// and writes DIR/summary.json and DIR/summary.csv.
//   node bench/summary.mjs DIR
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const load = (name) => (existsSync(join(dir, `${name}.json`)) ? JSON.parse(readFileSync(join(dir, `${name}.json`))) : null);
const [r100, sat, idle, storm] = ['rate100', 'saturation', 'idle', 'storm'].map(load);
const [nsat, nidle, redis] = ['node-saturation', 'node-idle', 'redis-ceiling'].map(load);
const [pilot, million] = ['sim-pilot', 'sim-million'].map(load);
const [d1k, d1ksat, d1kscan] = ['diag-1k-rate1000', 'diag-1k-saturation', 'diag-1k-scan16-saturation'].map(load);
const machineText = existsSync(join(dir, 'machine.txt')) ? readFileSync(join(dir, 'machine.txt'), 'utf8') : '';
// A number bench/run.sh wrote into machine.txt: the first group of pattern.
const machine = (pattern) => Number((pattern.exec(machineText) ?? [])[1]) || undefined;
const get = (o, path) => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), o);
const fmt = (v) => (v === undefined ? '' : typeof v === 'string' ? v : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));

// A scenario run several times (bench/run.sh's BENCH_REPEATS): NAME.json,
// NAME-2.json, ... Its rows come from the run whose dispatch p99 is the median.
function repeats(name) {
  const runs = [];
  for (let r = load(name), i = 2; r; r = load(`${name}-${i++}`)) runs.push(r);
  return runs;
}
const p99s = (runs) => runs.map((r) => get(r, 'dispatch.p99_ms'));
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => get(a, 'dispatch.p99_ms') - get(b, 'dispatch.p99_ms'));
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}
const [r1000runs, n1000runs] = [repeats('rate1000'), repeats('node-rate1000')];
const [r1000, n1000] = [medianRun(r1000runs), medianRun(n1000runs)];
// The largest registry seeded (seed-N.json, N interpreters): Redis per interpreter.
const seeded = readdirSync(dir).map((f) => /^seed-(\d+)\.json$/.exec(f)).filter(Boolean)
  .sort((a, b) => b[1] - a[1]).map((m) => load(`seed-${m[1]}`))[0] ?? null;

const rows = [];
// value: dragomand's; ceiling: the peer's in the same run; lower: smaller is better.
function row(scenario, figure, value, { ceiling, target, lower = true, unit = '' } = {}) {
  if (value === undefined || value === null) return;
  if (Number.isNaN(value)) { // a latency with no sample at all: nothing came back in time
    rows.push({ scenario, figure, value: 'none', unit: '', ceiling, target, met: target === undefined ? '' : 'MISSED' });
    return;
  }
  const ratio = typeof value === 'number' && typeof ceiling === 'number' && ceiling ? value / ceiling : undefined;
  const met = target === undefined ? '' : (lower ? value <= target : value >= target) ? 'met' : 'MISSED';
  rows.push({ scenario, figure, value, unit, ceiling, ratio, target, met });
}

// The server's own histograms over the window: its Redis round trips (a
// dispatch makes two) and its part of each dispatch (create read off the
// network to offers handed back), which leaves out the load generator.
const pct = (v) => (v == null || v < 0 ? undefined : 100 * v);
function roundTrips(label, run) {
  row(label, 'server: Redis round trip mean', get(run, 'redis_round_trips.mean_ms'), { unit: 'ms' });
  row(label, 'server: Redis round trips within 1 ms', pct(get(run, 'redis_round_trips.within_1ms')),
    { unit: '%', lower: false });
  row(label, 'server: its part of a dispatch, mean', get(run, 'server_dispatch.mean_ms'), { unit: 'ms' });
  row(label, 'server: its part of a dispatch within 2 ms', pct(get(run, 'server_dispatch.within_2ms')),
    { unit: '%', lower: false });
}

// Where the two cores went in the window, per completed cycle (the Node
// ceiling's server beside dragomand): what limits a run on this machine.
const CPU_PARTS = [['server', 'server'], ['redis', 'Redis'], ['load_generator', 'load generator'], ['softirq', 'softirq']];
// Each wakeup of a sleeping process costs CPU of its own: why a cycle at a
// steady rate costs more than at saturation, where one wakeup serves many.
const SWITCH_PARTS = [['server', 'server'], ['redis', 'Redis'], ['load_generator', 'load generator'],
  ['machine', 'every task']];
function cpu(label, run, peer) {
  for (const [key, name] of CPU_PARTS) {
    const ceiling = key === 'server' ? get(peer, 'cpu_us_per_cycle.server') : undefined;
    row(label, `CPU per cycle: ${name}`, get(run, `cpu_us_per_cycle.${key}`), { ceiling, unit: 'µs' });
  }
  row(label, 'machine idle', pct(get(run, 'machine_idle_share')), { unit: '%', lower: false });
  for (const [key, name] of SWITCH_PARTS) {
    const ceiling = key === 'server' ? get(peer, 'switches_per_cycle.server') : undefined;
    row(label, `context switches per cycle: ${name}`, get(run, `switches_per_cycle.${key}`), { ceiling });
  }
}

// What the saturation target leaves a cycle: the machine's cores divided by
// half the Redis ceiling's rate. Beside it, what a cycle takes of every part
// of the machine, dragomand's against the Node ceiling's (no Redis at all),
// and the Node ceiling's own rate against the Redis ceiling: what the
// transport and the load generator alone leave of the target on this machine.
function budget() {
  const cores = machine(/(\d+) cores/), ceiling = get(redis, 'cycle_ceiling_rps');
  const all = (run) => CPU_PARTS.reduce((sum, [key]) => sum + (get(run, `cpu_us_per_cycle.${key}`) ?? 0), 0);
  const label = 'saturation, the target';
  if (!cores || !ceiling || !sat || !nsat) return;
  row(label, `CPU a cycle may take: ${cores} cores at ${fmt(ceiling / 2)} cycles/s`, (cores * 1e6) / (ceiling / 2),
    { unit: 'µs' });
  row(label, 'CPU per cycle, every part (the ceiling: Node, no Redis)', all(sat), { ceiling: all(nsat), unit: 'µs' });
  row(label, "the Node ceiling's cycles/s / redis-benchmark's", get(nsat, 'cycles_per_s') / ceiling, { lower: false });
}

for (const [label, run, peer] of [['100 req/s', r100, null], ['1000 req/s', r1000, n1000]]) {
  for (const q of ['p50', 'p90', 'p99', 'p999', 'max']) {
    const target = label === '1000 req/s' && q === 'p99' ? 2 : undefined;
    const none = get(run, 'dispatch.samples') === 0;
    row(`${label}, ${get(run, 'connected')} conns`, `dispatch ${q}`, none ? NaN : get(run, `dispatch.${q}_ms`),
      { ceiling: get(peer, `dispatch.${q}_ms`), target, unit: 'ms' });
  }
  if (label === '1000 req/s' && r1000runs.length > 1) {
    const each = (runs) => p99s(runs).map((v) => v.toFixed(2)).join(' / ');
    row(label, `dispatch p99 of each of ${r1000runs.length} runs (above: the median run)`, each(r1000runs),
      { ceiling: n1000runs.length ? each(n1000runs) : undefined, unit: ' ms' });
  }
  row(`${label}`, 'accept p99', get(run, 'accept.p99_ms'), { ceiling: get(peer, 'accept.p99_ms'), unit: 'ms' });
  row(`${label}`, 'withdraw p99', get(run, 'withdraw.p99_ms'), { ceiling: get(peer, 'withdraw.p99_ms'), unit: 'ms' });
  row(`${label}`, 'cycles/s', get(run, 'cycles_per_s'), { ceiling: get(peer, 'cycles_per_s'), lower: false });
  roundTrips(label, run);
  cpu(label, run, peer);
}
const cycles = get(sat, 'cycles_per_s');
row('saturation', 'cycles/s vs redis-benchmark', cycles,
  { ceiling: get(redis, 'cycle_ceiling_rps'), target: get(redis, 'cycle_ceiling_rps') / 2, lower: false });
row('saturation', 'cycles/s vs ws (Node)', cycles, { ceiling: get(nsat, 'cycles_per_s'), lower: false });
row('saturation', 'dispatch p99', get(sat, 'dispatch.p99_ms'), { ceiling: get(nsat, 'dispatch.p99_ms'), unit: 'ms' });
roundTrips('saturation', sat);
cpu('saturation', sat, nsat);
budget();
row(`idle, ${get(idle, 'connected')} conns`, 'RSS per connection', get(idle, 'rss_per_connection_bytes'),
  { ceiling: get(nidle, 'rss_per_connection_bytes'), target: 8192, unit: 'B' });
// A process may hold no more descriptors than the hard limit (bench/server.sh
// raises the soft one to it), and the server needs a few of its own.
const nofile = machine(/open files a process may hold: (\d+)/);
row('idle', `connections held of ${get(idle, 'wanted')} asked${nofile ? ` (open files a process may hold: ${nofile})` : ''}`,
  get(idle, 'connected'),
  { target: get(idle, 'wanted'), lower: false });
row('storm', `all ${get(storm, 'connected')} back, from the new server listening`, get(storm, 'storm_after_listen_s'),
  { target: 5, unit: 's' });
row('storm', 'all back, from SIGTERM (stop + start + reconnect)', get(storm, 'storm_all_back_s'), { unit: 's' });
row('storm', `requests lost of ${get(storm, 'storm_requests')}`, get(storm, 'storm_lost'), { target: 0 });
row('redis memory', `per interpreter (registry entry and token, ${get(seeded, 'entries')} seeded)`,
  get(seeded, 'redis_bytes_per_entry'), { unit: 'B' });
row('redis memory', 'per open request', get(idle, 'redis_bytes_per_open_request'), { unit: 'B' });
row('redis memory', 'per completed request', get(sat, 'redis_bytes_per_session'), { unit: 'B' });
for (const s of ['candidates', 'offer', 'accept']) row('redis-benchmark', `${s}.lua /s`, get(redis, `${s}_rps`), { lower: false });
// Counted, not timed: the same on a quiet machine and a noisy one.
const cg = load('callgrind');
if (cg) {
  const label = `callgrind, ${cg.interpreters} interpreters, ${cg.rate} req/s`;
  row(label, 'dragomand instructions per cycle', cg.server_ir_per_cycle);
  row(label, 'Redis instructions per cycle vs redis-benchmark match + accept', cg.redis_ir_per_cycle,
    { ceiling: cg.redis_ceiling_ir_per_cycle });
  row(label, 'Redis script calls per cycle vs match + accept', cg.redis_scripts_per_cycle,
    { ceiling: cg.ceiling_scripts_per_cycle });
  row(label, 'commands those scripts ran per cycle vs match + accept', cg.redis_script_commands_per_cycle,
    { ceiling: cg.ceiling_script_commands_per_cycle });
}
row('diagnosis: 1,000 conns, 1000 req/s', 'dispatch p99',
  get(d1k, 'dispatch.samples') === 0 ? NaN : get(d1k, 'dispatch.p99_ms'), { unit: 'ms' });
row('diagnosis: 1,000 conns, 1000 req/s', 'cycles/s', get(d1k, 'cycles_per_s'), { lower: false });
row('diagnosis: 1,000 conns, saturation', 'cycles/s', get(d1ksat, 'cycles_per_s'), { lower: false });
row('diagnosis: 1,000 conns, match_scan 16', 'cycles/s', get(d1kscan, 'cycles_per_s'), { lower: false });
row('diagnosis: 1,000 conns, match_scan 16', 'dispatch p99', get(d1kscan, 'dispatch.p99_ms'), { unit: 'ms' });
const base = get(pilot, 'compare.0');
row('simulator: pilot', 'met within 5 min', base && 100 * base.met_5min, { unit: '%', lower: false });
row('simulator: pilot', 'Farsi evening staff for 95% in 5 min', get(pilot, 'staffing_answer'));
row('simulator', '1M requests, wall time', get(million, 'run.wall_s'), { unit: 's' });

const head = ['scenario', 'figure', 'dragomand', 'ceiling', 'ratio', 'target', ''];
const lines = rows.map((r) => [r.scenario, r.figure, fmt(r.value) + r.unit, r.ceiling === undefined ? '' : fmt(r.ceiling) + r.unit,
  r.ratio === undefined ? '' : r.ratio.toFixed(2), r.target === undefined ? '' : fmt(r.target) + r.unit, r.met]);
const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
for (const l of [head, ...lines]) console.log(l.map((c, i) => c.padEnd(widths[i])).join('  '));
writeFileSync(join(dir, 'summary.json'), JSON.stringify(rows, null, 1));
const csv = (v) => (typeof v === 'string' && /[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v ?? '');
writeFileSync(join(dir, 'summary.csv'), ['scenario,figure,value,unit,ceiling,ratio,target,met',
  ...rows.map((r) => [r.scenario, r.figure, r.value, r.unit, r.ceiling, r.ratio, r.target, r.met].map(csv).join(','))].join('\n') + '\n');
console.log(`\nwritten: ${join(dir, 'summary.json')}, ${join(dir, 'summary.csv')}`);
