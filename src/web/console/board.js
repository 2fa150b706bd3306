// The coordinator's live board: requests by state with their waiting time,
// who is online by language, and alerts that stay until dismissed. Built
// from the snapshot, then kept current by request, presence and alert pushes.
// An open request also lists the interpreters it was offered to and how far
// each offer got (offer.receipt pushes).
'use strict';
(function (D) {
  const { h, uid, store } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const COLUMNS = [['searching', ['searching']], ['assigned', ['assigned']], ['in_session', ['in_session']],
    ['done', ['ended', 'cancelled', 'unfilled']]];
  const DISMISSED = 'dragoman.console.dismissed';
  // Alerts arrive only as pushes; they are kept here so they outlive a reload.
  const ALERTS = 'dragoman.console.alerts';
  const OPEN = ['searching', 'assigned', 'in_session'];
  // The cards that list their offers, and how many requests' receipts are kept at most.
  const WITH_OFFERS = ['searching', 'assigned'];
  const MAX_RECEIPTS = 300;

  function Board(client, dialogs) {
    const requests = new Map();
    const online = new Map();
    // One alert per request, the latest kind ("unfilled" follows "escalated");
    // dismissing one kind does not hide the next.
    const alerts = new Map((store.get(ALERTS) || []).map((a) => [a.request.id, a])); // request id -> {kind, request}
    const dismissed = new Set(store.get(DISMISSED) || []);
    const alertKey = (a) => `${a.kind}:${a.request.id}`;
    // Receipts arrive only as pushes (the snapshot has no history of offers),
    // so a request shows those that came while this page was open:
    // request id -> Map(offer id -> {interpreter, events: {event: true}, vias: Set}).
    const receipts = new Map();
    const names = new Map(); // interpreter id -> name, from the snapshot and presence pushes
    const alertList = h('div', { class: 'alert-list' });
    const alertHeading = uid('alerts');
    const announce = h('p', { class: 'visually-hidden', 'aria-live': 'assertive' });
    const alertBox = h('section', { class: 'alerts', 'aria-labelledby': alertHeading },
      h('h2', { id: alertHeading }), alertList, announce);
    const columns = COLUMNS.map(([name]) => {
      const id = uid(`col-${name}`);
      const list = h('div', { class: 'col-list' });
      return { name, list, heading: h('h2', { id }), el: h('section', { class: `column ${name}`, 'aria-labelledby': id }) };
    });
    columns.forEach((c) => D.dom.append(c.el, c.heading,
      // The server's snapshot lists open requests only: finished ones are those seen here.
      c.name === 'done' ? h('p', { class: 'hint', t: 'board.done_hint' }) : null, c.list));
    const onlineHeading = uid('online');
    const onlineList = h('div', { class: 'online-list' });
    const el = h('div', { class: 'board' }, alertBox,
      h('div', { class: 'board-main' }, h('div', { class: 'columns' }, columns.map((c) => c.el)),
        h('aside', { class: 'online', 'aria-labelledby': onlineHeading },
          h('h2', { id: onlineHeading, t: 'board.online' }), onlineList)));

    const now = () => client.serverNow();
    const since = (ms) => D.format.since(ms, now);

    function actions(r) {
      const out = [];
      if (r.state === 'searching' || r.state === 'assigned') {
        out.push(h('button', { class: 'btn small', type: 'button', onclick: () => dialogs.assign(r, [...online.values()]) },
          t(r.state === 'searching' ? 'board.assign' : 'board.reassign')));
      }
      if (r.state === 'searching' || r.state === 'assigned' || r.state === 'in_session') {
        out.push(h('button', { class: 'btn small danger', type: 'button', onclick: () => dialogs.cancel(r) },
          t('board.cancel')));
      }
      return out.length ? h('div', { class: 'actions' }, out) : null;
    }

    function timing(r) {
      switch (r.state) {
        case 'searching':
          if (r.urgency === 'scheduled' && r.asked === 0) return [h('p', {}, t('status.held'))];
          return [h('p', {}, t('board.waiting'), ' ', since(r.created_at), ' · ', D.i18n.plural('status.asked', r.asked))];
        case 'assigned':
          return [h('p', {}, t('board.with', { name: r.interpreter.name })),
            h('p', { class: 'meta' }, t('board.accepted_after', { time: D.format.clock(r.accepted_at - r.created_at) }))];
        case 'in_session':
          return [h('p', {}, t('board.with', { name: r.interpreter.name }), ' · ', since(r.started_at))];
        case 'ended':
          return [h('p', {}, t('board.ended', { name: r.interpreter ? r.interpreter.name : '',
            duration: D.format.minutes(D.format.sessionMinutes(r)) })),
          r.rating ? h('p', { class: 'meta rating' }, t('board.rating', { n: r.rating })) : null];
        default:
          return [h('p', {}, D.i18n.reason(r.reason))];
      }
    }

    // One interpreter's offer in words: delivered (by the app, by push),
    // notification shown or opened, seen on screen; or not delivered.
    function receiptSteps(o) {
      const e = o.events;
      const delivered = e.received || e.shown || e.clicked || e.seen;
      const via = o.vias.has('ws') && o.vias.has('push') ? 'receipt.delivered_both'
        : o.vias.has('push') ? 'receipt.delivered_push' : 'receipt.delivered_app';
      const step = (key, cls) => h('span', { class: `badge ${cls}`, 'data-receipt': key.slice(8) }, t(key));
      return [delivered ? step(via, 'ok') : null,
        e.shown ? step('receipt.shown', '') : null,
        e.clicked ? step('receipt.clicked', '') : null,
        e.seen ? step('receipt.seen', 'ok') : null,
        e.undelivered ? step('receipt.undelivered', 'danger') : null];
    }

    function offersSent(r) {
      const offers = receipts.get(r.id);
      if (!offers || !offers.size || !WITH_OFFERS.includes(r.state)) return null;
      const id = uid('offers');
      return h('div', { class: 'receipts' }, h('p', { class: 'meta', id }, t('board.receipts')),
        h('ul', { 'aria-labelledby': id }, [...offers.values()].map((o) => h('li', { 'data-interpreter': o.interpreter },
          h('span', { class: 'name' }, names.get(o.interpreter) || o.interpreter), ' ', receiptSteps(o)))));
    }

    function addReceipt(m) {
      let offers = receipts.get(m.request);
      if (!offers) {
        offers = new Map();
        receipts.set(m.request, offers);
        if (receipts.size > MAX_RECEIPTS) receipts.delete(receipts.keys().next().value);
      }
      let o = offers.get(m.offer);
      if (!o) {
        o = { interpreter: m.interpreter, events: {}, vias: new Set() };
        offers.set(m.offer, o);
      }
      o.events[m.event] = true;
      if (m.via) o.vias.add(m.via);
    }

    function card(r) {
      return h('article', { class: `card request ${r.state}`, 'data-request': r.id },
        h('div', { class: 'request-head' },
          h('h3', {}, D.i18n.languageLabel(r.language), ' · ', t(`mod.${r.modality}`)),
          h('span', { class: `badge ${r.state}` }, t(`state.${r.state}`)),
          r.escalated && r.state === 'searching' ? h('span', { class: 'badge danger' }, t('board.escalated')) : null),
        h('p', { class: 'meta' }, `${r.id} · ${r.clinic ? r.clinic.name : ''} · `,
          r.urgency === 'scheduled' ? t('status.starts_at', { when: D.format.when(r.start_at) }) : t('offer.now'),
          ` · ${D.format.minutes(r.duration_min)}`,
          r.gender ? ` · ${t(`gender.${r.gender}`)} (${t(`need.${r.gender_need}`)})` : '',
          r.specialty ? ` · ${t(`spec.${r.specialty}`)}` : ''),
        timing(r), offersSent(r), actions(r));
    }

    function renderColumns() {
      const all = [...requests.values()].sort((a, b) => a.created_at - b.created_at);
      for (const c of columns) {
        const states = COLUMNS.find(([n]) => n === c.name)[1];
        let mine = all.filter((r) => states.includes(r.state));
        if (c.name === 'done') mine = mine.reverse().slice(0, 30);
        c.heading.textContent = `${t(`board.col.${c.name}`)} (${mine.length})`;
        D.dom.fill(c.list, mine.length ? mine.map(card) : h('p', { class: 'hint' }, t('board.empty')));
      }
    }

    function renderOnline() {
      const byLang = new Map();
      for (const i of online.values()) {
        for (const l of i.languages || []) {
          if (!byLang.has(l)) byLang.set(l, []);
          byLang.get(l).push(i);
        }
      }
      if (!byLang.size) return D.dom.fill(onlineList, h('p', { class: 'hint' }, t('board.nobody')));
      D.dom.fill(onlineList, [...byLang.keys()].sort().map((l) => h('div', { class: 'lang-group' },
        h('h3', {}, D.i18n.languageLabel(l), ' ', h('span', { class: 'meta' }, t('board.free', {
          free: byLang.get(l).filter((i) => i.status === 'available' && !i.busy).length, all: byLang.get(l).length }))),
        h('ul', {}, byLang.get(l).sort((a, b) => a.name.localeCompare(b.name)).map((i) => h('li', {},
          h('span', { class: 'name' }, i.name), ' ',
          h('span', { class: `badge ${i.busy ? 'warn' : i.status === 'available' ? 'ok' : ''}` },
            t(i.busy ? 'board.busy' : i.offered ? 'board.offered' : `presence.${i.status}`))))))));
    }

    function saveAlerts() {
      const open = [...alerts.values()].filter((a) => !dismissed.has(alertKey(a)));
      store.set(ALERTS, open.slice(-50));
      store.set(DISMISSED, [...dismissed].slice(-200));
    }

    function renderAlerts() {
      const open = [...alerts.values()].filter((a) => !dismissed.has(alertKey(a)));
      alertBox.hidden = open.length === 0;
      alertBox.querySelector('h2').textContent = `${t('board.alerts')} (${open.length})`;
      D.dom.fill(alertList, open.map((a) => {
        const r = requests.get(a.request.id) || a.request;
        return h('div', { class: `notice ${a.kind === 'unfilled' ? 'danger' : ''} alert-item`, 'data-alert': alertKey(a) },
          h('p', {}, h('strong', {}, t(`alert.${a.kind}`)), ' ', `${r.id} · ${r.clinic ? r.clinic.name : ''} · `,
            D.i18n.languageText(r.language), ' · ', t(`mod.${r.modality}`), ' · ', t(`state.${r.state}`),
            r.state === 'unfilled' ? ` · ${D.i18n.reason(r.reason)}` : ''),
          h('div', { class: 'actions' },
            r.state === 'searching' ? h('button', { class: 'btn small', type: 'button',
              onclick: () => dialogs.assign(r, [...online.values()]) }, t('board.assign')) : null,
            h('button', { class: 'btn small', type: 'button', onclick: () => {
              dismissed.add(alertKey(a));
              saveAlerts();
              renderAlerts();
            } }, t('board.dismiss'))));
      }));
    }

    function addAlert(kind, r, fromPush) {
      const old = alerts.get(r.id);
      const a = { kind: old && old.kind === 'unfilled' ? 'unfilled' : kind, request: r };
      if ((!old || old.kind !== a.kind) && fromPush && !dismissed.has(alertKey(a))) {
        announce.textContent = `${t(`alert.${a.kind}`)} ${D.i18n.languageText(r.language)}, ${r.clinic ? r.clinic.name : ''}`;
      }
      alerts.set(r.id, a);
      saveAlerts();
    }

    function render() {
      renderAlerts();
      renderColumns();
      renderOnline();
    }

    client.on('snapshot', (m) => {
      requests.clear();
      for (const r of m.requests) {
        requests.set(r.id, r);
        // An escalation that happened while this page was closed still gets its alert.
        if (r.escalated && r.state === 'searching') addAlert('escalated', r, false);
      }
      online.clear();
      for (const i of m.online) {
        online.set(i.id, i);
        names.set(i.id, i.name);
      }
      for (const id of receipts.keys()) if (!requests.has(id)) receipts.delete(id);
      render();
    });
    client.on('request', (m) => {
      requests.set(m.request.id, m.request);
      if (!OPEN.includes(m.request.state)) receipts.delete(m.request.id);
      if (alerts.has(m.request.id)) {
        alerts.get(m.request.id).request = m.request;
        saveAlerts();
      }
      renderColumns();
      renderAlerts();
    });
    client.on('alert', (m) => {
      requests.set(m.request.id, m.request);
      addAlert(m.kind, m.request, true);
      renderAlerts();
      renderColumns();
    });
    client.on('presence', (m) => {
      const i = m.interpreter;
      // The snapshot lists available interpreters only; away counts as not online here too.
      if (i.status !== 'available') online.delete(i.id);
      else online.set(i.id, Object.assign({}, online.get(i.id), i));
      if (i.name) names.set(i.id, i.name);
      renderOnline();
    });
    client.on('offer.receipt', (m) => {
      addReceipt(m);
      if (requests.has(m.request)) renderColumns();
    });
    D.format.ticking(el, now);
    D.i18n.onChange(render);
    render();
    return { el, online: () => [...online.values()] };
  }

  D.Board = Board;
})(window.Dragoman = window.Dragoman || {});
