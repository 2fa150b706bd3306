// A clinic's token only works from the web origins registered for it (the
// WebSocket's Origin header), so a token copied out of a clinic's widget is
// useless on another site. A clinic with no registered origins, and every
// interpreter and coordinator, may connect from anywhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { token } from './lib/fixtures.mjs';
import { T, useEnv } from './lib/harness.mjs';

const env = useEnv();

async function helloFrom(origin, tok) {
  const c = await env.open({ origin, label: `from ${origin}` });
  return c.send({ type: 'hello', token: tok });
}

describe('clinic origin check', () => {
  it('the registered origin may hello', T(), async () => {
    const c = await env.connect(token('c-origin'), { origin: 'https://clinic.example' });
    assert.equal(c.user.role, 'clinic');
    assert.equal(c.user.user.id, 'c-origin');
  });

  for (const origin of ['https://evil.example', 'http://clinic.example', 'https://clinic.example:8443',
    'https://clinic.example.evil.example', 'https://clinic.exampl', undefined]) {
    it(`another origin (${origin ?? 'none'}) is refused: forbidden`, T(), async () => {
      const r = await helloFrom(origin, token('c-origin'));
      assert.equal(r.type, 'error', JSON.stringify(r));
      assert.equal(r.code, 'forbidden');
    });
  }

  it('a refused connection stays unauthenticated', T(), async () => {
    const c = await env.open({ origin: 'https://evil.example' });
    await c.fails({ type: 'hello', token: token('c-origin') }, 'forbidden');
    await c.fails({ type: 'snapshot.get' }, 'not_authenticated');
  });

  it('a clinic without registered origins, and other roles, connect from any origin', T(), async () => {
    for (const tok of [token('c-north'), token('i-a1'), token('u-coord')]) {
      const r = await helloFrom('https://anywhere.example', tok);
      assert.equal(r.type, 'result', JSON.stringify(r));
    }
  });

  it('origins registered through the admin API take effect at once', T(), async () => {
    const res = await env.http('PUT', '/api/admin/clinics/c-north', {
      token: token('u-coord'), body: { name: 'North Hospital', origins: ['https://north.example'] },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((await helloFrom('https://north.example', token('c-north'))).type, 'result');
    assert.equal((await helloFrom('https://clinic.example', token('c-north'))).code, 'forbidden');
  });
});
