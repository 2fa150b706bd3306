// Redis killed with SIGKILL and started again on the same port and folder
// (append-only, fsync always): while it is down the server says so (/healthz
// 503, "unavailable" errors, nothing half done); once it is back the server
// reconnects by itself, the open WebSockets carry on, and everything Redis
// acknowledged before the crash is still there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { newRequest, token } from './lib/fixtures.mjs';
import { T, WAIT_MS, create, offerFor, useEnv, waitFor } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 1, 'offer-timeout': 60 });

function health() {
  return env.http('GET', '/healthz');
}

describe('Redis restart', () => {
  it('down: 503 and unavailable; back: reconnects by itself and nothing acknowledged is lost', T(60), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const r1 = await create(clinic);
    const o1 = await offerFor(a1, r1.id);
    const r2 = await create(clinic, { language: 'sw', note: 'acknowledged just before the crash' });

    await env.redisProc.kill9();
    const down = await waitFor(async () => { const h = await health(); return h.status === 503 && h; },
      { what: '/healthz to report 503' });
    assert.equal(down.body?.redis, 'down', down.text);

    const retry = newRequest({ note: 'refused while down' });
    await clinic.fails(retry, 'unavailable');
    await a1.fails({ type: 'offer.accept', offer: o1.id }, 'unavailable');
    const body = { ...newRequest() };
    delete body.type;
    const viaHttp = await env.http('POST', '/api/requests', { token: token('c-north'), body });
    assert.equal(viaHttp.status, 503, viaHttp.text);
    assert.equal(viaHttp.body?.code, 'unavailable');
    const late = await env.open({ label: 'late' });
    const hello = await late.send({ type: 'hello', token: token('c-east') });
    assert.equal(hello.code, 'unavailable', JSON.stringify(hello));
    const metrics = await env.http('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^dragoman_redis_up 0$/m);

    await env.redisProc.start();
    await waitFor(async () => (await health()).status === 200, { timeout: 5000 + WAIT_MS, what: '/healthz 200 after the restart' });

    // The connections made before the crash still work, in both directions.
    const accepted = await a1.ok({ type: 'offer.accept', offer: o1.id });
    assert.equal(accepted.request.state, 'assigned');
    await clinic.next('request', (m) => m.request.id === r1.id && m.request.state === 'assigned');
    const kept = await env.redis.hgetall(`dm:r:${r2.id}`);
    assert.equal(kept.state, 'searching');
    assert.equal(kept.note, 'acknowledged just before the crash');

    // The refused create was never done: retrying the same key makes it now.
    const made = (await clinic.ok(retry)).request;
    assert.ok(![r1.id, r2.id].includes(made.id));
    assert.equal(made.note, 'refused while down');
    const fresh = await env.clinic('c-east');
    assert.equal(fresh.user.role, 'clinic');
    assert.match((await env.http('GET', '/metrics')).text, /^dragoman_redis_up 1$/m);
    await assertInvariants(env.redis);
  });

  // A restarted Redis has forgotten every script. The server loads them as it
  // reconnects, ahead of any call; a call that still meets NOSCRIPT (SCRIPT
  // FLUSH while the server runs) goes again with the script's text, EVAL.
  it('scripts are loaded before the first call after a restart, and a SCRIPT FLUSH is survived', T(60), async () => {
    await env.fresh();
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    await env.redisProc.kill9();
    await env.redisProc.start();
    await waitFor(async () => (await health()).status === 200, { timeout: 5000 + WAIT_MS, what: '/healthz 200 after the restart' });
    const evals = async () => /^cmdstat_eval:calls=(\d+)/m.exec(await env.redis.cmd('INFO', 'commandstats'))?.[1] ?? '0';

    const req = await create(clinic);
    const offer = await offerFor(a1, req.id);
    await a1.ok({ type: 'offer.accept', offer: offer.id });
    assert.equal(await evals(), '0', 'no call was sent again as EVAL');

    await env.redis.cmd('SCRIPT', 'FLUSH');
    const after = await create(clinic, { note: 'after SCRIPT FLUSH' });
    assert.equal(after.state, 'searching');
    assert.notEqual(await evals(), '0', 'the call after the flush went again as EVAL');
  });

  it('the clock runs again after the restart: offers still expire', T(60), async () => {
    // A second server with the shortest offer timeout on the same Redis.
    const quick = await env.addServer('quick', { settings: { 'offer-timeout': 5 } });
    const clinic = await env.clinic('c-east', { server: quick });
    const f1 = await env.interpreter('i-f1', { server: quick });
    const req = await create(clinic, { language: 'fa' });
    const offer = await offerFor(f1, req.id);
    await env.redisProc.kill9();
    await env.redisProc.start();
    const w = await f1.next('offer.withdrawn', (m) => m.offer === offer.id, 5000 + 2 * WAIT_MS);
    assert.equal(w.reason, 'expired');
  });
});
