// An interpreter who accepted but cannot go gives the job back before the
// session: the request searches again, is offered to someone else and never
// to the one who released it.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, create, members, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 1 });

describe('job.release', () => {
  beforeEach(() => env.fresh(), T(60));

  it('assigned, released: back to searching, offered to the next, not to the releaser', T(), async () => {
    const clinic = await env.clinic();
    const coord = await env.coordinator();
    const a1 = await env.interpreter('i-a1');
    const a2 = await env.interpreter('i-a2');
    const req = await create(clinic);
    const o1 = await offerFor(a1, req.id);
    await a1.ok({ type: 'offer.accept', offer: o1.id });
    await clinic.next('request', (m) => m.request.state === 'assigned');

    assert.deepEqual(await a1.ok({ type: 'job.release', request: req.id, reason: 'car broke down' }), {});
    const back = await clinic.next('request', (m) => m.request.id === req.id && m.request.state === 'searching');
    assert.equal(back.request.interpreter, null);
    assert.equal(back.request.accepted_at, 0);
    await coord.next('request', (m) => m.request.id === req.id && m.request.state === 'searching');

    const o2 = await offerFor(a2, req.id);
    await a1.expectNo('offer', 700, (m) => m.offer.request === req.id, 'a1 released it');
    const ih = await env.redis.hgetall('dm:i:i-a1');
    assert.equal(ih.job, undefined);
    assert.ok((await members(env.redis, `dm:r:${req.id}:ex`)).includes('i-a1'));

    const taken = await a2.ok({ type: 'offer.accept', offer: o2.id });
    assert.equal(taken.request.interpreter.id, 'i-a2');
    await a1.fails({ type: 'session.start', request: req.id }, 'forbidden');
    await assertInvariants(env.redis);

    // The releaser is free for other work.
    const other = await create(clinic);
    await offerFor(a1, other.id);
  });

  it('only the assigned interpreter may release, and only before the session starts', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const a2 = await env.interpreter('i-a2', { available: false });
    const req = await create(clinic);
    const o1 = await offerFor(a1, req.id);
    await a1.fails({ type: 'job.release', request: req.id }, 'forbidden');
    await a1.ok({ type: 'offer.accept', offer: o1.id });
    await a2.fails({ type: 'job.release', request: req.id }, 'forbidden');
    await clinic.fails({ type: 'job.release', request: req.id }, 'forbidden');
    await a1.fails({ type: 'job.release', request: 'r999999' }, 'not_found');
    await clinic.ok({ type: 'session.start', request: req.id });
    await a1.fails({ type: 'job.release', request: req.id }, 'conflict');
    const rh = await env.redis.hgetall(`dm:r:${req.id}`);
    assert.equal(rh.state, 'in_session');
    assert.equal(rh.interpreter, 'i-a1');
    await assertInvariants(env.redis);
  });

  it('a released request goes before the requests already waiting', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const req = await create(clinic, { note: 'released' });
    const o1 = await offerFor(a1, req.id);
    await a1.ok({ type: 'offer.accept', offer: o1.id });
    const waiting = await create(clinic, { note: 'waiting' });
    await a1.ok({ type: 'job.release', request: req.id });
    // a1 is free and gets the waiting one (not the one released); the released
    // one is at the head of the queue for whoever comes next.
    await offerFor(a1, waiting.id);
    assert.deepEqual(await members(env.redis, 'dm:q:ar'), [req.id, waiting.id]);
    const a2 = await env.interpreter('i-a2');
    await offerFor(a2, req.id);
  });
});
