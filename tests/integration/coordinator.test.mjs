// What coordinators do by hand: assign a request nobody took, move an
// assigned job to someone else, follow who is online through presence
// pushes, and correct a session's times with the originals kept.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, WAIT_MS, create, members, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

// A short heartbeat grace so "offline" can be seen; every interpreter here pings.
const env = useEnv({ 'offer-fanout': 1, 'heartbeat-grace': 5 });
const on = (id, opts = {}) => env.interpreter(id, { heartbeat: 1000, ...opts });
const WITHDRAWN = ['taken', 'cancelled', 'expired', 'unfilled', 'reassigned'];

describe('coordinator', () => {
  beforeEach(() => env.fresh(), T(60));

  it('request.assign: a searching request goes to the chosen interpreter; offers are withdrawn', T(), async () => {
    const clinic = await env.clinic();
    const coord = await env.coordinator();
    const a1 = await on('i-a1');
    const f1 = await on('i-f1');
    const req = await create(clinic);
    const offer = await offerFor(a1, req.id);
    // f1 holds an offer for another request, which assigning them withdraws.
    const other = await create(clinic, { language: 'fa' });
    const fOffer = await offerFor(f1, other.id);

    const done = await coord.ok({ type: 'request.assign', request: req.id, interpreter: 'i-f1', reason: 'asked for by the family' });
    assert.equal(done.request.state, 'assigned');
    assert.equal(done.request.interpreter.id, 'i-f1');
    const w1 = await a1.next('offer.withdrawn', (m) => m.offer === offer.id);
    assert.ok(WITHDRAWN.includes(w1.reason), w1.reason);
    const wf = await f1.next('offer.withdrawn', (m) => m.offer === fOffer.id);
    assert.equal(wf.reason, 'reassigned');
    await f1.next('request', (m) => m.request.id === req.id && m.request.state === 'assigned');
    await clinic.next('request', (m) => m.request.id === req.id && m.request.interpreter?.id === 'i-f1');
    const rh = await env.redis.hgetall(`dm:r:${req.id}`);
    assert.equal(rh.assigned_by, 'u-coord');
    assert.equal(rh.assign_reason, 'asked for by the family');
    assert.ok((await members(env.redis, `dm:r:${other.id}:ex`)).includes('i-f1'), 'f1 is not offered the other request again');
    await assertInvariants(env.redis);
  });

  it('request.assign on an assigned job moves it: the previous interpreter gets job.withdrawn and is free', T(), async () => {
    const clinic = await env.clinic();
    const coord = await env.coordinator();
    const a1 = await on('i-a1');
    const a2 = await on('i-a2', { available: false });
    const req = await create(clinic);
    await a1.ok({ type: 'offer.accept', offer: (await offerFor(a1, req.id)).id });

    const done = await coord.ok({ type: 'request.assign', request: req.id, interpreter: 'i-a2', reason: 'a1 is stuck in traffic' });
    assert.equal(done.request.interpreter.id, 'i-a2');
    const gone = await a1.next('job.withdrawn');
    assert.deepEqual(gone, { type: 'job.withdrawn', request: req.id, reason: 'reassigned' });
    assert.equal((await env.redis.hgetall('dm:i:i-a1')).job, undefined);
    assert.equal((await env.redis.hgetall('dm:i:i-a2')).job, req.id);
    await a1.fails({ type: 'session.start', request: req.id }, 'forbidden');
    await a2.ok({ type: 'session.start', request: req.id });

    const next = await create(clinic);
    await offerFor(a1, next.id);
    await assertInvariants(env.redis);
  });

  it('request.assign refusals: busy interpreter, started session, same interpreter, wrong role', T(), async () => {
    const clinic = await env.clinic();
    const coord = await env.coordinator();
    const a1 = await on('i-a1');
    const a2 = await on('i-a2');
    const r1 = await create(clinic);
    await a1.ok({ type: 'offer.accept', offer: (await offerFor(a1, r1.id)).id });
    const r2 = await create(clinic);
    await a2.ok({ type: 'offer.accept', offer: (await offerFor(a2, r2.id)).id });

    await coord.fails({ type: 'request.assign', request: r1.id, interpreter: 'i-a2', reason: 'x' }, 'conflict');
    await coord.fails({ type: 'request.assign', request: r1.id, interpreter: 'i-a1', reason: 'x' }, 'conflict');
    await a2.ok({ type: 'session.start', request: r2.id });
    await coord.fails({ type: 'request.assign', request: r2.id, interpreter: 'i-a3', reason: 'x' }, 'conflict');
    const bad = await coord.fails({ type: 'request.assign', request: r1.id, interpreter: 'i-a3', reason: '' }, 'bad_message');
    assert.equal(bad.field, 'reason');
    await clinic.fails({ type: 'request.assign', request: r1.id, interpreter: 'i-a3', reason: 'x' }, 'forbidden');
    assert.equal((await env.redis.hgetall(`dm:r:${r1.id}`)).interpreter, 'i-a1');
    await assertInvariants(env.redis);
  });

  it('presence pushes: available, away, and offline once heartbeats stop', T(40), async () => {
    const coord = await env.coordinator();
    const a1 = await on('i-a1', { available: false });
    await a1.ok({ type: 'presence.set', status: 'available' });
    const up = await coord.next('presence', (m) => m.interpreter.id === 'i-a1' && m.interpreter.status === 'available');
    assert.equal(up.interpreter.name, 'Amal');
    assert.deepEqual(up.interpreter.languages, ['ar']);
    assert.equal(up.interpreter.busy, false);
    await a1.ok({ type: 'presence.set', status: 'away' });
    await coord.next('presence', (m) => m.interpreter.id === 'i-a1' && m.interpreter.status === 'away');

    const a2 = await on('i-a2');
    await coord.next('presence', (m) => m.interpreter.id === 'i-a2' && m.interpreter.status === 'available');
    a2.terminate();
    const off = await coord.next('presence', (m) => m.interpreter.id === 'i-a2' && m.interpreter.status === 'offline',
      5000 + WAIT_MS);
    assert.deepEqual(off, { type: 'presence', interpreter: { id: 'i-a2', status: 'offline' } });
  });

  it('session.correct: new times, originals and an audit entry kept; only for ended sessions', T(), async () => {
    const clinic = await env.clinic();
    const coord = await env.coordinator();
    const a1 = await on('i-a1');
    const req = await create(clinic);
    await a1.ok({ type: 'offer.accept', offer: (await offerFor(a1, req.id)).id });
    await a1.ok({ type: 'session.start', request: req.id });
    const fix = { type: 'session.correct', request: req.id, started_at: Date.now() - 3600e3, ended_at: Date.now() - 1800e3, reason: 'started by phone' };
    await coord.fails(fix, 'conflict');
    const ended = (await a1.ok({ type: 'session.end', request: req.id })).request;

    await clinic.fails(fix, 'forbidden');
    await coord.fails({ ...fix, ended_at: fix.started_at }, 'bad_message');
    await coord.fails({ ...fix, ended_at: Date.now() + 3600e3 }, 'bad_message');
    const done = await coord.ok(fix);
    assert.equal(done.request.started_at, fix.started_at);
    assert.equal(done.request.ended_at, fix.ended_at);
    assert.equal(done.request.corrected, true);
    await coord.ok({ ...fix, started_at: fix.started_at + 60e3, reason: 'one minute later' });
    const rh = await env.redis.hgetall(`dm:r:${req.id}`);
    assert.equal(Number(rh.orig_started_at), ended.started_at, 'the first original start is kept');
    assert.equal(Number(rh.orig_ended_at), ended.ended_at);
    const audit = (await env.redis.cmd('LRANGE', `dm:r:${req.id}:audit`, 0, -1)).map((s) => JSON.parse(s));
    assert.equal(audit.length, 2);
    assert.equal(audit[0].by, 'u-coord');
    assert.equal(audit[0].reason, 'started by phone');
    assert.equal(audit[1].from.started_at, fix.started_at);
    await coord.fails({ ...fix, request: 'r999999' }, 'not_found');
  });
});
