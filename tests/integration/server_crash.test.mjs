// dragomand killed with SIGKILL and started again on the same Redis: every
// request keeps its state (Redis is the truth, the process holds nothing), an
// offer whose deadline passed while no server ran is expired by the first
// tick and matching carries on, and the same tokens work on the new process.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { token } from './lib/fixtures.mjs';
import { T, create, offerFor, sleep, useEnv, waitFor } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 1, 'offer-timeout': 5 });

// An offer for rid that reached a freshly connected interpreter either in its
// snapshot (made before it connected) or as a push (made after).
function offerOnArrival(client, rid, timeout) {
  if (client.snapshot.offer?.request === rid) return Promise.resolve(client.snapshot.offer);
  return offerFor(client, rid, timeout);
}

describe('kill -9 of the server', () => {
  beforeEach(() => env.fresh(), T(60));

  it('mid-offer: the request survives, the overdue offer expires after restart, matching resumes', T(45), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    await env.interpreter('i-a2');
    const req = await create(clinic);
    const o1 = await offerFor(a1, req.id);

    await env.server.kill9();
    const closed = await a1.closed;
    assert.notEqual(closed.code, 1000, 'a killed server says no goodbye');
    // The deadline passes while no server runs.
    await sleep(Math.max(0, o1.deadline - Date.now()) + 300);
    await env.server.start();

    await waitFor(async () => (await env.redis.hgetall(`dm:o:${o1.id}`)).state === 'expired',
      { what: `offer ${o1.id} to expire after the restart` });
    const a2 = await env.interpreter('i-a2', { available: false });
    const o2 = await offerOnArrival(a2, req.id);
    assert.notEqual(o2.id, o1.id);
    const back = await env.interpreter('i-a1', { available: false });
    assert.notEqual(back.snapshot.offer?.id, o1.id, 'the expired offer is gone');

    const north = await env.clinic();
    const mine = north.snapshot.requests.find((r) => r.id === req.id);
    assert.equal(mine?.state, 'searching', JSON.stringify(north.snapshot));
    const got = await env.http('GET', `/api/requests/${req.id}`, { token: token('c-north') });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.request.state, 'searching');

    const done = await a2.ok({ type: 'offer.accept', offer: o2.id });
    assert.equal(done.request.state, 'assigned');
    await north.next('request', (m) => m.request.id === req.id && m.request.state === 'assigned');
    await assertInvariants(env.redis);
  });

  it('assigned and in-session requests keep their state and can be finished on the new server', T(45), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const a2 = await env.interpreter('i-a2');
    const r1 = await create(clinic);
    await a1.ok({ type: 'offer.accept', offer: (await offerFor(a1, r1.id)).id });
    const r2 = await create(clinic);
    await a2.ok({ type: 'offer.accept', offer: (await offerFor(a2, r2.id)).id });
    await a2.ok({ type: 'session.start', request: r2.id });
    const r3 = await create(clinic, { language: 'sw' });

    await env.server.kill9();
    await env.server.start();

    const north = await env.clinic();
    const states = Object.fromEntries(north.snapshot.requests.map((r) => [r.id, r.state]));
    assert.deepEqual(states, { [r1.id]: 'assigned', [r2.id]: 'in_session', [r3.id]: 'searching' });
    const b1 = await env.interpreter('i-a1', { available: false });
    assert.equal(b1.snapshot.job?.id, r1.id);
    const b2 = await env.interpreter('i-a2', { available: false });
    assert.equal(b2.snapshot.job?.id, r2.id);
    assert.equal((await b2.ok({ type: 'session.end', request: r2.id })).request.state, 'ended');
    assert.equal((await b1.ok({ type: 'session.start', request: r1.id })).request.state, 'in_session');

    // Ids come from Redis: the new process never hands out an old one.
    const r4 = await create(north);
    assert.ok(![r1.id, r2.id, r3.id].includes(r4.id));
    await assertInvariants(env.redis);
  });

  it('a server killed twice in a row still comes back with the same tokens', T(45), async () => {
    for (let i = 0; i < 2; i++) {
      await env.server.kill9();
      await env.server.start();
    }
    const c = await env.clinic('c-east');
    assert.equal(c.user.role, 'clinic');
    assert.equal(c.user.user.id, 'c-east');
    const i = await env.interpreter('i-f1');
    assert.equal(i.user.role, 'interpreter');
  });
});
