// The HTTP side: health and metrics for monitoring, the request API for
// systems that cannot hold a WebSocket (bearer token instead of hello), and
// the coordinators' admin API, whose registry changes take effect at once.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { newRequest, token } from './lib/fixtures.mjs';
import { T, create, offerFor, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const env = useEnv({ 'offer-fanout': 1 });
const CLINIC = token('c-north');
const COORD = token('u-coord');

// A request.create body for the HTTP API (no type, no id).
function body(overrides) {
  const { type, ...rest } = newRequest(overrides);
  return rest;
}

// Asserts an HTTP error: status and the WebSocket error body without type/id.
function assertError(res, status, code, field) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.equal(res.body?.code, code, res.text);
  assert.equal(typeof res.body.message, 'string');
  assert.equal(res.body.type, undefined);
  if (field) assert.equal(res.body.field, field, res.text);
}

describe('HTTP API', () => {
  beforeEach(() => env.fresh(), T(60));

  it('GET /healthz: 200 with Redis up', T(), async () => {
    const res = await env.http('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /application\/json/);
    assert.deepEqual(res.body, { status: 'ok', redis: 'up' });
  });

  it('GET /metrics: Prometheus text with the dispatch metrics', T(), async () => {
    const clinic = await env.clinic();
    await create(clinic, { language: 'sw' });
    const res = await env.http('GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/plain/);
    const names = ['dragoman_connections', 'dragoman_requests', 'dragoman_requests_created_total',
      'dragoman_requests_cancelled_total', 'dragoman_requests_unfilled_total', 'dragoman_requests_escalated_total',
      'dragoman_offers_total', 'dragoman_sessions_started_total', 'dragoman_sessions_ended_total',
      'dragoman_errors_total', 'dragoman_time_to_accept_seconds', 'dragoman_dispatch_seconds',
      'dragoman_redis_round_trip_seconds', 'dragoman_redis_up'];
    for (const n of names) assert.match(res.text, new RegExp(`^# TYPE ${n} (counter|gauge|histogram)$`, 'm'), `${n} is exported`);
    // Every sample line is NAME{labels} VALUE.
    for (const line of res.text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      assert.match(line, /^[a-z_:][a-z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+Inf-]+$/i, line);
    }
    assert.match(res.text, /^dragoman_requests_created_total 1$/m);
    assert.match(res.text, /^dragoman_requests\{state="searching"\} 1$/m);
    assert.match(res.text, /^dragoman_connections\{role="clinic"\} 1$/m);
    assert.match(res.text, /^dragoman_redis_up 1$/m);
    assert.match(res.text, /^dragoman_dispatch_seconds_count 0$/m, 'a request nobody was offered is no dispatch');
  });

  // What the server adds to a dispatch, as an operator sees it: a new
  // request's time from its create read off the network to its first offers
  // handed back for sending, once per request however it came in.
  it('GET /metrics: dispatch_seconds counts each new request\'s first offers once, from WebSocket and HTTP', T(),
    async () => {
      const clinic = await env.clinic();
      const a1 = await env.interpreter('i-a1');
      const f1 = await env.interpreter('i-f1');
      const dispatch = async () => {
        const text = (await env.http('GET', '/metrics')).text;
        const get = (re) => Number(text.match(re)?.[1]);
        return { count: get(/^dragoman_dispatch_seconds_count (\S+)$/m), sum: get(/^dragoman_dispatch_seconds_sum (\S+)$/m),
          inf: get(/^dragoman_dispatch_seconds_bucket\{le="\+Inf"\} (\S+)$/m) };
      };
      const ws = await create(clinic);
      await offerFor(a1, ws.id);
      let d = await dispatch();
      assert.equal(d.count, 1);
      assert.equal(d.inf, 1);
      assert.ok(d.sum > 0 && d.sum < 60, `sum ${d.sum} s`);
      const res = await env.http('POST', '/api/requests', { token: CLINIC, body: body({ language: 'fa' }) });
      assert.equal(res.status, 200, res.text);
      await offerFor(f1, res.body.request.id);
      d = await dispatch();
      assert.equal(d.count, 2, 'the HTTP create counts too');
    });

  it('POST /api/requests: creates (200), offers over WebSocket, idempotent', T(), async () => {
    const clinicWs = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const b = body({ note: 'via HTTP' });
    const res = await env.http('POST', '/api/requests', { token: CLINIC, body: b });
    assert.equal(res.status, 200, res.text);
    const req = res.body.request;
    assert.equal(req.state, 'searching');
    assert.equal(req.clinic.id, 'c-north');
    assert.equal(req.note, 'via HTTP');
    await offerFor(a1, req.id);
    await clinicWs.next('request', (m) => m.request.id === req.id);

    const again = await env.http('POST', '/api/requests', { token: CLINIC, body: b });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.request.id, req.id);
    await a1.expectNo('offer', 300);
  });

  it('GET /api/requests/ID: the clinic its own, a coordinator all, others not found', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const req = await create(clinic);
    let res = await env.http('GET', `/api/requests/${req.id}`, { token: CLINIC });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.request.id, req.id);
    res = await env.http('GET', `/api/requests/${req.id}`, { token: COORD });
    assert.equal(res.status, 200);
    assertError(await env.http('GET', `/api/requests/${req.id}`, { token: token('c-east') }), 404, 'not_found');
    assertError(await env.http('GET', `/api/requests/${req.id}`, { token: token('i-a2') }), 404, 'not_found');
    assertError(await env.http('GET', '/api/requests/r999999', { token: CLINIC }), 404, 'not_found');

    await a1.ok({ type: 'offer.accept', offer: (await offerFor(a1, req.id)).id });
    res = await env.http('GET', `/api/requests/${req.id}`, { token: token('i-a1') });
    assert.equal(res.status, 200, 'the assigned interpreter sees their job');
    assert.equal(res.body.request.interpreter.id, 'i-a1');
  });

  it('POST /api/requests/ID/cancel: cancels, then conflict; another clinic forbidden', T(), async () => {
    const clinic = await env.clinic();
    const req = await create(clinic);
    assertError(await env.http('POST', `/api/requests/${req.id}/cancel`, { token: token('c-east') }), 403, 'forbidden');
    let res = await env.http('POST', `/api/requests/${req.id}/cancel`, { token: CLINIC, body: { reason: 'no longer needed' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.request.state, 'cancelled');
    assert.equal(res.body.request.reason, 'no longer needed');
    await clinic.next('request', (m) => m.request.id === req.id && m.request.state === 'cancelled');
    assertError(await env.http('POST', `/api/requests/${req.id}/cancel`, { token: CLINIC }), 409, 'conflict');
    const other = await create(clinic);
    res = await env.http('POST', `/api/requests/${other.id}/cancel`, { token: CLINIC });
    assert.equal(res.status, 200, `no body is fine: ${res.text}`);
  });

  it('401 without a usable token, 403 for the wrong role, 404 for unknown paths', T(), async () => {
    const b = body();
    assertError(await env.http('POST', '/api/requests', { body: b }), 401, 'not_authenticated');
    assertError(await env.http('POST', '/api/requests', { body: b, token: 'tok-nobody' }), 401, 'not_authenticated');
    assertError(await env.http('POST', '/api/requests', { body: b, headers: { Authorization: `Basic ${CLINIC}` } }),
      401, 'not_authenticated');
    assertError(await env.http('GET', '/api/admin/interpreters'), 401, 'not_authenticated');
    assertError(await env.http('POST', '/api/requests', { body: b, token: token('i-a1') }), 403, 'forbidden');
    assertError(await env.http('GET', '/api/admin/interpreters', { token: CLINIC }), 403, 'forbidden');
    assertError(await env.http('GET', '/api/nothing', { token: CLINIC }), 404, 'not_found');
    assert.equal(await env.redis.cmd('GET', 'dm:seq'), null, 'nothing was created');
  });

  it('400 for bodies that are not JSON objects or break the schema; 413 when too large', T(), async () => {
    assertError(await env.http('POST', '/api/requests', { token: CLINIC, raw: '{"language":' }), 400, 'bad_json');
    assertError(await env.http('POST', '/api/requests', { token: CLINIC, raw: '[]' }), 400, 'bad_json');
    assertError(await env.http('POST', '/api/requests', { token: CLINIC, body: body({ colour: 'red' }) }), 400, 'bad_message', 'colour');
    assertError(await env.http('POST', '/api/requests', { token: CLINIC, body: body({ duration_min: 1000 }) }),
      400, 'bad_message', 'duration_min');
    assertError(await env.http('POST', '/api/requests', { token: CLINIC, body: { ...body(), type: 'ping' } }),
      400, 'bad_message', 'type');
    const big = await env.http('POST', '/api/requests', { token: CLINIC, body: body({ note: 'x'.repeat(70 * 1024) }) });
    assert.equal(big.status, 413, big.text);
    assert.equal(await env.redis.cmd('GET', 'dm:seq'), null, 'nothing was created');
  });

  it('admin: a new interpreter with a new token can hello and is offered work', T(), async () => {
    const entry = { name: 'Neema', languages: { sw: 'trained' }, gender: 'female', modalities: ['phone'] };
    let res = await env.http('PUT', '/api/admin/interpreters/i-neema', { token: COORD, body: entry });
    assert.equal(res.status, 200, res.text);
    res = await env.http('GET', '/api/admin/interpreters', { token: COORD });
    assert.equal(res.status, 200);
    assert.ok(res.body.some((i) => i.id === 'i-neema'), res.text);
    res = await env.http('GET', '/api/admin/interpreters/i-neema', { token: COORD });
    assert.equal(res.status, 200);
    assert.equal(res.body.name, 'Neema');

    res = await env.http('POST', '/api/admin/tokens', { token: COORD, body: { role: 'interpreter', subject: 'i-neema' } });
    assert.equal(res.status, 200, res.text);
    const tok = res.body.token;
    assert.equal(typeof tok, 'string');
    assert.ok(tok.length >= 16);
    assert.equal(await env.redis.cmd('EXISTS', `dm:tok:${tok}`), 0, 'only the hash is stored');

    const neema = await env.connect(tok, { label: 'neema' });
    assert.deepEqual(neema.user, { role: 'interpreter', user: { id: 'i-neema', name: 'Neema' } });
    await neema.ok({ type: 'presence.set', status: 'available' });
    const clinic = await env.clinic();
    const req = await create(clinic, { language: 'sw', modality: 'phone' });
    const o1 = await offerFor(neema, req.id);
    const video = await create(clinic, { language: 'sw', modality: 'video' });
    await neema.expectNo('offer', 500, (m) => m.offer.request === video.id, 'Neema does phone only');
    await clinic.ok({ type: 'request.cancel', request: video.id });

    // A change to the registry counts at the next match.
    await neema.ok({ type: 'offer.decline', offer: o1.id });
    await clinic.ok({ type: 'request.cancel', request: req.id });
    res = await env.http('PUT', '/api/admin/interpreters/i-neema', { token: COORD, body: { ...entry, modalities: ['video'] } });
    assert.equal(res.status, 200, res.text);
    const phone = await create(clinic, { language: 'sw', modality: 'phone' });
    await neema.expectNo('offer', 500, (m) => m.offer.request === phone.id, 'Neema now does video only');
    await clinic.ok({ type: 'request.cancel', request: phone.id });
    const video2 = await create(clinic, { language: 'sw', modality: 'video' });
    const o2 = await offerFor(neema, video2.id);
    await neema.ok({ type: 'offer.decline', offer: o2.id });
    await clinic.ok({ type: 'request.cancel', request: video2.id });

    // Interpreters written by a server from before the matching copy and its
    // change count existed are read from their registry entry, which fills
    // the copy in.
    await env.redis.cmd('DEL', 'dm:crec', 'dm:crecs', 'dm:crecv');
    const video3 = await create(clinic, { language: 'sw', modality: 'video' });
    await offerFor(neema, video3.id);
    assert.equal(await env.redis.cmd('HGET', 'dm:crec', 'i-neema'), 'sw:trained\tfemale\tvideo\t\t1');
    await assertInvariants(env.redis);
  });

  it('admin: a revoked token no longer works; revoking by subject revokes them all', T(), async () => {
    const issue = async () => (await env.http('POST', '/api/admin/tokens', { token: COORD, body: { role: 'clinic', subject: 'c-east' } })).body.token;
    const t1 = await issue();
    const t2 = await issue();
    const t3 = await issue();
    const open1 = await env.connect(t1, { label: 't1' });
    assert.equal(open1.user.role, 'clinic');
    const open2 = await env.connect(t2, { label: 't2' });

    let res = await env.http('POST', '/api/admin/tokens/revoke', { token: COORD, body: { token: t1 } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { count: 1 });
    assert.equal((await open1.closed).code, 1008, 'a connection made with a revoked token is closed');
    await open2.ok({ type: 'ping' });
    const c = await env.open();
    await c.fails({ type: 'hello', token: t1 }, 'not_authenticated');
    assertError(await env.http('GET', '/api/requests/r1', { token: t1 }), 401, 'not_authenticated');
    assertError(await env.http('POST', '/api/admin/tokens/revoke', { token: COORD, body: { token: t1 } }), 404, 'not_found');

    res = await env.http('POST', '/api/admin/tokens/revoke', { token: COORD, body: { role: 'clinic', subject: 'c-east' } });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.count >= 3, `the demo token and t2, t3: ${res.text}`);
    assert.equal((await open2.closed).code, 1008);
    for (const t of [t2, t3, token('c-east')]) await c.fails({ type: 'hello', token: t }, 'not_authenticated');
    assert.equal((await env.clinic('c-north')).user.role, 'clinic', "other subjects' tokens still work");
  });

  it('admin: each registry reads its own entries', T(), async () => {
    const coord = await env.http('GET', '/api/admin/coordinators/u-coord', { token: COORD });
    assert.equal(coord.status, 200, coord.text);
    assert.equal(coord.body.id, 'u-coord');
    assertError(await env.http('GET', '/api/admin/coordinators/c-north', { token: COORD }), 404, 'not_found');
    const clinic = await env.http('GET', '/api/admin/clinics/c-north', { token: COORD });
    assert.equal(clinic.body.id, 'c-north');
  });

  it('admin: bad bodies and unknown subjects are refused; only coordinators may use it', T(), async () => {
    assertError(await env.http('PUT', '/api/admin/interpreters/i-x', { token: COORD, body: { name: 'X', languages: { sw: 'fluent' }, modalities: ['phone'] } }),
      400, 'bad_message');
    assertError(await env.http('PUT', '/api/admin/interpreters/i-x', { token: COORD, body: { name: 'X', languages: { sw: 'trained' }, modalities: ['phone'], age: 3 } }),
      400, 'bad_message', 'age');
    assertError(await env.http('PUT', '/api/admin/interpreters/i-x', { token: COORD, raw: 'nope' }), 400, 'bad_json');
    assertError(await env.http('POST', '/api/admin/tokens', { token: COORD, body: { role: 'interpreter', subject: 'i-nobody' } }), 404, 'not_found');
    assertError(await env.http('POST', '/api/admin/tokens', { token: COORD, body: { role: 'pilot', subject: 'i-a1' } }), 400, 'bad_message', 'role');
    assertError(await env.http('PUT', '/api/admin/interpreters/i-x', { token: token('i-a1'), body: { name: 'X', languages: { sw: 'trained' }, modalities: ['phone'] } }),
      403, 'forbidden');
    assert.equal(await env.redis.cmd('EXISTS', 'dm:i:i-x'), 0, 'nothing was written');
  });

  it('admin: a deactivated interpreter is offered nothing and cannot hello', T(), async () => {
    const a1 = await env.interpreter('i-a1');
    const entry = { name: 'Amal', languages: { ar: 'certified' }, gender: 'female', modalities: ['phone', 'video', 'onsite'], active: false };
    const res = await env.http('PUT', '/api/admin/interpreters/i-a1', { token: COORD, body: entry });
    assert.equal(res.status, 200, res.text);
    const clinic = await env.clinic();
    await create(clinic);
    await a1.expectNo('offer', 500, () => true, 'deactivated');
    const c = await env.open();
    await c.fails({ type: 'hello', token: token('i-a1') }, 'forbidden');
  });

  it('GET /api/me/hours: an interpreter sees their own ended sessions', T(), async () => {
    const clinic = await env.clinic();
    const a1 = await env.interpreter('i-a1');
    const req = await create(clinic);
    await a1.ok({ type: 'offer.accept', offer: (await offerFor(a1, req.id)).id });
    await a1.ok({ type: 'session.start', request: req.id });
    await a1.ok({ type: 'session.end', request: req.id });
    const res = await env.http('GET', '/api/me/hours', { token: token('i-a1') });
    assert.equal(res.status, 200, res.text);
    for (const p of ['week', 'month']) {
      assert.equal(res.body[p].sessions, 1, res.text);
      assert.equal(typeof res.body[p].minutes, 'number');
      assert.ok(res.body[p].since <= Date.now());
    }
    const other = await env.http('GET', '/api/me/hours', { token: token('i-a2') });
    assert.equal(other.body.week.sessions, 0);
    assertError(await env.http('GET', '/api/me/hours', { token: CLINIC }), 403, 'forbidden');
  });
});
