// A request that still holds some of its offers but is short of the fan-out
// gets the next interpreter who comes free, even when its own match found
// nobody more: interpreters coming free look at the requests short of offers
// (dm:short:LANG, see short_add in src/store/lua/_prelude.lua).
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, create, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 2 });

describe('short of offers', () => {
  beforeEach(() => env.fresh(), T(60));

  it('a declined offer is made good by the next interpreter to come online', T(), async () => {
    const clinic = await env.clinic();
    const [a1, a2] = await Promise.all(['i-a1', 'i-a2'].map((id) => env.interpreter(id)));
    const req = await create(clinic);
    const o1 = await offerFor(a1, req.id);
    await offerFor(a2, req.id);
    // a2's offer stays out; matching again after the decline finds nobody free.
    await a1.ok({ type: 'offer.decline', offer: o1.id });
    const a3 = await env.interpreter('i-a3');
    await offerFor(a3, req.id);
    await assertInvariants(env.redis);
  });

  // Both interpreters freed by one cancellation read the same two requests
  // short of one offer each; each request must get one of them, not both
  // the older (where one claim fails and the other request waits on).
  it('interpreters freed together fill different short requests', T(), async () => {
    const clinic = await env.clinic();
    const available = (xs) => Promise.all(xs.map((x) => x.ok({ type: 'presence.set', status: 'available' })));
    const ids = ['i-a1', 'i-a2', 'i-a3', 'i-a4'];
    const [x1, x2, y, z] = await Promise.all(ids.map((id) => env.interpreter(id, { available: false })));
    await available([x1, x2]);
    const q = await create(clinic);
    await Promise.all([offerFor(x1, q.id), offerFor(x2, q.id)]);
    await available([y, z]);
    // r1 holds z's offer and r2 y's: each is one short.
    const r1 = await create(clinic);
    const [oy] = await Promise.all([offerFor(y, r1.id), offerFor(z, r1.id)]);
    await y.ok({ type: 'offer.decline', offer: oy.id });
    const r2 = await create(clinic);
    await offerFor(y, r2.id);
    const got = [x1, x2].map((x) => x.next('offer', (m) => m.offer.request !== q.id));
    await clinic.ok({ type: 'request.cancel', request: q.id });
    const requests = (await Promise.all(got)).map((m) => m.offer.request).sort();
    assert.deepEqual(requests, [r1.id, r2.id].sort());
    await assertInvariants(env.redis);
  });
});
