// K interpreters accepting the same request at the same moment: exactly one
// wins, every other accept is a conflict, and Redis holds one job. Several
// rounds, because a race that is lost once may be won the next time.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { T, create, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants, readState } from './lib/invariants.mjs';

const IDS = ['i-a1', 'i-a2', 'i-a3', 'i-a4', 'i-a5'];
const env = useEnv({ 'offer-fanout': 5 });

describe('first accept wins', () => {
  let clinic;
  let interps;
  before(async () => {
    clinic = await env.clinic('c-north');
    interps = await Promise.all(IDS.map((id) => env.interpreter(id)));
  }, T());

  for (let round = 1; round <= 5; round++) {
    it(`round ${round}: K simultaneous accepts, one result, K-1 conflicts, one job`, T(), async () => {
      const req = await create(clinic);
      const offers = await Promise.all(interps.map((c) => offerFor(c, req.id)));

      // All accepts leave before any answer is read.
      const replies = await Promise.all(interps.map((c, i) => c.send({ type: 'offer.accept', offer: offers[i].id })));
      const winners = replies.map((r, i) => [r, i]).filter(([r]) => r.type === 'result');
      assert.equal(winners.length, 1, `exactly one accept succeeds: ${JSON.stringify(replies)}`);
      const [[won, w]] = winners;
      for (const [r, i] of replies.map((x, k) => [x, k])) {
        if (i === w) continue;
        assert.equal(r.type, 'error');
        assert.equal(r.code, 'conflict', `${IDS[i]}: ${JSON.stringify(r)}`);
        await interps[i].next('offer.withdrawn', (m) => m.offer === offers[i].id && m.reason === 'taken');
      }
      assert.equal(won.data.request.state, 'assigned');
      assert.equal(won.data.request.interpreter.id, IDS[w]);

      const state = await readState(env.redis);
      const holders = Object.entries(state.interpreters).filter(([, ih]) => ih.job === req.id).map(([id]) => id);
      assert.deepEqual(holders, [IDS[w]], 'one interpreter holds the job');
      const outcome = Object.values(state.offers).filter((o) => o.request === req.id).map((o) => o.state).sort();
      assert.deepEqual(outcome, ['accepted', 'withdrawn', 'withdrawn', 'withdrawn', 'withdrawn']);
      await assertInvariants(env.redis);

      // Accepting again changes nothing.
      await interps[w].fails({ type: 'offer.accept', offer: offers[w].id }, 'conflict');
      // Cancelling frees the winner for the next round.
      await clinic.ok({ type: 'request.cancel', request: req.id });
      await interps[w].next('request', (m) => m.request.id === req.id && m.request.state === 'cancelled');
      await assertInvariants(env.redis);
    });
  }
});
