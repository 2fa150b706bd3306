// Browser-test helpers: Debian's Chromium through playwright-core, pages that
// fail the test on any script error, axe-core checks, screenshots, and small
// steps that act the way a person does (tap a tile, press a button by name).
// The server, Redis and the data set come from the integration harness.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

import { REPO, SCALE, freePort } from '../../integration/lib/harness.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = path.join(REPO, 'tests/out/screenshots');
export const PHONE = { width: 360, height: 640 };
export const DESKTOP = { width: 1280, height: 800 };
// Bound for one expectation in the browser (Playwright's own timeout).
export const UI_MS = 8000 * SCALE;

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// Calls: a fake camera (a moving test pattern) and microphone (a beep),
// permission granted without asking, and WebRTC over loopback (a machine with
// only loopback gathers no candidates otherwise).
export const MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'];

// Launches Chromium for the file and closes it afterwards; media: with the
// fake camera and microphone for calls.
export function useBrowser({ media = false } = {}) {
  const ctx = { browser: null };
  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    ctx.browser = await chromium.launch({ executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless=new', ...(media ? MEDIA_ARGS : [])] });
  }, { timeout: 30000 });
  after(() => ctx.browser?.close(), { timeout: 30000 });
  return ctx;
}

// Messages a page may log when the server is down on purpose.
const EXPECTED_NOISE = /WebSocket connection to .* failed|Failed to load resource|ERR_CONNECTION_REFUSED/;

// A page in its own context (own localStorage), at a viewport size and UI
// language. Script errors are collected; call page.assertClean() at the end.
export async function openPage(browser, url, { viewport = DESKTOP, lang = 'en', label = 'page' } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_MS);
  const errors = [];
  page.on('pageerror', (e) => errors.push(`${label}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !EXPECTED_NOISE.test(m.text())) errors.push(`${label}: console: ${m.text()}`);
  });
  await page.addInitScript((l) => localStorage.setItem('dragoman.lang', JSON.stringify(l)), lang);
  await page.goto(url);
  page.assertClean = () => assert.deepEqual(errors, [], `script errors:\n${errors.join('\n')}`);
  page.closeAll = () => context.close();
  return page;
}

// A full face (clinic, app, console) signed in with a #token= link, once online.
export async function openFace(browser, server, face, token, opts = {}) {
  const page = await openPage(browser, `${server.base}/${face}/#token=${encodeURIComponent(token)}`, opts);
  await page.locator('.conn[data-state="online"]').waitFor();
  return page;
}

// Taps a tile (a radio drawn as a big button) by its input's value.
export async function tapTile(scope, value) {
  await scope.locator(`label.tile:has(input[value="${value}"])`).first().click();
}

// Runs axe-core on the page (open shadow roots included) and fails on any
// violation of serious or critical impact, listing each with its nodes.
// context: a selector to check only that part (e.g. the widget on a host page).
export async function checkAxe(page, what, context = null) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (only) => {
    // No preload: it fetches cross-origin stylesheets with XHR, which CORS refuses.
    const r = await window.axe.run(only ? { include: [only] } : document, { resultTypes: ['violations'], preload: false });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  }, context);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${what}: axe found:\n${bad.map((v) => `${v.id} (${v.impact}) ${v.help}\n  ${v.nodes.join('\n  ')}`).join('\n')}`);
  return violations;
}

export async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  // Let transitions (the toast, the switch) settle so the picture is what a person sees.
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

// A tiny web server on another port: a "foreign" site that embeds the widget.
// pages: {"/path": html}. Returns {port, close()}.
export async function foreignSite(pages) {
  const port = await freePort();
  const srv = http.createServer((req, res) => {
    const body = pages[new URL(req.url, 'http://x').pathname];
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(body || 'not found');
  });
  await new Promise((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return { port, close: () => new Promise((resolve) => srv.close(resolve)) };
}

// A clinic's web page that embeds the widget with one tag, with extra CSS.
export function hostPage(base, key, css = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A clinic's website</title>
<style>${css}</style></head><body>
<h1>North Hospital</h1>
<p class="card" id="host-card">The host page's own text.</p>
<button class="btn" id="host-button" type="button">Host button</button>
<script src="${base}/widget.js" data-clinic-key="${key}"></script>
</body></html>`;
}

// The id of the request a clinic card shows (for checks through the HTTP API).
export async function requestId(scope, state) {
  const card = scope.locator(`article.request[data-state="${state}"]`).first();
  await card.waitFor();
  return card.getAttribute('data-request');
}
