// Offers on a locked phone (Web Push, proto/README.md "Push"): registers the
// service worker (sw.js), and the settings screen, reached from the main
// screen: on/off for this phone (permission, pushManager.subscribe with the
// server's key, push.subscribe), quiet hours, the kinds of job that may wake
// the phone, and the devices that get offers. Everything shown comes from the
// server's `push` object (snapshot, and each reply).
//
// It also carries out a tapped notification: the worker opens the app with
// #offer=ID&action=accept|decline|open, or sends the open app a message, and
// once the offer is on screen the app accepts it, or shows the reasons to
// decline, as if the interpreter had tapped there.
'use strict';
(function (D) {
  const { h, uid, store } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const MODALITIES = ['phone', 'video', 'onsite'];
  // The device id the server gave this browser's subscription, and its endpoint.
  const DEVICE_KEY = 'dragoman.push.device';
  const TOKEN_KEY = 'dragoman.token.app';
  const READY_MS = 10000;

  const b64u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_')
    .replace(/=+$/, '');
  const unb64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const kv = (key, value) => (D.kv ? D.kv.set(key, value).catch(() => {}) : Promise.resolve());

  // What this browser can do: ok | insecure (plain http: no workers) | ios
  // (Safari pushes only to an app added to the Home Screen) | unsupported.
  function support() {
    if (!window.isSecureContext) return 'insecure';
    const ios = /iPhone|iPad|iPod/.test(navigator.userAgent) || (/Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1);
    if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
      return ios ? 'ios' : 'unsupported';
    }
    return 'ok';
  }

  const registration = 'serviceWorker' in navigator
    ? navigator.serviceWorker.register('sw.js', { scope: './', updateViaCache: 'none' }).catch((e) => {
      console.warn('dragoman: no service worker', e);
      return null;
    })
    : Promise.resolve(null);

  // The worker's registration once it is active (pushManager.subscribe needs that), or null.
  function ready() {
    if (!('serviceWorker' in navigator)) return Promise.resolve(null);
    return Promise.race([registration.then((r) => (r ? navigator.serviceWorker.ready : null)),
      new Promise((resolve) => setTimeout(() => resolve(null), READY_MS))]);
  }

  async function subscription() {
    const reg = await registration;
    if (!reg || !reg.pushManager) return null;
    return reg.pushManager.getSubscription().catch(() => null);
  }

  // "Chrome · Android": enough for the interpreter to tell their devices apart.
  function deviceLabel() {
    const ua = navigator.userAgent;
    const browser = [[/Edg\//, 'Edge'], [/SamsungBrowser/, 'Samsung Internet'], [/Firefox\/|FxiOS/, 'Firefox'],
      [/OPR\//, 'Opera'], [/Chrome\/|CriOS/, 'Chrome'], [/Safari\//, 'Safari']].find(([re]) => re.test(ua));
    const os = [[/Android/, 'Android'], [/iPhone/, 'iPhone'], [/iPad/, 'iPad'], [/Windows/, 'Windows'],
      [/Mac OS X/, 'Mac'], [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux']].find(([re]) => re.test(ua));
    return [browser && browser[1], os && os[1]].filter(Boolean).join(' · ').slice(0, 80) || 'Browser';
  }

  // Signed out: this browser stops getting offers (the push service then
  // tells the server the subscription is gone) and the worker forgets the token.
  document.addEventListener('DOMContentLoaded', async () => {
    if (store.get(TOKEN_KEY)) return;
    kv('token', null);
    store.set(DEVICE_KEY, null);
    const sub = await subscription();
    if (sub) sub.unsubscribe().catch(() => {});
  });

  // A tapped notification that opened the app: #offer=ID&request=ID&action=...
  function fromAddress() {
    const m = /(?:^#|&)offer=([^&]+)/.exec(location.hash);
    if (!m) return null;
    const field = (name) => {
      const f = new RegExp(`(?:^#|&)${name}=([^&]*)`).exec(location.hash);
      return f ? decodeURIComponent(f[1]) : '';
    };
    const tap = { offer: decodeURIComponent(m[1]), request: field('request'), action: field('action') || 'open' };
    history.replaceState(history.state, '', location.pathname + location.search);
    return tap;
  }
  const tapped = fromAddress();

  function PushSettings(client, { notify }) {
    let push = null; // the server's push object
    let sub = null; // this browser's PushSubscription, once looked up
    let problem = ''; // a key of the notice to show: push.denied, push.failed, ...
    let problemText = '';
    let busy = false;
    let dirty = false; // the form has edits not yet saved
    let open = false;
    let pending = tapped; // a tapped notification to act on
    let current = null; // the offer the app shows, from the server
    let snapshotSeen = false;

    const headingId = uid('push');
    const hintId = uid('push-hint');
    const entryState = h('span', { class: 'badge' });
    const entry = h('button', { class: 'push-entry card', type: 'button', onclick: () => show(true, true) },
      h('span', { class: 'push-entry-title', t: 'push.title' }), entryState);

    // Busy, the switch says so rather than being disabled: a disabled button would drop the focus.
    const toggle = h('button', { class: 'push-switch', type: 'button', role: 'switch', 'aria-checked': 'false',
      'aria-describedby': hintId, onclick: () => {
        if (toggle.getAttribute('aria-disabled') !== 'true') (checked() ? turnOff() : turnOn());
      } },
    h('span', { class: 'knob', 'aria-hidden': 'true' }), h('span', { t: 'push.switch' }));
    const hint = h('div', { id: hintId, class: 'push-hint' });

    const quietOn = h('input', { type: 'checkbox', id: uid('quiet') });
    const from = h('input', { type: 'time', id: uid('from'), required: true });
    const to = h('input', { type: 'time', id: uid('to'), required: true });
    const mods = Object.fromEntries(MODALITIES.map((m) => [m, h('input', { type: 'checkbox', id: uid(`mod-${m}`), value: m })]));
    const formError = h('p', { class: 'error', role: 'alert' });
    const saved = h('p', { class: 'hint', role: 'status' });
    const form = h('form', { class: 'push-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); save(); },
      oninput: () => { dirty = true; saved.textContent = ''; formError.textContent = ''; syncTimes(); } },
    h('fieldset', {}, h('legend', { t: 'push.quiet' }),
      h('label', { class: 'check', for: quietOn.id }, quietOn, h('span', { t: 'push.quiet_on' })),
      h('div', { class: 'push-times' },
        h('div', { class: 'field' }, h('label', { for: from.id, t: 'push.from' }), from),
        h('div', { class: 'field' }, h('label', { for: to.id, t: 'push.to' }), to)),
      h('p', { class: 'hint', t: 'push.quiet_hint' })),
    h('fieldset', {}, h('legend', { t: 'push.modalities' }),
      MODALITIES.map((m) => h('label', { class: 'check', for: mods[m].id }, mods[m], h('span', { t: `mod.${m}` })))),
    formError,
    h('div', { class: 'actions' }, h('button', { class: 'btn primary', type: 'submit', t: 'push.save' })),
    saved);

    const devices = h('ul', { class: 'push-devices' });
    const devicesId = uid('devices');
    const back = h('button', { class: 'btn small', type: 'button', t: 'push.back', onclick: () => show(false, true) });
    const heading = h('h2', { id: headingId, tabindex: '-1', t: 'push.title' });
    const view = h('section', { class: 'push-settings card', 'aria-labelledby': headingId, hidden: true },
      h('div', { class: 'push-head' }, heading, back),
      toggle, hint, form,
      h('section', { 'aria-labelledby': devicesId }, h('h3', { id: devicesId, t: 'push.devices' }), devices));
    const el = h('div', { class: 'push-app' }, entry, view);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && open && !e.defaultPrevented && !document.querySelector('.offer-screen:not([hidden])')) {
        show(false, true);
      }
    });

    /* ---------- state ---------- */

    const mine = () => store.get(DEVICE_KEY);
    // This browser's subscription is one of the interpreter's devices.
    function registered() {
      const m = mine();
      return Boolean(push && m && sub && sub.endpoint === m.endpoint && push.devices.some((d) => d.device === m.device));
    }
    const checked = () => Boolean(push && push.enabled && registered());

    function update(p) {
      if (!p) return;
      push = p;
      render();
    }

    // The settings the server has, with enabled as given (on/off leaves the
    // form's unsaved edits alone).
    function stored(enabled) {
      const m = { enabled };
      if (push && push.quiet_from && push.quiet_to) Object.assign(m, { quiet_from: push.quiet_from, quiet_to: push.quiet_to });
      if (push && push.modalities.length && push.modalities.length < MODALITIES.length) m.modalities = push.modalities;
      return m;
    }

    async function settings(msg) {
      update((await client.send('push.settings', msg)).push);
    }

    // push.subscribe with this subscription; a device this browser had before
    // under another subscription is removed.
    async function register(s) {
      const j = s.toJSON();
      const data = await client.send('push.subscribe', { endpoint: j.endpoint,
        keys: { p256dh: j.keys.p256dh, auth: j.keys.auth }, label: deviceLabel() });
      const old = mine();
      store.set(DEVICE_KEY, { device: data.device, endpoint: j.endpoint });
      sub = s;
      let p = data.push;
      if (old && old.device !== data.device && p.devices.some((d) => d.device === old.device)) {
        p = (await client.send('push.unsubscribe', { device: old.device })).push;
      }
      return p;
    }

    async function serverKey() {
      if (push && push.public_key) return push.public_key;
      return (await client.api('GET', '/api/push/key')).public_key;
    }

    // After each (re)connection: the subscription the server has for this
    // browser is the one the browser has. The worker may have subscribed
    // again (pushsubscriptionchange), the server's key may have changed, or the
    // browser may have dropped it (permission taken back).
    async function reconcile() {
      if (support() !== 'ok') return render();
      const found = await subscription();
      if (found === undefined) return render();
      sub = found;
      const m = mine();
      const listed = Boolean(m && push && push.devices.some((d) => d.device === m.device));
      const keyChanged = Boolean(sub && push && push.public_key && keyOf(sub) && keyOf(sub) !== push.public_key);
      try {
        if (m && !listed) {
          // Removed on another device, or dropped by the server: this one stays off.
          store.set(DEVICE_KEY, null);
          if (sub) await sub.unsubscribe().catch(() => {});
          sub = null;
        } else if (m && sub && (sub.endpoint !== m.endpoint || keyChanged)) {
          let s = sub;
          if (keyChanged) {
            await s.unsubscribe().catch(() => {});
            s = await (await ready()).pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: unb64u(push.public_key) });
          }
          update(await register(s));
        } else if (m && !sub) {
          store.set(DEVICE_KEY, null);
          update((await client.send('push.unsubscribe', { device: m.device })).push);
        }
      } catch (err) {
        console.warn('dragoman: could not bring the push subscription up to date', err);
      }
      render();
    }

    function keyOf(s) {
      const k = s.options && s.options.applicationServerKey;
      return k ? b64u(k) : '';
    }

    /* ---------- actions ---------- */

    async function act(fn) {
      if (busy) return;
      busy = true;
      problem = '';
      render();
      try {
        await fn();
      } catch (err) {
        problem = 'push.failed';
        problemText = err instanceof D.ClientError ? D.i18n.error(err) : (err && err.message) || String(err);
      }
      busy = false;
      render();
    }

    function turnOn() {
      if (support() !== 'ok') return;
      // Asked at once, inside the tap: browsers ask only during a user gesture.
      const asking = Notification.permission === 'granted' ? Promise.resolve('granted') : Notification.requestPermission();
      act(async () => {
        const permission = await asking;
        if (permission !== 'granted') {
          problem = permission === 'denied' ? 'push.denied' : 'push.dismissed';
          return;
        }
        const reg = await ready();
        if (!reg) throw new Error(t('push.no_worker'));
        const key = await serverKey();
        let s = await reg.pushManager.getSubscription();
        if (s && keyOf(s) && keyOf(s) !== key) {
          await s.unsubscribe().catch(() => {});
          s = null;
        }
        if (!s) s = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: unb64u(key) });
        let p = await register(s);
        push = p;
        if (!p.enabled) p = (await client.send('push.settings', stored(true))).push;
        update(p);
      });
    }

    function turnOff() {
      act(() => settings(stored(false)));
    }

    function save() {
      const msg = { enabled: Boolean(push && push.enabled) };
      if (quietOn.checked) {
        if (!from.value || !to.value) return fail(t('push.quiet_missing'), from.value ? to : from);
        if (from.value === to.value) return fail(t('push.quiet_same'), to);
        Object.assign(msg, { quiet_from: from.value.slice(0, 5), quiet_to: to.value.slice(0, 5) });
      }
      const chosen = MODALITIES.filter((m) => mods[m].checked);
      if (!chosen.length) return fail(t('push.modalities_none'), mods.phone);
      if (chosen.length < MODALITIES.length) msg.modalities = chosen;
      act(async () => {
        await settings(msg);
        dirty = false;
        fillForm();
        saved.textContent = t('push.saved');
      });
      return null;
    }

    function fail(text, field) {
      formError.textContent = text;
      field.focus();
    }

    function remove(device) {
      act(async () => {
        const p = (await client.send('push.unsubscribe', { device })).push;
        const m = mine();
        if (m && m.device === device) {
          store.set(DEVICE_KEY, null);
          const s = await subscription();
          if (s) await s.unsubscribe().catch(() => {});
          sub = null;
        }
        update(p);
        notify(t('push.removed'));
        toggle.focus();
      });
    }

    /* ---------- the screen ---------- */

    // The settings replace the main screen (and get a history entry, so the
    // phone's back button comes back to it).
    function show(on, focus, fromHistory = false) {
      open = on;
      const main = el.closest('main');
      if (main) main.classList.toggle('push-open', on);
      view.hidden = !on;
      entry.hidden = on;
      if (!fromHistory) {
        if (on && location.hash !== '#push') history.pushState({ dragoman: 'push' }, '', '#push');
        if (!on && location.hash === '#push') {
          if (history.state && history.state.dragoman === 'push') history.back();
          else history.replaceState(null, '', location.pathname + location.search);
        }
      }
      if (on) {
        saved.textContent = '';
        render();
        fillForm();
      }
      if (focus) (on ? heading : entry).focus();
    }
    window.addEventListener('popstate', () => {
      const on = location.hash === '#push';
      if (on !== open) show(on, true, true);
    });

    function fillForm() {
      if (!push || dirty) return;
      quietOn.checked = Boolean(push.quiet_from);
      from.value = push.quiet_from || '22:00';
      to.value = push.quiet_to || '07:00';
      for (const m of MODALITIES) mods[m].checked = !push.modalities.length || push.modalities.includes(m);
      formError.textContent = '';
      syncTimes();
    }

    function syncTimes() {
      from.disabled = to.disabled = !quietOn.checked;
    }

    function notices() {
      const s = support();
      const out = [];
      if (s !== 'ok') out.push(h('p', { class: 'notice' }, t(`push.${s}`)));
      else if (problem === 'push.failed') out.push(h('p', { class: 'notice danger', role: 'alert' }, t('push.failed', { error: problemText })));
      else if (problem) out.push(h('p', { class: 'notice danger', role: 'alert' }, t(problem)));
      else if (Notification.permission === 'denied') out.push(h('p', { class: 'notice danger' }, t('push.denied')));
      if (push && !push.public_key) out.push(h('p', { class: 'notice' }, t('push.no_key')));
      return out;
    }

    function render() {
      const on = checked();
      entryState.textContent = t(on ? 'push.state_on' : 'push.state_off');
      entryState.className = `badge${on ? ' ok' : ''}`;
      toggle.setAttribute('aria-checked', String(on));
      toggle.dataset.on = String(on);
      toggle.disabled = support() !== 'ok';
      toggle.setAttribute('aria-disabled', String(busy || !push || client.state !== 'online' || !push.public_key));
      let line = t(on ? 'push.on_hint' : 'push.off_hint');
      if (!on && push && push.enabled && push.devices.length && !registered()) line = t('push.other_devices');
      D.dom.fill(hint, h('p', { class: 'hint' }, line), notices());
      const m = mine();
      D.dom.fill(devices, push && push.devices.length ? push.devices.map((d) => {
        const here = registered() && m.device === d.device;
        const name = d.label || t('push.unnamed');
        return h('li', {}, h('span', { class: 'push-device' }, name, here ? [' ', h('span', { class: 'badge' }, t('push.this_device'))] : null),
          h('button', { class: 'btn small danger', type: 'button', disabled: client.state !== 'online',
            'aria-label': t('push.remove_device', { label: name }), onclick: () => remove(d.device) }, t('push.remove')));
      }) : h('li', { class: 'hint' }, t('push.no_devices')));
      fillForm();
    }

    /* ---------- a tapped notification ---------- */

    let job = null; // the request of the interpreter's job, from the snapshot
    function follow() {
      if (!pending || !snapshotSeen || client.state !== 'online') return;
      const p = pending;
      pending = null;
      if (current === p.offer) {
        const key = p.action === 'accept' || p.action === 'decline' ? p.action : null;
        const button = key && document.querySelector(`.offer-screen [data-key="${key}"]`);
        if (button) button.click();
      } else if (!(job && p.request && job === p.request)) {
        notify(t('push.too_late'));
      }
    }

    // Offer notifications that no longer stand for an offer on screen are closed.
    async function closeNotifications(keep) {
      const reg = await registration;
      if (!reg || !reg.getNotifications) return;
      for (const n of await reg.getNotifications().catch(() => [])) if (n.tag !== keep) n.close();
    }

    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.addEventListener('message', (e) => {
        const m = e.data || {};
        if (m.type === 'dragoman.offer' && m.offer) {
          pending = { offer: m.offer, request: m.request || '', action: m.action };
          follow();
        } else if (m.type === 'dragoman.push' && client.state === 'offline') {
          client.connect();
        } else if (m.type === 'dragoman.resubscribed' && client.state === 'online') {
          reconcile();
        }
      });
      navigator.serviceWorker.startMessages();
    }

    client.on('snapshot', (m) => {
      current = m.offer ? m.offer.id : null;
      job = m.job ? m.job.id : null;
      snapshotSeen = true;
      closeNotifications(current);
      if (m.push) push = m.push;
      reconcile().then(follow);
    });
    client.on('offer', (m) => {
      current = m.offer.id;
      follow();
    });
    client.on('offer.withdrawn', (m) => {
      if (current === m.offer) current = null;
      closeNotifications(current);
    });
    client.on('state', () => render());
    client.on('hello', () => {
      kv('token', client.token);
      kv('lang', D.i18n.lang);
    });
    client.on('state', (s) => { if (s === 'refused') kv('token', null); });
    D.i18n.onChange((code) => {
      kv('lang', code);
      render();
    });
    // The offer screen closes (accepted, declined, expired): its notification goes too.
    const watch = () => {
      const screen = document.querySelector('.offer-screen');
      if (!screen) return;
      new MutationObserver(() => { if (screen.hidden) closeNotifications(null); })
        .observe(screen, { attributes: true, attributeFilter: ['hidden'] });
    };
    document.addEventListener('DOMContentLoaded', watch);
    if (location.hash === '#push') setTimeout(() => show(true, false, true));
    render();
    return { el };
  }

  D.PushSettings = PushSettings;
})(window.Dragoman = window.Dragoman || {});
