// A clinic that resends a request.create (a retry after a lost reply) with the
// same idempotency_key gets the same request back and never a second one, so
// interpreters are not offered the same job twice.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { newRequest, token } from './lib/fixtures.mjs';
import { T, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 2 });

async function clinicRequests(clinic) {
  return env.redis.cmd('ZRANGE', `dm:cr:${clinic}`, 0, -1);
}

describe('idempotent re-submit', () => {
  beforeEach(() => env.fresh(), T(60));

  it('the same key twice gives the same request and one set of offers', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const a2 = await env.interpreter('i-a2');
    const msg = newRequest({ note: 'first' });
    const r1 = (await clinic.ok(msg)).request;
    await offerFor(a1, r1.id);
    await offerFor(a2, r1.id);

    // The retry even carries different details: the first request stands.
    const r2 = (await clinic.ok({ ...msg, note: 'second', duration_min: 60 })).request;
    assert.equal(r2.id, r1.id);
    assert.equal(r2.note, 'first');
    assert.equal(r2.duration_min, 30);
    await a1.expectNo('offer', 500, () => true, 'no second set of offers');
    await a2.expectNo('offer', 100);
    assert.deepEqual(await clinicRequests('c-north'), [r1.id]);
    assert.equal((await env.redis.hgetall(`dm:r:${r1.id}`)).asked, '2');
    await assertInvariants(env.redis);
  });

  it('concurrent duplicates, over WebSocket and HTTP, still make one request', T(), async () => {
    const clinic = await env.clinic();
    const other = await env.clinic();
    const msg = newRequest();
    const body = { ...msg };
    delete body.type;
    const [w1, w2, h] = await Promise.all([
      clinic.ok(msg), other.ok(msg),
      env.http('POST', '/api/requests', { token: token('c-north'), body }),
    ]);
    assert.equal(w2.request.id, w1.request.id);
    assert.ok(h.status === 200 || h.status === 201, `HTTP status ${h.status}: ${h.text}`);
    assert.equal(h.body.request.id, w1.request.id);
    assert.deepEqual(await clinicRequests('c-north'), [w1.request.id]);
  });

  it('the key belongs to the clinic: another clinic with the same key gets its own request', T(), async () => {
    const north = await env.clinic('c-north');
    const east = await env.clinic('c-east');
    const msg = newRequest();
    const rn = (await north.ok(msg)).request;
    const re = (await east.ok(msg)).request;
    assert.notEqual(rn.id, re.id);
    assert.equal(re.clinic.id, 'c-east');
  });

  it('a key already used by a cancelled request returns that request, not a new one', T(), async () => {
    const clinic = await env.clinic();
    const msg = newRequest();
    const r1 = (await clinic.ok(msg)).request;
    await clinic.ok({ type: 'request.cancel', request: r1.id });
    const r2 = (await clinic.ok(msg)).request;
    assert.equal(r2.id, r1.id);
    assert.equal(r2.state, 'cancelled');
    assert.deepEqual(await clinicRequests('c-north'), [r1.id]);
  });
});
