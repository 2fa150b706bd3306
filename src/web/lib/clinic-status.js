// The clinic's live list of its requests, drawn only from what the server
// pushes (snapshot, then `request` pushes): searching with the count asked
// and the time waited, accepted (an on-site interpreter with the time they
// said they would arrive), in session, ended with a rating, unfilled with
// what to do instead, cancelled.
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const OPEN = ['searching', 'assigned', 'in_session'];
  // The unfilled reasons that come with advice on what to do instead.
  const REASONS = ['nobody_online', 'all_declined', 'gender_unavailable', 'specialty_unavailable',
    'modality_unavailable', 'all_busy'];

  // client: a D.Client; opts.maxDone: how many finished requests to keep
  // showing; opts.onRetry(request) fills the form again.
  function ClinicStatus(client, { maxDone = 10, onRetry }) {
    const requests = new Map();
    const cards = new Map(); // id -> {json, el}
    const drafts = new Map(); // id -> {confirm, rating, comment, sent, error}
    const list = h('div', { class: 'requests' });
    const empty = h('p', { class: 'hint', t: 'status.none' });
    const live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
    const headingId = uid('status');
    const el = h('section', { class: 'status', 'aria-labelledby': headingId },
      h('h2', { id: headingId, t: 'status.title' }), empty, list, live);
    const listeners = new Set();

    const draft = (id) => {
      if (!drafts.has(id)) drafts.set(id, {});
      return drafts.get(id);
    };

    async function act(r, type, fields, after) {
      const d = draft(r.id);
      d.error = '';
      try {
        const data = await client.send(type, Object.assign({ request: r.id }, fields));
        if (after) after(data);
        if (data && data.request) upsert(data.request);
      } catch (err) {
        d.error = D.i18n.error(err);
      }
      redraw(r.id);
    }

    const now = () => client.serverNow();
    const since = (ms) => D.format.since(ms, now);

    function searching(r, d) {
      // A booking for later is held until shortly before its start: nobody is asked yet.
      const held = r.urgency === 'scheduled' && r.asked === 0;
      return [
        r.urgency === 'scheduled' ? h('p', {}, t('status.booked_for', { when: D.format.when(r.start_at) })) : null,
        held ? h('p', { class: 'hint' }, t('status.held')) : h('p', { class: 'progress' },
          h('strong', {}, t('status.searching')), ' ', D.i18n.plural('status.asked', r.asked), ' · ',
          t('status.waited'), ' ', since(r.created_at)),
        r.escalated ? h('p', { class: 'notice' }, t('status.escalated')) : null,
        cancelBlock(r, d),
      ];
    }

    function cancelBlock(r, d) {
      if (!d.confirm) {
        return h('div', { class: 'actions' }, h('button', { class: 'btn danger', type: 'button', 'data-key': 'cancel',
          onclick: () => { d.confirm = true; redraw(r.id, 'reason'); } }, t('status.cancel')));
      }
      const id = uid('reason');
      const reason = h('input', { id, maxlength: 200, 'data-key': 'reason', value: d.reason || '',
        oninput: (e) => { d.reason = e.target.value; } });
      const close = () => { d.confirm = false; redraw(r.id, 'cancel'); };
      return h('div', { class: 'confirm', onkeydown: (e) => { if (e.key === 'Escape') { e.stopPropagation(); close(); } } },
        h('div', { class: 'field' }, h('label', { for: id }, t('status.cancel_reason')), reason),
        h('div', { class: 'actions' },
          h('button', { class: 'btn danger', type: 'button', onclick: () => act(r, 'request.cancel',
            d.reason && d.reason.trim() ? { reason: d.reason.trim() } : {}, () => { d.confirm = false; }) },
          t('status.cancel_yes')),
          h('button', { class: 'btn', type: 'button', onclick: close }, t('status.cancel_no'))));
    }

    // What the clinic should expect from the interpreter, by modality.
    function details(r) {
      const name = r.interpreter ? r.interpreter.name : '';
      if (r.modality === 'onsite') return t('status.onsite_details', { name, place: r.location });
      return t(`status.${r.modality}_details`, { name, contact: (r.clinic && r.clinic.contact) || t('status.your_desk') });
    }

    // The call (video and phone jobs) or the chat (on-site jobs) of an
    // assigned or running request. With a call, the call itself starts and
    // ends the session; the start and end buttons stay as a fallback for
    // working without it (a plain phone call, a call that cannot connect).
    let call = null;
    const callable = (r) => r.modality === 'video' || r.modality === 'phone';

    function openCall(r) {
      if (!D.CallPanel) return;
      call = D.CallPanel(client, { request: r.id, media: D.CallPanel.MEDIA[r.modality], role: 'clinic',
        language: r.language, mount: D.CallPanel.mountFor(el), onClose: () => {
          call = null;
          const back = list.querySelector(`[data-request="${r.id}"] [data-key="call"]`);
          if (back) back.focus();
        } });
    }

    function callButton(r) {
      if (!D.CallPanel) return null;
      return callable(r)
        ? h('button', { class: 'btn primary', type: 'button', 'data-key': 'call', onclick: () => openCall(r) }, t('call.open'))
        : h('button', { class: 'btn', type: 'button', 'data-key': 'call', onclick: () => openCall(r) }, t('call.open_chat'));
    }

    // When the on-site interpreter said they would arrive: the time, and how
    // long until then (kept current by the timer below).
    function etaText(at) {
      const time = D.format.when(at);
      const left = Math.round((at - now()) / 60000);
      if (left >= 1) return t('status.eta', { time, left: D.format.minutes(left) });
      return left === 0 ? t('status.eta_now', { time }) : t('status.eta_past', { time });
    }

    function arrival(r) {
      if (r.modality !== 'onsite' || !r.eta_at) return null;
      return h('p', { class: 'eta' }, h('strong', { 'data-eta': r.eta_at }, etaText(r.eta_at)));
    }

    function assigned(r, d) {
      const withCall = callable(r) && D.CallPanel;
      return [
        h('p', { class: 'who' }, h('strong', {}, t('status.accepted', { name: r.interpreter.name }))),
        h('p', {}, details(r)),
        arrival(r),
        r.urgency === 'scheduled' ? h('p', {}, t('status.starts_at', { when: D.format.when(r.start_at) })) : null,
        h('div', { class: 'actions' },
          withCall ? callButton(r) : null,
          h('button', { class: withCall ? 'btn' : 'btn primary', type: 'button', 'data-key': 'start',
            onclick: () => act(r, 'session.start') }, t('status.start')),
          withCall ? null : callButton(r)),
        withCall ? h('p', { class: 'hint' }, t('call.manual_hint')) : null,
        cancelBlock(r, d),
      ];
    }

    function inSession(r) {
      const withCall = callable(r) && D.CallPanel;
      return [
        h('p', { class: 'who' }, h('strong', {}, t('status.in_session', { name: r.interpreter.name })), ' ',
          since(r.started_at)),
        h('div', { class: 'actions' },
          withCall ? callButton(r) : null,
          h('button', { class: withCall ? 'btn' : 'btn primary', type: 'button', 'data-key': 'end',
            onclick: () => act(r, 'session.end') }, t('status.end')),
          withCall ? null : callButton(r)),
      ];
    }

    function rating(r, d) {
      if (d.sent || r.rating) {
        return h('p', { class: 'notice ok' }, r.rating ? t('status.rated', { n: r.rating }) : t('status.thanks'));
      }
      const name = uid('rate');
      const cid = uid('comment');
      const stars = [1, 2, 3, 4, 5].map((n) => h('label', { class: 'tile star' },
        h('input', { type: 'radio', name, value: n, checked: d.rating === n, 'data-key': `rate${n}`,
          onchange: () => { d.rating = n; } }),
        h('span', {}, h('span', { 'aria-hidden': 'true' }, `${n} ★`), h('span', { class: 'visually-hidden' },
          t('status.stars', { n })))));
      return h('form', { class: 'rating', onsubmit: (e) => {
        e.preventDefault();
        if (!d.rating && !(d.comment || '').trim()) return;
        const f = {};
        if (d.rating) f.rating = d.rating;
        if ((d.comment || '').trim()) f.comment = d.comment.trim();
        act(r, 'session.feedback', f, () => {
          d.sent = true;
          // The server accepted it but pushes nothing after feedback.
          if (f.rating) requests.get(r.id).rating = f.rating;
        });
      } },
      h('fieldset', {}, h('legend', {}, t('status.rate_q')), h('div', { class: 'tiles stars' }, stars)),
      h('div', { class: 'field' }, h('label', { for: cid }, t('status.comment')),
        h('textarea', { id: cid, rows: 2, maxlength: 1000, 'data-key': 'comment', 'aria-describedby': `${cid}-hint`,
          oninput: (e) => { d.comment = e.target.value; } }, d.comment || ''),
        h('p', { class: 'hint', id: `${cid}-hint` }, t('status.comment_hint'))),
      h('button', { class: 'btn primary', type: 'submit', 'data-key': 'send' }, t('status.send_feedback')));
    }

    function ended(r, d) {
      return [
        h('p', {}, t('status.ended', { name: r.interpreter ? r.interpreter.name : '',
          duration: D.format.minutes(D.format.sessionMinutes(r)) })),
        rating(r, d),
      ];
    }

    function unfilled(r) {
      const known = REASONS.includes(r.reason);
      return [
        h('div', { class: 'notice danger' }, h('p', {}, h('strong', {}, t('status.unfilled'))), ' ',
          h('p', {}, D.i18n.reason(r.reason)), h('p', {}, t(known ? `todo.${r.reason}` : 'todo.other'))),
        onRetry ? h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'button', 'data-key': 'retry',
          onclick: () => onRetry(r) }, t('status.retry'))) : null,
      ];
    }

    const BODY = { searching, assigned, in_session: inSession, ended, unfilled,
      cancelled: (r) => h('p', {}, r.reason ? t('status.cancelled_because', { reason: D.i18n.reason(r.reason) })
        : t('status.cancelled')) };

    function card(r) {
      const d = draft(r.id);
      const lang = D.i18n.languageLabel(r.language);
      return h('article', { class: `card request ${r.state}`, 'data-request': r.id, 'data-state': r.state },
        h('div', { class: 'request-head' },
          h('h3', {}, lang, ' · ', t(`mod.${r.modality}`)),
          h('span', { class: `badge ${r.state}` }, t(`state.${r.state}`))),
        h('p', { class: 'meta' }, t('status.asked_at', { when: D.format.when(r.created_at) }), ' · ',
          D.format.minutes(r.duration_min), r.note ? ` · ${r.note}` : ''),
        (BODY[r.state] || (() => null))(r, d),
        d.error ? h('p', { class: 'error', role: 'alert' }, d.error) : null);
    }

    function order(a, b) {
      const ao = OPEN.includes(a.state);
      const bo = OPEN.includes(b.state);
      if (ao !== bo) return ao ? -1 : 1;
      return b.created_at - a.created_at;
    }

    // Redraws one card; focus inside it moves to the new element with the same
    // data-key (or to `focusKey`), so keyboard users do not lose their place.
    function redraw(id, focusKey) {
      const old = cards.get(id);
      const r = requests.get(id);
      if (!old || !r) return;
      const active = el.getRootNode().activeElement;
      const key = focusKey || (active && old.el.contains(active) && active.dataset.key);
      const fresh = card(r);
      old.el.replaceWith(fresh);
      old.el = fresh;
      old.json = JSON.stringify(r);
      const target = key && fresh.querySelector(`[data-key="${key}"]`);
      if (target) target.focus();
    }

    function render() {
      const all = [...requests.values()].sort(order);
      const open = all.filter((r) => OPEN.includes(r.state));
      const shown = open.concat(all.filter((r) => !OPEN.includes(r.state)).slice(0, maxDone));
      const keep = new Set(shown.map((r) => r.id));
      for (const [id, c] of cards) {
        if (!keep.has(id)) {
          c.el.remove();
          cards.delete(id);
        }
      }
      shown.forEach((r, i) => {
        const json = JSON.stringify(r);
        let c = cards.get(r.id);
        if (!c) {
          c = { el: card(r), json };
          cards.set(r.id, c);
        } else if (c.json !== json) {
          redraw(r.id);
        }
        if (list.children[i] !== c.el) list.insertBefore(c.el, list.children[i] || null);
      });
      empty.hidden = shown.length > 0;
      for (const fn of listeners) fn(summary());
    }

    // Tells screen-reader users what changed when a push moves a request on.
    function announce(prev, r) {
      const name = r.interpreter ? r.interpreter.name : '';
      if (prev && prev.state === r.state) {
        if (r.state === 'assigned' && r.eta_at && r.eta_at !== prev.eta_at) {
          live.textContent = t('status.eta_announce', { name, time: D.format.when(r.eta_at) });
        }
        return;
      }
      live.textContent = t(`announce.${r.state}`, { name, language: D.i18n.languageText(r.language) });
    }

    function upsert(r) {
      announce(requests.get(r.id), r);
      // The server does not push after feedback; keep a rating we know was accepted.
      const prev = requests.get(r.id);
      if (prev && prev.rating && !r.rating) r.rating = prev.rating;
      requests.set(r.id, r);
      render();
    }

    // The most pressing request in a few words (the widget's button shows it).
    function summary() {
      const all = [...requests.values()].sort(order);
      const r = all.find((x) => OPEN.includes(x.state))
        || all.find((x) => x.state === 'ended' && !x.rating && !draft(x.id).sent);
      if (!r) return null;
      const name = r.interpreter ? r.interpreter.name : '';
      return { state: r.state, text: t(`summary.${r.state}`, { name }), since: r.state === 'searching' ? r.created_at : 0 };
    }

    client.on('snapshot', (m) => {
      requests.clear();
      for (const r of m.requests) requests.set(r.id, r);
      for (const c of cards.values()) c.el.remove();
      cards.clear();
      render();
    });
    client.on('request', (m) => upsert(m.request));
    D.i18n.onChange(() => {
      for (const c of cards.values()) c.json = '';
      render();
    });
    D.format.ticking(el, now);
    setInterval(() => {
      for (const s of el.querySelectorAll('[data-eta]')) s.textContent = etaText(Number(s.dataset.eta));
    }, 15000);

    return { el, upsert, summary, onSummary: (fn) => listeners.add(fn), get call() { return call; } };
  }

  D.ClinicStatus = ClinicStatus;
})(window.Dragoman = window.Dragoman || {});
