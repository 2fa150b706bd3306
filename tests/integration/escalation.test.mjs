// Requests nobody takes: after escalate_after (5 s here) coordinators get an
// "escalated" alert, after unfilled_after (10 s) the request is given up as
// unfilled with a reason the clinic sees. All cases run side by side so the
// file waits for the clock once.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { T, WAIT_MS, create, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

// The offer timeout outlives the request, so an unanswered offer is still
// pending when the request is given up.
const env = useEnv({ 'offer-fanout': 1, 'offer-timeout': 60, 'escalate-after': 5, 'unfilled-after': 10 });
const UNFILLED_WAIT = 10000 + WAIT_MS;

describe('escalation and unfilled', () => {
  let clinic;
  let coord;
  let p1;
  let f1;
  let r1;
  let a2;
  const req = {};

  before(async () => {
    clinic = await env.clinic();
    coord = await env.coordinator();
    p1 = await env.interpreter('i-p1'); // ps, male
    f1 = await env.interpreter('i-f1'); // fa
    r1 = await env.interpreter('i-r1'); // fr
    a2 = await env.interpreter('i-a2'); // ar, male; the only ar interpreter online
    req.nobody = await create(clinic, { language: 'sw', note: 'nobody' });
    req.gender = await create(clinic, { language: 'ps', gender: 'female', gender_need: 'required', note: 'gender' });
    req.declined = await create(clinic, { language: 'fa', note: 'declined' });
    req.pending = await create(clinic, { language: 'fr', note: 'pending' });
    req.preferred = await create(clinic, { language: 'ar', gender: 'female', gender_need: 'preferred', note: 'preferred' });
    // f1 declines at once, long before the request is given up.
    const offer = await offerFor(f1, req.declined.id);
    await f1.ok({ type: 'offer.decline', offer: offer.id });
  }, T());

  it('a preferred gender only ranks: the male interpreter is offered at once, and can accept after escalation', T(30), async () => {
    const offer = await offerFor(a2, req.preferred.id);
    const alert = await coord.next('alert', (m) => m.request.id === req.preferred.id, 5000 + WAIT_MS);
    assert.equal(alert.kind, 'escalated');
    assert.equal(alert.request.escalated, true);
    assert.equal(alert.request.state, 'searching');
    const done = await a2.ok({ type: 'offer.accept', offer: offer.id });
    assert.equal(done.request.state, 'assigned');
    assert.equal(done.request.escalated, true);
  });

  it('nobody online: escalated, then unfilled with reason nobody_online', T(40), async () => {
    const esc = await coord.next('alert', (m) => m.request.id === req.nobody.id, 5000 + WAIT_MS);
    assert.equal(esc.kind, 'escalated');
    await coord.next('request', (m) => m.request.id === req.nobody.id && m.request.escalated === true);
    const unf = await coord.next('alert', (m) => m.request.id === req.nobody.id, UNFILLED_WAIT);
    assert.equal(unf.kind, 'unfilled');
    assert.equal(unf.request.state, 'unfilled');
    assert.equal(unf.request.reason, 'nobody_online');
    const seen = await clinic.next('request', (m) => m.request.id === req.nobody.id && m.request.state === 'unfilled');
    assert.equal(seen.request.reason, 'nobody_online');
    await clinic.fails({ type: 'request.cancel', request: req.nobody.id }, 'conflict');
  });

  it('required gender is never relaxed: the male interpreter is never offered it; reason gender_unavailable', T(40), async () => {
    const unf = await coord.next('alert', (m) => m.request.id === req.gender.id && m.kind === 'unfilled', UNFILLED_WAIT);
    assert.equal(unf.request.reason, 'gender_unavailable');
    await p1.expectNo('offer', 100, (m) => m.offer.request === req.gender.id, 'female required, p1 is male');
    const seen = await clinic.next('request', (m) => m.request.id === req.gender.id && m.request.state === 'unfilled');
    assert.equal(seen.request.reason, 'gender_unavailable');
    assert.equal(seen.request.escalated, true);
  });

  it('everyone asked declined: reason all_declined', T(40), async () => {
    const unf = await coord.next('alert', (m) => m.request.id === req.declined.id && m.kind === 'unfilled', UNFILLED_WAIT);
    assert.equal(unf.request.reason, 'all_declined');
    const seen = await clinic.next('request', (m) => m.request.id === req.declined.id && m.request.state === 'unfilled');
    assert.equal(seen.request.reason, 'all_declined');
  });

  it('an offer still open when the request is given up is withdrawn as unfilled', T(40), async () => {
    const offer = await offerFor(r1, req.pending.id);
    const w = await r1.next('offer.withdrawn', (m) => m.offer === offer.id, UNFILLED_WAIT);
    assert.equal(w.reason, 'unfilled');
    await r1.fails({ type: 'offer.accept', offer: offer.id }, 'conflict');
    const rh = await env.redis.hgetall(`dm:r:${req.pending.id}`);
    assert.equal(rh.state, 'unfilled');
    assert.equal((await env.redis.hgetall('dm:i:i-r1')).offer, undefined, 'r1 is free again');
  });

  it('the request accepted after escalation is not given up', T(40), async () => {
    // By now every other request is unfilled: the accepted one's time has passed too.
    await coord.expectNo('alert', 1000, (m) => m.request.id === req.preferred.id && m.kind === 'unfilled');
    assert.equal((await env.redis.hgetall(`dm:r:${req.preferred.id}`)).state, 'assigned');
    await assertInvariants(env.redis);
  });
});
