// The transport ceiling: the dragoman.v1 messages the load generator sends,
// answered from memory by Node's `ws` with the same frames dragomand pushes
// (result, request, offer, offer.withdrawn), and no Redis and no persistence.
// What dragomand does beyond this costs the difference.
//   node bench/ceiling/ws-server.mjs PORT FANOUT PIDFILE
import { writeFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';

const [port, fanout, pidFile] = [Number(process.argv[2]), Number(process.argv[3] || 3), process.argv[4]];
const LANGS = ['ar', 'uk', 'fa', 'fr'];
const interps = new Map(); // id -> {ws, lang, free, offer}
const clinics = new Map(); // id -> ws
const free = new Map(LANGS.map((l) => [l, []]));
const requests = new Map(); // rid -> request object (the wire shape) plus offers
const offers = new Map(); // oid -> {rid, iid, pending}
let seq = 0;

const send = (ws, obj) => ws && ws.readyState === 1 && ws.send(JSON.stringify(obj));
const result = (ws, id, data) => send(ws, { type: 'result', id, data });
const view = (r) => ({ ...r, offers: undefined });

function newRequest(clinicId, m) {
  return {
    id: `r${++seq}`, clinic: { id: clinicId, name: 'Bench clinic', contact: '+000', address: '1 Bench Road' },
    language: m.language, modality: m.modality, urgency: m.urgency, start_at: 0, duration_min: m.duration_min,
    gender: '', gender_need: 'none', specialty: '', location: '', note: '', state: 'searching',
    created_at: Date.now(), offer_from: 0, asked: 0, escalated: false, corrected: false, interpreter: null,
    accepted_at: 0, started_at: 0, ended_at: 0, reason: '', offers: new Set(),
  };
}

function pushRequest(r) {
  send(clinics.get(r.clinic.id), { type: 'request', request: view(r) });
}

function offerTo(r, n) {
  const list = free.get(r.language) || [];
  for (let made = 0; made < n && list.length; made++) {
    const iid = list.shift();
    const it = interps.get(iid);
    const oid = `o${++seq}`;
    it.free = false;
    it.offer = oid;
    offers.set(oid, { rid: r.id, iid, pending: true });
    r.offers.add(oid);
    r.asked++;
    send(it.ws, { type: 'offer', offer: { id: oid, request: r.id, language: r.language, modality: r.modality,
      urgency: r.urgency, start_at: 0, duration_min: r.duration_min, clinic: r.clinic, location: '', note: '',
      deadline: Date.now() + 45000 } });
  }
  pushRequest(r);
}

function setFree(iid) {
  const it = interps.get(iid);
  if (!it || it.free) return;
  it.free = true;
  it.offer = null;
  free.get(it.lang).push(iid);
}

const handlers = {
  hello(ws, m) {
    const [kind, k] = m.token.split('-');
    ws.user = kind === 'lgi' ? `lg-i-${k}` : `lg-c-${k}`;
    ws.role = kind === 'lgi' ? 'interpreter' : 'clinic';
    if (ws.role === 'clinic') clinics.set(ws.user, ws);
    else interps.set(ws.user, { ws, lang: LANGS[Number(k) % LANGS.length], free: false, offer: null });
    result(ws, m.id, { role: ws.role, user: { id: ws.user, name: ws.user } });
    send(ws, { type: 'snapshot', ...(ws.role === 'clinic' ? { requests: [] } : { status: 'away', offer: null, job: null }) });
  },
  'presence.set'(ws, m) {
    setFree(ws.user);
    result(ws, m.id, { status: m.status });
  },
  ping(ws, m) { result(ws, m.id, { now: Date.now() }); },
  'request.create'(ws, m) {
    const r = newRequest(ws.user, m);
    requests.set(r.id, r);
    result(ws, m.id, { request: view(r) });
    pushRequest(r);
    offerTo(r, fanout);
  },
  'offer.accept'(ws, m) {
    const o = offers.get(m.offer);
    const r = o && requests.get(o.rid);
    if (!o || !o.pending || r.state !== 'searching') return send(ws, { type: 'error', id: m.id, code: 'conflict' });
    o.pending = false;
    r.offers.delete(m.offer);
    Object.assign(r, { state: 'assigned', interpreter: { id: ws.user, name: ws.user }, accepted_at: Date.now() });
    interps.get(ws.user).offer = null;
    result(ws, m.id, { request: view(r) });
    pushRequest(r);
    for (const oid of r.offers) {
      const other = offers.get(oid);
      other.pending = false;
      send(interps.get(other.iid).ws, { type: 'offer.withdrawn', offer: oid, request: r.id, reason: 'taken' });
      setFree(other.iid);
    }
    r.offers.clear();
  },
  'offer.decline'(ws, m) {
    const o = offers.get(m.offer);
    result(ws, m.id, {});
    if (!o || !o.pending) return;
    o.pending = false;
    const r = requests.get(o.rid);
    r.offers.delete(m.offer);
    setFree(ws.user);
    offerTo(r, 1);
  },
  'session.start'(ws, m) {
    const r = requests.get(m.request);
    r.state = 'in_session';
    r.started_at = Date.now();
    result(ws, m.id, { request: view(r) });
    pushRequest(r);
  },
  'session.end'(ws, m) {
    const r = requests.get(m.request);
    r.state = 'ended';
    r.ended_at = Date.now();
    result(ws, m.id, { request: view(r) });
    pushRequest(r);
    requests.delete(r.id);
    setFree(ws.user);
  },
};

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 65536,
  handleProtocols: (protocols) => (protocols.has('dragoman.v1') ? 'dragoman.v1' : false) });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    const h = handlers[m.type];
    if (h) h(ws, m);
  });
  ws.on('close', () => {
    const it = interps.get(ws.user);
    if (it && it.ws === ws) {
      const list = free.get(it.lang);
      const at = list.indexOf(ws.user);
      if (at >= 0) list.splice(at, 1);
      interps.delete(ws.user);
    }
  });
});
wss.on('listening', () => {
  if (pidFile) writeFileSync(pidFile, String(process.pid));
  console.log(`ws ceiling listening on 127.0.0.1:${wss.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
