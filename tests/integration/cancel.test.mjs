// Cancelling at every stage of a request's life: allowed while searching or
// assigned (offers withdrawn, the interpreter freed), a conflict once the
// session has started or ended; only the clinic that made the request, or a
// coordinator, may cancel it.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, create, members, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 2 });

// A request accepted by `interp` (who must be the only one offered it, or the first).
async function assigned(clinic, interp) {
  const req = await create(clinic);
  const offer = await offerFor(interp, req.id);
  await interp.ok({ type: 'offer.accept', offer: offer.id });
  return req;
}

describe('cancel', () => {
  beforeEach(() => env.fresh(), T(60));

  it('while searching: the offers are withdrawn as cancelled', T(), async () => {
    const clinic = await env.clinic();
    const coord = await env.coordinator();
    const a1 = await env.interpreter('i-a1');
    const a2 = await env.interpreter('i-a2');
    const req = await create(clinic);
    const offers = [await offerFor(a1, req.id), await offerFor(a2, req.id)];

    const done = await clinic.ok({ type: 'request.cancel', request: req.id, reason: 'patient discharged' });
    assert.equal(done.request.state, 'cancelled');
    assert.equal(done.request.reason, 'patient discharged');
    for (const [c, o] of [[a1, offers[0]], [a2, offers[1]]]) {
      const w = await c.next('offer.withdrawn', (m) => m.offer === o.id);
      assert.equal(w.reason, 'cancelled');
      assert.equal(w.request, req.id);
      await c.fails({ type: 'offer.accept', offer: o.id }, 'conflict');
    }
    await coord.next('request', (m) => m.request.id === req.id && m.request.state === 'cancelled');
    assert.deepEqual(await members(env.redis, 'dm:q:ar'), [], 'a cancelled request leaves the queue');
    await a1.ok({ type: 'snapshot.get' });
    assert.equal((await a1.next('snapshot')).offer, null);
    await assertInvariants(env.redis);
  });

  it('while assigned: the interpreter loses the job and is free for the next request', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const req = await assigned(clinic, a1);
    assert.equal((await env.redis.hgetall('dm:i:i-a1')).job, req.id);

    const done = await clinic.ok({ type: 'request.cancel', request: req.id });
    assert.equal(done.request.state, 'cancelled');
    const push = await a1.next('request', (m) => m.request.id === req.id && m.request.state === 'cancelled');
    assert.equal(push.request.state, 'cancelled');
    assert.equal((await env.redis.hgetall('dm:i:i-a1')).job, undefined);
    await a1.ok({ type: 'snapshot.get' });
    assert.equal((await a1.next('snapshot')).job, null);
    await a1.fails({ type: 'session.start', request: req.id }, 'conflict');

    const next = await create(clinic);
    await offerFor(a1, next.id);
    await assertInvariants(env.redis);
  });

  it('in session and after the end: conflict, nothing changes', T(), async () => {
    const clinic = await env.clinic();
    const coord = await env.coordinator();
    const a1 = await env.interpreter('i-a1');
    const req = await assigned(clinic, a1);
    await clinic.ok({ type: 'session.start', request: req.id });
    await clinic.fails({ type: 'request.cancel', request: req.id }, 'conflict');
    await coord.fails({ type: 'request.cancel', request: req.id }, 'conflict');
    let rh = await env.redis.hgetall(`dm:r:${req.id}`);
    assert.equal(rh.state, 'in_session');
    assert.equal((await env.redis.hgetall('dm:i:i-a1')).job, req.id);

    await a1.ok({ type: 'session.end', request: req.id });
    await clinic.fails({ type: 'request.cancel', request: req.id }, 'conflict');
    rh = await env.redis.hgetall(`dm:r:${req.id}`);
    assert.equal(rh.state, 'ended');
    await assertInvariants(env.redis);
  });

  it('a cancelled request cannot be cancelled again; unknown ids are not found', T(), async () => {
    const clinic = await env.clinic();
    const req = await create(clinic);
    await clinic.ok({ type: 'request.cancel', request: req.id });
    await clinic.fails({ type: 'request.cancel', request: req.id }, 'conflict');
    await clinic.fails({ type: 'request.cancel', request: 'r999999' }, 'not_found');
  });

  it('another clinic may not cancel it (forbidden); a coordinator may', T(), async () => {
    const north = await env.clinic('c-north');
    const east = await env.clinic('c-east');
    const coord = await env.coordinator();
    const a1 = await env.interpreter('i-a1');
    const req = await create(north);
    const offer = await offerFor(a1, req.id);

    await east.fails({ type: 'request.cancel', request: req.id }, 'forbidden');
    assert.equal((await env.redis.hgetall(`dm:r:${req.id}`)).state, 'searching');
    assert.equal((await env.redis.hgetall(`dm:o:${offer.id}`)).state, 'pending', 'the refused cancel withdrew nothing');

    const done = await coord.ok({ type: 'request.cancel', request: req.id, reason: 'duplicate booking' });
    assert.equal(done.request.state, 'cancelled');
    assert.equal(done.request.reason, 'duplicate booking');
    await north.next('request', (m) => m.request.id === req.id && m.request.state === 'cancelled');
    await a1.next('offer.withdrawn', (m) => m.offer === offer.id && m.reason === 'cancelled');
    await assertInvariants(env.redis);
  });

  it('an interpreter may not cancel (forbidden)', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const req = await assigned(clinic, a1);
    await a1.fails({ type: 'request.cancel', request: req.id }, 'forbidden');
    assert.equal((await env.redis.hgetall(`dm:r:${req.id}`)).state, 'assigned');
  });
});
