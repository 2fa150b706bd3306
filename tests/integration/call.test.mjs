// Calls (proto/README.md "Calls"): dragomand relays WebRTC signalling between
// the peers of one session's call and nobody else, sets the session's times
// from the call, keeps the chat, lets guests in by one-time links and mints
// TURN credentials per call. Media is not the server's business; the browser
// tests make real calls.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';

import { T, create, offerFor, useEnv } from './lib/harness.mjs';

const TURN_SECRET = 'north-turn-secret';
const env = useEnv({
  'stun-uris': 'stun:127.0.0.1:3478',
  'turn-uris': 'turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp',
  'turn-secret': TURN_SECRET,
  'turn-ttl': 3600,
});

const SDP = 'v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const CANDIDATE = { candidate: 'candidate:842163049 1 udp 1677729535 192.0.2.3 46154 typ srflx raddr 10.0.1.1 rport 46154', sdpMid: '0', sdpMLineIndex: 0 };

// A request of c-north accepted by i-a1.
async function assigned(overrides = {}) {
  const clinic = await env.clinic('c-north');
  const interp = await env.interpreter('i-a1');
  const req = await create(clinic, overrides);
  const offer = await offerFor(interp, req.id);
  await interp.ok({ type: 'offer.accept', offer: offer.id });
  return { clinic, interp, req };
}

async function join(client, rid) {
  return (await client.ok({ type: 'call.join', request: rid })).call;
}

function connected(client, rid, extra = {}) {
  return client.ok({ type: 'call.state', request: rid, media: 'connected', audio: true, video: true, ...extra });
}

describe('calls', () => {
  beforeEach(() => env.fresh(), T(60));

  it('relays signalling between the two peers and times the session by the call', T(), async () => {
    const { clinic, interp, req } = await assigned();
    const ic = await join(interp, req.id);
    assert.match(ic.peer, /^p[0-9a-f]{16}$/);
    assert.equal(ic.media, 'video');
    assert.deepEqual(ic.peers, []);
    assert.equal(ic.grace_s, 60);

    const cc = await join(clinic, req.id);
    assert.equal(cc.peers.length, 1);
    assert.deepEqual(cc.peers[0], { peer: ic.peer, role: 'interpreter', name: 'Amal', media: 'connecting', audio: false, video: false });
    const joined = await interp.next('call.peer', (m) => m.event === 'joined');
    assert.equal(joined.request, req.id);
    assert.deepEqual(joined.peer, { peer: cc.peer, role: 'clinic', name: 'North Hospital', media: 'connecting', audio: false, video: false });

    // The joiner offers; the answer and candidates go back the other way.
    await clinic.ok({ type: 'call.signal', request: req.id, to: ic.peer, kind: 'offer', sdp: SDP });
    const offer = await interp.next('call.signal');
    assert.deepEqual(offer, { type: 'call.signal', request: req.id, from: cc.peer, kind: 'offer', sdp: SDP });
    await interp.ok({ type: 'call.signal', request: req.id, to: cc.peer, kind: 'answer', sdp: SDP });
    assert.equal((await clinic.next('call.signal')).kind, 'answer');
    await interp.ok({ type: 'call.signal', request: req.id, to: cc.peer, kind: 'candidate', candidate: CANDIDATE });
    const cand = await clinic.next('call.signal', (m) => m.kind === 'candidate');
    assert.deepEqual(cand.candidate, CANDIDATE);
    assert.equal(cand.from, ic.peer);
    await interp.ok({ type: 'call.signal', request: req.id, to: cc.peer, kind: 'candidate', candidate: { candidate: '' } });
    assert.deepEqual((await clinic.next('call.signal', (m) => m.kind === 'candidate')).candidate, { candidate: '' });

    // One side connected is not a session yet; both are.
    const before = Date.now();
    assert.deepEqual(await connected(interp, req.id, { video: false, quality: 'good' }), { started: false });
    const st = await clinic.next('call.peer', (m) => m.event === 'state');
    assert.deepEqual(st.peer, { peer: ic.peer, role: 'interpreter', name: 'Amal', media: 'connected', audio: true, video: false, quality: 'good' });
    assert.deepEqual(await connected(clinic, req.id), { started: true });
    const started = await interp.next('request', (m) => m.request.state === 'in_session');
    assert.ok(started.request.started_at >= before - 1000);
    const r = await env.redis.cmd('HGET', `dm:r:${req.id}`, 'started_by');
    assert.equal(r, 'call');

    // Mute is seen by the other side.
    await clinic.ok({ type: 'call.state', request: req.id, media: 'connected', audio: false, video: true });
    const muted = await interp.next('call.peer', (m) => m.event === 'state' && m.peer.peer === cc.peer && !m.peer.audio);
    assert.equal(muted.peer.video, true);

    // The clinic hangs up: the session ends, its interpreter is told the call is over.
    await clinic.ok({ type: 'call.leave', request: req.id, end: true });
    const ended = await interp.next('call.ended');
    assert.deepEqual(ended, { type: 'call.ended', request: req.id, reason: 'hangup' });
    const done = await interp.next('request', (m) => m.request.state === 'ended');
    assert.ok(done.request.ended_at >= done.request.started_at);
    assert.equal(await env.redis.cmd('HGET', `dm:r:${req.id}`, 'ended_by'), 'clinic');
    assert.equal(await env.redis.cmd('EXISTS', `dm:call:${req.id}`), 0);
    await interp.fails({ type: 'call.signal', request: req.id, to: cc.peer, kind: 'offer', sdp: SDP }, 'forbidden');
    await interp.fails({ type: 'call.join', request: req.id }, 'conflict');
  });

  it('refuses signalling from anyone outside the call and malformed signalling, relaying nothing', T(), async () => {
    const { clinic, interp, req } = await assigned();
    const ic = await join(interp, req.id);
    const east = await env.clinic('c-east');
    const coord = await env.coordinator();
    await east.fails({ type: 'call.join', request: req.id }, 'forbidden');
    await coord.fails({ type: 'call.join', request: req.id }, 'forbidden');
    await east.fails({ type: 'call.signal', request: req.id, to: ic.peer, kind: 'offer', sdp: SDP }, 'forbidden');
    await clinic.fails({ type: 'call.signal', request: req.id, to: ic.peer, kind: 'offer', sdp: SDP }, 'forbidden');
    await clinic.fails({ type: 'call.join', request: 'r-none' }, 'not_found');

    const cc = await join(clinic, req.id);
    const bad = [
      [{ kind: 'offer', sdp: 'x'.repeat(20001) }, 'sdp'],
      [{ kind: 'offer', sdp: 'v=0\r\ns=\u00e9\r\n' }, 'sdp'],
      [{ kind: 'offer' }, 'sdp'],
      [{ kind: 'offer', sdp: SDP, candidate: CANDIDATE }, 'candidate'],
      [{ kind: 'candidate', candidate: { candidate: 'not a candidate' } }, 'candidate.candidate'],
      [{ kind: 'candidate', candidate: { candidate: 'candidate:1', sdpMLineIndex: -1 } }, 'candidate.sdpMLineIndex'],
      [{ kind: 'candidate', candidate: { candidate: 'candidate:1', extra: 1 } }, 'candidate.extra'],
      [{ kind: 'candidate', candidate: 'candidate:1' }, 'candidate'],
      [{ kind: 'rollback', sdp: SDP }, 'kind'],
    ];
    for (const [fields, field] of bad) {
      const e = await clinic.send({ type: 'call.signal', request: req.id, to: ic.peer, ...fields });
      assert.equal(e.type, 'error', `${JSON.stringify(fields).slice(0, 80)} was accepted`);
      assert.equal(e.code, 'bad_message');
      assert.equal(e.field, field, `${JSON.stringify(fields).slice(0, 80)}: ${e.message}`);
    }
    await clinic.fails({ type: 'call.signal', request: req.id, to: 'p0000000000000000', kind: 'offer', sdp: SDP }, 'not_found');
    await clinic.fails({ type: 'call.signal', request: req.id, to: cc.peer, kind: 'offer', sdp: SDP }, 'not_found');
    await interp.expectNo('call.signal', 300, () => true, 'every signal above was refused');
  });

  it('lets a guest in once by link, and ends the links with the session', T(), async () => {
    const { clinic, interp, req } = await assigned({ modality: 'phone' });
    await interp.fails({ type: 'call.invite', request: req.id }, 'forbidden');
    const inv = await clinic.ok({ type: 'call.invite', request: req.id });
    assert.match(inv.link, /^\/call\/#g[0-9a-f]{48}$/);
    assert.ok(inv.expires_at > Date.now());
    const link = inv.link.slice('/call/#'.length);

    const bearer = await env.http('GET', `/api/requests/${req.id}`, { token: link });
    assert.equal(bearer.status, 403, 'a link is no bearer token');
    const guest = await env.connect(link, { label: 'guest' });
    assert.equal(guest.user.role, 'guest');
    assert.equal(guest.user.request, req.id);
    assert.match(guest.user.user.id, /^g[0-9a-f]{16}$/);
    assert.deepEqual(guest.snapshot.request, { id: req.id, language: 'ar', modality: 'phone', state: 'assigned' });
    await guest.fails({ type: 'request.create', language: 'ar', modality: 'phone', urgency: 'now', duration_min: 10, idempotency_key: 'g' }, 'forbidden');
    await guest.fails({ type: 'call.invite', request: req.id }, 'forbidden');

    const again = await env.open({ label: 'guest-again' });
    const refused = await again.fails({ type: 'hello', token: link }, 'not_authenticated');
    assert.match(refused.message, /already used/);

    const ic = await join(interp, req.id);
    const gc = await join(guest, req.id);
    assert.equal(gc.media, 'audio');
    assert.deepEqual(gc.peers.map((p) => p.role), ['interpreter']);
    await interp.next('call.peer', (m) => m.event === 'joined' && m.peer.role === 'guest');
    await guest.ok({ type: 'call.signal', request: req.id, to: ic.peer, kind: 'offer', sdp: SDP });
    assert.equal((await interp.next('call.signal')).from, gc.peer);

    // The guest's connection drops; it comes back once with its next token.
    guest.terminate();
    const back = await env.connect(guest.user.resume, { label: 'guest-back' });
    assert.equal(back.user.request, req.id);
    assert.notEqual(back.user.resume, guest.user.resume);
    const twice = await env.open({ label: 'guest-twice' });
    await twice.fails({ type: 'hello', token: guest.user.resume }, 'not_authenticated');
    await join(back, req.id);

    // The session is cancelled: the guest is told and every link dies.
    await clinic.ok({ type: 'request.cancel', request: req.id, reason: 'patient left' });
    assert.equal((await back.next('call.ended')).reason, 'cancelled');
    const late = await env.open({ label: 'guest-late' });
    await late.fails({ type: 'hello', token: back.user.resume }, 'not_authenticated');
  });

  it('keeps the chat for later joiners; on-site jobs get chat and no media', T(), async () => {
    const { clinic, interp, req } = await assigned({ modality: 'onsite', location: '1 Harbour Road, room 214' });
    const ic = await join(interp, req.id);
    assert.equal(ic.media, 'none');
    const text = 'غرفة ٢١٤, second floor';
    const sent = await interp.ok({ type: 'call.chat', request: req.id, text });
    assert.ok(sent.at > 0);
    const cc = await join(clinic, req.id);
    assert.equal(cc.chat.length, 1);
    assert.deepEqual(cc.chat[0], { from: { peer: ic.peer, role: 'interpreter', name: 'Amal' }, text, at: sent.at });
    await clinic.ok({ type: 'call.chat', request: req.id, text: 'thanks' });
    const got = await interp.next('call.chat');
    assert.deepEqual(got, { type: 'call.chat', request: req.id, from: { peer: cc.peer, role: 'clinic', name: 'North Hospital' }, text: 'thanks', at: got.at });
    await clinic.fails({ type: 'call.chat', request: req.id, text: '' }, 'bad_message');
    await clinic.fails({ type: 'call.chat', request: req.id, text: 'x'.repeat(1001) }, 'bad_message');

    await clinic.fails({ type: 'call.signal', request: req.id, to: ic.peer, kind: 'offer', sdp: SDP }, 'conflict');
    await clinic.fails({ type: 'call.invite', request: req.id }, 'conflict');
    assert.deepEqual(await connected(clinic, req.id), { started: false });
    assert.deepEqual(await connected(interp, req.id), { started: false });
    // Leaving a chat-only call ends nothing.
    await clinic.ok({ type: 'call.leave', request: req.id, end: true });
    assert.equal(await env.redis.cmd('HGET', `dm:r:${req.id}`, 'state'), 'assigned');
    assert.equal((await interp.next('call.peer', (m) => m.event === 'left')).reason, 'left');
  });

  it('hands out STUN and TURN servers with credentials coturn accepts for this call', T(), async () => {
    const { interp, req } = await assigned();
    const ic = await join(interp, req.id);
    assert.deepEqual(ic.ice_servers[0], { urls: ['stun:127.0.0.1:3478'] });
    const turn = ic.ice_servers[1];
    assert.deepEqual(turn.urls, ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
    const [expiry, rid] = turn.username.split(':');
    assert.equal(rid, req.id);
    const left = Number(expiry) - Date.now() / 1000;
    assert.ok(left > 3590 && left <= 3601, `credential valid for ${left} s`);
    const want = crypto.createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64');
    assert.equal(turn.credential, want);
  });

  it('a peer that joins again from the same connection replaces its old self', T(), async () => {
    const { clinic, interp, req } = await assigned();
    const first = await join(clinic, req.id);
    await join(interp, req.id);
    const second = await join(clinic, req.id);
    assert.notEqual(second.peer, first.peer);
    const left = await interp.next('call.peer', (m) => m.event === 'left');
    assert.equal(left.peer.peer, first.peer);
    await interp.next('call.peer', (m) => m.event === 'joined' && m.peer.peer === second.peer);
    assert.deepEqual((await env.redis.cmd('SMEMBERS', `dm:call:${req.id}`)).length, 2);
  });
});
