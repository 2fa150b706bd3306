// Whatever a client sends, it gets one precise error (code, and the field when
// a field is to blame) and nothing changes in Redis. Each case is checked
// against a digest of every request, offer and interpreter taken before it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { newRequest, token } from './lib/fixtures.mjs';
import { SCALE, T, WAIT_MS, create, httpRequest, offerFor, useEnv, waitFor } from './lib/harness.mjs';
import { assertInvariants, readState } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 1 });

// Everything a refused message could have touched; heartbeat times move on
// their own and are left out.
async function digest() {
  const st = await readState(env.redis);
  for (const ih of Object.values(st.interpreters)) delete ih.hb;
  return { seq: await env.redis.cmd('GET', 'dm:seq'), requests: st.requests, offers: st.offers, interpreters: st.interpreters };
}

const long = (n, ch = 'x') => ch.repeat(n);

describe('bad input', () => {
  let clinic;
  let a1;
  let a2;
  let coord;
  let offer; // a1's pending offer
  let req;
  let snapshotBefore;
  let silent; // never says hello

  before(async () => {
    silent = await env.open({ label: 'silent' });
    clinic = await env.clinic();
    coord = await env.coordinator();
    a1 = await env.interpreter('i-a1');
    a2 = await env.interpreter('i-a2', { available: false });
    req = await create(clinic);
    offer = await offerFor(a1, req.id);
    snapshotBefore = await digest();
  }, T());

  after(async () => {
    assert.deepEqual(await digest(), snapshotBefore, 'the refused messages changed something in Redis');
    await assertInvariants(env.redis);
  });

  // Raw frames: [name, text, code, field].
  const raw = [
    ['truncated JSON', '{"type":', 'bad_json'],
    ['a JSON array', '[{"type":"ping"}]', 'bad_json'],
    ['a JSON string', '"ping"', 'bad_json'],
    ['text after the object', '{"type":"ping"} {}', 'bad_json'],
    ['an escaped NUL', JSON.stringify(newRequest({ note: 'a\u0000b' })), 'bad_json'],
    ['no type', '{"id":"q"}', 'bad_message', 'type'],
    ['type not a string', '{"type":7}', 'bad_message', 'type'],
    ['a field given twice', '{"type":"ping","id":"a","id":"b"}', 'bad_message', 'id'],
  ];
  for (const [name, text, code, field] of raw) {
    it(`refuses ${name}: ${code}`, T(), async () => {
      clinic.sendRaw(text);
      const err = await clinic.next('error');
      assert.equal(err.code, code, JSON.stringify(err));
      if (field) assert.equal(err.field, field, JSON.stringify(err));
      assert.equal(typeof err.message, 'string');
      assert.deepEqual(await digest(), snapshotBefore);
    });
  }

  // request.create variants: [name, overrides, field].
  const creates = [
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['duration_min as a string', { duration_min: '30' }, 'duration_min'],
    ['duration_min not an integer', { duration_min: 30.5 }, 'duration_min'],
    ['duration_min below 5', { duration_min: 4 }, 'duration_min'],
    ['duration_min above 480', { duration_min: 481 }, 'duration_min'],
    ['an unknown modality', { modality: 'fax' }, 'modality'],
    ['an unknown urgency', { urgency: 'yesterday' }, 'urgency'],
    ['an upper-case language', { language: 'AR' }, 'language'],
    ['a four-letter language', { language: 'arab' }, 'language'],
    ['a missing language', { language: undefined }, 'language'],
    ['a note of 281 characters', { note: long(281) }, 'note'],
    ['an idempotency_key of 65 characters', { idempotency_key: long(65) }, 'idempotency_key'],
    ['an empty idempotency_key', { idempotency_key: '' }, 'idempotency_key'],
    ['onsite without a location', { modality: 'onsite' }, 'location'],
    ['scheduled without start_at', { urgency: 'scheduled' }, 'start_at'],
    ['a negative start_at', { urgency: 'scheduled', start_at: -1 }, 'start_at'],
    ['gender_need without gender', { gender_need: 'required' }, 'gender_need'],
    ['a specialty with spaces', { specialty: 'mental health' }, 'specialty'],
    ['a location of 201 characters', { modality: 'onsite', location: long(201) }, 'location'],
    ['an id of 65 characters', { id: long(65) }, 'id'],
  ];
  for (const [name, overrides, field] of creates) {
    it(`request.create with ${name}: bad_message naming ${field}`, T(), async () => {
      const msg = newRequest(overrides);
      let err;
      if (msg.id && msg.id.length > 64) {
        // An id too long to echo: the error comes back without one.
        clinic.sendRaw(JSON.stringify(msg));
        err = await clinic.next('error');
        assert.equal(err.id, undefined);
      } else {
        err = await clinic.fails(msg, 'bad_message');
      }
      assert.equal(err.code, 'bad_message');
      assert.equal(err.field, field, JSON.stringify(err));
      assert.deepEqual(await digest(), snapshotBefore);
    });
  }

  it('limits count characters, not bytes: a note of 280 Arabic letters is accepted', T(), async () => {
    const c = await env.clinic('c-east');
    const r = await create(c, { note: long(280, 'ع'), language: 'sw' });
    assert.equal([...r.note].length, 280);
    await c.ok({ type: 'request.cancel', request: r.id });
    // Not part of the digest: start from here.
    snapshotBefore = await digest();
  });

  it('an unknown type: unknown_type, with the id echoed', T(), async () => {
    const err = await clinic.fails({ type: 'request.delete', request: req.id }, 'unknown_type');
    assert.equal(err.field, 'type');
  });

  it('messages before hello: not_authenticated', T(), async () => {
    const c = await env.open();
    await c.fails(newRequest(), 'not_authenticated');
    await c.fails({ type: 'ping' }, 'not_authenticated');
    await c.fails({ type: 'snapshot.get' }, 'not_authenticated');
    await c.fails({ type: 'offer.accept', offer: offer.id }, 'not_authenticated');
    assert.deepEqual(await digest(), snapshotBefore);
  });

  it('a bad token: not_authenticated, and the connection may try again', T(), async () => {
    const c = await env.open();
    await c.fails({ type: 'hello', token: 'tok-nobody' }, 'not_authenticated');
    const spaced = await c.fails({ type: 'hello', token: 'tok with space' }, 'bad_message');
    assert.equal(spaced.field, 'token');
    await c.fails({ type: 'hello', token: long(129) }, 'bad_message');
    await c.fails({ type: 'ping' }, 'not_authenticated');
    const ok = await c.ok({ type: 'hello', token: token('c-east') });
    assert.equal(ok.role, 'clinic');
  });

  // SERVER BUG (reported): a second hello on an authenticated connection is
  // answered "forbidden: a clinic may not send hello" by the role table in
  // src/server/handlers.c (dm_handle_message), so handle_hello's own answer,
  // conflict "already authenticated on this connection", is unreachable. The
  // connection's state, not the role, is what refuses it: conflict.
  it('a second hello on an authenticated connection: conflict', T(), async () => {
    const c = await env.clinic('c-east');
    await c.fails({ type: 'hello', token: token('c-east') }, 'conflict');
  });

  it('a role doing what it may not: forbidden', T(), async () => {
    const err = await a1.fails(newRequest(), 'forbidden');
    assert.match(err.message, /interpreter/);
    await clinic.fails({ type: 'offer.accept', offer: offer.id }, 'forbidden');
    await clinic.fails({ type: 'offer.decline', offer: offer.id }, 'forbidden');
    await clinic.fails({ type: 'presence.set', status: 'available' }, 'forbidden');
    await clinic.fails({ type: 'request.assign', request: req.id, interpreter: 'i-a2', reason: 'x' }, 'forbidden');
    await clinic.fails({ type: 'job.release', request: req.id }, 'forbidden');
    await a1.fails({ type: 'request.assign', request: req.id, interpreter: 'i-a1', reason: 'x' }, 'forbidden');
    await a1.fails({ type: 'request.cancel', request: req.id }, 'forbidden');
    await coord.fails({ type: 'offer.accept', offer: offer.id }, 'forbidden');
    await coord.fails(newRequest(), 'forbidden');
    await coord.fails({ type: 'session.start', request: req.id }, 'forbidden');
    assert.deepEqual(await digest(), snapshotBefore);
  });

  it('unknown ids: not_found', T(), async () => {
    await a1.fails({ type: 'offer.accept', offer: 'o999999' }, 'not_found');
    await a1.fails({ type: 'offer.decline', offer: 'o999999' }, 'not_found');
    await a1.fails({ type: 'job.release', request: 'r999999' }, 'not_found');
    await clinic.fails({ type: 'session.start', request: 'r999999' }, 'not_found');
    await clinic.fails({ type: 'session.end', request: 'r999999' }, 'not_found');
    await clinic.fails({ type: 'session.feedback', request: 'r999999', rating: 3 }, 'not_found');
    await clinic.fails({ type: 'request.cancel', request: 'r999999' }, 'not_found');
    await coord.fails({ type: 'request.assign', request: 'r999999', interpreter: 'i-a2', reason: 'x' }, 'not_found');
    await coord.fails({ type: 'request.assign', request: req.id, interpreter: 'i-nobody', reason: 'x' }, 'not_found');
    const bad = await a1.fails({ type: 'offer.accept', offer: 'O-1' }, 'bad_message');
    assert.equal(bad.field, 'offer');
    assert.deepEqual(await digest(), snapshotBefore);
  });

  it("someone else's offer: forbidden, and it stays pending", T(), async () => {
    await a2.fails({ type: 'offer.accept', offer: offer.id }, 'forbidden');
    await a2.fails({ type: 'offer.decline', offer: offer.id }, 'forbidden');
    assert.equal((await env.redis.hgetall(`dm:o:${offer.id}`)).state, 'pending');
    assert.deepEqual(await digest(), snapshotBefore);
  });

  it('presence.set with an unknown status and ping with a field: bad_message', T(), async () => {
    const e1 = await a1.fails({ type: 'presence.set', status: 'busy' }, 'bad_message');
    assert.equal(e1.field, 'status');
    const e2 = await a1.fails({ type: 'ping', extra: true }, 'bad_message');
    assert.equal(e2.field, 'extra');
    assert.deepEqual(await digest(), snapshotBefore);
  });

  it('a frame larger than max_message closes the connection with 1009; others are unaffected', T(), async () => {
    const c = await env.clinic('c-east');
    c.sendRaw(JSON.stringify(newRequest({ note: long(70 * 1024) })));
    const closed = await c.closed;
    assert.equal(closed.code, 1009);
    assert.ok((await clinic.ok({ type: 'ping' })).now > 0, 'other connections carry on');
    assert.deepEqual(await digest(), snapshotBefore);
  });

  it('a client that stops reading is closed with 1008 once a megabyte waits for it; others are unaffected', T(120), async () => {
    const cut = async () => Number(/^dragoman_connections_cut_total (\d+)$/m.exec((await httpRequest(env.server.base, 'GET', '/metrics')).text)[1]);
    const before = await cut();
    const c = await env.clinic('c-east');
    // It reads nothing more: the kernel's buffers fill, then the server's queue.
    c.ws._socket.pause();
    // Each is answered with an error of about 90 bytes: 9 MB, more than the
    // socket buffers and the megabyte together.
    const N = 100000;
    for (let i = 0; i < N; i++) c.sendRaw('{');
    await waitFor(async () => (await cut()) === before + 1, { timeout: 60000 * SCALE, interval: 200, what: 'the server to give up on it' });
    c.ws._socket.resume();
    assert.deepEqual(await c.closed, { code: 1008, reason: 'not reading: too much output queued' });
    assert.ok(c.inbox.length < N, `the replies after the megabyte were dropped: ${c.inbox.length} came`);
    assert.ok((await clinic.ok({ type: 'ping' })).now > 0, 'other connections carry on');
    assert.deepEqual(await digest(), snapshotBefore);
  });

  it('a connection that never says hello is closed with 1008 within about 10 s', T(40), async () => {
    const closed = await Promise.race([
      silent.closed,
      new Promise((resolve) => setTimeout(() => resolve({ code: 'still open' }), 12000 + WAIT_MS)),
    ]);
    assert.equal(closed.code, 1008);
  });
});
