// The integration harness: a real redis-server and real dragomand processes per
// test file, a WebSocket client that keeps every message it receives, and an
// HTTP helper. Everything waits with a bound, so a broken server fails a test
// instead of hanging the suite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

import { DEMO, newRequest, token } from './fixtures.mjs';
import { Resp } from './resp.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DRAGOMAND = path.resolve(process.env.DRAGOMAND || path.join(REPO, 'bin/dragomand'));
export const ASAN = Boolean(process.env.DRAGOMAN_ASAN);
// Sanitized builds run a few times slower: waits grow, server settings do not.
export const SCALE = ASAN ? 3 : 1;
export const WAIT_MS = 5000 * SCALE;
// A bound for each test (node:test's timeout option).
export const T = (seconds = 30) => ({ timeout: seconds * 1000 * SCALE });

const SANITIZER = /AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/;
const LOG_DIR = path.join(REPO, 'tests/out/integration');
const TEST_NAME = path.basename(process.argv[1] || 'test', '.mjs').replace(/\.test$/, '');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every child is killed if the test process goes away, so a failed file never
// leaves a redis-server or dragomand behind.
const children = new Set();
function killChildren() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killChildren();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  });
}

export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    if (port !== 6379) return port;
  }
}

// Polls fn until it returns something truthy; fails naming what was awaited.
export async function waitFor(fn, { timeout = WAIT_MS, interval = 50, what = 'a condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(interval);
  }
}

function tail(text, n = 40) {
  return text.split('\n').slice(-n).join('\n');
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

/* ---------------- redis-server ---------------- */

export class RedisProc {
  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.child = null;
    this.client = null;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  // appendonly with fsync on every write: a kill -9 loses nothing Redis acknowledged.
  async start() {
    fs.mkdirSync(this.dir, { recursive: true });
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes',
      '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--logfile', path.join(this.dir, 'redis.log')];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    children.add(this.child);
    this.child.once('exit', () => children.delete(this.child));
    this.client = await waitFor(async () => {
      const r = await Resp.connect(this.port);
      try {
        if ((await r.cmd('PING')) === 'PONG') return r;
      } catch { /* LOADING while it reads the append-only file */ }
      r.close();
      return null;
    }, { timeout: 10000, what: `redis-server on port ${this.port}` });
  }

  async kill9() {
    this.client?.close();
    this.client = null;
    this.child.kill('SIGKILL');
    await waitExit(this.child, 5000);
  }

  async stop() {
    this.client?.close();
    this.client = null;
    if (!this.child) return;
    this.child.kill('SIGTERM');
    if (!(await waitExit(this.child, 10000))) this.child.kill('SIGKILL');
  }
}

/* ---------------- dragomand ---------------- */

let serverSeq = 0;

export class ServerProc {
  // opts: port, redisUrl ("" for a private Redis), dataDir, demo (path), settings
  // (extra long options), name (for logs), env, nofile (its open-file limit).
  constructor(opts) {
    this.opts = opts;
    this.port = opts.port;
    this.name = opts.name || `server${++serverSeq}`;
    this.child = null;
    this.log = '';
    this.problems = [];
    this.expectDeath = false;
    this.runs = 0;
  }

  get url() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  args() {
    const o = this.opts;
    return ['--config', o.config, '--listen', `127.0.0.1:${this.port}`,
      ...(o.redisUrl ? ['--redis', o.redisUrl] : []),
      '--data-dir', o.dataDir, '--demo', o.demo, '--web-root', path.join(REPO, 'src/web'),
      '--log-level', 'debug', ...(o.settings || [])];
  }

  // Starts the process; with ready, waits until /healthz says 200 and the demo
  // tokens work (the demo is loaded asynchronously once Redis answers).
  async start({ ready = true } = {}) {
    assert.ok(fs.existsSync(DRAGOMAND), `no server binary at ${DRAGOMAND} (make all asan)`);
    this.runs++;
    this.log += `\n===== ${this.name} run ${this.runs}: ${DRAGOMAND} ${this.args().join(' ')}\n`;
    // prlimit execs the server in its own process, so signals reach it.
    const [cmd, argv] = this.opts.nofile
      ? ['prlimit', [`--nofile=${this.opts.nofile}:${this.opts.nofile}`, DRAGOMAND, ...this.args()]]
      : [DRAGOMAND, this.args()];
    const child = spawn(cmd, argv, {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(this.opts.env || {}) },
    });
    this.child = child;
    this.expectDeath = false;
    children.add(child);
    child.stdout.on('data', (d) => { this.log += d; });
    child.stderr.on('data', (d) => { this.log += d; });
    child.once('exit', (code, signal) => {
      children.delete(child);
      this.log += `\n===== ${this.name} exited: code ${code} signal ${signal}\n`;
      if (!this.expectDeath) this.problems.push(`${this.name} exited unexpectedly (code ${code}, signal ${signal})`);
    });
    if (ready) await this.waitReady();
  }

  alive() {
    return this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady() {
    const check = () => {
      if (!this.alive()) throw new Error(`${this.name} died while starting:\n${tail(this.log)}`);
    };
    await waitFor(async () => {
      check();
      return (await httpRequest(this.base, 'GET', '/healthz')).status === 200;
    }, { timeout: 15000 * SCALE, what: `${this.name} /healthz 200` }).catch((e) => { check(); throw e; });
    await waitFor(async () => {
      check();
      const c = await Client.open(this.url, { label: 'probe' });
      try {
        const r = await c.send({ type: 'hello', token: token('u-coord') });
        return r.type === 'result';
      } finally {
        c.terminate();
      }
    }, { timeout: 15000 * SCALE, what: `${this.name} to accept a demo token` });
  }

  // SIGTERM must end the process cleanly: exit code 0, no signal.
  async stop() {
    if (!this.child) return;
    if (this.alive()) {
      this.expectDeath = true;
      this.child.kill('SIGTERM');
      if (!(await waitExit(this.child, 20000 * SCALE))) {
        this.problems.push(`${this.name} did not exit within ${20 * SCALE} s of SIGTERM`);
        this.child.kill('SIGKILL');
        await waitExit(this.child, 5000);
      } else if (this.child.exitCode !== 0) {
        this.problems.push(`${this.name} exited with code ${this.child.exitCode} signal ${this.child.signalCode} after SIGTERM`);
      }
    }
    this.child = null;
  }

  async kill9() {
    this.expectDeath = true;
    this.child.kill('SIGKILL');
    await waitExit(this.child, 5000);
    this.child = null;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  // Everything found wrong so far: unexpected exits and sanitizer reports.
  findings() {
    const out = [...this.problems];
    if (SANITIZER.test(this.log)) {
      const at = this.log.search(SANITIZER);
      out.push(`${this.name}: sanitizer report:\n${this.log.slice(Math.max(0, at - 200), at + 3000)}`);
    }
    return out;
  }

  saveLog() {
    fs.mkdirSync(LOG_DIR, { recursive: true });
    fs.writeFileSync(path.join(LOG_DIR, `${TEST_NAME}.${this.name}.log`), this.log);
  }
}

/* ---------------- HTTP ---------------- */

// One request on a fresh connection (no keep-alive to leak between tests).
// Returns {status, headers, text, body (parsed JSON or null)}.
export function httpRequest(base, method, urlPath, { token: tok, body, raw, headers = {}, timeout = WAIT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const data = raw !== undefined ? Buffer.from(raw) : body !== undefined ? Buffer.from(JSON.stringify(body)) : null;
    const h = { ...headers };
    if (tok) h.Authorization = `Bearer ${tok}`;
    if (data) {
      h['Content-Type'] = h['Content-Type'] || 'application/json';
      h['Content-Length'] = String(data.length);
    } else if (method === 'POST' || method === 'PUT') {
      h['Content-Length'] = '0';
    }
    const req = http.request(`${base}${urlPath}`, { method, headers: h, agent: false, timeout }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = null;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeout} ms`)));
    req.on('error', reject);
    req.end(data || undefined);
  });
}

/* ---------------- WebSocket client ---------------- */

function brief(m) {
  const s = JSON.stringify(m);
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
}

export class Client {
  constructor(ws, label) {
    this.ws = ws;
    this.label = label;
    this.inbox = []; // {msg, used}
    this.waiters = [];
    this.seq = 0;
    this.heartbeat = null;
    this.autoAck = true;
    this.acked = new Set(); // offers whose automatic receipt the server has answered
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.stopHeartbeat();
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.poke();
      });
    });
    ws.on('error', () => { /* reported through close */ });
    ws.on('message', (data, isBinary) => {
      let msg;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        msg = { type: '<unparsable>', raw: data.toString(), binary: isBinary };
      }
      // Heartbeat and receipt replies are bookkeeping, not something a test waits for.
      const used = typeof msg.id === 'string' && (msg.id.startsWith('hb-') || msg.id.startsWith('ack-'));
      if (used && msg.id.startsWith('ack-')) this.acked.add(msg.id.slice(4));
      this.inbox.push({ msg, used });
      // Like the phone app, say an offer arrived, or it is withdrawn as undelivered.
      if (msg.type === 'offer' && this.autoAck && ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: 'offer.ack', id: `ack-${msg.offer.id}`, offer: msg.offer.id, event: 'received', via: 'ws' }));
      }
      this.poke();
    });
  }

  // Opens the WebSocket (subprotocol dragoman.v1) without saying hello.
  static open(url, { origin, label = 'client', protocol = 'dragoman.v1' } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocol, { origin, handshakeTimeout: WAIT_MS, maxPayload: 16 << 20 });
      const c = new Client(ws, label);
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (req, res) => reject(new Error(`${label}: WebSocket refused with HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  poke() {
    for (const w of [...this.waiters]) w();
  }

  // Resolves once the server has answered this client's automatic receipt for offer oid.
  whenAcked(oid, timeout = WAIT_MS) {
    return waitFor(() => this.acked.has(oid), { timeout, what: `${this.label}: the receipt for ${oid}` });
  }

  // The first unseen message of type (and matching pred) that arrived or arrives
  // within timeout; marks it seen.
  next(type, pred = () => true, timeout = WAIT_MS) {
    return new Promise((resolve, reject) => {
      const look = () => {
        const hit = this.inbox.find((e) => !e.used && e.msg.type === type && pred(e.msg));
        if (hit) {
          hit.used = true;
          done();
          resolve(hit.msg);
          return true;
        }
        return false;
      };
      const waiter = () => {
        if (look()) return;
        if (this.closeInfo) {
          // Nothing more can arrive; fail at once rather than at the timeout.
          done();
          reject(new Error(`${this.label}: connection closed (${this.closeInfo.code}) while waiting for ${type}; ` +
            `unseen: ${this.unseen()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no ${type} message within ${timeout} ms; unseen messages: ${this.unseen()}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (look()) return;
      this.waiters.push(waiter);
      waiter();
    });
  }

  unseen() {
    const list = this.inbox.filter((e) => !e.used).map((e) => brief(e.msg));
    return list.length ? list.join(' | ') : '(none)';
  }

  // Fails when a message of type (matching pred) arrives within ms, or is
  // already waiting unseen. Used to show that something does NOT happen.
  async expectNo(type, ms = 1000, pred = () => true, why = '') {
    const got = await this.next(type, pred, ms).catch(() => null);
    assert.equal(got, null, `${this.label}: expected no ${type}${why ? ` (${why})` : ''} but got ${brief(got)}`);
  }

  // Marks every unseen message (of type, when given) as seen and returns them:
  // later expectNo calls then look only at what arrives afterwards.
  drain(type) {
    const out = [];
    for (const e of this.inbox) {
      if (!e.used && (!type || e.msg.type === type)) {
        e.used = true;
        out.push(e.msg);
      }
    }
    return out;
  }

  sendRaw(data, opts) {
    this.ws.send(data, opts);
  }

  // Sends msg with an id (one is chosen when missing) and resolves with the
  // one reply to it: a result or an error.
  send(msg, timeout = WAIT_MS) {
    const m = { ...msg };
    if (m.id === undefined) m.id = `${this.label}-${++this.seq}`;
    this.ws.send(JSON.stringify(m));
    return this.reply(m.id, timeout);
  }

  reply(id, timeout = WAIT_MS) {
    return new Promise((resolve, reject) => {
      const find = () => this.inbox.find((e) => !e.used && (e.msg.type === 'result' || e.msg.type === 'error') && e.msg.id === id);
      const waiter = () => {
        const hit = find();
        if (hit) {
          hit.used = true;
          done();
          resolve(hit.msg);
        } else if (this.closeInfo) {
          done();
          reject(new Error(`${this.label}: connection closed (${this.closeInfo.code} ${this.closeInfo.reason}) before the reply to ${id}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no reply to ${id} within ${timeout} ms; unseen: ${this.unseen()}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
      waiter();
    });
  }

  // Sends and insists on a result; returns its data.
  async ok(msg, timeout) {
    const r = await this.send(msg, timeout);
    assert.equal(r.type, 'result', `${this.label}: ${msg.type} failed: ${brief(r)}`);
    return r.data;
  }

  // Sends and insists on an error with this code; returns the error.
  async fails(msg, code, timeout) {
    const r = await this.send(msg, timeout);
    assert.equal(r.type, 'error', `${this.label}: ${msg.type} should have failed with ${code} but got ${brief(r)}`);
    assert.equal(r.code, code, `${this.label}: ${msg.type}: wrong error code: ${brief(r)}`);
    assert.equal(typeof r.message, 'string');
    return r;
  }

  // hello, then the snapshot pushed right after it. Returns the hello data.
  async hello(tok) {
    this.user = await this.ok({ type: 'hello', token: tok });
    this.snapshot = await this.next('snapshot');
    return this.user;
  }

  // Pings every ms: an interpreter's pings are its heartbeat.
  startHeartbeat(ms = 1000) {
    this.stopHeartbeat();
    let n = 0;
    this.heartbeat = setInterval(() => {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'ping', id: `hb-${++n}` }));
    }, ms);
  }

  stopHeartbeat() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  // A polite close; resolves once the socket is closed.
  async close() {
    this.stopHeartbeat();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(1000);
      const t = setTimeout(() => this.ws.terminate(), 2000);
      await this.closed;
      clearTimeout(t);
    }
  }

  // A phone that vanishes: the TCP connection goes without a close frame.
  terminate() {
    this.stopHeartbeat();
    this.ws.terminate();
  }
}

/* ---------------- the per-file environment ---------------- */

// Settings for short tests: nothing escalates or expires unless a file asks.
const DEFAULT_SETTINGS = {
  'offer-fanout': 3, 'offer-timeout': 30, 'heartbeat-grace': 60, 'escalate-after': 120, 'unfilled-after': 240,
};

function settingArgs(s) {
  return Object.entries(s).flatMap(([k, v]) => [`--${k}`, String(v)]);
}

export class Env {
  constructor(settings = {}, { privateRedis = false, nofile } = {}) {
    this.settings = { ...DEFAULT_SETTINGS, ...settings };
    this.privateRedis = privateRedis;
    this.nofile = nofile;
    this.clients = new Set();
    this.servers = [];
  }

  async start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dm-it-'));
    this.demo = path.join(this.dir, 'demo.json');
    fs.writeFileSync(this.demo, JSON.stringify(DEMO, null, 1));
    // An empty file, so the repository's config/dragoman.conf is not read.
    this.config = path.join(this.dir, 'empty.conf');
    fs.writeFileSync(this.config, '# integration tests: everything is on the command line\n');
    if (!this.privateRedis) {
      this.redisProc = new RedisProc(path.join(this.dir, 'redis'), await freePort());
      await this.redisProc.start();
    }
    this.server = await this.addServer('server');
  }

  get redis() {
    return this.redisProc.client;
  }

  // A dragomand on this file's Redis (or its own private one), started and ready.
  async addServer(name, { settings = {}, start = true, dataDir } = {}) {
    const s = new ServerProc({
      name, port: await freePort(), config: this.config, demo: this.demo,
      redisUrl: this.privateRedis ? '' : this.redisProc.url,
      dataDir: dataDir || path.join(this.dir, `data-${name}`),
      settings: settingArgs({ ...this.settings, ...settings }), nofile: this.nofile,
    });
    this.servers.push(s);
    if (start) await s.start();
    return s;
  }

  // A clean slate for the next test: no clients, an empty Redis, the server
  // restarted so it loads the fixtures again (the restart also checks that
  // SIGTERM ends it cleanly every time).
  async fresh() {
    await this.closeClients();
    for (const s of this.servers) await s.stop();
    await this.redis.cmd('FLUSHALL');
    for (const s of this.servers) await s.start();
  }

  async closeClients() {
    await Promise.all([...this.clients].map((c) => c.close().catch(() => {})));
    this.clients.clear();
  }

  // A connected client that has said hello with tok (and read its snapshot).
  async connect(tok, { origin, label, server = this.server } = {}) {
    const c = await Client.open(server.url, { origin, label: label || tok.replace(/^tok-/, '') });
    this.clients.add(c);
    await c.hello(tok);
    return c;
  }

  // A connected client that has not said hello.
  async open({ origin, label = 'anon', server = this.server } = {}) {
    const c = await Client.open(server.url, { origin, label });
    this.clients.add(c);
    return c;
  }

  clinic(id = 'c-north', opts = {}) {
    return this.connect(token(id), opts);
  }

  coordinator(opts = {}) {
    return this.connect(token('u-coord'), opts);
  }

  // An interpreter, available unless told otherwise, pinging when heartbeat is set.
  async interpreter(id, { available = true, heartbeat = 0, server } = {}) {
    const c = await this.connect(token(id), { server });
    if (available) assert.deepEqual(await c.ok({ type: 'presence.set', status: 'available' }), { status: 'available' });
    if (heartbeat) c.startHeartbeat(heartbeat);
    return c;
  }

  http(method, urlPath, opts = {}) {
    return httpRequest((opts.server || this.server).base, method, urlPath, opts);
  }

  async stop() {
    await this.closeClients();
    const problems = [];
    for (const s of this.servers) {
      await s.stop();
      s.saveLog();
      problems.push(...s.findings());
    }
    if (this.redisProc) await this.redisProc.stop();
    if (problems.length === 0) fs.rmSync(this.dir, { recursive: true, force: true });
    assert.deepEqual(problems, [], `server problems (logs in ${LOG_DIR}):\n${problems.join('\n')}`);
  }
}

// Registers before/after hooks for a test file and returns its environment.
export function useEnv(settings = {}, opts = {}) {
  const env = new Env(settings, opts);
  before(() => env.start(), T(60));
  after(() => env.stop(), T(90));
  return env;
}

/* ---------------- small protocol helpers ---------------- */

// Creates a request as clinic; returns the request object of the result.
export async function create(clinic, overrides = {}) {
  const data = await clinic.ok(newRequest(overrides));
  assert.ok(data.request && data.request.id, `request.create answered without a request: ${brief(data)}`);
  return data.request;
}

// The next offer an interpreter gets for request rid.
// The next offer an interpreter gets for request rid, once its receipt is in
// (so that what a test reads of Redis next does not change under it).
export async function offerFor(client, rid, timeout = WAIT_MS) {
  const m = await client.next('offer', (o) => o.offer.request === rid, timeout);
  if (client.autoAck) await client.whenAcked(m.offer.id, timeout);
  return m.offer;
}

// The request ids currently in a Redis sorted set or set.
export async function members(redis, key) {
  const type = await redis.cmd('TYPE', key);
  if (type === 'zset') return redis.cmd('ZRANGE', key, 0, -1);
  if (type === 'set') return (await redis.cmd('SMEMBERS', key)).sort();
  return [];
}

// Runs fn with Redis logging every command, and returns the script calls
// made meanwhile, oldest first, each as its arguments: [EVALSHA, sha, 0,
// ARGV...]. For tests of how many calls something takes.
export async function scriptCalls(redis, fn) {
  await redis.cmd('CONFIG', 'SET', 'slowlog-max-len', '100000');
  await redis.cmd('SLOWLOG', 'RESET');
  await redis.cmd('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  try {
    await fn();
  } finally {
    await redis.cmd('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  }
  // Each entry: [id, time, µs, args, client, name], newest first.
  const log = (await redis.cmd('SLOWLOG', 'GET', '-1')).reverse().map((e) => e[3]);
  return log.filter((args) => /^EVAL/i.test(String(args[0])));
}
