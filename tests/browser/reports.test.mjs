// The console's Reports tab against the real report API: sessions made over
// the protocol (request → accept → start → end) and moved to known months
// with session.correct, a request cancelled while searching and one after
// acceptance, ratings and a comment. Then, in Chromium: the quick picks, the
// hours table and the hours-by-language-by-month chart against the API's
// figures, the time-to-accept histogram against the accepted requests, every
// other table, a CSV download byte for byte, an empty period, a refused one,
// Arabic right to left, axe-core, and screenshots at desk and phone sizes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, create, offerFor, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { PHONE, SHOTS, checkAxe, openFace, useBrowser } from './lib/browser.mjs';

const env = useEnv({ timezone: 'UTC' });
const ctx = useBrowser();
const COORD = token('u-coord');

// Sessions: language, clinic, interpreter, how many months back (0: this
// month, just before now) and minutes long.
const PLAN = [
  ['ar', 'c-north', 'i-a1', 0, 40],
  ['ar', 'c-east', 'i-a2', 1, 90],
  ['ar', 'c-north', 'i-a1', 3, 60],
  ['ar', 'c-north', 'i-a2', 3, 30],
  ['fa', 'c-north', 'i-f1', 1, 45],
  ['fa', 'c-east', 'i-f1', 2, 120],
  ['fr', 'c-east', 'i-r1', 3, 30],
  ['ps', 'c-north', 'i-p1', 0, 20],
  ['ar', 'c-east', 'i-a1', 13, 60], // before the last 12 months
];

const iso = (y, m, d) => new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10);
// The quick picks as the page computes them, in the browser's (this machine's) calendar.
function quick(which) {
  const now = new Date();
  const y = now.getFullYear();
  const m = now.getMonth();
  if (which === 'this_month') return [iso(y, m, 1), iso(y, m + 1, 0)];
  return [iso(y, m - 11, 1), iso(y, m + 1, 0)];
}

const api = async (query, { ok = true } = {}) => {
  const r = await env.http('GET', `/api/reports/${query}`, { token: COORD });
  if (ok) assert.equal(r.status, 200, `${query}: ${r.text}`);
  return r;
};
const strings = (row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? '' : String(v)]));

// What a report table on the page holds: column names, and each cell's raw value.
function domTable(page, name) {
  return page.locator(`[data-table="${name}"] table`).evaluate((t) => {
    const read = (tr) => Object.fromEntries([...tr.cells].map((c) => [c.dataset.col, c.dataset.value]));
    return { columns: [...t.tHead.rows[0].cells].map((c) => c.dataset.col), rows: [...t.tBodies[0].rows].map(read),
      total: t.tFoot ? read(t.tFoot.rows[0]) : null };
  });
}

async function sameAsApi(page, name, tab) {
  const got = await domTable(page, name);
  assert.deepEqual(got.columns, tab.columns, `${name}: columns`);
  assert.deepEqual(got.rows, tab.rows.map(strings), `${name}: rows`);
  assert.deepEqual(got.total, tab.total ? strings(tab.total) : null, `${name}: total`);
}

async function shoot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  await page.screenshot({ path: path.join(SHOTS, `${name}-full.png`), fullPage: true });
}

const showing = (page, from, to) => page.locator(`.reports[data-state="ready"][data-period="${from}/${to}"]`).waitFor();

before(async () => {
  await waitFor(() => env.server, { timeout: 60000, what: 'the server' });
  const coord = await env.coordinator();
  const clinics = { 'c-north': await env.clinic('c-north'), 'c-east': await env.clinic('c-east') };
  const interps = {};
  for (const id of ['i-a1', 'i-a2', 'i-f1', 'i-r1', 'i-p1']) interps[id] = await env.interpreter(id);
  const now = new Date();
  for (const [language, clinicId, who, back, minutes] of PLAN) {
    const clinic = clinics[clinicId];
    const r = await create(clinic, { language, modality: 'video' });
    const offer = await offerFor(interps[who], r.id);
    await interps[who].ok({ type: 'offer.accept', offer: offer.id });
    await clinic.ok({ type: 'session.start', request: r.id });
    await interps[who].ok({ type: 'session.end', request: r.id });
    // This month's sessions end a minute ago (or start when the month does).
    const start = back ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 10, 12)
      : Math.max(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1), now.getTime() - (minutes + 1) * 60000);
    const end = Math.min(start + minutes * 60000, now.getTime() - 1000);
    await coord.ok({ type: 'session.correct', request: r.id, started_at: start, ended_at: end, reason: 'times from the clinic log' });
    if (language === 'fa' && back === 1) {
      await clinic.ok({ type: 'session.feedback', request: r.id, rating: 4, comment: 'Clear and calm' });
    }
  }
  // Cancelled while searching (nobody speaks Ukrainian), and after acceptance.
  const lost = await create(clinics['c-north'], { language: 'uk' });
  await clinics['c-north'].ok({ type: 'request.cancel', request: lost.id, reason: 'patient left' });
  const late = await create(clinics['c-east'], { language: 'fr' });
  const offer = await offerFor(interps['i-r1'], late.id);
  await interps['i-r1'].ok({ type: 'offer.accept', offer: offer.id });
  await coord.ok({ type: 'request.cancel', request: late.id, reason: 'no longer needed' });
  for (const c of Object.values(interps)) await c.ok({ type: 'presence.set', status: 'away' });
}, T(120));

test('reports: period, hours table and chart, speed histogram, tables, CSV, empty and refused periods', T(180), async () => {
  const page = await openFace(ctx.browser, env.server, 'console', COORD, { label: 'reports' });
  await page.getByRole('tab', { name: 'Reports' }).click();
  // The tab opens on this month.
  const [mFrom, mTo] = quick('this_month');
  await showing(page, mFrom, mTo);
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), mFrom);
  assert.equal(await page.getByLabel('To', { exact: true }).inputValue(), mTo);

  const [from, to] = quick('last_12');
  const period = `from=${from}&to=${to}`;
  await page.getByRole('button', { name: 'Last 12 months' }).click();
  await showing(page, from, to);
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), from);
  await page.getByText(/^Reports for /).waitFor();

  // Hours by language, then by clinic: the page's figures are the API's.
  const byLang = (await api(`hours?${period}&by=language`)).body.tables.hours;
  assert.deepEqual(byLang.rows.map((r) => r.language), ['ar', 'fa', 'fr', 'ps']);
  await sameAsApi(page, 'hours.hours', byLang);
  const shownHours = await page.locator('[data-table="hours.hours"] tbody td[data-col="hours"]').allTextContents();
  assert.deepEqual(shownHours, byLang.rows.map((r) => r.hours.toFixed(2)));
  await page.getByLabel('Group by').first().selectOption('institution');
  await page.locator('[data-table="hours.hours"] th[data-col="institution_name"]').waitFor();
  await sameAsApi(page, 'hours.hours', (await api(`hours?${period}&by=institution`)).body.tables.hours);

  // The chart: one bar segment per language and month the API has, each as
  // tall as its hours in one common proportion; twelve months on the axis.
  const monthly = (await api(`hours?${period}&by=language&per=month`)).body.tables.hours;
  const rects = await page.locator('.hours-chart rect.bar').evaluateAll((rs) => rs.map((r) => ({
    month: r.dataset.month, language: r.dataset.language, seconds: Number(r.dataset.seconds), height: Number(r.getAttribute('height')) })));
  assert.deepEqual(rects.map((r) => [r.month, r.language, r.seconds]).sort(),
    monthly.rows.filter((r) => r.seconds > 0).map((r) => [r.month, r.language, r.seconds]).sort());
  assert.ok(monthly.rows.length >= 6, 'sessions in several months and languages');
  const unit = rects[0].height / rects[0].seconds;
  for (const r of rects) assert.ok(Math.abs(r.height - r.seconds * unit) < 1e-6, `${r.month} ${r.language}: ${r.height}px for ${r.seconds} s`);
  assert.equal(await page.locator('.hours-chart g.column').count(), 12);
  assert.deepEqual(await page.locator('.legend li').evaluateAll((ls) => ls.map((l) => l.dataset.language)).then((l) => l.sort()),
    ['ar', 'fa', 'fr', 'ps']);
  const label = await page.locator('.hours-chart svg').getAttribute('aria-label');
  assert.match(label, /Arabic/);
  assert.equal(await page.locator('.hours-chart svg').getAttribute('role'), 'img');

  // The histogram of time to acceptance: its buckets add up to the accepted
  // urgent requests, as the speed report and the requests export count them.
  const speed = (await api(`speed?${period}`)).body.tables;
  const requests = (await api(`requests?${period}`)).body.tables.requests.rows;
  const accepted = requests.filter((r) => r.urgency === 'now' && r.accepted_at).length;
  assert.equal(accepted, PLAN.length + 1);
  assert.equal(speed.accept.total.reached, accepted);
  assert.equal(speed.accept.total.requests, accepted + 1);
  const counts = await page.locator('.accept-chart rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.dataset.count)));
  assert.equal(counts.reduce((a, b) => a + b, 0), accepted);
  const buckets = await page.locator('.accept-chart g.column').evaluateAll((gs) => gs.map((g) => g.dataset.category));
  assert.deepEqual(buckets, ['0-1', '1-2', '2-5', '5-15', '15-30', '30-']);
  const within2 = await page.locator('.accept-chart rect.bar[data-bucket="0-1"], .accept-chart rect.bar[data-bucket="1-2"]')
    .evaluateAll((rs) => rs.reduce((a, r) => a + Number(r.dataset.count), 0));
  assert.equal(within2, speed.accept.total.within_2min);
  await page.getByText(`${accepted} of ${accepted + 1} urgent requests accepted.`).waitFor();
  for (const n of ['offer', 'accept', 'start']) await sameAsApi(page, `speed.${n}`, speed[n]);

  // Every other table, as the API gives it.
  for (const [kind, names] of [['fill', ['fill', 'interpreters']], ['supply', ['languages', 'hours']],
    ['fairness', ['summary', 'interpreters']], ['feedback', ['ratings', 'comments']]]) {
    const tabs = (await api(`${kind}?${period}`)).body.tables;
    for (const n of names) {
      if (tabs[n].rows.length) await sameAsApi(page, `${kind}.${n}`, tabs[n]);
      else await page.locator(`[data-table="${kind}.${n}"] .empty`).waitFor();
    }
  }
  await page.locator('[data-table="feedback.comments"] td', { hasText: 'Clear and calm' }).waitFor();

  // CSV: what the browser saves is the API's CSV, byte for byte.
  for (const [button, query, name] of [['hours.hours', `hours?${period}&by=institution&format=csv&table=hours`, 'hours'],
    ['speed.accept', `speed?${period}&by=language&format=csv&table=accept`, 'accept']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-csv="${button}"]`).click()]);
    const saved = fs.readFileSync(await download.path(), 'utf8');
    const expected = await api(query);
    assert.equal(expected.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(saved, expected.text);
    assert.match(saved, /\r\nTOTAL,/);
    assert.equal(download.suggestedFilename(), `dragoman_${button.split('.')[0]}_${name}_by-${button === 'hours.hours' ? 'institution' : 'language'}_${from}_${to}.csv`);
  }

  // Accessibility with the chart figures open, then pictures.
  for (const d of await page.locator('details.chart-figures').all()) await d.locator('summary').click();
  await checkAxe(page, 'reports en desktop');
  await shoot(page, 'reports-en-desktop');

  // A phone: the charts are drawn again at its width, and the page does not scroll sideways.
  await page.setViewportSize(PHONE);
  await waitFor(async () => Number(await page.locator('.hours-chart svg').getAttribute('width')) <= PHONE.width,
    { what: 'the chart redrawn at phone width' });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
  assert.equal(await page.locator('.hours-chart rect.bar').count(), rects.length);
  await checkAxe(page, 'reports en phone');
  await shoot(page, 'reports-en-phone');

  // A period without sessions says so rather than drawing an empty chart.
  await page.getByLabel('From', { exact: true }).fill('2020-01-01');
  await page.getByLabel('To', { exact: true }).fill('2020-01-31');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await showing(page, '2020-01-01', '2020-01-31');
  await page.locator('[data-report="hours"]').getByText('No sessions in this period.').waitFor();
  await page.locator('[data-report="speed"]').getByText('No requests in this period.').waitFor();
  assert.equal(await page.locator('.chart rect').count(), 0);

  // A period the server refuses: its message, and the field marked.
  await page.getByLabel('From', { exact: true }).fill('2020-03-01');
  await page.getByLabel('To', { exact: true }).fill('2020-02-01');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await page.getByRole('alert').getByText('The server refused the report. To: must not be before from').waitFor();
  assert.equal(await page.getByLabel('To', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('.report-sections').isHidden(), true);

  page.assertClean();
  await page.closeAll();
});

test('reports in Arabic, right to left', T(120), async () => {
  const page = await openFace(ctx.browser, env.server, 'console', COORD, { label: 'reports-ar' });
  await page.getByRole('tab', { name: 'Reports' }).click();
  const [from, to] = quick('last_12');
  await page.getByRole('button', { name: 'Last 12 months' }).click();
  await showing(page, from, to);
  await page.locator('select.ui-lang').selectOption('ar');
  await page.locator('html[dir="rtl"][lang="ar"]').waitFor();
  await page.getByRole('tab', { name: 'التقارير' }).waitFor();
  await page.locator('[data-report="hours"] h2', { hasText: 'ساعات الخدمة' }).waitFor();
  await page.locator('[data-table="hours.hours"] th[data-col="sessions"]', { hasText: 'الجلسات' }).waitFor();
  // The months run from the right: the earliest month's bars stand right of the latest's.
  const xs = await page.locator('.hours-chart rect.bar').evaluateAll((rs) => rs.map((r) => [r.dataset.month, Number(r.getAttribute('x'))]));
  const sorted = [...xs].sort((a, b) => a[0].localeCompare(b[0]));
  assert.ok(sorted[0][1] > sorted.at(-1)[1], `earliest month at the right: ${JSON.stringify(sorted)}`);
  assert.match(await page.locator('.hours-chart svg').getAttribute('aria-label'), /العربية/);
  const dir = await page.locator('.report-section').first().evaluate((e) => getComputedStyle(e).direction);
  assert.equal(dir, 'rtl');
  await checkAxe(page, 'reports ar desktop');
  await shoot(page, 'reports-ar-desktop');
  await page.setViewportSize(PHONE);
  await waitFor(async () => Number(await page.locator('.hours-chart svg').getAttribute('width')) <= PHONE.width,
    { what: 'the chart redrawn at phone width' });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
  await checkAxe(page, 'reports ar phone');
  await shoot(page, 'reports-ar-phone');
  page.assertClean();
  await page.closeAll();
});
