// The clinic panel: the request form and the live status list, shared by the
// embeddable widget and the reception-desk page. It also owns the one rule
// that makes retries safe: every new request gets a fresh idempotency key,
// kept (in localStorage) until the server has answered, and sent again with
// the same key after a dropped connection or a reload, so a retry can never
// book a second interpreter.
'use strict';
(function (D) {
  const { h, store, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  // Failures after which the request may or may not exist: resend with the same key.
  const RETRY = new Set(['offline', 'timeout', 'unavailable']);
  // A busy server ("unavailable") is asked again while connected, after a
  // pause that doubles up to the last; a dropped connection waits for hello.
  const BUSY_RETRY_MS = [1000, 2000, 4000, 8000, 15000];

  function ClinicPanel(client, { maxDone = 10 } = {}) {
    const pendingKey = () => `dragoman.pending.${client.user.id}`;
    const queuedText = h('p', {});
    const queued = h('div', { class: 'notice queued', role: 'status', hidden: true }, queuedText,
      h('button', { class: 'btn small', type: 'button', onclick: () => discard(), t: 'queue.discard' }));
    let form = null;
    let busyTimer = null;
    let busyTries = 0;
    const status = D.ClinicStatus(client, { maxDone, onRetry: (r) => form.prefill(r) });

    function showQueued(p, text) {
      queued.hidden = !p;
      queuedText.textContent = text || '';
    }

    function discard() {
      clearTimeout(busyTimer);
      store.set(pendingKey(), null);
      showQueued(null);
    }

    function retryBusy(p) {
      clearTimeout(busyTimer);
      const wait = BUSY_RETRY_MS[Math.min(busyTries++, BUSY_RETRY_MS.length - 1)];
      busyTimer = setTimeout(() => {
        if (client.user && store.get(pendingKey())?.key === p.key) send(p).catch((err) => showQueued({}, D.i18n.error(err)));
      }, wait);
    }

    async function send(p) {
      showQueued(p, t('queue.sending', { language: D.i18n.languageText(p.fields.language) }));
      try {
        const data = await client.send('request.create', Object.assign({}, p.fields, { idempotency_key: p.key }));
        busyTries = 0;
        store.set(pendingKey(), null);
        showQueued(null);
        status.upsert(data.request);
      } catch (err) {
        if (RETRY.has(err.code)) {
          const busy = err.code === 'unavailable' && client.user;
          showQueued(p, t(busy ? 'queue.busy' : 'queue.waiting', { language: D.i18n.languageText(p.fields.language) }));
          if (busy) retryBusy(p);
          return;
        }
        store.set(pendingKey(), null);
        showQueued(null);
        throw err;
      }
    }

    async function submit(fields) {
      if (!client.user) throw new D.ClientError('offline', t('err.offline'));
      const p = { key: D.dom.uuid(), fields };
      store.set(pendingKey(), p);
      await send(p);
    }

    // After every (re)connection: whatever was not answered goes out again, same key.
    client.on('hello', () => {
      const p = store.get(pendingKey());
      if (p && p.key && p.fields) {
        send(p).catch((err) => showQueued({}, D.i18n.error(err)));
      }
    });

    form = D.ClinicForm({ onSubmit: submit });
    const formId = uid('new');
    const formSection = h('section', { class: 'new-request', 'aria-labelledby': formId },
      h('h2', { id: formId, t: 'form.title' }), form.el);
    // What is going on comes first; a wide page moves the form beside it.
    const el = h('div', { class: 'clinic-panel' }, queued, status.el, formSection);
    return { el, status, form };
  }

  D.ClinicPanel = ClinicPanel;
})(window.Dragoman = window.Dragoman || {});
