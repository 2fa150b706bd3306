// Offers on a locked phone in the real app (src/web/app/push.js, sw.js):
//
// - the settings screen subscribes this browser and registers it with the
//   server, and quiet hours, the kinds of job, off and removing a device all go
//   through the server and come back after a reload; it says so plainly when
//   notifications are blocked or the browser cannot do push; axe-core in
//   English and Arabic at phone size;
// - the service worker turns offers into notifications and closes them when
//   they are withdrawn, says "shown" and "clicked" to the server, and a tap on
//   Accept accepts in the app.
//
// Headless Chromium has no push service: pushManager.subscribe() is replaced in
// the page by one that hands out a subscription of the loopback push service
// (tests/integration/lib/pushservice.mjs), to which dragomand really sends,
// encrypted; what that decrypts is delivered to the worker through the DevTools
// protocol (ServiceWorker.deliverPushMessage), as a push service would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { PushService } from '../integration/lib/pushservice.mjs';
import { T, create, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { PHONE, checkAxe, openPage, screenshot, useBrowser } from './lib/browser.mjs';

// Generous delivery and answer times: these tests take their time between an
// offer and its receipt, and nothing should expire under them.
const env = useEnv({ 'delivery-timeout': 30, 'offer-timeout': 120 });
const ctx = useBrowser();
let ps;
let key;

before(async () => {
  await waitFor(() => env.server, { timeout: 60000, what: 'the server' });
  key = (await env.http('GET', '/api/push/key')).body.public_key;
  // Every push must be signed with the key the page subscribed with.
  ps = await PushService.start({ vapidPublicKey: key });
}, T(90));
after(() => ps?.close());

// Runs in the page before its scripts: a PushManager whose subscription is the
// loopback push service's (kept in localStorage, so it survives reloads), or
// notifications blocked, or no push at all.
function stubPush({ sub, permission, push }) {
  // A page opened by a tap has had no tap inside it yet, so Chrome refuses
  // (and logs) navigator.vibrate: headless has no motor anyway.
  navigator.vibrate = () => true;
  if (!push) {
    delete window.PushManager;
    return;
  }
  if (permission === 'denied') {
    Object.defineProperty(Notification, 'permission', { configurable: true, get: () => 'denied' });
    Notification.requestPermission = async () => 'denied';
  }
  const KEY = 'test.push.subscription';
  const b64u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const unb64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
  const make = (s) => ({
    endpoint: s.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: unb64u(s.key) },
    getKey: (name) => unb64u(s.keys[name]),
    toJSON: () => ({ endpoint: s.endpoint, expirationTime: null, keys: s.keys }),
    unsubscribe: async () => {
      localStorage.removeItem(KEY);
      return true;
    },
  });
  PushManager.prototype.subscribe = async function subscribe(opts) {
    if (!opts || opts.userVisibleOnly !== true || !opts.applicationServerKey) throw new DOMException('bad options', 'NotAllowedError');
    if (Notification.permission !== 'granted') throw new DOMException('permission denied', 'NotAllowedError');
    const s = { ...(window.nextSubscription || sub), key: b64u(opts.applicationServerKey) };
    localStorage.setItem(KEY, JSON.stringify(s));
    return make(s);
  };
  PushManager.prototype.getSubscription = async function getSubscription() {
    const s = localStorage.getItem(KEY);
    return s ? make(JSON.parse(s)) : null;
  };
}

// An interpreter's phone: the app signed in, with a subscription of its own.
async function phone(id, { lang = 'en', permission = 'granted', push = true } = {}) {
  const page = await openPage(ctx.browser, `${env.server.base}/healthz`, { viewport: PHONE, lang, label: id });
  if (permission === 'granted') await page.context().grantPermissions(['notifications'], { origin: env.server.base });
  const sub = ps.subscribe();
  await page.context().addInitScript(stubPush, { sub, permission, push });
  await page.goto(`${env.server.base}/app/#token=${token(id)}`);
  await page.locator('.conn[data-state="online"]').waitFor();
  page.sub = sub;
  return page;
}

// The interpreter's push settings as the server has them (a fresh connection's snapshot).
async function serverPush(id) {
  const c = await env.connect(token(id));
  await c.close();
  return c.snapshot.push;
}

async function openSettings(page) {
  await page.getByRole('button', { name: /Offers on my locked phone|العروض على هاتفي المقفل/ }).click();
  await page.locator('.push-settings').waitFor();
}

const toggle = (page) => page.locator('.push-settings [role="switch"]');

// The notifications the app's service worker shows.
function notifications(page) {
  return page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration('/app/');
    return (await reg.getNotifications()).map((n) => ({ tag: n.tag, title: n.title, body: n.body, data: n.data,
      requireInteraction: n.requireInteraction, renotify: n.renotify, actions: n.actions.map((a) => a.action) }));
  });
}

// Pushes reach the worker as a push service would deliver them (DevTools protocol).
async function pushChannel(page) {
  const cdp = await page.context().newCDPSession(page);
  const regs = new Map();
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
    for (const r of e.registrations) regs.set(r.scopeURL, r);
  });
  await cdp.send('ServiceWorker.enable');
  const reg = await waitFor(() => regs.get(`${env.server.base}/app/`), { what: 'the /app/ service worker registration' });
  return (payload) => cdp.send('ServiceWorker.deliverPushMessage', {
    origin: env.server.base, registrationId: reg.registrationId, data: JSON.stringify(payload) });
}

// What the server sent to the page's subscription, decrypted.
function pushed(page, type, pred = () => true) {
  const id = PushService.idOf(page.sub.endpoint);
  return ps.waitFor((m) => m.id === id && m.payload.type === type && pred(m.payload), 8000).then((m) => m.payload);
}

async function until(page, fn, what) {
  return waitFor(async () => fn(await notifications(page)), { what });
}

// An interpreter available with push on for this phone, then the app closed
// (the phone is in a pocket): the page and the channel its pushes arrive by.
async function pocketPhone(id) {
  const page = await phone(id);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const deliver = await pushChannel(page);
  await page.getByRole('switch').click(); // available
  await page.locator('.switch[aria-checked="true"]').waitFor();
  await openSettings(page);
  await toggle(page).click();
  await page.locator('.push-settings [role="switch"][aria-checked="true"]').waitFor();
  await page.goto(`${env.server.base}/`);
  return { page, deliver };
}

test('settings: this phone on, quiet hours, kinds of job, off and remove, through the server', T(90), async () => {
  const page = await phone('i-a1');
  await page.locator('.push-entry').waitFor();
  await checkAxe(page, 'app main screen with the entry to the settings');
  await screenshot(page, 'push-en-phone-main');
  await openSettings(page);
  await assert.doesNotReject(page.locator('.push-settings h2:focus').waitFor(), 'the heading takes the focus');
  assert.equal(await toggle(page).getAttribute('aria-checked'), 'false');
  assert.equal((await serverPush('i-a1')).devices.length, 0);

  await toggle(page).click();
  await page.locator('.push-settings [role="switch"][aria-checked="true"]').waitFor();
  await page.locator('.push-devices li').getByText('this phone').waitFor();
  let p = await serverPush('i-a1');
  assert.equal(p.enabled, true);
  assert.equal(p.devices.length, 1);
  assert.match(p.devices[0].label, /Chrome · Linux/);
  const subscribed = JSON.parse(await page.evaluate(() => localStorage.getItem('test.push.subscription')));
  assert.equal(subscribed.key, key, 'subscribed with the server\'s application server key');
  assert.equal(await env.redis.cmd('HGET', 'dm:i:i-a1:push', p.devices[0].device).then((v) => v.split('\t')[0]),
    page.sub.endpoint, 'the server has this browser\'s endpoint');

  // Quiet hours and kinds of job, with the keyboard where a person would use it.
  await page.getByLabel('Do not wake the phone during quiet hours').check();
  await page.getByLabel('From', { exact: true }).fill('22:00');
  await page.getByLabel('To', { exact: true }).fill('07:00');
  await page.getByLabel('On site', { exact: true }).uncheck();
  await page.getByRole('button', { name: 'Save settings' }).press('Enter');
  await page.getByText('Saved.').waitFor();
  p = await serverPush('i-a1');
  assert.deepEqual([p.quiet_from, p.quiet_to, p.modalities], ['22:00', '07:00', ['phone', 'video']]);
  await checkAxe(page, 'push settings en phone');
  await screenshot(page, 'push-en-phone-settings');
  await page.screenshot({ path: 'tests/out/screenshots/push-en-phone-settings-full.png', fullPage: true });

  // Nothing chosen is refused here (the server would read "no list" as "all").
  for (const m of ['Phone', 'Video']) await page.getByLabel(m, { exact: true }).uncheck();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('alert').getByText('Choose at least one kind of job').waitFor();
  assert.deepEqual((await serverPush('i-a1')).modalities, ['phone', 'video']);

  // A reload shows what the server has (the unsaved edits are gone).
  await page.reload();
  await page.locator('.conn[data-state="online"]').waitFor();
  await page.locator('.push-settings').waitFor();
  await page.locator('.push-settings [role="switch"][aria-checked="true"]').waitFor();
  assert.equal(await page.getByLabel('Do not wake the phone during quiet hours').isChecked(), true);
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), '22:00');
  assert.equal(await page.getByLabel('To', { exact: true }).inputValue(), '07:00');
  assert.deepEqual(await Promise.all(['Phone', 'Video', 'On site'].map((m) => page.getByLabel(m, { exact: true }).isChecked())),
    [true, true, false]);

  // Off keeps the quiet hours; on again uses the same subscription.
  await toggle(page).click();
  await page.locator('.push-settings [role="switch"][aria-checked="false"]').waitFor();
  p = await serverPush('i-a1');
  assert.equal(p.enabled, false);
  assert.equal(p.quiet_from, '22:00');
  assert.equal(p.devices.length, 1, 'off keeps the device');
  await page.reload();
  await page.locator('.conn[data-state="online"]').waitFor();
  await page.locator('.push-settings [role="switch"][aria-checked="false"]').waitFor();
  await toggle(page).click();
  await page.locator('.push-settings [role="switch"][aria-checked="true"]').waitFor();
  p = await serverPush('i-a1');
  assert.equal(p.enabled, true);
  assert.equal(p.devices.length, 1);

  // Escape and the phone's back button return to the main screen.
  await page.keyboard.press('Escape');
  await page.locator('.push-settings').waitFor({ state: 'hidden' });
  await page.locator('section.hours').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('push-entry')), true, 'focus back on the entry');
  await openSettings(page);
  await page.goBack();
  await page.locator('.push-settings').waitFor({ state: 'hidden' });
  await page.locator('.push-entry').waitFor();

  // The worker subscribed again (pushsubscriptionchange): the app registers the
  // new subscription when it next runs and drops the old device.
  const renewed = ps.subscribe();
  await page.evaluate((s) => {
    const old = JSON.parse(localStorage.getItem('test.push.subscription'));
    localStorage.setItem('test.push.subscription', JSON.stringify({ ...s, key: old.key }));
  }, renewed);
  const before_ = p.devices[0].device;
  await page.reload();
  await page.locator('.conn[data-state="online"]').waitFor();
  p = await waitFor(async () => {
    const q = await serverPush('i-a1');
    return q.devices.length === 1 && q.devices[0].device !== before_ ? q : null;
  }, { what: 'the renewed subscription to replace the old device' });
  const [endpoint] = (await env.redis.cmd('HGET', 'dm:i:i-a1:push', p.devices[0].device)).split('\t');
  assert.equal(endpoint, renewed.endpoint);

  // Removing this phone: gone from the server and unsubscribed here.
  await openSettings(page);
  await page.locator('.push-settings [role="switch"][aria-checked="true"]').waitFor();
  await page.getByRole('button', { name: /^Remove Chrome/ }).click();
  await page.getByText('No devices yet.').waitFor();
  assert.equal(await toggle(page).getAttribute('aria-checked'), 'false');
  assert.deepEqual((await serverPush('i-a1')).devices, []);
  assert.equal(await page.evaluate(() => localStorage.getItem('test.push.subscription')), null);
  page.assertClean();
  await page.closeAll();
});

test('settings in Arabic, notifications blocked, and a browser without push', T(60), async () => {
  const ar = await phone('i-a2', { lang: 'ar', permission: 'denied' });
  assert.equal(await ar.evaluate(() => document.documentElement.dir), 'rtl');
  await openSettings(ar);
  await toggle(ar).click();
  await ar.getByRole('alert').getByText('الإشعارات محظورة').waitFor();
  assert.equal(await toggle(ar).getAttribute('aria-checked'), 'false');
  assert.deepEqual((await serverPush('i-a2')).devices, [], 'nothing registered without permission');
  await checkAxe(ar, 'push settings ar phone, blocked');
  await screenshot(ar, 'push-ar-phone-settings');
  // Nothing sticks out sideways at 360 px, right to left.
  assert.equal(await ar.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
  // Quiet hours still work without this phone (they apply to the others).
  await ar.getByLabel('لا تنبّه الهاتف في ساعات الهدوء').check();
  await ar.getByRole('button', { name: 'حفظ الإعدادات' }).click();
  await ar.getByText('تم الحفظ.').waitFor();
  assert.deepEqual([(await serverPush('i-a2')).quiet_from, (await serverPush('i-a2')).quiet_to], ['22:00', '07:00']);
  ar.assertClean();
  await ar.closeAll();

  const old = await phone('i-a3', { push: false });
  await openSettings(old);
  await old.getByText('This browser cannot get offers while the app is closed.').waitFor();
  assert.equal(await toggle(old).isDisabled(), true);
  await checkAxe(old, 'push settings en phone, no push');
  await screenshot(old, 'push-en-phone-unsupported');
  old.assertClean();
  await old.closeAll();
});

test('service worker: notifications for offers, replaced, withdrawn, and receipts', T(90), async () => {
  const { page, deliver } = await pocketPhone('i-a4');
  const coord = await env.coordinator();
  const clinic = await env.clinic('c-north');

  const req = await create(clinic, { modality: 'video', note: 'Ward 3' });
  const offer = (await pushed(page, 'offer', (p) => p.offer.request === req.id)).offer;
  await deliver({ type: 'offer', offer });
  const [n] = await until(page, (l) => (l.length === 1 ? l : null), 'the offer\'s notification');
  const time = await page.evaluate((ms) => new Intl.DateTimeFormat('en-u-nu-latn', { hour: '2-digit', minute: '2-digit' }).format(ms),
    offer.deadline);
  assert.equal(n.tag, offer.id);
  assert.equal(n.title, 'Arabic — العربية · Video');
  assert.equal(n.body, `North Hospital · answer by ${time}`);
  assert.equal(n.requireInteraction, true);
  assert.equal(n.renotify, true);
  assert.deepEqual(n.actions, ['accept', 'decline']);
  assert.deepEqual(n.data, offer);
  const shown = await coord.next('offer.receipt', (m) => m.offer === offer.id && m.event === 'shown');
  assert.equal(shown.via, 'push');
  assert.equal(shown.interpreter, 'i-a4');
  assert.equal(await env.redis.cmd('HGET', `dm:o:${offer.id}`, 'delivered_via'), 'push');
  assert.ok(Number(await env.redis.cmd('HGET', `dm:o:${offer.id}`, 'shown_at')) > 0);

  // Another offer is another notification; the same offer again replaces its own.
  const other = { id: 'o9001', request: 'r9001', language: 'fa', modality: 'phone', clinic: { name: 'East Surgery' },
    deadline: Date.now() + 60000 };
  await deliver({ type: 'offer', offer: other });
  await until(page, (l) => l.length === 2, 'two notifications');
  await deliver({ type: 'offer', offer: { ...other, modality: 'onsite', clinic: { name: 'West Clinic' } } });
  const two = await until(page, (l) => (l.length === 2 && l.some((x) => x.body.startsWith('West Clinic')) ? l : null),
    'the replaced notification');
  assert.deepEqual(two.map((x) => x.tag).sort(), [offer.id, other.id].sort());
  assert.equal(two.find((x) => x.tag === other.id).title, 'Farsi — فارسی · On site');

  // Withdrawn (the clinic cancels): that notification becomes a silent note with
  // nothing to tap (a push must show something); the other offer stays.
  await clinic.ok({ type: 'request.cancel', request: req.id });
  const gone = await pushed(page, 'offer.withdrawn', (p) => p.offer === offer.id);
  assert.equal(gone.reason, 'cancelled');
  await deliver(gone);
  const left = await until(page, (l) => {
    const note = l.find((x) => x.tag === offer.id);
    return l.length === 2 && note && note.data && note.data.gone ? l : null;
  }, 'the withdrawn offer\'s notification to become a note');
  const note = left.find((x) => x.tag === offer.id);
  assert.equal(note.title, 'No longer available');
  assert.equal(note.body, 'The clinic cancelled the request.');
  assert.equal(left.find((x) => x.tag === other.id).data.gone, undefined);
  await deliver({ type: 'offer.withdrawn', offer: other.id, reason: 'taken' });
  await until(page, (l) => l.every((x) => x.data && x.data.gone), 'no offer left to tap');
  page.assertClean();
  await page.closeAll();
});

test('tapping a notification: Accept accepts in the app, Decline shows the reasons', T(90), async () => {
  const { page, deliver } = await pocketPhone('i-a5');
  const coord = await env.coordinator();
  const clinic = await env.clinic('c-north');

  const req = await create(clinic, { language: 'ar', modality: 'phone' });
  const offer = (await pushed(page, 'offer', (p) => p.offer.request === req.id)).offer;
  await deliver({ type: 'offer', offer });
  await until(page, (l) => l.length === 1, 'the notification');

  // The app is open (the tap brought it up); the tap's Accept reaches it from the worker.
  await page.goto(`${env.server.base}/app/`);
  await page.getByRole('alertdialog').waitFor();
  const worker = await waitFor(() => page.context().serviceWorkers().find((w) => w.url().endsWith('/app/sw.js')),
    { what: 'the service worker' });
  await worker.evaluate(async (id) => {
    const [n] = await self.registration.getNotifications({ tag: id });
    n.close();
    await self.dragomanOpenOffer(n.data, 'accept');
  }, offer.id);
  await page.locator('section.job').getByText('North Hospital').waitFor();
  await page.getByRole('alertdialog').waitFor({ state: 'hidden' });
  const clicked = await coord.next('offer.receipt', (m) => m.offer === offer.id && m.event === 'clicked');
  assert.equal(clicked.via, 'push');
  const r = (await env.http('GET', `/api/requests/${req.id}`, { token: token('u-coord') })).body.request;
  assert.equal(r.state, 'assigned');
  assert.equal(r.interpreter.id, 'i-a5');
  assert.deepEqual(await notifications(page), []);

  // Decline from a closed app: the worker opens /app/#offer=...&action=decline.
  await clinic.ok({ type: 'request.cancel', request: req.id });
  await page.getByRole('button', { name: 'OK', exact: true }).click();
  const req2 = await create(clinic, { language: 'ar', modality: 'video' });
  const offer2 = (await pushed(page, 'offer', (p) => p.offer.request === req2.id)).offer;
  await page.goto(`${env.server.base}/`);
  await page.goto(`${env.server.base}/app/#offer=${offer2.id}&request=${req2.id}&action=decline`);
  await page.locator('.offer-screen form.decline').waitFor();
  assert.equal(await page.evaluate(() => location.hash), '', 'the address is cleaned');
  await checkAxe(page, 'decline opened from a notification');
  await page.getByRole('button', { name: 'Decline the job' }).click();
  await page.getByRole('alertdialog').waitFor({ state: 'hidden' });

  // A tap on an offer that is gone by now says so.
  await page.goto(`${env.server.base}/`);
  await page.goto(`${env.server.base}/app/#offer=${offer.id}&request=${req.id}&action=accept`);
  await page.getByText('Too late: this job was taken or withdrawn.').waitFor();
  page.assertClean();
  await page.closeAll();
});
