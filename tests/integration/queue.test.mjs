// Requests nobody can take yet wait in their language's queue; an interpreter
// becoming available is offered the head of the queue: urgent ("now") before
// scheduled, oldest first.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, create, members, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

// A scheduled request is held until scheduled_lead before its start; 60 s
// here, so one due within the minute is queued at once and one 65 s ahead is
// released by the clock 5 s after it is made.
const env = useEnv({ 'offer-fanout': 1, 'scheduled-lead': 60 });
const soon = () => Date.now() + 30 * 1000;

describe('waiting queue', () => {
  beforeEach(() => env.fresh(), T(60));

  it('a request with nobody available waits, and the first interpreter to come is offered it', T(), async () => {
    const clinic = await env.clinic();
    const away = await env.interpreter('i-a1', { available: false });
    const req = await create(clinic);
    assert.equal(req.state, 'searching');
    await away.expectNo('offer', 500, () => true, 'a1 is away');
    assert.deepEqual(await members(env.redis, 'dm:q:ar'), [req.id]);

    const a2 = await env.interpreter('i-a2');
    const offer = await offerFor(a2, req.id);
    assert.equal(offer.request, req.id);
    await a2.ok({ type: 'offer.accept', offer: offer.id });
    assert.deepEqual(await members(env.redis, 'dm:q:ar'), [], 'an assigned request leaves the queue');
    await assertInvariants(env.redis);
  });

  it('urgent before scheduled, then oldest first', T(), async () => {
    const clinic = await env.clinic();
    const scheduled = await create(clinic, { urgency: 'scheduled', start_at: soon(), note: 'scheduled' });
    const first = await create(clinic, { note: 'first now' });
    const second = await create(clinic, { note: 'second now' });
    assert.deepEqual(await members(env.redis, 'dm:q:ar'), [first.id, second.id, scheduled.id]);

    // One interpreter works down the queue by declining: each decline brings the next.
    const a1 = await env.interpreter('i-a1');
    const o1 = await a1.next('offer');
    assert.equal(o1.offer.request, first.id, 'the oldest urgent request comes first');
    await a1.ok({ type: 'offer.decline', offer: o1.offer.id });
    const o2 = await a1.next('offer');
    assert.equal(o2.offer.request, second.id, 'then the next urgent one');
    await a1.ok({ type: 'offer.decline', offer: o2.offer.id });
    const o3 = await a1.next('offer');
    assert.equal(o3.offer.request, scheduled.id, 'the scheduled one last');
    assert.equal(o3.offer.urgency, 'scheduled');
    assert.ok(o3.offer.start_at > Date.now());
    await assertInvariants(env.redis);
  });

  it('interpreters arriving one by one take the waiting requests in order, one offer each', T(), async () => {
    const clinic = await env.clinic();
    const reqs = [];
    for (let i = 0; i < 3; i++) reqs.push(await create(clinic, { note: `n${i}` }));
    const got = [];
    for (const id of ['i-a4', 'i-a5', 'i-a6']) {
      const c = await env.interpreter(id);
      got.push((await c.next('offer')).offer.request);
      await c.expectNo('offer', 200);
    }
    assert.deepEqual(got, reqs.map((r) => r.id), 'each newcomer gets the oldest request that has room for an offer');
    await assertInvariants(env.redis);
  });

  // SERVER BUG (reported): the request is held in dm:sched by create.lua, but
  // on_created (src/server/handlers_request.c) calls dm_match_request at once,
  // and neither candidates.lua nor offer.lua looks at offer_from, so the held
  // request is offered immediately anyway.
  it('a scheduled request far ahead is held, then offered scheduled_lead before its start', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const start = Date.now() + 65 * 1000;
    const req = await create(clinic, { urgency: 'scheduled', start_at: start });
    assert.equal(req.state, 'searching');
    assert.ok(req.offer_from >= start - 60 * 1000 - 1000 && req.offer_from <= start - 60 * 1000 + 1000,
      `offer_from ${req.offer_from} is about start - 60 s`);
    await a1.expectNo('offer', 1000, () => true, 'held until offer_from');
    assert.deepEqual(await members(env.redis, 'dm:q:ar'), []);
    const offer = await offerFor(a1, req.id, 5000 + 5000);
    assert.ok(Date.now() >= req.offer_from - 50, 'not offered before offer_from');
    assert.equal(offer.start_at, start);
  });

  it('an interpreter of another language is not offered the waiting request', T(), async () => {
    const clinic = await env.clinic();
    const req = await create(clinic, { language: 'ar' });
    const f1 = await env.interpreter('i-f1');
    await f1.expectNo('offer', 500, () => true, 'f1 speaks fa only');
    const fa = await create(clinic, { language: 'fa' });
    await offerFor(f1, fa.id);
    assert.deepEqual(await members(env.redis, 'dm:q:ar'), [req.id]);
  });
});
