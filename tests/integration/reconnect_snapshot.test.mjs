// After a reconnect the snapshot alone must rebuild the screen: an
// interpreter's pending offer or current job, a clinic's open requests, a
// coordinator's board; an offer withdrawn meanwhile is simply absent.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, create, offerFor, useEnv } from './lib/harness.mjs';

const env = useEnv({ 'offer-fanout': 2 });

// Closes a client politely and connects again with the same token.
async function reconnect(client, tok, opts) {
  await client.close();
  return env.connect(tok, opts);
}

describe('reconnect snapshot', () => {
  beforeEach(() => env.fresh(), T(60));

  it('an interpreter finds the pending offer, then the job, in the snapshot', T(), async () => {
    const clinic = await env.clinic();
    let a1 = await env.interpreter('i-a1');
    const { type, push, ...body } = a1.snapshot;
    assert.equal(type, 'snapshot');
    assert.deepEqual(body, { status: 'away', offer: null, job: null }, 'a fresh interpreter');
    assert.deepEqual({ ...push, public_key: 'K' }, { public_key: 'K', enabled: true, modalities: [], devices: [] });
    const req = await create(clinic, { note: 'Ward 3' });
    const offer = await offerFor(a1, req.id);

    a1 = await reconnect(a1, 'tok-i-a1');
    assert.equal(a1.snapshot.status, 'available');
    assert.equal(a1.snapshot.job, null);
    assert.equal(a1.snapshot.offer.id, offer.id);
    assert.equal(a1.snapshot.offer.request, req.id);
    assert.equal(a1.snapshot.offer.deadline, offer.deadline);
    assert.equal(a1.snapshot.offer.note, 'Ward 3');
    assert.equal(a1.snapshot.offer.clinic.id, 'c-north');

    await a1.ok({ type: 'offer.accept', offer: offer.id });
    a1 = await reconnect(a1, 'tok-i-a1');
    assert.equal(a1.snapshot.offer, null);
    assert.equal(a1.snapshot.job.id, req.id);
    assert.equal(a1.snapshot.job.state, 'assigned');
    assert.equal(a1.snapshot.job.interpreter.id, 'i-a1');
  });

  it('an offer withdrawn while away is not in the snapshot', T(), async () => {
    const clinic = await env.clinic();
    let a1 = await env.interpreter('i-a1');
    const a2 = await env.interpreter('i-a2');
    const req = await create(clinic);
    await offerFor(a1, req.id);
    const o2 = await offerFor(a2, req.id);
    await a1.close();
    await a2.ok({ type: 'offer.accept', offer: o2.id });
    a1 = await env.connect('tok-i-a1');
    assert.equal(a1.snapshot.offer, null, JSON.stringify(a1.snapshot));
    assert.equal(a1.snapshot.job, null);
    await a1.expectNo('offer.withdrawn', 300, () => true, 'the withdrawal happened while away; the snapshot says it');
  });

  it("a clinic finds its open requests, and only its own", T(), async () => {
    let north = await env.clinic('c-north');
    const east = await env.clinic('c-east');
    const a1 = await env.interpreter('i-a1');
    assert.deepEqual(north.snapshot.requests, []);
    const searching = await create(north, { language: 'fa' });
    const taken = await create(north);
    const theirs = await create(east, { language: 'fa' });
    await a1.ok({ type: 'offer.accept', offer: (await offerFor(a1, taken.id)).id });

    north = await reconnect(north, 'tok-c-north');
    const byId = Object.fromEntries(north.snapshot.requests.map((r) => [r.id, r]));
    assert.deepEqual(Object.keys(byId).sort(), [searching.id, taken.id].sort());
    assert.equal(byId[searching.id].state, 'searching');
    assert.equal(byId[taken.id].state, 'assigned');
    assert.equal(byId[taken.id].interpreter.id, 'i-a1');
    assert.ok(!byId[theirs.id]);
  });

  it('snapshot.get answers {} and pushes a fresh snapshot', T(), async () => {
    const clinic = await env.clinic();
    const req = await create(clinic);
    assert.deepEqual(await clinic.ok({ type: 'snapshot.get' }), {});
    const snap = await clinic.next('snapshot');
    assert.deepEqual(snap.requests.map((r) => r.id), [req.id]);
  });

  it('a coordinator sees open requests and who is online', T(), async () => {
    const clinic = await env.clinic();
    await env.interpreter('i-a1');
    await env.interpreter('i-f1');
    const req = await create(clinic, { language: 'sw' });
    const coord = await env.coordinator();
    assert.ok(coord.snapshot.requests.some((r) => r.id === req.id && r.state === 'searching'));
    const online = Object.fromEntries(coord.snapshot.online.map((o) => [o.id, o]));
    assert.ok(online['i-a1'] && online['i-f1'], JSON.stringify(coord.snapshot.online));
    assert.equal(online['i-a1'].name, 'Amal');
    assert.deepEqual(online['i-a1'].languages, ['ar']);
    assert.equal(online['i-a1'].status, 'available');
    assert.equal(online['i-a1'].busy, false);
  });
});
