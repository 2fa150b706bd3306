// The server restarts (SIGTERM, then started again on the same port and the
// same Redis): the pages say they are offline, come back by themselves, and
// show the current state again from the snapshot. A request made while the
// server was down is sent once it is back, with its idempotency key, once.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, useEnv } from '../integration/lib/harness.mjs';
import { PHONE, openFace, requestId, screenshot, tapTile, useBrowser } from './lib/browser.mjs';

const env = useEnv();
const ctx = useBrowser();

test('pages go offline during a restart and recover their state', T(120), async () => {
  const { browser } = ctx;
  const phone = await openFace(browser, env.server, 'app', token('i-a1'), { viewport: PHONE, label: 'phone' });
  await phone.getByRole('switch').click();
  await phone.locator('.switch[aria-checked="true"]').waitFor();
  const clinic = await openFace(browser, env.server, 'clinic', token('c-north'), { label: 'clinic' });
  await tapTile(clinic, 'ar');
  await tapTile(clinic, 'phone');
  await clinic.getByRole('button', { name: 'Interpreter now' }).click();
  await phone.getByRole('button', { name: 'Accept' }).click();
  await phone.locator('section.job').getByText('North Hospital').waitFor();
  const rid = await requestId(clinic, 'assigned');

  await env.server.stop();
  for (const p of [phone, clinic]) {
    await p.locator('.banner.offline').waitFor();
    await p.locator('.conn[data-state="offline"]').waitFor();
  }
  await screenshot(phone, 'reconnect-app-offline-phone');

  // Asked while the server is down: kept, and sent when it is back.
  await tapTile(clinic, 'fa');
  await tapTile(clinic, 'video');
  await clinic.getByRole('button', { name: 'Interpreter now' }).click();
  await clinic.getByText(/will be sent as soon as the connection is back/).waitFor();

  await env.server.start();
  for (const p of [phone, clinic]) {
    await p.locator('.conn[data-state="online"]').waitFor({ timeout: 40000 });
    await p.locator('.banner.offline').waitFor({ state: 'hidden' });
  }
  await phone.locator('section.job').getByText('North Hospital').waitFor();
  await phone.locator('section.job').getByRole('button', { name: 'Start session' }).waitFor();
  await clinic.locator(`article.request[data-request="${rid}"]`).getByText('Amal accepted').waitFor();

  const queued = clinic.locator('article.request', { hasText: 'Farsi' });
  await queued.waitFor();
  await clinic.locator('.notice.queued').waitFor({ state: 'hidden' });
  assert.equal(await queued.count(), 1, 'the request made while offline exists once');
  const coordinator = await env.coordinator();
  const farsi = coordinator.snapshot.requests.filter((r) => r.language === 'fa');
  assert.equal(farsi.length, 1, 'the retry after the restart made no second request');
  assert.equal(farsi[0].id, await queued.getAttribute('data-request'));

  // A reload shows the same, from the snapshot alone.
  await phone.reload();
  await phone.locator('section.job').getByText('North Hospital').waitFor();
  await clinic.reload();
  await clinic.locator(`article.request[data-request="${rid}"]`).getByText('Amal accepted').waitFor();

  for (const p of [phone, clinic]) {
    p.assertClean();
    await p.closeAll();
  }
});
