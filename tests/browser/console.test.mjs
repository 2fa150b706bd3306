// The coordinator console acting on the world: how far each offer got (the
// phones' receipts), manual assign, reassign and cancel with a reason, seen
// on the phones and at the desk; and the directory
// adding and editing an interpreter, issuing a token whose link signs the
// phone in, and revoking it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, create, useEnv } from '../integration/lib/harness.mjs';
import { PHONE, checkAxe, openFace, openPage, screenshot, useBrowser } from './lib/browser.mjs';

const env = useEnv();
const ctx = useBrowser();

test('assign, reassign and cancel from the board', T(90), async () => {
  const { browser } = ctx;
  const amal = await openFace(browser, env.server, 'app', token('i-a1'), { viewport: PHONE, label: 'amal' });
  const bashir = await openFace(browser, env.server, 'app', token('i-a2'), { viewport: PHONE, label: 'bashir' });
  for (const phone of [amal, bashir]) {
    await phone.getByRole('switch').click();
    await phone.locator('.switch[aria-checked="true"]').waitFor();
  }
  const desk = await openFace(browser, env.server, 'clinic', token('c-north'), { label: 'desk' });
  const board = await openFace(browser, env.server, 'console', token('u-coord'), { label: 'console' });
  await board.locator('.online li', { hasText: 'Amal' }).waitFor();
  await board.locator('.online li', { hasText: 'Bashir' }).waitFor();

  // Both phones are offered the request; the coordinator steps in before anyone answers.
  const r = await create(await env.clinic('c-north'), { language: 'ar', modality: 'phone' });
  for (const phone of [amal, bashir]) await phone.getByRole('alertdialog').waitFor();
  const card = board.locator(`.column.searching article[data-request="${r.id}"]`);
  // Each phone's app acknowledged its offer over the WebSocket and had it on
  // screen: the board lists both interpreters with how far their offer got.
  for (const name of ['Amal', 'Bashir']) {
    const row = card.locator('.receipts li', { hasText: name });
    await row.locator('[data-receipt="delivered_app"]', { hasText: 'delivered (app)' }).waitFor();
    await row.locator('[data-receipt="seen"]', { hasText: 'seen' }).waitFor();
  }
  await card.getByRole('list', { name: 'Offered to' }).waitFor();
  await checkAxe(board, 'console with offer receipts');
  await screenshot(board, 'console-offer-receipts');
  await card.getByRole('button', { name: 'Assign' }).click();
  const dialog = board.getByRole('dialog', { name: `Assign ${r.id}` });
  await dialog.getByLabel('Interpreter online').selectOption('i-a1');
  await dialog.getByRole('button', { name: 'Assign' }).click();
  await dialog.getByText('Reason: required.').waitFor();
  await dialog.getByLabel('Reason').fill('The family asked for her');
  await dialog.getByRole('button', { name: 'Assign' }).click();
  await dialog.waitFor({ state: 'detached' });
  await amal.locator('section.job').getByText('North Hospital').waitFor();
  await bashir.getByRole('alertdialog').waitFor({ state: 'hidden' });
  await desk.locator(`article[data-request="${r.id}"]`).getByText('Amal accepted').waitFor();

  // Reassign by a typed id: Amal's phone drops the job, Bashir's gets it.
  await board.locator(`.column.assigned article[data-request="${r.id}"]`).getByRole('button', { name: 'Reassign' }).click();
  const again = board.getByRole('dialog', { name: `Reassign ${r.id}` });
  await again.getByLabel('Or an interpreter id').fill('i-a2');
  await again.getByLabel('Reason').fill('Amal is needed elsewhere');
  await again.getByRole('button', { name: 'Reassign' }).click();
  await again.waitFor({ state: 'detached' });
  await amal.getByText('A coordinator gave this job to another interpreter.').waitFor();
  await amal.locator('section.job').waitFor({ state: 'hidden' });
  await bashir.locator('section.job').getByText('North Hospital').waitFor();
  await desk.locator(`article[data-request="${r.id}"]`).getByText('Bashir accepted').waitFor();

  await board.locator(`.column.assigned article[data-request="${r.id}"]`).getByRole('button', { name: 'Cancel' }).click();
  const cancel = board.getByRole('dialog', { name: `Cancel ${r.id}` });
  await cancel.getByLabel('Reason').fill('Patient went home');
  await cancel.getByRole('button', { name: 'Cancel the request' }).click();
  await cancel.waitFor({ state: 'detached' });
  await bashir.locator('section.job').getByText('This job was cancelled: Patient went home').waitFor();
  await desk.locator(`article[data-request="${r.id}"]`).getByText('Cancelled: Patient went home').waitFor();
  await board.locator(`.column.done article[data-request="${r.id}"]`).waitFor();

  for (const p of [amal, bashir, desk, board]) {
    p.assertClean();
    await p.closeAll();
  }
});

test('directory: interpreters and clinics, tokens issued and revoked', T(90), async () => {
  const { browser } = ctx;
  const admin = await openFace(browser, env.server, 'console', token('u-coord'), { label: 'console' });
  await admin.getByRole('tab', { name: 'Directory' }).click();
  await admin.locator('.dir-interpreters .entry').first().waitFor();

  await admin.getByRole('button', { name: 'Add interpreter' }).click();
  let dialog = admin.getByRole('dialog', { name: 'Add interpreter' });
  await dialog.getByLabel('Id', { exact: true }).fill('i-zara');
  await dialog.getByLabel('Name', { exact: true }).fill('Zara');
  await dialog.getByLabel('Language code').fill('fr');
  await dialog.getByLabel('Level').selectOption('certified');
  await dialog.getByLabel('On site').uncheck();
  await dialog.getByLabel('Specialties').fill('mental_health, paediatrics');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  const entry = admin.locator('.dir-interpreters .entry[data-id="i-zara"]');
  await entry.getByText('French — Français — certified').waitFor();

  await entry.getByRole('button', { name: 'Edit' }).click();
  dialog = admin.getByRole('dialog', { name: 'Edit Zara' });
  await dialog.getByLabel('Name', { exact: true }).fill('Zara K.');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await entry.getByText('Zara K.').waitFor();
  const stored = await env.http('GET', '/api/admin/interpreters/i-zara', { token: token('u-coord') });
  assert.equal(stored.status, 200);
  assert.equal(stored.body.name, 'Zara K.');
  assert.match(JSON.stringify(stored.body), /mental_health/);

  await entry.getByRole('button', { name: 'Issue token' }).click();
  dialog = admin.getByRole('dialog', { name: 'New token for Zara K.' });
  const link = await dialog.getByLabel('Link for the interpreter\'s phone').inputValue();
  assert.match(link, /\/app\/#token=/);
  await dialog.getByRole('button', { name: 'Close' }).click();

  const phone = await openPage(browser, link, { viewport: PHONE, label: 'zara' });
  await phone.locator('.conn[data-state="online"]').waitFor();
  await phone.locator('header .user', { hasText: 'Zara K.' }).waitFor();
  assert.equal(new URL(phone.url()).hash, '', 'the token is taken out of the address bar');

  await entry.getByRole('button', { name: 'Revoke tokens' }).click();
  dialog = admin.getByRole('dialog', { name: 'Revoke every token of Zara K.?' });
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await admin.getByText('Revoked: 1.').waitFor();
  await phone.reload();
  await phone.getByText('This token is not valid').waitFor();
  await phone.getByLabel('Access token').waitFor();

  // A clinic with the websites its widget may run on; editing it keeps them.
  await admin.getByRole('button', { name: 'Add clinic' }).click();
  dialog = admin.getByRole('dialog', { name: 'Add clinic' });
  await dialog.getByLabel('Id', { exact: true }).fill('c-desk');
  await dialog.getByLabel('Name', { exact: true }).fill('Harbour Desk');
  await dialog.getByLabel('Address').fill('4 Quay Street');
  await dialog.getByLabel('Websites allowed to use the widget').fill('https://harbour.example\nhttp://10.0.4.2:8080');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  const clinic = admin.locator('.dir-clinics .entry[data-id="c-desk"]');
  await clinic.getByText('Websites: https://harbour.example, http://10.0.4.2:8080').waitFor();
  await clinic.getByRole('button', { name: 'Edit' }).click();
  dialog = admin.getByRole('dialog', { name: 'Edit Harbour Desk' });
  await dialog.getByLabel('Contact (phone)').fill('+358 40 123 4567');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await clinic.getByText('4 Quay Street · +358 40 123 4567').waitFor();
  await clinic.getByText('Websites: https://harbour.example, http://10.0.4.2:8080').waitFor();

  // A clinic's token does not open the console.
  const wrong = await openPage(browser, `${env.server.base}/console/#token=${token('c-north')}`, { label: 'wrong' });
  await wrong.getByText('This token belongs to a clinic; it does not open this page.').waitFor();

  for (const p of [admin, phone, wrong]) {
    p.assertClean();
    await p.closeAll();
  }
});
