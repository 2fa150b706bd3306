// A call whose peer drops: the others see it reconnecting; a peer that comes
// back within call_grace carries the session on, one that does not (or goes
// silent) leaves, and a started call without its interpreter ends its session.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { T, create, offerFor, sleep, useEnv } from './lib/harness.mjs';

const GRACE_S = 5;
const env = useEnv({ 'call-grace': GRACE_S });

function connected(client, rid) {
  return client.ok({ type: 'call.state', request: rid, media: 'connected', audio: true, video: true });
}

// Sends the page's keepalive (call.state) every second, as a real page does every 10 s.
function keepalive(client, rid) {
  let n = 0;
  const timer = setInterval(() => {
    if (client.ws.readyState === 1) {
      client.ws.send(JSON.stringify({ type: 'call.state', id: `ka-${++n}`, request: rid, media: 'connected', audio: true, video: true }));
    }
  }, 1000);
  return () => clearInterval(timer);
}

describe('dropped calls', () => {
  beforeEach(() => env.fresh(), T(60));

  it('a phone that drops and comes back keeps the session; one that stays away ends it', T(60), async () => {
    const clinic = await env.clinic('c-north');
    const interp = await env.interpreter('i-a1');
    const req = await create(clinic);
    const offer = await offerFor(interp, req.id);
    await interp.ok({ type: 'offer.accept', offer: offer.id });
    const ic = (await interp.ok({ type: 'call.join', request: req.id })).call;
    await clinic.ok({ type: 'call.join', request: req.id });
    await connected(interp, req.id);
    assert.deepEqual(await connected(clinic, req.id), { started: true });
    const stop = keepalive(clinic, req.id);
    try {
      interp.terminate();
      const gone = await clinic.next('call.peer', (m) => m.event === 'state' && m.peer.peer === ic.peer && m.peer.media !== 'connected');
      assert.equal(gone.peer.media, 'reconnecting');

      // Back on a new connection within the grace: a new peer; the old one is dropped later.
      const again = await env.interpreter('i-a1', { available: false });
      const ic2 = (await again.ok({ type: 'call.join', request: req.id })).call;
      await connected(again, req.id);
      const stopInterp = keepalive(again, req.id);
      const replaced = await clinic.next('call.peer', (m) => m.event === 'left' && m.peer.peer === ic.peer);
      assert.equal(replaced.reason, 'rejoined', 'the dropped peer gives way to the same interpreter at once');
      assert.equal(await env.redis.cmd('HGET', `dm:r:${req.id}`, 'state'), 'in_session');

      // Gone for good this time.
      stopInterp();
      again.terminate();
      const lost = await clinic.next('call.peer', (m) => m.event === 'left' && m.peer.peer === ic2.peer, (GRACE_S + 5) * 1000);
      assert.equal(lost.reason, 'dropped');
      assert.deepEqual(await clinic.next('call.ended'), { type: 'call.ended', request: req.id, reason: 'dropped' });
      const ended = await clinic.next('request', (m) => m.request.state === 'ended');
      assert.ok(ended.request.ended_at > ended.request.started_at);
      assert.equal(await env.redis.cmd('HGET', `dm:r:${req.id}`, 'ended_by'), 'call');
    } finally {
      stop();
    }
  });

  it('a peer that stays connected but silent leaves after the grace; a call not started ends nothing', T(60), async () => {
    const clinic = await env.clinic('c-north');
    const interp = await env.interpreter('i-a1');
    const req = await create(clinic);
    const offer = await offerFor(interp, req.id);
    await interp.ok({ type: 'offer.accept', offer: offer.id });
    const ic = (await interp.ok({ type: 'call.join', request: req.id })).call;
    await clinic.ok({ type: 'call.join', request: req.id });
    const stop = keepalive(clinic, req.id);
    try {
      const left = await clinic.next('call.peer', (m) => m.event === 'left', (GRACE_S + 5) * 1000);
      assert.equal(left.peer.peer, ic.peer);
      assert.equal(left.reason, 'dropped');
      await sleep(300);
      assert.equal(await env.redis.cmd('HGET', `dm:r:${req.id}`, 'state'), 'assigned');
      await interp.fails({ type: 'call.state', request: req.id, media: 'connected', audio: true, video: true }, 'conflict');
    } finally {
      stop();
    }
  });
});
