// Phones lose their connection without a word (tunnels, flat batteries). An
// offer to a vanished phone still expires and moves on, or can be accepted
// after reconnecting before its deadline; an interpreter whose heartbeats stop
// gets no new offers; a job survives its holder's dropped connection.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, WAIT_MS, create, offerFor, useEnv, waitFor } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 1, 'offer-timeout': 5, 'heartbeat-grace': 5 });
const GRACE_WAIT = 5000 + WAIT_MS;

// Resolves once the server's clock has noticed that id stopped sending heartbeats.
function heartbeatLapsed(id) {
  return waitFor(async () => (await env.redis.cmd('ZSCORE', 'dm:hb', id)) === null,
    { timeout: GRACE_WAIT, interval: 200, what: `${id}'s heartbeat to lapse` });
}

describe('a phone that vanishes', () => {
  beforeEach(() => env.fresh(), T(60));

  it('mid-offer: the offer still expires and the next interpreter is offered', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1', { heartbeat: 1000 });
    const a2 = await env.interpreter('i-a2', { heartbeat: 1000 });
    const req = await create(clinic);
    const o1 = await offerFor(a1, req.id);
    a1.terminate();

    await offerFor(a2, req.id, GRACE_WAIT);
    assert.equal((await env.redis.hgetall(`dm:o:${o1.id}`)).state, 'expired');
    const again = await env.interpreter('i-a1', { available: false });
    assert.equal(again.snapshot.offer, null, 'the expired offer is not in the snapshot');
    await again.expectNo('offer', 500, (m) => m.offer.request === req.id);
    await assertInvariants(env.redis);
  });

  it('mid-offer: reconnecting before the deadline, the same offer can be accepted', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1', { heartbeat: 1000 });
    const req = await create(clinic);
    const o1 = await offerFor(a1, req.id);
    a1.terminate();

    const back = await env.interpreter('i-a1', { available: false, heartbeat: 1000 });
    assert.equal(back.snapshot.offer?.id, o1.id, `snapshot after reconnect: ${JSON.stringify(back.snapshot)}`);
    assert.equal(back.snapshot.offer.request, req.id);
    assert.equal(back.snapshot.offer.deadline, o1.deadline);
    const done = await back.ok({ type: 'offer.accept', offer: o1.id });
    assert.equal(done.request.state, 'assigned');
    await clinic.next('request', (m) => m.request.state === 'assigned');
  });

  it('without pings for heartbeat_grace: no new offers; a ping makes the interpreter offerable again', T(), async () => {
    const clinic = await env.clinic();
    const silent = await env.interpreter('i-a1'); // certified: would be asked first
    const a2 = await env.interpreter('i-a2', { heartbeat: 1000 });
    await heartbeatLapsed('i-a1');

    const req = await create(clinic);
    await offerFor(a2, req.id);
    await silent.expectNo('offer', 500, () => true, 'a1 sent no heartbeat within the grace');
    const ih = await env.redis.hgetall('dm:i:i-a1');
    assert.equal(ih.status, 'available', 'presence is kept; only offers stop');

    await silent.ok({ type: 'ping' });
    const next = await create(clinic);
    await offerFor(silent, next.id);
    await assertInvariants(env.redis);
  });

  it('holding a job: dropping the connection keeps the job', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1', { heartbeat: 1000 });
    const req = await create(clinic);
    const o1 = await offerFor(a1, req.id);
    await a1.ok({ type: 'offer.accept', offer: o1.id });
    await clinic.next('request', (m) => m.request.state === 'assigned');
    clinic.drain('request');
    a1.terminate();
    await heartbeatLapsed('i-a1');

    assert.equal((await env.redis.hgetall('dm:i:i-a1')).job, req.id);
    assert.equal((await env.redis.hgetall(`dm:r:${req.id}`)).state, 'assigned');
    await clinic.expectNo('request', 300, (m) => m.request.id === req.id, 'nothing changed for the clinic');

    const back = await env.interpreter('i-a1', { available: false });
    assert.equal(back.snapshot.job?.id, req.id, `snapshot after reconnect: ${JSON.stringify(back.snapshot)}`);
    assert.equal(back.snapshot.job.state, 'assigned');
    const started = await back.ok({ type: 'session.start', request: req.id });
    assert.equal(started.request.state, 'in_session');
    await assertInvariants(env.redis);
  });
});
