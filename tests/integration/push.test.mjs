// Web Push (proto/README.md "Push"): offers reach phones with the app closed,
// through a real push service on loopback that checks the VAPID signature and
// headers and decrypts every message as the browser would (lib/pushservice.mjs).
// Receipts say an offer arrived; one that reaches no device is withdrawn as
// undelivered and the request offered to the next interpreter.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { NAMES } from './lib/fixtures.mjs';
import { PushService } from './lib/pushservice.mjs';
import { T, create, offerFor, sleep, useEnv } from './lib/harness.mjs';

const DELIVERY_S = 2;
const env = useEnv({ 'delivery-timeout': DELIVERY_S });
let ps;

before(async () => {
  ps = await PushService.start();
});
after(() => ps.close());

// An interpreter whose phone is subscribed and whose app is then closed.
async function pocketPhone(id, { keepOpen = false } = {}) {
  const c = await env.interpreter(id);
  const sub = ps.subscribe();
  const r = await c.ok({ type: 'push.subscribe', endpoint: sub.endpoint, keys: sub.keys, label: 'test phone' });
  assert.match(r.device, /^d[0-9a-f]{16}$/);
  if (!keepOpen) await c.close();
  return { client: c, sub, subId: PushService.idOf(sub.endpoint), device: r.device };
}

function pushed(subId, type, pred = () => true, ms) {
  return ps.waitFor((m) => m.id === subId && m.payload.type === type && pred(m.payload), ms);
}

describe('web push', () => {
  beforeEach(async () => {
    ps.clear();
    // Ids start again at r1 and o1 after each fresh start.
    ps.messages.length = 0;
    ps.attempts.length = 0;
    await env.fresh();
  }, T(60));

  it('pushes an offer to a phone with no WebSocket, and its withdrawal after', T(), async () => {
    const key = await env.http('GET', '/api/push/key');
    assert.equal(key.status, 200);
    const phone = await pocketPhone('i-a1');
    const other = await env.interpreter('i-a2');
    const clinic = await env.clinic('c-north');
    const req = await create(clinic, { note: 'Ward 3, bed 4', modality: 'video' });

    const msg = await pushed(phone.subId, 'offer');
    const offer = msg.payload.offer;
    assert.equal(offer.request, req.id);
    assert.deepEqual(Object.keys(offer).sort(), ['clinic', 'deadline', 'id', 'language', 'modality', 'request']);
    assert.deepEqual(offer.clinic, { name: NAMES['c-north'] });
    assert.equal(offer.language, 'ar');
    assert.equal(offer.modality, 'video');
    assert.ok(!JSON.stringify(msg.payload).includes('Ward'), 'no note in a push');
    assert.equal(msg.headers.urgency, 'high');
    assert.equal(msg.headers.topic, offer.id);
    const ttl = Number(msg.headers.ttl);
    assert.ok(ttl > 0 && ttl <= 30, `TTL ${ttl} outlives the offer`);
    assert.equal(msg.vapid.k, key.body.public_key, 'signed with the key the app subscribes with');

    const o2 = await offerFor(other, req.id);
    await other.ok({ type: 'offer.accept', offer: o2.id });
    const gone = await pushed(phone.subId, 'offer.withdrawn');
    assert.deepEqual(gone.payload, { type: 'offer.withdrawn', offer: offer.id, reason: 'taken' });
    assert.equal(gone.headers.topic, offer.id, 'replaces the offer at the push service if still undelivered');
  });

  it('an offer answered on one device leaves the interpreter\'s other phones', T(), async () => {
    const app = await env.interpreter('i-a1');
    const sub = ps.subscribe();
    await app.ok({ type: 'push.subscribe', endpoint: sub.endpoint, keys: sub.keys });
    const subId = PushService.idOf(sub.endpoint);
    const clinic = await env.clinic('c-north');
    const r1 = await create(clinic, { modality: 'phone' });
    const o1 = await offerFor(app, r1.id);
    await pushed(subId, 'offer', (p) => p.offer.id === o1.id);
    await app.ok({ type: 'offer.decline', offer: o1.id, reason: 'driving' });
    assert.equal((await pushed(subId, 'offer.withdrawn', (p) => p.offer === o1.id)).payload.reason, 'declined');
    const r2 = await create(clinic, { modality: 'phone' });
    const o2 = await offerFor(app, r2.id);
    await pushed(subId, 'offer', (p) => p.offer.id === o2.id);
    await app.ok({ type: 'offer.accept', offer: o2.id });
    assert.equal((await pushed(subId, 'offer.withdrawn', (p) => p.offer === o2.id)).payload.reason, 'accepted');
  });

  it('a receipt from the notification keeps the offer; no receipt withdraws it as undelivered', T(), async () => {
    const coord = await env.coordinator();
    const a1 = await pocketPhone('i-a1');
    const clinic = await env.clinic('c-north');
    const req = await create(clinic);
    const offer = (await pushed(a1.subId, 'offer')).payload.offer;
    const shown = await env.http('POST', `/api/offers/${offer.id}/ack`, { token: 'tok-i-a1', body: { event: 'shown', via: 'push' } });
    assert.equal(shown.status, 200, shown.text);
    const receipt = await coord.next('offer.receipt', (m) => m.offer === offer.id);
    assert.equal(receipt.event, 'shown');
    assert.equal(receipt.via, 'push');
    assert.equal(receipt.interpreter, 'i-a1');
    assert.equal(receipt.request, req.id);
    assert.equal(await env.redis.cmd('HGET', `dm:o:${offer.id}`, 'delivered_via'), 'push');
    // The first time of each event is kept, and only a new event is told.
    const shownAt = await env.redis.cmd('HGET', `dm:o:${offer.id}`, 'shown_at');
    const ack = (event, via) => env.http('POST', `/api/offers/${offer.id}/ack`, { token: 'tok-i-a1', body: { event, via } });
    assert.equal((await ack('shown', 'push')).status, 200);
    assert.equal((await ack('seen', 'ws')).status, 200);
    const next = await coord.next('offer.receipt', (m) => m.offer === offer.id);
    assert.equal(next.event, 'seen', 'no second receipt for an event already told');
    const o = await env.redis.hgetall(`dm:o:${offer.id}`);
    assert.equal(o.shown_at, shownAt);
    assert.match(o.seen_at, /^\d{13}$/);
    assert.equal(o.delivered_via, 'push', 'the first delivery is kept');
    await sleep((DELIVERY_S + 1) * 1000);
    assert.equal(await env.redis.cmd('HGET', `dm:o:${offer.id}`, 'state'), 'pending', 'a delivered offer runs to its deadline');
    const wrong = await env.http('POST', `/api/offers/${offer.id}/ack`, { token: 'tok-i-a2', body: { event: 'shown', via: 'push' } });
    assert.equal(wrong.status, 403);
    const bad = await env.http('POST', `/api/offers/${offer.id}/ack`, { token: 'tok-i-a1', body: { event: 'read', via: 'push' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'event');

    // A phone that never says anything: after the delivery timeout the next interpreter is asked.
    await clinic.ok({ type: 'request.cancel', request: req.id });
    const a2 = await pocketPhone('i-a2');
    const a3 = await env.interpreter('i-a3');
    a3.autoAck = false;
    const req2 = await create(clinic);
    const silent = (await pushed(a2.subId, 'offer', (p) => p.offer.request === req2.id)).payload.offer;
    const undelivered = await coord.next('offer.receipt', (m) => m.offer === silent.id, (DELIVERY_S + 3) * 1000);
    assert.equal(undelivered.event, 'undelivered');
    assert.equal(await env.redis.cmd('HGET', `dm:o:${silent.id}`, 'reason'), 'undelivered');
    const w = await pushed(a2.subId, 'offer.withdrawn', (p) => p.offer === silent.id);
    assert.equal(w.payload.reason, 'undelivered');
    // a3's app is open but does not acknowledge either: its offer goes the same way.
    const o3 = await offerFor(a3, req2.id);
    const w3 = await a3.next('offer.withdrawn', (m) => m.offer === o3.id, (DELIVERY_S + 3) * 1000);
    assert.equal(w3.reason, 'undelivered');
  });

  it('forgets a subscription the push service says is gone; retries 429; a hanging one delays no one', T(60), async () => {
    const a1 = await pocketPhone('i-a1');
    ps.respond(410, { id: a1.subId });
    const clinic = await env.clinic('c-north');
    const r1 = await create(clinic);
    await ps.waitForAttempt((a) => a.id === a1.subId && a.status === 410);
    let left = 1;
    for (let i = 0; i < 50 && left; i++) {
      left = await env.redis.cmd('HLEN', 'dm:i:i-a1:push');
      if (left) await sleep(100);
    }
    assert.equal(left, 0, 'the dead subscription is forgotten');
    assert.equal(await env.redis.cmd('HGET', 'dm:i:i-a1', 'pushable'), null);
    await clinic.ok({ type: 'request.cancel', request: r1.id });

    const a2 = await pocketPhone('i-a2');
    ps.respond(429, { times: 1, retryAfter: 1 });
    const r2 = await create(clinic);
    const ok = await pushed(a2.subId, 'offer', (p) => p.offer.request === r2.id, 8000);
    const tries = ps.attempts.filter((a) => a.id === a2.subId && a.payload?.offer?.request === r2.id).map((a) => a.status);
    assert.deepEqual(tries, [429, 201]);
    assert.ok(ok);
    await clinic.ok({ type: 'request.cancel', request: r2.id });

    // a3's push service never answers; a4's offers still arrive at once.
    const a3 = await pocketPhone('i-a3');
    ps.hang(a3.subId);
    const r3 = await create(clinic);
    await ps.waitForAttempt((a) => a.id === a3.subId && a.status === 'hung');
    const a4 = await pocketPhone('i-a4');
    const r4 = await create(clinic, { modality: 'phone' });
    const got = await pushed(a4.subId, 'offer', (p) => p.offer.request === r4.id || p.offer.request === r3.id);
    assert.ok(got, 'a4 was offered while a3 hangs');
    assert.ok(!ps.attempts.some((a) => a.id === a3.subId && a.status !== 'hung'), 'a3 is still hanging');
  });

  it('obeys the settings: off, quiet hours and modalities', T(), async () => {
    const phone = await pocketPhone('i-a1', { keepOpen: true });
    const c = phone.client;
    const clinic = await env.clinic('c-north');

    let s = await c.ok({ type: 'push.settings', enabled: true, modalities: ['phone'] });
    assert.deepEqual(s.push.modalities, ['phone']);
    assert.equal(s.push.devices.length, 1);
    assert.equal(s.push.devices[0].label, 'test phone');
    assert.match(s.push.public_key, /^[A-Za-z0-9_-]{87}$/);
    const video = await create(clinic, { modality: 'video' });
    await offerFor(c, video.id);
    await clinic.ok({ type: 'request.cancel', request: video.id });
    const phoneReq = await create(clinic, { modality: 'phone' });
    await pushed(phone.subId, 'offer', (p) => p.offer.request === phoneReq.id);
    assert.ok(!ps.attempts.some((m) => m.payload?.offer?.request === video.id), `video may not wake this phone: ${JSON.stringify(ps.attempts.map((a) => a.payload))}`);
    await clinic.ok({ type: 'request.cancel', request: phoneReq.id });

    // Quiet all day long but one minute: nothing wakes the phone, the open app still gets offers.
    const now = new Date();
    const hh = (d) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    s = await c.ok({ type: 'push.settings', enabled: true, quiet_from: hh(new Date(now - 60_000)), quiet_to: hh(new Date(+now - 120_000)) });
    assert.ok(s.push.quiet_from);
    const quiet = await create(clinic, { modality: 'phone' });
    await offerFor(c, quiet.id);
    await sleep(300);
    assert.ok(!ps.attempts.some((a) => a.payload?.offer?.request === quiet.id), 'quiet hours');
    await clinic.ok({ type: 'request.cancel', request: quiet.id });

    // Off: no push, and with the app closed nobody can reach them, so no offer at all.
    s = await c.ok({ type: 'push.settings', enabled: false });
    assert.equal(s.push.enabled, false);
    assert.equal(await env.redis.cmd('HGET', 'dm:i:i-a1', 'pushable'), null);
    const snap = await c.ok({ type: 'snapshot.get' });
    assert.deepEqual(snap, {});
    assert.equal((await c.next('snapshot', (m) => m.push)).push.enabled, false);
    await c.fails({ type: 'push.settings', enabled: true, quiet_from: '25:00', quiet_to: '07:00' }, 'bad_message');
    await c.fails({ type: 'push.settings', enabled: true, quiet_from: '22:00' }, 'bad_message');
    const gone = await c.ok({ type: 'push.unsubscribe', device: phone.device });
    assert.deepEqual(gone.push.devices, []);
  });

  it('refuses bad subscriptions and receipts, changing nothing', T(), async () => {
    const c = await env.interpreter('i-a1');
    const sub = ps.subscribe();
    const flipped = sub.keys.p256dh[40] === 'A' ? 'B' : 'A';
    const badKey = { ...sub.keys, p256dh: `${sub.keys.p256dh.slice(0, 40)}${flipped}${sub.keys.p256dh.slice(41)}` };
    await c.fails({ type: 'push.subscribe', endpoint: sub.endpoint, keys: badKey }, 'bad_message');
    await c.fails({ type: 'push.subscribe', endpoint: sub.endpoint, keys: { ...sub.keys, auth: 'short' } }, 'bad_message');
    await c.fails({ type: 'push.subscribe', endpoint: 'ftp://push.example/x', keys: sub.keys }, 'bad_message');
    await c.fails({ type: 'push.subscribe', endpoint: sub.endpoint, keys: sub.keys, expirationTime: null }, 'bad_message');
    assert.equal(await env.redis.cmd('EXISTS', 'dm:i:i-a1:push'), 0);
    const clinic = await env.clinic('c-north');
    await clinic.fails({ type: 'push.subscribe', endpoint: sub.endpoint, keys: sub.keys }, 'forbidden');
    await c.fails({ type: 'offer.ack', offer: 'o999', event: 'received', via: 'ws' }, 'not_found');
  });
});
