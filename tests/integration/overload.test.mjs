// Load shedding: when Redis is max_backlog scripts behind, a new request is
// refused at once as "unavailable" (nothing is created; the clinic retries
// with the same idempotency key) instead of queueing behind the others.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { newRequest } from './lib/fixtures.mjs';
import { T, httpRequest, sleep, useEnv, waitFor } from './lib/harness.mjs';

const env = useEnv({ 'max-backlog': 3 });

// Keeps Redis busy in one script for about a second or two (Redis answers
// nothing else meanwhile), so the server's calls pile up.
const BUSY = 'local n = 0 for i = 1, 150000000 do n = n + 1 end return n';

describe('overload', () => {
  beforeEach(() => env.fresh(), T(60));

  it('refuses new requests while Redis is far behind, creating nothing, and takes them again after', T(60), async () => {
    const clinic = await env.clinic('c-north');
    const busy = env.redis.cmd('EVAL', BUSY, '0');
    const msgs = Array.from({ length: 8 }, (_, i) => newRequest({ idempotency_key: `overload-${i}` }));
    const replies = await Promise.all(msgs.map((m) => clinic.send(m, 30000)));
    await busy;
    const refused = replies.filter((r) => r.type === 'error');
    const taken = replies.filter((r) => r.type === 'result');
    assert.ok(refused.length >= 5, `at most 3 waited on Redis: ${replies.map((r) => r.type).join(' ')}`);
    for (const r of refused) {
      assert.equal(r.code, 'unavailable');
      assert.match(r.message, /overloaded/);
    }
    assert.equal(Number(await env.redis.cmd('GET', 'dm:seq') || 0), taken.length, 'the refused created nothing');

    // Redis catches up: the same keys go through, each once (as a client
    // retries, after a moment).
    for (let i = 0; i < msgs.length; i++) {
      if (replies[i].type !== 'error') continue;
      const again = await waitFor(async () => {
        const r = await clinic.send(msgs[i]);
        return r.type === 'result' ? r.data : null;
      }, { interval: 200, what: `${msgs[i].idempotency_key} to be taken once Redis caught up` });
      assert.equal(again.request.state, 'searching');
    }
    assert.equal((await env.redis.cmd('SMEMBERS', 'dm:copen:c-north')).length, msgs.length);
    const metrics = await httpRequest(env.server.base, 'GET', '/metrics');
    const shed = Number(/dragoman_requests_shed_total (\d+)/.exec(metrics.text)[1]);
    assert.ok(shed >= refused.length, `shed ${shed}, refused ${refused.length}`);
  });

  // Stopping frees the Redis connection, whose waiting callbacks then run
  // with no reply after the network side is gone.
  it('a /metrics request still waiting on Redis when the server stops: a clean exit', T(60), async () => {
    const busy = env.redis.cmd('EVAL', BUSY, '0');
    const metrics = httpRequest(env.server.base, 'GET', '/metrics', { timeout: 30000 }).catch((e) => e);
    await sleep(300); // the request reaches the server, which asks Redis and waits
    await env.server.stop();
    await busy;
    await metrics;
    assert.deepEqual(env.server.findings(), []);
  });
});
