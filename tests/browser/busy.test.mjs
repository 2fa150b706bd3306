// A busy server: when Redis is far behind, dragomand refuses a new request at
// once as "unavailable" (load shedding). The clinic page says so and sends
// the same request again by itself, with the same idempotency key, until it
// is taken: one request, no double booking, nothing for the nurse to redo.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { UI_MS, openFace, requestId, tapTile, useBrowser } from './lib/browser.mjs';

const env = useEnv({ 'max-backlog': 1 });
const ctx = useBrowser();

// Keeps Redis in one script for a second or two: the server's calls pile up.
const BUSY = 'local n = 0 for i = 1, 150000000 do n = n + 1 end return n';

test('a request refused as busy is sent again by the page and taken once', T(90), async () => {
  const clinic = await openFace(ctx.browser, env.server, 'clinic', token('c-north'), { label: 'clinic' });
  await tapTile(clinic, 'ar');
  await tapTile(clinic, 'video');
  // Within a clock tick (250 ms) the server has a script waiting behind the
  // busy one: the backlog of 1 is reached and the request is refused.
  const busy = env.redis.cmd('EVAL', BUSY, '0');
  await new Promise((r) => setTimeout(r, 400));
  await clinic.getByRole('button', { name: 'Interpreter now' }).click();
  await clinic.locator('.notice.queued').getByText(/The service is busy/).waitFor({ timeout: UI_MS });
  await busy;
  await clinic.locator('article.request[data-state="searching"]').waitFor({ timeout: UI_MS });
  assert.ok(await clinic.locator('.notice.queued').isHidden(), 'the busy notice is gone');
  const rid = await requestId(clinic, 'searching');
  assert.deepEqual(await env.redis.cmd('SMEMBERS', 'dm:copen:c-north'), [rid], 'exactly one request');
  await waitFor(async () => {
    const m = await env.http('GET', '/metrics');
    return Number(/dragoman_requests_shed_total (\d+)/.exec(m.text)[1]) >= 1;
  }, { what: 'the refusal counted' });
});
