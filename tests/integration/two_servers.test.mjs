// Two dragomand processes sharing one Redis: pushes cross over through Redis
// pub/sub, and with interpreters on both racing for the same offers, Redis
// still never gives an interpreter two jobs or a request two interpreters.
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';

import { T, WAIT_MS, create, offerFor, useEnv, waitFor } from './lib/harness.mjs';
import { Resp } from './lib/resp.mjs';
import { token } from './lib/fixtures.mjs';
import { assertInvariants, readState } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 3 });
const ON_A = ['i-a1', 'i-a2', 'i-a3'];
const ON_B = ['i-a4', 'i-a5', 'i-a6'];

describe('two servers on one Redis', () => {
  let A;
  let B;
  before(async () => {
    A = env.server;
    B = await env.addServer('b');
  }, T(60));
  beforeEach(() => env.fresh(), T(60));

  it('offers, withdrawals and request pushes cross between the servers', T(), async () => {
    const north = await env.clinic('c-north', { server: A });
    const coordB = await env.coordinator({ server: B });
    const a1 = await env.interpreter('i-a1', { server: A });
    const a4 = await env.interpreter('i-a4', { server: B });

    const req = await create(north);
    const [o1, o4] = [await offerFor(a1, req.id), await offerFor(a4, req.id)];
    assert.equal(o4.clinic.id, 'c-north', 'B delivered an offer made on A');

    const won = await a4.ok({ type: 'offer.accept', offer: o4.id });
    assert.equal(won.request.interpreter.id, 'i-a4');
    await a1.next('offer.withdrawn', (m) => m.offer === o1.id && m.reason === 'taken');
    const seen = await north.next('request', (m) => m.request.id === req.id && m.request.state === 'assigned');
    assert.equal(seen.request.interpreter.name, 'Dalil');
    await coordB.next('request', (m) => m.request.id === req.id && m.request.state === 'assigned');
    // Delivered once: the server that made the push ignores its own echo from Redis.
    await north.expectNo('request', 500, (m) => m.request.id === req.id && m.request.state === 'assigned', 'duplicate push');
  });

  it('the pushes of one match reach the other server as one message, and each is delivered', T(), async () => {
    const north = await env.clinic('c-north', { server: A });
    const onB = await Promise.all(ON_B.map((id) => env.interpreter(id, { server: B })));
    const messages = [];
    const sub = await Resp.connect(env.redisProc.port);
    try {
      await sub.subscribe('dm:events', (m) => messages.push(m.split('\n').map((line) => line.split('\t'))));
      const req = await create(north);
      await Promise.all(onB.map((c) => offerFor(c, req.id)));
    } finally {
      sub.close();
    }
    const offers = messages.filter((events) => events.some(([, , msg]) => msg.startsWith('{"type":"offer",')));
    assert.equal(offers.length, 1, 'the three offers went out in one message');
    const targets = offers[0].map(([, target]) => target).filter((t) => t.startsWith('i:'));
    assert.deepEqual(targets.sort(), ON_B.map((id) => `i:${id}`));
  });

  it('many concurrent accepts across both servers: one interpreter per request, one job per interpreter', T(90), async () => {
    const clinics = [await env.clinic('c-north', { server: A }), await env.clinic('c-east', { server: B })];
    const interps = [
      ...await Promise.all(ON_A.map((id) => env.interpreter(id, { server: A }))),
      ...await Promise.all(ON_B.map((id) => env.interpreter(id, { server: B }))),
    ];
    const ids = [...ON_A, ...ON_B];
    const won = []; // {rid, iid}
    const refused = [];
    let running = true;

    // Each interpreter accepts every offer at once and, when it wins, runs the
    // session to its end so it is free for the next one.
    const worker = async (c, iid) => {
      while (running && !c.closeInfo) {
        const m = await c.next('offer', () => true, 300).catch(() => null);
        if (!m) continue;
        const r = await c.send({ type: 'offer.accept', offer: m.offer.id });
        if (r.type === 'error') {
          refused.push(r.code);
          continue;
        }
        won.push({ rid: m.offer.request, iid });
        await c.ok({ type: 'session.start', request: m.offer.request });
        await c.ok({ type: 'session.end', request: m.offer.request });
      }
    };
    const workers = interps.map((c, i) => worker(c, ids[i]));

    // Twelve requests, six from each server, all at once. The workers stop
    // however this ends: left running, they would spin on closed connections.
    const N = 12;
    let rids;
    try {
      const reqs = await Promise.all(Array.from({ length: N }, (_, i) => create(clinics[i % 2], { note: `burst ${i}` })));
      rids = reqs.map((r) => r.id);
      await waitFor(async () => {
        const st = await readState(env.redis);
        return rids.every((rid) => st.requests[rid]?.state === 'ended');
      }, { timeout: 30000 + WAIT_MS, interval: 200, what: 'every request to be taken and ended' });
    } finally {
      running = false;
      await Promise.all(workers);
    }

    assert.equal(won.length, N, `one winning accept per request: ${JSON.stringify(won)}`);
    assert.deepEqual([...new Set(won.map((w) => w.rid))].sort(), [...rids].sort());
    assert.ok(refused.every((code) => code === 'conflict'), `losing accepts are conflicts: ${refused}`);
    const st = await readState(env.redis);
    for (const { rid, iid } of won) {
      assert.equal(st.requests[rid].interpreter, iid, `${rid} was ended by the one who won it`);
      const accepted = Object.values(st.offers).filter((o) => o.request === rid && o.state === 'accepted');
      assert.equal(accepted.length, 1, `${rid} has exactly one accepted offer`);
      assert.equal(accepted[0].interpreter, iid);
    }
    await assertInvariants(env.redis);
  });

  it('a registry change made through one server counts at the next match on the other', T(), async () => {
    const clinic = await env.clinic('c-north', { server: B });
    const f1 = await env.interpreter('i-f1', { server: B });
    // B has matched with its copy of the registry before the change.
    const first = await create(clinic, { language: 'fa', modality: 'video' });
    const o1 = await offerFor(f1, first.id);
    await f1.ok({ type: 'offer.decline', offer: o1.id });
    await clinic.ok({ type: 'request.cancel', request: first.id });

    const entry = { name: 'Farhad', languages: { fa: 'certified' }, gender: 'male', modalities: ['phone'] };
    const put = async (body) => {
      const res = await env.http('PUT', '/api/admin/interpreters/i-f1', { token: token('u-coord'), body, server: A });
      assert.equal(res.status, 200, res.text);
    };
    await put(entry);
    const video = await create(clinic, { language: 'fa', modality: 'video' });
    await f1.expectNo('offer', 500, (m) => m.offer.request === video.id, 'Farhad now does phone only');
    await clinic.ok({ type: 'request.cancel', request: video.id });
    const phone = await create(clinic, { language: 'fa', modality: 'phone' });
    const o2 = await offerFor(f1, phone.id);
    await f1.ok({ type: 'offer.decline', offer: o2.id });
    await clinic.ok({ type: 'request.cancel', request: phone.id });

    // The entry that changed is gone from Redis when B catches up: B reads
    // every entry again (copying the lost ones from the registry) and matches.
    await put({ ...entry, modalities: ['phone', 'video'] });
    await env.redis.cmd('DEL', 'dm:crec');
    const video2 = await create(clinic, { language: 'fa', modality: 'video' });
    await offerFor(f1, video2.id);
    assert.equal(await env.redis.cmd('HGET', `dm:r:${video2.id}`, 'miss'), null, 'the first match found Farhad');
    assert.equal(await env.redis.cmd('HGET', 'dm:crec', 'i-f1'), 'fa:certified\tmale\tphone,video\t\t1');
    await assertInvariants(env.redis);
  });

  it('SIGTERM on one server: its clients get bye and 1001, the other server carries on', T(60), async () => {
    const north = await env.clinic('c-north', { server: A });
    const a1 = await env.interpreter('i-a1', { server: A });
    const onB = await env.interpreter('i-a4', { server: B });
    const eastB = await env.clinic('c-east', { server: B });

    await B.stop();
    const bye = await onB.next('bye');
    assert.equal(typeof bye.reason, 'string');
    await eastB.next('bye');
    assert.equal((await onB.closed).code, 1001);
    assert.equal((await eastB.closed).code, 1001);

    const req = await create(north);
    await offerFor(a1, req.id);
    await B.start();
  });
});
