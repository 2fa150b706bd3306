// A minimal Redis (RESP2) client, so tests can read the dm:* keys directly and
// check invariants without depending on redis-cli or an npm package.
import net from 'node:net';

class RedisError extends Error {}

// Parses one reply from buf at offset; returns [value, nextOffset] or null when
// the reply is not complete yet.
function parse(buf, at) {
  if (at >= buf.length) return null;
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const kind = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (kind) {
    case '+': return [line, next];
    case '-': return [new RedisError(line), next];
    case ':': return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const out = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, pos);
        if (!r) return null;
        out.push(r[0]);
        pos = r[1];
      }
      return [out, pos];
    }
    default:
      throw new Error(`RESP: unexpected reply type ${JSON.stringify(kind)}`);
  }
}

function encode(args) {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) {
    const s = String(a);
    parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`);
  }
  return parts.join('');
}

export class Resp {
  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.waiting = [];
    this.closed = false;
    socket.on('data', (d) => this.onData(d));
    const fail = (err) => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w.reject(err || new Error('redis connection closed'));
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  static connect(port, host = '127.0.0.1', timeoutMs = 3000) {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host });
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`redis ${host}:${port}: connect timed out`)); }, timeoutMs);
      s.once('connect', () => { clearTimeout(timer); resolve(new Resp(s)); });
      s.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const r = parse(this.buf, 0);
      if (!r) return;
      this.buf = this.buf.subarray(r[1]);
      const w = this.waiting.shift();
      if (!w) {
        this.onPush?.(r[0]);
        continue;
      }
      if (r[0] instanceof RedisError) w.reject(r[0]);
      else w.resolve(r[0]);
    }
  }

  // Sends one command; resolves with its reply (strings, numbers, arrays, null).
  cmd(...args) {
    if (this.closed) return Promise.reject(new Error('redis connection closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encode(args));
    });
  }

  // Subscribes to channel: from then on this connection takes no commands,
  // and onMessage gets each message published there.
  subscribe(channel, onMessage) {
    this.onPush = (m) => {
      if (Array.isArray(m) && m[0] === 'message') onMessage(m[2]);
    };
    return this.cmd('SUBSCRIBE', channel);
  }

  // HGETALL as a plain object ({} when the key is missing).
  async hgetall(key) {
    const flat = await this.cmd('HGETALL', key);
    const o = {};
    for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]] = flat[i + 1];
    return o;
  }

  close() {
    this.closed = true;
    this.socket.destroy();
  }
}
