// On-site jobs: the interpreter says when they will arrive, on accepting and
// later; the clinic sees the time. Remote jobs have no arrival time.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, create, offerFor, useEnv } from './lib/harness.mjs';

const env = useEnv();

describe('arrival time', () => {
  beforeEach(() => env.fresh(), T(60));

  it('an on-site accept carries the arrival time, and the interpreter can move it', T(), async () => {
    const clinic = await env.clinic('c-north');
    const a1 = await env.interpreter('i-a1');
    const a2 = await env.interpreter('i-a2');
    const req = await create(clinic, { modality: 'onsite', location: '1 Harbour Road, room 214' });
    const offer = await offerFor(a1, req.id);
    await a1.fails({ type: 'offer.accept', offer: offer.id, eta_min: 0 }, 'bad_message');
    await a1.fails({ type: 'offer.accept', offer: offer.id, eta_min: 601 }, 'bad_message');
    const before = Date.now();
    const accepted = await a1.ok({ type: 'offer.accept', offer: offer.id, eta_min: 20 });
    const eta = accepted.request.eta_at;
    assert.ok(eta >= before + 20 * 60000 - 2000 && eta <= Date.now() + 20 * 60000 + 2000, `eta_at ${eta}`);
    const seen = await clinic.next('request', (m) => m.request.state === 'assigned');
    assert.equal(seen.request.eta_at, eta);

    const later = await a1.ok({ type: 'job.eta', request: req.id, eta_min: 35 });
    assert.ok(later.request.eta_at > eta);
    assert.equal((await clinic.next('request', (m) => m.request.eta_at === later.request.eta_at)).request.id, req.id);
    await a2.fails({ type: 'job.eta', request: req.id, eta_min: 5 }, 'forbidden');
    await clinic.fails({ type: 'job.eta', request: req.id, eta_min: 5 }, 'forbidden');
    await a1.ok({ type: 'session.start', request: req.id });
    await a1.fails({ type: 'job.eta', request: req.id, eta_min: 5 }, 'conflict');
  });

  it('a remote job refuses an arrival time and stays offered', T(), async () => {
    const clinic = await env.clinic('c-north');
    const a1 = await env.interpreter('i-a1');
    const req = await create(clinic, { modality: 'video' });
    const offer = await offerFor(a1, req.id);
    const e = await a1.fails({ type: 'offer.accept', offer: offer.id, eta_min: 10 }, 'conflict');
    assert.match(e.message, /on-site/);
    assert.equal(await env.redis.cmd('HGET', `dm:o:${offer.id}`, 'state'), 'pending');
    const ok = await a1.ok({ type: 'offer.accept', offer: offer.id });
    assert.equal(ok.request.eta_at, 0);
    await a1.fails({ type: 'job.eta', request: req.id, eta_min: 5 }, 'conflict');
  });
});
