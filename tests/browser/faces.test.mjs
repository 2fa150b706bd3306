// Every face with real data in every state, checked with axe-core (no
// serious or critical violations) and photographed at phone and desktop
// sizes, left to right and right to left, into tests/out/screenshots/ for a
// person to look at.
import { before, test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, create, offerFor, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { DESKTOP, PHONE, checkAxe, foreignSite, hostPage, openFace, openPage, screenshot, useBrowser } from './lib/browser.mjs';

// Short escalation and unfilled times so that the board has alerts to show.
const env = useEnv({ 'escalate-after': 5, 'unfilled-after': 10 });
const ctx = useBrowser();
const SIZES = [['phone', PHONE], ['desktop', DESKTOP]];
const LANGS = ['en', 'ar'];

let clinic;
// A request that is searching, neither escalated nor unfilled yet (those come
// after 5 and 10 s here), made just before the page that shows it.
const searching = () => create(clinic, { language: 'prs', modality: 'video', specialty: 'mental_health' });

// Requests in every state for c-north, made over the protocol by the harness's clients.
before(async () => {
  // Node 20 starts top-level before hooks without waiting for the previous
  // one: wait for the harness's server to be up.
  await waitFor(() => env.server, { timeout: 60000, what: 'the server' });
  clinic = await env.clinic('c-north');
  const take = async (id, fields, steps = []) => {
    const i = await env.interpreter(id, { heartbeat: 5000 });
    const r = await create(clinic, fields);
    const offer = await offerFor(i, r.id);
    await i.ok({ type: 'offer.accept', offer: offer.id });
    for (const type of steps) await i.ok({ type, request: r.id });
    return r;
  };
  await take('i-a1', { language: 'ar', modality: 'video', note: 'Ward 3, room 12' });
  await take('i-a2', { language: 'ar', modality: 'phone' }, ['session.start']);
  const ended = await take('i-r1', { language: 'fr', modality: 'onsite', location: '1 Harbour Road, building B' },
    ['session.start', 'session.end']);
  await clinic.ok({ type: 'session.feedback', request: ended.id, rating: 5, comment: 'Very good.' });
  await take('i-f1', { language: 'fa', modality: 'phone' }, ['session.start', 'session.end']);
  const lost = await create(clinic, { language: 'ps', modality: 'onsite', location: 'Ward 7', gender: 'female', gender_need: 'required' });
  await create(clinic, { language: 'uk', modality: 'video', urgency: 'scheduled', start_at: Date.now() + 3 * 3600e3, duration_min: 60 });
  const coordinator = await env.coordinator();
  await coordinator.next('alert', (m) => m.kind === 'unfilled' && m.request.id === lost.id, 30000);
}, T(90));

test('clinic desk page', T(120), async () => {
  for (const lang of LANGS) {
    for (const [size, viewport] of SIZES) {
      await searching();
      const page = await openFace(ctx.browser, env.server, 'clinic', token('c-north'), { viewport, lang });
      await page.locator('article.request[data-state="unfilled"]').first().waitFor();
      if (size === 'desktop') await checkAxe(page, `clinic ${lang}`);
      await screenshot(page, `clinic-${lang}-${size}`);
      await page.locator('.more-toggle').click();
      await page.locator('.request-form label.tile:has(input[value="onsite"])').click();
      if (size === 'desktop') await checkAxe(page, `clinic ${lang} with more options`);
      await page.screenshot({ path: `tests/out/screenshots/clinic-${lang}-${size}-form.png`, fullPage: true });
      page.assertClean();
      await page.closeAll();
    }
  }
  const fi = await openFace(ctx.browser, env.server, 'clinic', token('c-north'), { viewport: DESKTOP, lang: 'fi' });
  await fi.locator('article.request[data-state="unfilled"]').first().waitFor();
  await screenshot(fi, 'clinic-fi-desktop');
  fi.assertClean();
  await fi.closeAll();
});

test('interpreter app: switch, offer, job, hours', T(120), async () => {
  for (const lang of LANGS) {
    for (const [size, viewport] of SIZES) {
      const page = await openFace(ctx.browser, env.server, 'app', token('i-a3'), { viewport, lang });
      // The hours arrive after the snapshot, which set the switch.
      await page.locator('section.hours dd').first().waitFor();
      if (await page.getByRole('switch').getAttribute('aria-checked') === 'false') await page.getByRole('switch').click();
      await page.locator('.switch[aria-checked="true"]').waitFor();
      await checkAxe(page, `app ${lang} ${size}`);
      await screenshot(page, `app-${lang}-${size}`);

      const r = await create(clinic, { language: 'ar', modality: 'onsite', location: 'North Hospital, building B, room 214',
        note: 'Ask for the ward nurse', duration_min: 45 });
      await page.getByRole('alertdialog').waitFor();
      await checkAxe(page, `app offer ${lang} ${size}`);
      await screenshot(page, `app-${lang}-${size}-offer`);
      await page.locator('.offer-screen [data-key="decline"]').click();
      await page.locator('form.decline').waitFor();
      await checkAxe(page, `app decline ${lang} ${size}`);
      await screenshot(page, `app-${lang}-${size}-decline`);
      await page.locator('.offer-screen [data-key="back"]').click();
      await page.locator('.offer-screen [data-key="accept"]').click();
      await page.locator('section.job').waitFor();
      await screenshot(page, `app-${lang}-${size}-job`);
      await page.locator('section.job .btn.primary').click();
      await page.locator('section.job .since').waitFor();
      await page.locator('section.job .btn.primary').click();
      await page.locator('section.job form.note').waitFor();
      await checkAxe(page, `app note ${lang} ${size}`);
      await screenshot(page, `app-${lang}-${size}-ended`);
      await page.locator('section.job form.note button[type="button"]').click();
      await waitFor(async () => (await env.http('GET', `/api/requests/${r.id}`, { token: token('u-coord') })).body?.request?.state === 'ended',
        { what: `${r.id} ended` });
      page.assertClean();
      await page.closeAll();
    }
  }
});

test('coordinator console: board, dialogs, directory', T(120), async () => {
  for (const lang of LANGS) {
    for (const [size, viewport] of SIZES) {
      await searching();
      const page = await openFace(ctx.browser, env.server, 'console', token('u-coord'), { viewport, lang });
      await page.locator('.alerts .alert-item').first().waitFor();
      await page.locator('.online .lang-group').first().waitFor();
      await checkAxe(page, `console board ${lang} ${size}`);
      await screenshot(page, `console-${lang}-${size}-board`);
      await page.screenshot({ path: `tests/out/screenshots/console-${lang}-${size}-board-full.png`, fullPage: true });

      await page.locator('.column.searching .request .btn').first().click();
      await page.locator('dialog[open]').waitFor();
      await checkAxe(page, `console assign ${lang} ${size}`);
      await screenshot(page, `console-${lang}-${size}-assign`);
      await page.keyboard.press('Escape');
      await page.locator('dialog').waitFor({ state: 'detached' });

      await page.locator('[role="tab"][data-tab="console.directory"]').click();
      await page.locator('.dir-interpreters .entry').first().waitFor();
      await checkAxe(page, `console directory ${lang} ${size}`);
      await screenshot(page, `console-${lang}-${size}-directory`);
      await page.locator('.dir-interpreters .entry .btn').first().click();
      await page.locator('dialog[open]').waitFor();
      await checkAxe(page, `console edit ${lang} ${size}`);
      await screenshot(page, `console-${lang}-${size}-edit`);
      await page.keyboard.press('Escape');
      await page.locator('.dir-clinics .entry .btn:nth-child(2)').first().click();
      await page.locator('dialog[open] .copy-value').first().waitFor();
      await checkAxe(page, `console token ${lang} ${size}`);
      await screenshot(page, `console-${lang}-${size}-token`);
      page.assertClean();
      await page.closeAll();
    }
  }
});

test('widget on a plain host page, and the landing page', T(120), async () => {
  const pages = {};
  const site = await foreignSite(pages);
  pages['/host.html'] = hostPage(env.server.base, token('c-north'));
  for (const lang of LANGS) {
    for (const [size, viewport] of SIZES) {
      await searching();
      const page = await openPage(ctx.browser, `http://127.0.0.1:${site.port}/host.html`, { viewport, lang });
      await page.locator('dragoman-widget .launcher[data-state="searching"]').waitFor();
      await screenshot(page, `widget-${lang}-${size}-closed`);
      await page.locator('dragoman-widget .launcher').click();
      await page.locator('dragoman-widget .panel article.request').first().waitFor();
      await checkAxe(page, `widget ${lang} ${size}`, 'dragoman-widget');
      await screenshot(page, `widget-${lang}-${size}-open`);
      page.assertClean();
      await page.closeAll();
    }
  }
  await site.close();
  for (const [size, viewport] of SIZES) {
    const page = await openPage(ctx.browser, `${env.server.base}/`, { viewport });
    await checkAxe(page, `landing ${size}`);
    await screenshot(page, `landing-${size}`);
    page.assertClean();
    await page.closeAll();
  }
});
