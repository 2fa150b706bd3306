// The interpreter app's service worker (scope /app/). It holds no WebSocket:
// offers pushed while the app is closed or the phone locked (Web Push, see
// proto/README.md "Push") become notifications, and their receipts go to the
// server over HTTP with the token the app keeps in IndexedDB (kv.js).
//
//   push {"type":"offer"}            a notification tagged with the offer id
//                                    (the same id replaces it), then "shown"
//   push {"type":"offer.withdrawn"}  replaces that notification with a silent "no longer
//                                    available": nobody taps a job that is gone
//   notificationclick                "clicked", then the app opens (or comes to the front)
//                                    with the offer: #offer=ID&action=open|accept|decline,
//                                    or a message to the open window; push.js acts on it
//   pushsubscriptionchange           subscribes again; the app registers the new
//                                    subscription when it next runs (the server takes
//                                    subscriptions only over the WebSocket)
//
// No fetch handler: pages load from the network exactly as without a worker.
'use strict';
// The shared scripts hang off window.Dragoman; a worker has no window.
self.window = self;
importScripts('../lib/dom.js', '../lib/i18n.js', '../lib/strings-en.js', '../lib/strings-fi.js',
  '../lib/strings-ar.js', '../lib/format.js', 'kv.js');

const D = self.Dragoman;
const t = (k, v) => D.i18n.t(k, v);
const VIBRATE = [400, 200, 400, 200, 400];
const RETRIES_MS = [1000, 3000];

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

const kvGet = (key) => D.kv.get(key).catch(() => null);
const api = (path) => new URL(path, new URL('../', self.registration.scope)).href;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The UI language the interpreter chose in the app, else the phone's.
async function language() {
  D.i18n.init(await kvGet('lang'));
}

// POST /api/offers/ID/ack with the interpreter's token. A phone that has just
// woken may not have its network yet: tried again a couple of times.
async function receipt(offer, event) {
  const token = await kvGet('token');
  if (!token || !offer) return;
  for (let i = 0; ; i++) {
    let status = 0;
    try {
      const res = await fetch(api(`api/offers/${encodeURIComponent(offer)}/ack`), {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ event, via: 'push' }),
      });
      status = res.status;
    } catch { /* no network */ }
    if ((status > 0 && status < 500) || i >= RETRIES_MS.length) return;
    await sleep(RETRIES_MS[i]);
  }
}

// Windows of the app (any page under the scope), whether or not this worker controls them.
async function appWindows() {
  const all = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return all.filter((c) => c.url.startsWith(self.registration.scope));
}

function title(offer) {
  return t('push.notify_title', { language: D.i18n.languageText(offer.language), modality: t(`mod.${offer.modality}`) });
}

function body(offer) {
  const clinic = (offer.clinic && offer.clinic.name) || '';
  return t('push.notify_body', { clinic, time: D.format.time(offer.deadline) });
}

async function showOffer(offer) {
  await language();
  // The app on screen shows the offer itself (its WebSocket has it too); it
  // only hears that one came, in case its connection is asleep.
  const front = (await appWindows()).find((c) => c.focused && c.visibilityState === 'visible');
  if (front) {
    front.postMessage({ type: 'dragoman.push', offer });
    await receipt(offer.id, 'received');
    return;
  }
  const maxActions = self.Notification && self.Notification.maxActions;
  await self.registration.showNotification(title(offer), {
    body: body(offer),
    tag: offer.id,
    renotify: true,
    requireInteraction: true,
    vibrate: VIBRATE,
    icon: 'icons/icon-192.png',
    lang: D.i18n.lang,
    dir: D.i18n.dir(),
    timestamp: Date.now(),
    data: offer,
    actions: maxActions === 0 ? [] : [
      { action: 'accept', title: t('push.accept') },
      { action: 'decline', title: t('push.decline') },
    ],
  });
  await receipt(offer.id, 'shown');
}

// The offer's notification becomes a silent note that the job is gone, with
// nothing to tap: a push that shows nothing counts against the site (Chrome
// then shows a notice of its own; Safari drops the subscription after a few).
async function closeOffer(msg) {
  const shown = await self.registration.getNotifications({ tag: msg.offer });
  if (shown.length === 0) return;
  const why = `withdrawn.${msg.reason}`;
  await self.registration.showNotification(t('push.gone'), {
    tag: msg.offer, body: t(why) !== why ? t(why) : t('push.too_late'), silent: true, renotify: false,
    data: { gone: true, id: msg.offer },
  });
}

self.addEventListener('push', (event) => {
  let msg = null;
  try {
    msg = event.data ? event.data.json() : null;
  } catch { /* not ours */ }
  if (msg && msg.type === 'offer' && msg.offer && msg.offer.id) event.waitUntil(showOffer(msg.offer));
  else if (msg && msg.type === 'offer.withdrawn' && msg.offer) event.waitUntil(closeOffer(msg));
});

// Opens the app on the offer (accept and decline act at once, see push.js).
// Windows are opened or focused first, while the tap still allows it.
async function openOffer(offer, action) {
  const act = action === 'accept' || action === 'decline' ? action : 'open';
  const clicked = receipt(offer.id, 'clicked');
  const windows = await appWindows();
  const win = windows.find((c) => c.visibilityState === 'visible') || windows[0];
  if (win) {
    try {
      await win.focus();
    } catch { /* not allowed: the message still reaches it */ }
    win.postMessage({ type: 'dragoman.offer', offer: offer.id, request: offer.request, action: act });
  } else {
    const hash = offer.id
      ? `#offer=${encodeURIComponent(offer.id)}&request=${encodeURIComponent(offer.request || '')}&action=${act}` : '';
    await self.clients.openWindow(new URL(`./${hash}`, self.registration.scope).href).catch(() => null);
  }
  await clicked;
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  if (data.gone) return;
  event.waitUntil(openOffer(data, event.action));
});

// The application server key, as pushManager.subscribe() takes it.
async function serverKey() {
  const res = await fetch(api('api/push/key'));
  const { public_key: key } = await res.json();
  return Uint8Array.from(atob(key.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}

async function resubscribe(event) {
  let sub = event.newSubscription;
  if (!sub) {
    const old = event.oldSubscription && event.oldSubscription.options;
    const key = (old && old.applicationServerKey) || await serverKey();
    sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }
  // An open app registers it now; a closed one when it next connects (it
  // compares the subscription with the one it registered).
  for (const c of await appWindows()) c.postMessage({ type: 'dragoman.resubscribed' });
}

self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(resubscribe(event).catch(() => null));
});

// For tests, which cannot tap a notification: the same path as a tap.
self.dragomanOpenOffer = openOffer;
