// dragomanctl writes the registry with the server's own scripts: what it puts
// in is what the running server sees, and a revoked token stops working.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';

import { REPO, T, create, offerFor, useEnv } from './lib/harness.mjs';

const env = useEnv();
const DRAGOMANCTL = path.resolve(process.env.DRAGOMANCTL || path.join(REPO, 'bin/dragomanctl'));

function ctl(...args) {
  const r = spawnSync(DRAGOMANCTL, ['--redis', env.redisProc.url, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const NOOR = JSON.stringify({
  name: 'Noor', languages: { ar: 'certified' }, gender: 'female', modalities: ['phone', 'video'],
});

describe('dragomanctl', () => {
  beforeEach(() => env.fresh(), T(60));

  it('put + token issue: the new interpreter can hello and is offered work', T(), async () => {
    const put = ctl('put', 'interpreter', 'i-noor', NOOR);
    assert.equal(put.code, 0, put.err);
    assert.equal(JSON.parse(put.out).langs, 'ar:certified');
    const issued = ctl('token', 'issue', 'interpreter', 'i-noor');
    assert.equal(issued.code, 0, issued.err);
    const tok = issued.out.trim();
    assert.match(tok, /^i[0-9a-f]{48}$/);

    const noor = await env.connect(tok, { label: 'noor' });
    assert.equal(noor.user.user.name, 'Noor');
    await noor.ok({ type: 'presence.set', status: 'available' });
    const listed = ctl('list', 'interpreters');
    assert.equal(listed.code, 0, listed.err);
    assert.ok(listed.out.includes('"i-noor"'));

    // Only Noor is free in Arabic once everyone else from the fixtures is away.
    const clinic = await env.clinic();
    const req = await create(clinic, { language: 'ar', modality: 'phone', gender: 'female', gender_need: 'required' });
    await offerFor(noor, req.id);
    const got = ctl('get', 'request', req.id);
    assert.equal(got.code, 0, got.err);
    assert.equal(JSON.parse(got.out).state, 'searching');
  });

  it('revoke-all: an open connection is closed and the token no longer says hello', T(), async () => {
    assert.equal(ctl('put', 'interpreter', 'i-noor', NOOR).code, 0);
    const tok = ctl('token', 'issue', 'interpreter', 'i-noor').out.trim();
    const open = await env.connect(tok, { label: 'noor' });
    const revoked = ctl('token', 'revoke-all', 'interpreter', 'i-noor');
    assert.equal(revoked.code, 0, revoked.err);
    assert.match(revoked.out, /^1 revoked/);
    const info = await open.closed;
    assert.equal(info.code, 1008);
    const c = await env.open({ label: 'revoked' });
    const r = await c.send({ type: 'hello', token: tok });
    assert.equal(r.code, 'not_authenticated');
  });

  it('refuses bad input with a message and changes nothing', T(), async () => {
    const cases = [
      [['put', 'interpreter', 'i-bad', '{"name":"X","languages":{"ar":"expert"},"modalities":["phone"]}'], /languages\.ar/],
      [['put', 'interpreter', 'Bad Id', NOOR], /id:/],
      [['put', 'planet', 'p1', '{}'], /unknown kind/],
      [['put', 'clinic', 'c-x', 'not json'], /not a JSON object/],
      [['token', 'issue', 'interpreter', 'i-nobody'], /no interpreter i-nobody/],
      [['get', 'request', 'r999999'], /no request/],
    ];
    for (const [args, why] of cases) {
      const r = ctl(...args);
      assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
      assert.match(r.err, why, args.join(' '));
    }
    assert.equal(await env.redis.cmd('EXISTS', 'dm:i:i-bad', 'dm:c:c-x'), 0);
    const usage = ctl('frobnicate');
    assert.equal(usage.code, 2);
    assert.match(usage.err, /usage: dragomanctl/);
  });
});
