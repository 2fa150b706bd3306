// The dragoman.v1 WebSocket client every face uses: hello with the token,
// replies matched by id, pushes dispatched by type, a ping every 15 s (an
// interpreter's heartbeat), and reconnection with exponential backoff. After
// a reconnect the server's snapshot push redraws everything, so the faces
// never have to work out what they missed.
'use strict';
(function (D) {
  const PING_MS = 15000;
  const REPLY_MS = 10000;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 30000;
  // Codes after which trying again cannot help: the token or origin is refused.
  const FINAL = new Set(['not_authenticated', 'forbidden']);

  class ClientError extends Error {
    constructor(code, message, field) {
      super(message || code);
      this.code = code;
      this.field = field;
    }
  }

  // base: the server's root URL ("https://host/"); the socket is base + "ws".
  class Client {
    constructor({ base, token }) {
      this.base = new URL(base);
      this.token = token;
      this.state = 'connecting'; // connecting | online | offline | refused
      this.error = null; // the ClientError that refused us
      this.user = null;
      this.role = null;
      this.offset = 0; // server clock minus ours, from ping replies
      this.listeners = new Map();
      this.pending = new Map();
      this.seq = 0;
      this.attempt = 0;
      this.ws = null;
      this.stopped = true;
      this.timers = {};
      this.wake = () => { if (this.state === 'offline') this.connect(); };
    }

    start() {
      this.stopped = false;
      window.addEventListener('online', this.wake);
      document.addEventListener('visibilitychange', this.wake);
      this.connect();
    }

    stop() {
      this.stopped = true;
      window.removeEventListener('online', this.wake);
      document.removeEventListener('visibilitychange', this.wake);
      this.clearTimers();
      if (this.ws) this.ws.close(1000);
      this.ws = null;
    }

    // on('offer', fn) for pushes; 'state' for connection changes. Returns an unsubscriber.
    on(type, fn) {
      if (!this.listeners.has(type)) this.listeners.set(type, new Set());
      this.listeners.get(type).add(fn);
      return () => this.listeners.get(type).delete(fn);
    }

    emit(type, msg) {
      for (const fn of this.listeners.get(type) || []) {
        try {
          fn(msg);
        } catch (e) {
          console.error(`dragoman: ${type} listener failed`, e);
        }
      }
    }

    setState(state) {
      if (state === this.state) return;
      this.state = state;
      this.emit('state', state);
    }

    serverNow() {
      return Date.now() + this.offset;
    }

    clearTimers() {
      for (const t of Object.values(this.timers)) clearTimeout(t);
      this.timers = {};
    }

    connect() {
      if (this.stopped) return;
      this.clearTimers();
      if (this.ws) {
        this.ws.onclose = null;
        this.ws.close();
      }
      const url = new URL('ws', this.base);
      url.protocol = this.base.protocol === 'https:' ? 'wss:' : 'ws:';
      let ws;
      try {
        ws = new WebSocket(url, 'dragoman.v1');
      } catch {
        this.lost();
        return;
      }
      this.ws = ws;
      this.timers.open = setTimeout(() => ws.close(), REPLY_MS);
      ws.onopen = () => this.hello();
      ws.onmessage = (ev) => this.receive(ev.data);
      ws.onclose = () => { if (this.ws === ws) this.lost(); };
    }

    async hello() {
      const ws = this.ws;
      clearTimeout(this.timers.open);
      try {
        const data = await this.send('hello', { token: this.token });
        this.user = data.user;
        this.role = data.role;
        this.attempt = 0;
        this.error = null;
        this.setState('online');
        this.emit('hello', data);
        this.ping();
      } catch (e) {
        // The server may already have closed the socket (and lost() planned a
        // retry): a refusal is final all the same.
        if (FINAL.has(e.code)) {
          this.error = e;
          this.stopped = true;
          this.clearTimers();
          this.setState('refused');
          ws.close(1000);
        }
        // Anything else (storage unavailable, a dropped socket) is retried by lost().
        else if (ws === this.ws) ws.close();
      }
    }

    async ping() {
      clearTimeout(this.timers.ping);
      const ws = this.ws;
      const sent = Date.now();
      try {
        const { now } = await this.send('ping');
        this.offset = now - (sent + Date.now()) / 2;
      } catch (e) {
        // No answer within REPLY_MS: the socket is half-open (a phone that
        // changed networks); closing it starts a reconnect.
        if (e.code === 'timeout' && ws === this.ws) ws.close();
        return;
      }
      if (ws === this.ws) this.timers.ping = setTimeout(() => this.ping(), PING_MS);
    }

    lost() {
      this.clearTimers();
      this.ws = null;
      for (const p of this.pending.values()) p.reject(new ClientError('offline', 'the connection was lost'));
      this.pending.clear();
      if (this.stopped) return;
      this.setState('offline');
      // Full jitter: many phones dropped by one server restart do not all come back at once.
      const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt++);
      this.timers.retry = setTimeout(() => this.connect(), BACKOFF_MIN_MS / 2 + Math.random() * cap);
    }

    receive(text) {
      let msg;
      try {
        msg = JSON.parse(text);
      } catch {
        return;
      }
      if ((msg.type === 'result' || msg.type === 'error') && this.pending.has(msg.id)) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.type === 'result') p.resolve(msg.data);
        else p.reject(new ClientError(msg.code, msg.message, msg.field));
        return;
      }
      this.emit(msg.type, msg);
    }

    // Sends one message and resolves with its result's data, or rejects with a
    // ClientError: the server's code, 'offline' or 'timeout'.
    send(type, fields = {}) {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN || (type !== 'hello' && this.state !== 'online')) {
        return Promise.reject(new ClientError('offline', 'not connected'));
      }
      const id = String(++this.seq);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new ClientError('timeout', 'no answer from the server'));
        }, REPLY_MS);
        this.pending.set(id, {
          resolve: (d) => { clearTimeout(timer); resolve(d); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        ws.send(JSON.stringify(Object.assign({ type, id }, fields)));
      });
    }

    // The HTTP API with this token; resolves with the parsed body.
    async api(method, path, body) {
      const opts = { method, headers: { Authorization: `Bearer ${this.token}` } };
      if (body !== undefined) {
        opts.headers['Content-Type'] = 'application/json';
        opts.body = JSON.stringify(body);
      }
      let res;
      try {
        res = await fetch(new URL(path.replace(/^\//, ''), this.base), opts);
      } catch {
        throw new ClientError('offline', 'the server cannot be reached');
      }
      const data = await res.json().catch(() => null);
      if (!res.ok) {
        throw new ClientError((data && data.code) || 'internal', (data && data.message) || `HTTP ${res.status}`,
          data && data.field);
      }
      return data;
    }
  }

  D.Client = Client;
  D.ClientError = ClientError;
})(window.Dragoman = window.Dragoman || {});
