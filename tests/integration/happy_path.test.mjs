// The whole life of a request when everything goes right: offered to the K
// best, accepted by one, the others withdrawn, the clinic told who is coming,
// the session run to its end, the interpreter free again for the next waiting
// request, and the clinic's feedback stored.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { NAMES } from './lib/fixtures.mjs';
import { T, create, offerFor, scriptCalls, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 3 });

describe('happy path', () => {
  beforeEach(() => env.fresh(), T(60));

  it('offers to the K best, first accept wins, session runs to the end, feedback is kept', T(), async () => {
    const clinic = await env.clinic('c-north');
    const coord = await env.coordinator();
    const [a1, a2, a3, a4] = await Promise.all(['i-a1', 'i-a2', 'i-a3', 'i-a4'].map((id) => env.interpreter(id)));

    const before = Date.now();
    const req = await create(clinic, { note: 'Ward 3' });
    assert.equal(req.state, 'searching');
    assert.equal(req.clinic.id, 'c-north');
    assert.equal(req.clinic.name, NAMES['c-north']);
    assert.equal(req.interpreter, null);

    // K = 3: the certified a1 and the trained a2 and a3; the volunteer a4 waits.
    const offers = await Promise.all([a1, a2, a3].map((c) => offerFor(c, req.id)));
    for (const o of offers) {
      assert.equal(o.request, req.id);
      assert.equal(o.language, 'ar');
      assert.equal(o.modality, 'video');
      assert.equal(o.duration_min, 30);
      assert.equal(o.note, 'Ward 3');
      assert.equal(o.clinic.id, 'c-north');
      assert.equal(o.clinic.name, NAMES['c-north']);
      assert.ok(o.deadline > before, `deadline ${o.deadline} is in the past`);
    }
    assert.equal(new Set(offers.map((o) => o.id)).size, 3, 'each interpreter gets its own offer');
    await a4.expectNo('offer', 500, () => true, 'fan-out is 3 and a4 ranks fourth');

    // The clinic sees the request being asked around.
    await clinic.next('request', (m) => m.request.id === req.id && m.request.asked === 3);

    const accepted = await a2.ok({ type: 'offer.accept', offer: offers[1].id });
    assert.equal(accepted.request.state, 'assigned');
    assert.deepEqual(accepted.request.interpreter, { id: 'i-a2', name: NAMES['i-a2'] });
    assert.ok(accepted.request.accepted_at >= accepted.request.created_at);

    for (const [c, o] of [[a1, offers[0]], [a3, offers[2]]]) {
      const w = await c.next('offer.withdrawn', (m) => m.offer === o.id);
      assert.deepEqual(w, { type: 'offer.withdrawn', offer: o.id, request: req.id, reason: 'taken' });
    }
    const seen = await clinic.next('request', (m) => m.request.state === 'assigned');
    assert.deepEqual(seen.request.interpreter, { id: 'i-a2', name: 'Bashir' });
    await coord.next('request', (m) => m.request.id === req.id && m.request.state === 'assigned');
    await a2.next('request', (m) => m.request.id === req.id && m.request.state === 'assigned');
    await assertInvariants(env.redis);

    // Nobody else is free for the next request: a1, a3 and a4 step away.
    for (const c of [a1, a3, a4]) await c.ok({ type: 'presence.set', status: 'away' });

    const started = await clinic.ok({ type: 'session.start', request: req.id });
    assert.equal(started.request.state, 'in_session');
    assert.ok(started.request.started_at > 0);
    await a2.next('request', (m) => m.request.state === 'in_session');

    const waiting = await create(clinic, { note: 'next one' });
    await a2.expectNo('offer', 300, () => true, 'a2 is busy in a session');

    const ended = await a2.ok({ type: 'session.end', request: req.id });
    assert.equal(ended.request.state, 'ended');
    assert.ok(ended.request.ended_at >= ended.request.started_at);
    await clinic.next('request', (m) => m.request.id === req.id && m.request.state === 'ended');

    // Free again, a2 is offered the request that waited.
    const next = await offerFor(a2, waiting.id);
    assert.equal(next.note, 'next one');
    const ih = await env.redis.hgetall('dm:i:i-a2');
    assert.equal(ih.job, undefined, 'the ended job is no longer held');
    assert.equal(ih.offer, next.id);

    assert.deepEqual(await clinic.ok({ type: 'session.feedback', request: req.id, rating: 5, comment: 'Clear and kind.' }), {});
    assert.deepEqual(await a2.ok({ type: 'session.feedback', request: req.id, comment: 'Good audio.' }), {});
    const rh = await env.redis.hgetall(`dm:r:${req.id}`);
    assert.equal(rh.rating, '5');
    assert.equal(rh.clinic_comment, 'Clear and kind.');
    assert.equal(rh.interp_note, 'Good audio.');
    await clinic.ok({ type: 'snapshot.get' });
    const snap = await clinic.next('snapshot');
    const mine = snap.requests.find((r) => r.id === req.id);
    assert.equal(mine.state, 'ended', 'a request ended in the last 24 h is in the clinic snapshot');
    assert.equal(mine.rating, 5);
    await assertInvariants(env.redis);
  });

  it('refuses session and feedback steps out of order or by the wrong party', T(), async () => {
    const clinic = await env.clinic('c-north');
    const other = await env.clinic('c-east');
    const a1 = await env.interpreter('i-a1');
    const a2 = await env.interpreter('i-a2');
    const req = await create(clinic);
    const offer = await offerFor(a1, req.id);
    await clinic.fails({ type: 'session.feedback', request: req.id, rating: 4 }, 'conflict');
    await clinic.fails({ type: 'session.start', request: req.id }, 'conflict');
    await a1.ok({ type: 'offer.accept', offer: offer.id });

    await a2.fails({ type: 'session.start', request: req.id }, 'forbidden');
    await other.fails({ type: 'session.start', request: req.id }, 'forbidden');
    await clinic.fails({ type: 'session.end', request: req.id }, 'conflict');
    await a1.ok({ type: 'session.start', request: req.id });
    await clinic.fails({ type: 'session.start', request: req.id }, 'conflict');
    await clinic.ok({ type: 'session.end', request: req.id });
    await a1.fails({ type: 'session.end', request: req.id }, 'conflict');

    await a1.fails({ type: 'session.feedback', request: req.id, rating: 5 }, 'forbidden');
    await other.fails({ type: 'session.feedback', request: req.id, rating: 5 }, 'forbidden');
    await a2.fails({ type: 'session.feedback', request: req.id, comment: 'not mine' }, 'forbidden');
    const bad = await clinic.fails({ type: 'session.feedback', request: req.id, rating: 6 }, 'bad_message');
    assert.equal(bad.field, 'rating');
    const rh = await env.redis.hgetall(`dm:r:${req.id}`);
    assert.equal(rh.rating, undefined, 'no refused feedback was stored');
    assert.equal(rh.state, 'ended');
    await assertInvariants(env.redis);
  });

  // A dispatch waits on Redis twice: create.lua reads the new request's first
  // match along with creating it, and offer.lua claims. Reading it in a
  // candidates.lua call of its own was a third round trip.
  it('offers a new request after two calls to Redis: create, then offer', T(), async () => {
    const clinic = await env.clinic('c-north');
    const a1 = await env.interpreter('i-a1');
    let req;
    const scripts = await scriptCalls(env.redis, async () => {
      req = await create(clinic);
      await offerFor(a1, req.id);
    });
    const created = scripts.findIndex((args) => args[3] === 'c-north');
    assert.ok(created >= 0, 'create.lua ran with the clinic as its first argument');
    const naming = scripts.slice(created + 1).filter((args) => args[3] === req.id);
    assert.equal(naming.length, 1, `after create.lua, one script names ${req.id} (offer.lua): ${JSON.stringify(naming)}`);
    assert.ok(naming[0].length > 3 + 6, 'that one is offer.lua, with the interpreters to claim after its six arguments');
  });

  // The server's clock first completes the report indexes 5 s after start,
  // walking every key of a database whose version mark is missing: a new
  // database has nothing to add, and its first request says so.
  it("a new database's first request marks the report indexes complete", T(), async () => {
    assert.equal(await env.redis.cmd('GET', 'dm:rep:v'), null, 'a new database has no mark');
    await create(await env.clinic('c-north'));
    assert.equal(await env.redis.cmd('GET', 'dm:rep:v'), '2');
    assert.equal(await env.redis.cmd('EXISTS', 'dm:rep:rebuild'), 0, 'no walk through the keys began');
  });

  // A server starts with no copy of the registry (CREC) to rank by. Requests
  // arriving together before the first reading is back must not each read
  // it whole: with 10,000 interpreters that was 20,000 values a request, and
  // Redis fell seconds behind at 1,000 requests/s.
  it('a fresh server reads the registry whole once, however many requests come at once', T(), async () => {
    const clinic = await env.clinic('c-north');
    const interps = await Promise.all(['i-a1', 'i-a2', 'i-a3', 'i-a4'].map((id) => env.interpreter(id)));
    let rids;
    const scripts = await scriptCalls(env.redis, async () => {
      const reqs = await Promise.all(Array.from({ length: 20 }, (_, i) => create(clinic, { note: `together ${i}` })));
      rids = new Set(reqs.map((r) => r.id));
      await Promise.any(interps.map((c) => c.next('offer', (m) => rids.has(m.offer.request))));
    });
    // The whole registry is read by crecs.lua (no ARGV), by create.lua with
    // "" for the version of the caller's copy (its 6th argument, after
    // clinic, key, two times and how many to scan) and by candidates.lua
    // with "" for it (request id, how many, version).
    const whole = scripts.filter((args) => args.length === 3 ||
      (args[3] === 'c-north' && args[8] === '') || (args.length === 6 && rids.has(args[3]) && args[5] === ''));
    assert.equal(scripts.filter((args) => args[3] === 'c-north').length, 20, 'the log holds every create');
    assert.equal(whole.length, 1, `one call reads the registry whole: ${JSON.stringify(whole)}`);
  });

  // The two an accept withdraws offers from become free together, and look
  // for waiting work in one work.lua call: each in a call of its own was a
  // round trip to Redis per withdrawn offer.
  it('interpreters freed by one accept look for waiting work together, and both get it', T(), async () => {
    const clinic = await env.clinic('c-north');
    const [a1, a2, a3] = await Promise.all(['i-a1', 'i-a2', 'i-a3'].map((id) => env.interpreter(id)));
    const first = await create(clinic, { note: 'first' });
    const offers = await Promise.all([a1, a2, a3].map((c) => offerFor(c, first.id)));
    const waiting = await create(clinic, { note: 'waiting' });
    const scripts = await scriptCalls(env.redis, async () => {
      await a1.ok({ type: 'offer.accept', offer: offers[0].id });
      await Promise.all([a2, a3].map((c) => offerFor(c, waiting.id)));
    });
    // work.lua's ARGV is how many per language (20), the heartbeat grace in
    // ms, the fan-out, then the interpreters' ids.
    const work = scripts.filter((args) => args[3] === '20' && args[4] === '60000' && args[5] === '3');
    assert.deepEqual(work.map((args) => args.slice(6).sort()), [['i-a2', 'i-a3']],
      `one work.lua call, for both: ${JSON.stringify(work)}`);
    await assertInvariants(env.redis);
  });

  // Most of the time nobody waits: then an accept's withdrawn interpreters and
  // a session's freed one have nothing to look for, and no work.lua call is made.
  it('interpreters freed while nothing waits make no call to look for work', T(), async () => {
    const clinic = await env.clinic('c-north');
    const [a1, a2, a3] = await Promise.all(['i-a1', 'i-a2', 'i-a3'].map((id) => env.interpreter(id)));
    const req = await create(clinic);
    const offers = await Promise.all([a1, a2, a3].map((c) => offerFor(c, req.id)));
    const scripts = await scriptCalls(env.redis, async () => {
      await a1.ok({ type: 'offer.accept', offer: offers[0].id });
      await Promise.all([a2, a3].map((c) => c.next('offer.withdrawn', (m) => m.request === req.id)));
      await clinic.ok({ type: 'session.start', request: req.id });
      await a1.ok({ type: 'session.end', request: req.id });
      // A ping after the end: its reply comes after the end's own work, if any.
      await a1.ok({ type: 'ping' });
    });
    const work = scripts.filter((args) => args[3] === '20' && args[4] === '60000' && args[5] === '3');
    assert.deepEqual(work, [], 'no work.lua call');
    await assertInvariants(env.redis);
  });
});
