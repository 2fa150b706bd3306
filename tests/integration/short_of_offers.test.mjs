// A request that still holds some of its offers but is short of the fan-out
// gets the next interpreter who comes free, even when its own match found
// nobody more: interpreters coming free look at the requests short of offers
// (dm:short:LANG, see short_add in src/store/lua/_prelude.lua).
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
});
