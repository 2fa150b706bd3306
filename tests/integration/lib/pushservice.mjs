// A push service and the browsers behind it, on loopback, for testing Web Push
// end to end without the network: it hands out subscriptions (a P-256 key pair
// and an auth secret each, as a browser's pushManager.subscribe() does),
// accepts the server's POSTs as a push service would (RFC 8030 headers, VAPID
// per RFC 8292), and decrypts each body as the browser would (RFC 8291). Tests
// steer its answers (201, 404, 410, 429, 500, or no answer at all) and wait for
// what arrives. Only node:crypto and node:http.
import crypto from 'node:crypto';
import http from 'node:http';

const MAX_BODY = 4096; // what a push service must accept (RFC 8030 §7.2)
const DAY_S = 24 * 3600;
const CLOCK_SLACK_S = 60;
const URGENCIES = new Set(['very-low', 'low', 'normal', 'high']);

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const unb64u = (s) => Buffer.from(s, 'base64url');
const hkdf = (ikm, salt, info, len) => Buffer.from(crypto.hkdfSync('sha256', ikm, salt, info, len));

// Refused requests carry the status a real push service would give and why.
class Refusal extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

// RFC 8291 and RFC 8188, the browser's side: one aes128gcm record whose keyid
// is the application server's ephemeral public key.
function decrypt(body, sub) {
  if (body.length < 21) throw new Refusal(400, 'body shorter than an aes128gcm header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  if (idlen !== 65) throw new Refusal(400, `keyid is ${idlen} bytes, not a P-256 public key`);
  const asPublic = body.subarray(21, 86);
  const record = body.subarray(86);
  if (record.length < 17 || record.length > rs) throw new Refusal(400, 'not exactly one record');
  let secret;
  try {
    secret = sub.ecdh.computeSecret(asPublic);
  } catch {
    throw new Refusal(400, 'keyid is not a point on P-256');
  }
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), sub.publicKey, asPublic]);
  const ikm = hkdf(secret, sub.auth, info, 32);
  const cek = hkdf(ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12);
  const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  let plain;
  try {
    plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  } catch {
    throw new Refusal(400, 'decryption failed (tag mismatch)');
  }
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  if (end === 0 || plain[end - 1] !== 2) throw new Refusal(400, 'bad padding delimiter');
  return plain.subarray(0, end - 1);
}

// "vapid t=JWT, k=KEY": checks the ES256 signature with k and the claims a
// push service checks; returns the claims and key.
function checkVapid(authorization, origin, expectedKey) {
  const m = /^vapid\s+(.*)$/i.exec(authorization || '');
  if (!m) throw new Refusal(401, 'Authorization is not a vapid scheme');
  const params = Object.fromEntries(m[1].split(',').map((p) => {
    const at = p.indexOf('=');
    return [p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim()];
  }));
  const { t, k } = params;
  if (!t || !k) throw new Refusal(401, 'vapid needs both t and k');
  const raw = unb64u(k);
  if (raw.length !== 65 || raw[0] !== 4) throw new Refusal(401, 'k is not an uncompressed P-256 key');
  const parts = t.split('.');
  if (parts.length !== 3) throw new Refusal(401, 'JWT is not three parts');
  let header, claims, key;
  try {
    header = JSON.parse(unb64u(parts[0]).toString());
    claims = JSON.parse(unb64u(parts[1]).toString());
    key = crypto.createPublicKey({
      format: 'jwk',
      key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33)) },
    });
  } catch (e) {
    throw new Refusal(401, `JWT or key does not parse: ${e.message}`);
  }
  if (header.alg !== 'ES256' || (header.typ !== undefined && header.typ !== 'JWT')) {
    throw new Refusal(401, `JWT header ${JSON.stringify(header)}`);
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = unb64u(parts[2]);
  if (sig.length !== 64 || !crypto.verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, sig)) {
    throw new Refusal(401, 'JWT signature does not verify with k');
  }
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) throw new Refusal(401, `aud ${claims.aud} is not ${origin}`);
  if (!Number.isInteger(claims.exp) || claims.exp <= now - CLOCK_SLACK_S) throw new Refusal(401, 'JWT expired');
  if (claims.exp > now + DAY_S + CLOCK_SLACK_S) throw new Refusal(401, 'exp more than 24 hours ahead');
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) {
    throw new Refusal(401, `sub ${claims.sub} is neither mailto: nor https:`);
  }
  if (expectedKey && k !== expectedKey) throw new Refusal(403, 'k is not the key the subscription was made with');
  return { ...claims, k };
}

function checkHeaders(headers) {
  const ttl = headers.ttl;
  if (ttl === undefined || !/^\d+$/.test(ttl)) throw new Refusal(400, `TTL missing or malformed: ${ttl}`);
  if (headers['content-encoding'] !== 'aes128gcm') {
    throw new Refusal(400, `Content-Encoding is ${headers['content-encoding']}, not aes128gcm`);
  }
  if (headers.urgency !== undefined && !URGENCIES.has(headers.urgency)) {
    throw new Refusal(400, `Urgency ${headers.urgency}`);
  }
  if (headers.topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(headers.topic)) {
    throw new Refusal(400, `Topic ${headers.topic}`);
  }
}

function parsePayload(buf) {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class PushService {
  // Options: vapidPublicKey, the base64url key every request's k must equal
  // (as a subscription made with applicationServerKey would demand).
  constructor({ vapidPublicKey } = {}) {
    this.vapidPublicKey = vapidPublicKey;
    this.subs = new Map();
    this.messages = []; // delivered: { id, headers, payload, at, vapid }
    this.attempts = []; // every POST: { id, status, reason?, headers, payload?, at }
    this.waiters = [];
    this.nextAnswers = []; // { status, retryAfter } for the next requests, in order
    this.perSub = new Map(); // id -> { status, retryAfter } or 'hang'
    this.hung = new Set();
    this.seq = 0;
    this.server = http.createServer((req, res) => this.onRequest(req, res));
  }

  static async start(opts) {
    const ps = new PushService(opts);
    await new Promise((resolve, reject) => {
      ps.server.once('error', reject);
      ps.server.listen(0, '127.0.0.1', resolve);
    });
    ps.origin = `http://127.0.0.1:${ps.server.address().port}`;
    return ps;
  }

  // A new subscription, as PushSubscription.toJSON() gives it to the page.
  subscribe(id = crypto.randomBytes(9).toString('base64url')) {
    const ecdh = crypto.createECDH('prime256v1');
    ecdh.generateKeys();
    this.subs.set(id, { id, ecdh, publicKey: ecdh.getPublicKey(), auth: crypto.randomBytes(16) });
    return this.subscription(id);
  }

  // The subscription's JSON; with no id, the first one made.
  subscription(id = this.subs.keys().next().value) {
    const sub = this.subs.get(id);
    if (!sub) throw new Error(`no subscription ${id}`);
    return {
      endpoint: `${this.origin}/push/${id}`,
      expirationTime: null,
      keys: { p256dh: b64u(sub.publicKey), auth: b64u(sub.auth) },
    };
  }

  static idOf(endpoint) {
    return new URL(endpoint).pathname.replace(/^\/push\//, '');
  }

  // Answer status to requests: with id, every request for that subscription
  // until clear(id); without, the next `times` requests whatever they are for.
  // retryAfter (seconds) goes out with 429 and 503.
  respond(status, { times = 1, id, retryAfter = 1 } = {}) {
    const answer = { status, retryAfter };
    if (id !== undefined) this.perSub.set(id, answer);
    else for (let i = 0; i < times; i++) this.nextAnswers.push(answer);
  }

  // Never answer requests for this subscription: the sender must time out.
  hang(id) {
    this.perSub.set(id, 'hang');
  }

  // Back to 201 for one subscription, or for everything.
  clear(id) {
    if (id === undefined) {
      this.perSub.clear();
      this.nextAnswers = [];
    } else {
      this.perSub.delete(id);
    }
  }

  // The first delivered message matching predicate, already here or to come.
  waitFor(predicate, timeoutMs = 5000) {
    return this.wait(this.messages, predicate, timeoutMs);
  }

  // The same over every request, refused and unanswered ones included.
  waitForAttempt(predicate, timeoutMs = 5000) {
    return this.wait(this.attempts, predicate, timeoutMs);
  }

  wait(list, predicate, timeoutMs) {
    const found = list.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { list, predicate, resolve };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        const seen = this.attempts.map((a) => `${a.id}:${a.status}${a.reason ? ` (${a.reason})` : ''}`);
        reject(new Error(`push service: nothing matched in ${timeoutMs} ms; requests seen: ${seen.join(', ') || 'none'}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  record(list, entry) {
    list.push(entry);
    for (const w of this.waiters.filter((x) => x.list === list && x.predicate(entry))) {
      clearTimeout(w.timer);
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(entry);
    }
  }

  async close() {
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  async onRequest(req, res) {
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    }
    const at = Date.now();
    const id = req.url.startsWith('/push/') ? decodeURIComponent(req.url.slice(6)) : null;
    const attempt = { id, status: null, headers: { ...req.headers }, at };
    try {
      const delivered = this.accept(req, id, size, Buffer.concat(chunks));
      attempt.payload = delivered.payload;
      const answer = this.answerFor(id);
      if (answer === 'hang') {
        this.hung.add(res);
        this.record(this.attempts, { ...attempt, status: 'hung' });
        return;
      }
      attempt.status = answer.status;
      const headers = {};
      if (answer.status === 201) headers.Location = `/message/${++this.seq}`;
      if (answer.status === 429 || answer.status === 503) headers['Retry-After'] = String(answer.retryAfter);
      res.writeHead(answer.status, headers).end();
      if (answer.status === 201) this.record(this.messages, { ...delivered, at });
    } catch (e) {
      // A bug here must show in the test, not crash it from an event handler.
      attempt.status = e instanceof Refusal ? e.status : 500;
      attempt.reason = e instanceof Refusal ? e.message : `push service bug: ${e.stack}`;
      res.writeHead(attempt.status, { 'Content-Type': 'text/plain' }).end(attempt.reason);
    }
    this.record(this.attempts, attempt);
  }

  // Everything a push service checks, then the browser's decryption.
  accept(req, id, size, body) {
    if (req.method !== 'POST') throw new Refusal(405, `method ${req.method}`);
    const sub = this.subs.get(id);
    if (!sub) throw new Refusal(404, `no subscription ${id}`);
    if (size > MAX_BODY) throw new Refusal(413, `body of ${size} bytes`);
    checkHeaders(req.headers);
    const vapid = checkVapid(req.headers.authorization, this.origin, this.vapidPublicKey);
    const payload = parsePayload(decrypt(body, sub));
    return { id, headers: { ...req.headers }, payload, vapid };
  }

  answerFor(id) {
    const own = this.perSub.get(id);
    if (own) return own;
    return this.nextAnswers.shift() || { status: 201 };
  }
}
