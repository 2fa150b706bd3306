// The widget on somebody else's site: a page on another origin with CSS that
// would wreck a naive widget. It must still look right, work end to end with
// the keyboard and the mouse, and not change the host page; and a page on an
// origin not registered for the clinic is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { PHONE, foreignSite, hostPage, openFace, openPage, screenshot, tapTile, useBrowser } from './lib/browser.mjs';

const env = useEnv();
const ctx = useBrowser();

// Rules that would break a widget living in the page's own DOM: inherited
// font, colour, direction and line height; display, position and visibility
// of the widget's own element types and class names; rem units.
const HOSTILE = `
  html { font-size: 6px !important; direction: rtl; line-height: 3 !important; }
  * { font-size: 40px !important; color: red !important; display: inline !important; font-family: "Comic Sans MS", cursive !important;
      letter-spacing: 4px !important; text-transform: uppercase !important; box-sizing: content-box !important; }
  button, input, select, textarea, label, h2, p { display: none !important; }
  div, section, form, article { position: relative !important; z-index: 0 !important; padding: 30px !important; }
  .card, .btn, .panel, .launcher, .tile, .dm-root { background: yellow !important; border: 5px dotted green !important; }
  [hidden] { display: block !important; }`;

// A clinic whose key works only from origin; returns the key.
async function webClinic(origin) {
  const coord = { token: token('u-coord') };
  const put = await env.http('PUT', '/api/admin/clinics/c-web', { ...coord,
    body: { name: 'Web Clinic', address: '9 Web Street', contact: '+358 40 555 0101', origins: [origin] } });
  assert.equal(put.status, 200, put.text);
  const issued = await env.http('POST', '/api/admin/tokens', { ...coord, body: { role: 'clinic', subject: 'c-web' } });
  assert.equal(issued.status, 200, issued.text);
  return issued.body.token;
}

// The element focused inside the widget's shadow root, by class.
const widgetFocus = (page) => page.evaluate(() => document.querySelector('dragoman-widget').shadowRoot.activeElement?.className || '');

const style = (locator, props) => locator.evaluate((el, names) => {
  const cs = getComputedStyle(el);
  return Object.fromEntries(names.map((n) => [n, cs.getPropertyValue(n)]));
}, props);

test('the widget on a hostile foreign page renders, works, and leaves the page alone', T(90), async () => {
  const { browser } = ctx;
  const pages = {};
  const site = await foreignSite(pages);
  const key = await webClinic(`http://127.0.0.1:${site.port}`);
  pages['/host.html'] = hostPage(env.server.base, key, HOSTILE);

  const phone = await openFace(browser, env.server, 'app', token('i-a1'), { viewport: PHONE, label: 'phone' });
  await phone.getByRole('switch').click();
  await phone.locator('.switch[aria-checked="true"]').waitFor();

  const page = await openPage(browser, `http://127.0.0.1:${site.port}/host.html`, { label: 'host' });
  const launcher = page.locator('dragoman-widget .launcher');
  await launcher.waitFor();
  assert.deepEqual(await style(launcher, ['display', 'font-size', 'color', 'position', 'letter-spacing', 'text-transform']),
    { display: 'flex', 'font-size': '15px', color: 'rgb(255, 255, 255)', position: 'fixed', 'letter-spacing': 'normal',
      'text-transform': 'none' });
  const box = await launcher.boundingBox();
  const view = page.viewportSize();
  assert.ok(box.x + box.width <= view.width - 10 && box.x + box.width > view.width - 40, `launcher at the inline end: ${JSON.stringify(box)}`);
  assert.ok(box.y + box.height <= view.height - 10 && box.y > view.height - 120, `launcher at the bottom: ${JSON.stringify(box)}`);

  // Nothing of the widget's CSS reaches the host page's own elements.
  assert.deepEqual(await style(page.locator('#host-card'), ['border-top-style', 'background-color', 'display']),
    { 'border-top-style': 'dotted', 'background-color': 'rgb(255, 255, 0)', display: 'none' });
  assert.equal((await style(page.locator('#host-button'), ['display'])).display, 'none');

  // The keyboard reaches the widget's button, Enter opens the panel, Escape closes it.
  await page.keyboard.press('Tab');
  assert.equal(await widgetFocus(page), 'launcher');
  await page.keyboard.press('Enter');
  const panel = page.getByRole('dialog', { name: 'Book an interpreter' });
  await panel.waitFor();
  await panel.getByText('Web Clinic').waitFor();
  assert.deepEqual(await style(panel.locator('.tile > span').first(), ['font-size', 'color', 'display']),
    { 'font-size': '15px', color: 'rgb(27, 31, 36)', display: 'flex' });
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  assert.equal(await widgetFocus(page), 'launcher');
  await launcher.click();
  await panel.waitFor();

  await tapTile(panel, 'ar');
  await tapTile(panel, 'video');
  await panel.getByRole('button', { name: 'Interpreter now' }).click();
  await panel.getByText('Looking for an interpreter…', { exact: true }).waitFor();
  await screenshot(page, 'widget-hostile-searching-desktop');
  await phone.getByRole('alertdialog').getByText('Web Clinic').waitFor();
  await phone.getByRole('button', { name: 'Accept' }).click();
  await panel.getByText('Amal accepted', { exact: true }).waitFor();
  await launcher.getByText('Amal accepted').waitFor();

  const job = phone.locator('section.job');
  await job.getByText('+358 40 555 0101').waitFor();
  await job.getByRole('button', { name: 'Start session' }).click();
  await panel.getByText('In session with Amal', { exact: true }).waitFor();
  await job.getByRole('button', { name: 'End session' }).click();
  await panel.getByText(/Session with Amal ended/).waitFor();
  await tapTile(panel, '5');
  await panel.getByRole('button', { name: 'Send' }).click();
  await panel.getByText('Thank you. You rated it 5 out of 5.').waitFor();
  const rid = await panel.locator('article.request[data-state="ended"]').getAttribute('data-request');
  await waitFor(async () => {
    const r = await env.http('GET', `/api/requests/${rid}`, { token: token('u-coord') });
    return r.body?.request?.rating === 5;
  }, { what: `rating 5 on ${rid}` });
  await screenshot(page, 'widget-hostile-rated-desktop');

  for (const p of [page, phone]) {
    p.assertClean();
    await p.closeAll();
  }
  await site.close();
});

test('the widget on an origin not registered for the clinic is refused', T(60), async () => {
  const { browser } = ctx;
  const pages = {};
  const site = await foreignSite(pages);
  const key = await webClinic(`http://127.0.0.1:${site.port}`);
  pages['/host.html'] = hostPage(env.server.base, key);
  // Same server, but "localhost" is another origin than "127.0.0.1".
  const page = await openPage(browser, `http://localhost:${site.port}/host.html`, { label: 'stranger' });
  const launcher = page.locator('dragoman-widget .launcher[data-state="error"]');
  await launcher.waitFor();
  await launcher.click();
  const panel = page.getByRole('dialog', { name: 'Book an interpreter' });
  await panel.getByText('The interpreter service refused this page.').waitFor();
  await panel.getByText(`This website (http://localhost:${site.port}) is not registered`, { exact: false }).waitFor();
  assert.equal(await panel.locator('form.request-form').count(), 0, 'no request form on a refused page');
  await screenshot(page, 'widget-refused-desktop');
  page.assertClean();
  await page.closeAll();
  await site.close();
});
