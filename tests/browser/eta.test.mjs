// On-site jobs and the arrival time: the phone's offer asks when the
// interpreter can be there (a quick choice or another number of minutes),
// the clinic's desk shows the time and how long until then, and "running
// late" on the job screen moves it; the desk follows from request pushes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, create, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { PHONE, checkAxe, openFace, screenshot, tapTile, useBrowser } from './lib/browser.mjs';

const env = useEnv();
const ctx = useBrowser();

// The request as the server has it, once it satisfies ok.
async function stored(rid, ok, what) {
  return waitFor(async () => {
    const r = await env.http('GET', `/api/requests/${rid}`, { token: token('c-north') });
    return r.status === 200 && ok(r.body.request) ? r.body.request : null;
  }, { what });
}

test('on site: accept with an arrival time, then running late; the desk sees both', T(90), async () => {
  const { browser } = ctx;
  const amal = await openFace(browser, env.server, 'app', token('i-a1'), { viewport: PHONE, label: 'amal' });
  await amal.getByRole('switch').click();
  await amal.locator('.switch[aria-checked="true"]').waitFor();
  const desk = await openFace(browser, env.server, 'clinic', token('c-north'), { label: 'desk' });

  const r = await create(await env.clinic('c-north'), { language: 'ar', modality: 'onsite',
    location: '1 Harbour Road, room 214' });
  const offer = amal.getByRole('alertdialog');
  await offer.getByText('1 Harbour Road, room 214').waitFor();
  const when = offer.getByRole('group', { name: 'When can you be there?' });
  await when.waitFor();
  await checkAxe(amal, 'on-site offer asking for the arrival time');
  await screenshot(amal, 'eta-offer-phone');

  // Another number of minutes, checked before anything is sent.
  await tapTile(when, 'other');
  const minutes = when.getByLabel('Minutes until you arrive');
  assert.equal(await minutes.evaluate((el) => el === document.activeElement), true, 'Other moves to the minutes');
  await minutes.fill('700');
  await offer.getByRole('button', { name: 'Accept' }).click();
  await offer.getByRole('alert').getByText('Minutes: a whole number from 1 to 600.').waitFor();
  assert.equal((await stored(r.id, () => true, r.id)).state, 'searching', 'nothing was accepted');

  const before = Date.now();
  await minutes.fill('20');
  await offer.getByRole('button', { name: 'Accept' }).click();
  await offer.waitFor({ state: 'hidden' });
  const accepted = await stored(r.id, (x) => x.state === 'assigned' && x.eta_at > 0, 'the accepted arrival time');
  assert.ok(Math.abs(accepted.eta_at - (before + 20 * 60000)) < 15000, `eta_at ${accepted.eta_at}`);

  // The desk: the time, and in how long.
  const card = desk.locator(`article.request[data-request="${r.id}"]`);
  const time = await desk.evaluate((at) => window.Dragoman.format.when(at), accepted.eta_at);
  await card.getByText(`Arriving around ${time}, in 20 min.`).waitFor();
  await card.getByText('Amal accepted').waitFor();

  // The phone's job says what the clinic was told; running late moves it.
  const job = amal.locator('section.job');
  await job.getByText(`You told the clinic: around ${await amal.evaluate((at) => window.Dragoman.format.when(at), accepted.eta_at)}.`).waitFor();
  await job.getByRole('button', { name: 'Running late? Update arrival' }).click();
  const later = job.getByRole('group', { name: 'When can you be there?' });
  await later.waitFor();
  await checkAxe(amal, 'job screen updating the arrival time');
  await screenshot(amal, 'eta-job-phone');
  await tapTile(later, '45');
  await job.getByRole('button', { name: 'Send arrival time' }).click();
  await amal.getByText('The clinic sees your new arrival time.').waitFor();
  await later.waitFor({ state: 'detached' });
  const moved = await stored(r.id, (x) => x.eta_at > accepted.eta_at, 'the new arrival time');
  assert.ok(moved.eta_at >= Date.now() - 60000 + 44 * 60000, `eta_at ${moved.eta_at}`);

  const newTime = await desk.evaluate((at) => window.Dragoman.format.when(at), moved.eta_at);
  await card.getByText(`Arriving around ${newTime}, in 45 min.`).waitFor();
  await job.getByText(`You told the clinic: around ${newTime}.`).waitFor();
  await checkAxe(desk, 'desk with the arrival time');
  await screenshot(desk, 'eta-desk');

  // Once the session starts the arrival time is history.
  await job.getByRole('button', { name: 'Start session' }).click();
  await card.getByText(/In session with Amal/).waitFor();
  assert.equal(await card.getByText(/Arriving around/).count(), 0);

  for (const p of [amal, desk]) {
    p.assertClean();
    await p.closeAll();
  }
});

test('remote jobs are accepted without an arrival question', T(60), async () => {
  const { browser } = ctx;
  // Amal is still in her session from above: Bashir gets this one.
  const amal = await openFace(browser, env.server, 'app', token('i-a2'), { viewport: PHONE, label: 'bashir' });
  await amal.getByRole('switch').click();
  await amal.locator('.switch[aria-checked="true"]').waitFor();
  const r = await create(await env.clinic('c-north'), { language: 'ar', modality: 'phone' });
  const offer = amal.getByRole('alertdialog');
  await offer.waitFor();
  assert.equal(await offer.getByRole('group', { name: 'When can you be there?' }).count(), 0);
  await offer.getByRole('button', { name: 'Accept' }).click();
  await offer.waitFor({ state: 'hidden' });
  const job = amal.locator('section.job');
  await job.getByText('North Hospital').waitFor();
  assert.equal(await job.getByRole('button', { name: /arrival|arrive/ }).count(), 0);
  assert.equal((await stored(r.id, (x) => x.state === 'assigned', r.id)).eta_at, 0);
  amal.assertClean();
  await amal.closeAll();
});
