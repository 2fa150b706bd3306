// The whole path in real pages: a clinic desk and two interpreters' phones.
// Request → both phones see the offer → one accepts → the other's offer goes
// away → the clinic sees who → session start and end → the clinic's rating
// and the interpreter's note, checked through the server.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { PHONE, checkAxe, openFace, requestId, screenshot, tapTile, useBrowser } from './lib/browser.mjs';

const env = useEnv();
const ctx = useBrowser();

test('clinic and two phones: offer, first accept wins, session, rating', T(90), async () => {
  const { browser } = ctx;
  const amal = await openFace(browser, env.server, 'app', token('i-a1'), { viewport: PHONE, label: 'amal' });
  const bashir = await openFace(browser, env.server, 'app', token('i-a2'), { viewport: PHONE, label: 'bashir' });
  for (const phone of [amal, bashir]) {
    // Headless Chromium has no vibration motor: record what the app asks for.
    await phone.evaluate(() => {
      window.vibrations = [];
      navigator.vibrate = (pattern) => window.vibrations.push(pattern) > 0;
    });
    await phone.getByRole('switch').click();
    await phone.locator('.switch[aria-checked="true"]').waitFor();
  }
  const clinic = await openFace(browser, env.server, 'clinic', token('c-north'), { label: 'clinic' });

  // Three taps: language, modality, now.
  await tapTile(clinic, 'ar');
  await tapTile(clinic, 'video');
  await clinic.getByRole('button', { name: 'Interpreter now' }).click();
  await clinic.locator('article.request[data-state="searching"]').getByText(/asked 2 interpreters/).waitFor();
  const rid = await requestId(clinic, 'searching');

  for (const phone of [amal, bashir]) {
    const offer = phone.getByRole('alertdialog');
    await offer.waitFor();
    await offer.getByText('North Hospital').waitFor();
    await offer.getByRole('timer').waitFor();
    assert.equal(await phone.evaluate(() => window.vibrations.length), 1, 'the phone vibrates once per offer');
  }
  await checkAxe(amal, 'app with an offer');
  await screenshot(amal, 'flow-app-offer-phone');

  await bashir.getByRole('button', { name: 'Accept' }).click();
  await amal.getByRole('alertdialog').waitFor({ state: 'hidden' });
  await amal.getByText('Another interpreter took the job.').waitFor();
  const job = bashir.locator('section.job');
  await job.getByText('North Hospital').waitFor();

  const card = clinic.locator(`article.request[data-request="${rid}"]`);
  await card.getByText('Bashir accepted').waitFor();

  await job.getByRole('button', { name: 'Start session' }).click();
  await card.getByText('In session with Bashir').waitFor();
  await card.getByRole('button', { name: 'End session' }).click();
  await card.getByText(/Session with Bashir ended/).waitFor();

  await tapTile(card, '4');
  await card.getByLabel('Comment (optional)').fill('Clear and calm.');
  await card.getByRole('button', { name: 'Send' }).click();
  await card.getByText('Thank you. You rated it 4 out of 5.').waitFor();
  const seen = await waitFor(async () => {
    const r = await env.http('GET', `/api/requests/${rid}`, { token: token('c-north') });
    return r.status === 200 && r.body.request.rating === 4 ? r.body.request : null;
  }, { what: `rating 4 on ${rid}` });
  assert.equal(seen.state, 'ended');
  assert.equal(seen.interpreter.id, 'i-a2');

  // The interpreter's optional note after the session, then the hours count it.
  await job.getByLabel('How did it go? (optional)').fill('Hard session, would like to talk to someone.');
  await job.getByRole('button', { name: 'Send note' }).click();
  await bashir.getByText('Note sent. Thank you.').waitFor();
  await job.waitFor({ state: 'hidden' });
  await bashir.locator('section.hours').getByText('1 session').first().waitFor();

  for (const p of [amal, bashir, clinic]) {
    p.assertClean();
    await p.closeAll();
  }
});
