// Matching under concurrency: requests matched at the same moment read the
// same least recently assigned interpreters, so a server must not let them
// fight over those; and a request left with no offer while interpreters are
// free (its claims lost to another server, or a reply that never came) is
// found by the clock and matched again.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, create, offerFor, useEnv, waitFor } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 2 });

async function metric(name) {
  const res = await env.http('GET', '/metrics');
  const line = res.text.split('\n').find((l) => l.startsWith(`dragoman_${name} `));
  return Number(line.split(' ')[1]);
}

describe('concurrent matching', () => {
  beforeEach(() => env.fresh(), T(60));

  it('requests created together each get their fan-out of different interpreters at once', T(), async () => {
    const ids = ['i-a1', 'i-a2', 'i-a3', 'i-a4', 'i-a5', 'i-a6'];
    const interps = await Promise.all(ids.map((id) => env.interpreter(id)));
    const clinics = await Promise.all(['c-north', 'c-east', 'c-north'].map((id) => env.clinic(id)));
    const reqs = await Promise.all(clinics.map((c) => create(c)));
    // Every interpreter gets exactly one offer, well before the clock's
    // stall check (every 5 s) could have helped.
    const offers = await Promise.all(interps.map((c) => c.next('offer', () => true, 2000)));
    const byRequest = {};
    for (const m of offers) (byRequest[m.offer.request] ||= []).push(m.offer.id);
    assert.deepEqual(Object.keys(byRequest).sort(), reqs.map((r) => r.id).sort());
    for (const r of reqs) assert.equal(byRequest[r.id].length, 2, `request ${r.id}: ${byRequest[r.id]}`);
    assert.equal(await metric('matches_stalled_total'), 0);
    await assertInvariants(env.redis);
  });

  it('a request with no offer while an interpreter of its language is free is matched by the clock', T(), async () => {
    const clinic = await env.clinic();
    const farhad = await env.interpreter('i-f1', { available: false });
    const req = await create(clinic, { language: 'fa' });
    assert.equal(req.state, 'searching');
    // Farhad becomes free without any of the events that start matching: what
    // a match that lost its claims, or a lost reply, leaves behind.
    const now = Date.now();
    await env.redis.cmd('HSET', 'dm:i:i-f1', 'status', 'available', 'hb', String(now));
    await env.redis.cmd('ZADD', 'dm:hb', String(now), 'i-f1');
    await env.redis.cmd('ZADD', 'dm:free:fa', '0', 'i-f1');
    const offer = await offerFor(farhad, req.id, 12000);
    assert.equal(offer.request, req.id);
    await waitFor(async () => (await metric('matches_stalled_total')) >= 1, { what: 'the stalled match counted' });
    await assertInvariants(env.redis);
  });

  it('a request nobody free can take is not counted as a lost match', T(), async () => {
    const clinic = await env.clinic();
    await env.interpreter('i-r1');
    const farhad = await env.interpreter('i-f1');
    // No free interpreter speaks Ukrainian; Farhad speaks Farsi but is not a woman.
    const uk = await create(clinic, { language: 'uk' });
    const fa = await create(clinic, { language: 'fa', gender: 'female', gender_need: 'required' });
    await new Promise((r) => setTimeout(r, 6000));
    await farhad.expectNo('offer', 100, () => true, 'Farhad does not suit the request');
    assert.equal(await metric('matches_stalled_total'), 0, 'looked at again, but nothing was lost');
    for (const r of [uk, fa]) assert.equal(await env.redis.cmd('HGET', `dm:r:${r.id}`, 'state'), 'searching');
  });
});
