// One offer at a time (fan-out 1, the shortest offer timeout of 5 s): a decline
// moves the request to the next interpreter at once, an offer left unanswered
// expires and moves on, and whoever declined or let it expire is never asked
// about that request again.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, WAIT_MS, create, members, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 1, 'offer-timeout': 5 });
// An expiry needs the 5 s timeout plus a tick; a little slack for slow runs.
const EXPIRY_WAIT = 5000 + WAIT_MS;

describe('decline and expiry cascade', () => {
  beforeEach(() => env.fresh(), T(60));

  it('decline goes to the next candidate, expiry to the one after, nobody twice', T(45), async () => {
    const clinic = await env.clinic();
    // Ranking: a1 (certified), then a2 and a3 (trained, by id).
    const [a1, a2, a3] = await Promise.all(['i-a1', 'i-a2', 'i-a3'].map((id) => env.interpreter(id)));
    const req = await create(clinic);

    const o1 = await offerFor(a1, req.id);
    await a2.expectNo('offer', 300, () => true, 'fan-out is 1');
    assert.deepEqual(await a1.ok({ type: 'offer.decline', offer: o1.id, reason: 'driving' }), {});
    await a1.fails({ type: 'offer.decline', offer: o1.id }, 'conflict');
    await a1.fails({ type: 'offer.accept', offer: o1.id }, 'conflict');

    const o2 = await offerFor(a2, req.id);
    assert.notEqual(o2.id, o1.id);
    // a2 says nothing: after the deadline the offer is withdrawn as expired.
    const w = await a2.next('offer.withdrawn', (m) => m.offer === o2.id, EXPIRY_WAIT);
    assert.deepEqual(w, { type: 'offer.withdrawn', offer: o2.id, request: req.id, reason: 'expired' });
    assert.ok(Date.now() >= o2.deadline - 50, 'not withdrawn before its deadline');
    await a2.fails({ type: 'offer.accept', offer: o2.id }, 'conflict');

    const o3 = await offerFor(a3, req.id);
    await a3.ok({ type: 'offer.decline', offer: o3.id });

    // Everyone was asked once: the request waits, nobody is asked again.
    for (const c of [a1, a2, a3]) await c.expectNo('offer', 700, (m) => m.offer.request === req.id, 'asked once already');
    const rh = await env.redis.hgetall(`dm:r:${req.id}`);
    assert.equal(rh.state, 'searching');
    assert.equal(rh.asked, '3');
    assert.deepEqual(await members(env.redis, `dm:r:${req.id}:ex`), ['i-a1', 'i-a2', 'i-a3']);
    const offers = await Promise.all([o1, o2, o3].map((o) => env.redis.hgetall(`dm:o:${o.id}`)));
    assert.deepEqual(offers.map((o) => o.state), ['declined', 'expired', 'declined']);

    // They are free for other work: a new request goes to a1 again.
    const other = await create(clinic);
    await offerFor(a1, other.id);
    await assertInvariants(env.redis);
  });

  it('an interpreter who came online later is offered the request they were not asked about', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const req = await create(clinic);
    const o1 = await offerFor(a1, req.id);
    await a1.ok({ type: 'offer.decline', offer: o1.id });
    const a4 = await env.interpreter('i-a4');
    await offerFor(a4, req.id);
    await a1.expectNo('offer', 500, (m) => m.offer.request === req.id);
    await assertInvariants(env.redis);
  });
});
