// The Reports tab: a period (two dates, or a quick pick), then service hours
// with a chart of hours by language by month, speed with a histogram of the
// time to acceptance, fill, supply, fairness and feedback, each table with a
// CSV download. Everything comes from GET /api/reports/KIND (see
// proto/README.md, "Reports"); the figures are shown as the server gives
// them, only formatted for reading.
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const has = (k) => D.i18n.t(k) !== k;
  const locale = () => `${D.i18n.lang}-u-nu-latn`;
  const HOURS_BY = ['language', 'institution', 'interpreter', 'modality', 'specialty'];
  const SPEED_BY = ['language', 'institution'];
  const FEEDBACK_BY = ['interpreter', 'language', 'institution'];
  // Columns that name what a row is about: in a total row they are empty.
  const KEYS = new Set(['day', 'week', 'month', 'hour', 'language', 'institution', 'institution_name', 'interpreter',
    'interpreter_name', 'modality', 'specialty', 'request']);
  // Time to acceptance, in minutes: each bucket holds the durations above the
  // previous bound and at most its own, as the speed report's within_N does.
  const BUCKETS = [1, 2, 5, 15, 30, Infinity];

  /* ---------- formatting ---------- */

  const numberFormat = (opts) => new Intl.NumberFormat(locale(), opts);
  const fixed = (v, n) => numberFormat({ minimumFractionDigits: n, maximumFractionDigits: n }).format(v);
  const upTo = (v, n = 2) => numberFormat({ maximumFractionDigits: n }).format(v);
  const percent = (v) => numberFormat({ style: 'percent', maximumFractionDigits: 1 }).format(v);

  // A duration in seconds as a person reads it: "12.5 s", "4 min 05 s", "2 h 10 min".
  function duration(sec) {
    if (sec < 60) return t('rep.dur.s', { s: fixed(sec, sec < 10 ? 1 : 0) });
    const r = Math.round(sec);
    if (r < 3600) return t('rep.dur.m_s', { m: Math.floor(r / 60), s: String(r % 60).padStart(2, '0') });
    return D.format.minutes(Math.round(r / 60));
  }

  const utc = (iso) => {
    const [y, m, d] = iso.split('-').map(Number);
    return Date.UTC(y, m - 1, d || 1, 12);
  };
  const dateText = (iso) => new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(utc(iso));
  const monthText = (ym, month = 'long') => new Intl.DateTimeFormat(locale(), { month, year: 'numeric', timeZone: 'UTC' }).format(utc(ym));
  const monthShort = (ym) => new Intl.DateTimeFormat(locale(), { month: 'short', timeZone: 'UTC' }).format(utc(ym));

  const langName = (code) => (has(`lang.${code}`) ? t(`lang.${code}`) : D.i18n.ENDONYMS[code] || code);

  // One cell: its text (and a class) from the column and the raw value.
  function cell(col, v) {
    if (v === null || v === undefined) return { text: '—', cls: KEYS.has(col) ? '' : 'num' };
    if (col === 'language') return { text: langName(v) };
    if (col === 'modality') return { text: has(`mod.${v}`) ? t(`mod.${v}`) : v };
    if (col === 'specialty') return { text: has(`spec.${v || 'none'}`) ? t(`spec.${v || 'none'}`) : v };
    if (col === 'state') return { text: has(`state.${v}`) ? t(`state.${v}`) : v };
    if (typeof v === 'string') {
      if (/_at$/.test(col)) return { text: v.slice(0, 16).replace('T', ' '), cls: 'num' };
      return { text: v, cls: /comment|note/.test(col) ? 'text' : '' };
    }
    if (/_s$/.test(col)) return { text: duration(v), cls: 'num' };
    if (/^share/.test(col)) return { text: percent(v), cls: 'num' };
    if (/hours$|^mean_rating$/.test(col)) return { text: fixed(v, 2), cls: 'num' };
    if (col === 'gini') return { text: fixed(v, 3), cls: 'num' };
    return { text: upTo(v, 4), cls: 'num' };
  }

  const colName = (c) => (has(`rep.col.${c}`) ? t(`rep.col.${c}`) : c);

  /* ---------- dates of the quick picks (the browser's calendar) ---------- */

  const iso = (y, m, d) => new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10); // m from 0; overflow rolls over
  function quick(which, now = new Date()) {
    const y = now.getFullYear();
    const m = now.getMonth();
    switch (which) {
      case 'this_month': return [iso(y, m, 1), iso(y, m + 1, 0)];
      case 'last_month': return [iso(y, m - 1, 1), iso(y, m, 0)];
      case 'this_year': return [iso(y, 0, 1), iso(y, 11, 31)];
      default: return [iso(y, m - 11, 1), iso(y, m + 1, 0)]; // the last 12 months, this one included
    }
  }

  // The months of a period, "2026-01" ... .
  function months(from, to) {
    const out = [];
    let [y, m] = from.slice(0, 7).split('-').map(Number);
    const [ty, tm] = to.slice(0, 7).split('-').map(Number);
    while (y < ty || (y === ty && m <= tm)) {
      out.push(`${y}-${String(m).padStart(2, '0')}`);
      if (++m > 12) { m = 1; y++; }
    }
    return out;
  }

  /* ---------- the tab ---------- */

  function Reports(client) {
    let seq = 0;
    const period = { from: '', to: '' };

    // GET /api/reports/KIND?from&to&params with the token; rejects with a
    // ClientError carrying the server's code, message and field.
    async function fetchReport(kind, params = {}) {
      const qs = new URLSearchParams({ from: period.from, to: period.to, ...params });
      let res;
      try {
        res = await fetch(new URL(`api/reports/${kind}?${qs}`, client.base), { headers: { Authorization: `Bearer ${client.token}` } });
      } catch {
        throw new D.ClientError('offline', 'the server cannot be reached');
      }
      if (!res.ok) {
        const data = await res.json().catch(() => null);
        throw new D.ClientError((data && data.code) || 'internal', (data && data.message) || `HTTP ${res.status}`, data && data.field);
      }
      return res;
    }
    const json = async (kind, params) => (await fetchReport(kind, params)).json();

    // The CSV of one table: fetched with the token (a plain link could not
    // send it) and handed to the browser as a file.
    async function download(kind, params, table) {
      showError(null);
      try {
        const res = await fetchReport(kind, { ...params, format: 'csv', table });
        const blob = new Blob([await res.arrayBuffer()], { type: 'text/csv;charset=utf-8' });
        const name = ['dragoman', kind, table, ...Object.entries(params).map(([k, v]) => `${k}-${v}`), period.from, period.to].join('_');
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: `${name}.csv`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
      } catch (err) {
        showError(err);
      }
    }

    /* ----- the period form ----- */

    const fromInput = h('input', { type: 'date', name: 'from', required: true, id: uid('from') });
    const toInput = h('input', { type: 'date', name: 'to', required: true, id: uid('to') });
    const quickId = uid('quick');
    const status = h('p', { class: 'hint report-status', role: 'status' });
    const error = h('p', { class: 'notice danger', role: 'alert', hidden: true });
    const form = h('form', { class: 'period card', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      load(fromInput.value, toInput.value);
    } },
    h('fieldset', { class: 'dates' }, h('legend', { t: 'rep.period' }), h('div', { class: 'date-row' },
      h('div', { class: 'field' }, h('label', { for: fromInput.id, t: 'rep.from' }), fromInput),
      h('div', { class: 'field' }, h('label', { for: toInput.id, t: 'rep.to' }), toInput),
      h('button', { class: 'btn primary', type: 'submit', t: 'rep.show' }))),
    h('div', { class: 'quick', role: 'group', 'aria-labelledby': quickId },
      h('span', { id: quickId, class: 'quick-label', t: 'rep.quick' }),
      ['this_month', 'last_month', 'this_year', 'last_12'].map((q) => h('button', { class: 'btn small', type: 'button',
        'data-quick': q, t: `rep.${q}`, onclick: () => {
          [fromInput.value, toInput.value] = quick(q);
          load(fromInput.value, toInput.value);
        } }))));

    function showError(err) {
      for (const i of [fromInput, toInput]) i.removeAttribute('aria-invalid');
      error.hidden = !err;
      if (!err) return;
      if (err.code === 'bad_message') {
        const input = { from: fromInput, to: toInput }[err.field];
        if (input) input.setAttribute('aria-invalid', 'true');
        // The server's message starts with the field's name: put the label in its place.
        const field = err.field || '';
        const text = field && err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
        const label = input ? t(`rep.${field}`) : field;
        error.textContent = t('rep.refused', { message: label ? `${label}: ${text}` : text });
      } else {
        error.textContent = D.i18n.error(err);
      }
    }

    /* ----- tables ----- */

    // A table of the report with its title and CSV button; rows empty: the hint.
    function reportTable(kind, params, name, tab, emptyKey = 'rep.no_rows') {
      const titleId = uid('tbl');
      const title = t(`rep.table.${kind}.${name}`);
      const csv = h('button', { class: 'btn small', type: 'button', 'data-csv': `${kind}.${name}`,
        onclick: () => download(kind, params, name) }, t('rep.csv'), h('span', { class: 'visually-hidden' }, ` — ${title}`));
      const head = h('div', { class: 'table-head' }, h('h3', { id: titleId }, title), csv);
      if (!tab.rows.length) return h('div', { class: 'report-table', 'data-table': `${kind}.${name}` }, head, h('p', { class: 'hint empty' }, t(emptyKey)));
      const cols = tab.columns;
      const row = (r, total) => h('tr', {}, cols.map((c, i) => {
        const v = r[c];
        let { text, cls } = cell(c, v);
        if (total && (KEYS.has(c) || (i === 0 && v === null))) {
          text = i === 0 ? t('rep.total') : '';
          cls = '';
        }
        return h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : false, class: cls || false, 'data-col': c,
          'data-value': v === null || v === undefined ? '' : String(v) }, text);
      }));
      const table = h('table', { class: 'report', 'aria-labelledby': titleId },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', 'data-col': c }, colName(c))))),
        h('tbody', {}, tab.rows.map((r) => row(r, false))),
        tab.total ? h('tfoot', {}, row(tab.total, true)) : null);
      return h('div', { class: 'report-table', 'data-table': `${kind}.${name}` }, head,
        h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-labelledby': titleId }, table));
    }

    // The figures a chart draws, as a table that opens under it.
    function figures(headers, rows) {
      const id = uid('fig');
      return h('details', { class: 'chart-figures' }, h('summary', { id }, t('rep.chart.figures')),
        h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-labelledby': id }, h('table', { class: 'report', 'aria-labelledby': id },
          h('thead', {}, h('tr', {}, headers.map((x, i) => h('th', { scope: 'col', class: i ? 'num' : false }, x)))),
          h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x, i) => h(i ? 'td' : 'th', { scope: i ? false : 'row', class: i ? 'num' : false }, x))))))));
    }

    /* ----- sections ----- */

    // A section of one report: heading, a grouping selector when it has one,
    // a hint, and a body drawn from what fetch() brought.
    function Section(kind, { by, fetch: get, render }) {
      const headingId = uid('rep');
      const body = h('div', { class: 'section-body' });
      const state = { by: by ? by[0] : null, data: null };
      let own = 0;
      const select = by ? h('select', { id: uid('by'), name: `by-${kind}`, onchange: async () => {
        state.by = select.value;
        const mine = ++own;
        el.setAttribute('aria-busy', 'true');
        showError(null);
        try {
          const data = await get(state.by);
          if (mine === own) take(data);
        } catch (err) {
          if (mine === own) showError(err);
        } finally {
          if (mine === own) el.removeAttribute('aria-busy');
        }
      } }, by.map((b) => h('option', { value: b, t: `rep.by.${b}` }))) : null;
      const el = h('section', { class: 'card report-section', 'data-report': kind, 'aria-labelledby': headingId },
        h('div', { class: 'section-head' }, h('h2', { id: headingId, t: `rep.${kind}` }),
          select ? h('div', { class: 'field by' }, h('label', { for: select.id, t: 'rep.by' }), select) : null),
        h('p', { class: 'hint', t: `rep.${kind}_hint` }), body);
      function take(data) {
        state.data = data;
        draw();
      }
      function draw() {
        if (state.data) D.dom.fill(body, render(state.data, state.by));
      }
      return { el, take, draw, fetch: () => { ++own; return get(state.by); } };
    }

    // Service hours: the table by the chosen grouping, and hours by language by month.
    const hoursChart = D.charts.Chart('hours-chart');
    const hours = Section('hours', {
      by: HOURS_BY,
      fetch: (by) => Promise.all([json('hours', { by }), json('hours', { by: 'language', per: 'month' })]),
      render([main, monthly], by) {
        const tab = main.tables.hours;
        if (!tab.rows.length || !tab.total || !tab.total.sessions) {
          hoursChart.set(null);
          return h('p', { class: 'notice empty' }, t('rep.no_sessions'));
        }
        return [reportTable('hours', { by }, 'hours', tab), monthlyChart(monthly)];
      },
    });

    function monthlyChart(monthly) {
      const rows = monthly.tables.hours.rows;
      const seconds = new Map(rows.map((r) => [`${r.month}|${r.language}`, r.seconds]));
      const perLang = new Map();
      for (const r of rows) perLang.set(r.language, (perLang.get(r.language) || 0) + r.seconds);
      const langs = [...perLang.keys()].sort((a, b) => perLang.get(b) - perLang.get(a) || a.localeCompare(b));
      const colour = D.charts.colours(langs, D.i18n.LANGUAGES);
      const ms = months(monthly.from, monthly.to);
      const value = (m, l) => (seconds.get(`${m}|${l}`) || 0) / 3600;
      const total = [...perLang.values()].reduce((a, b) => a + b, 0) / 3600;
      const titleId = uid('chart');
      hoursChart.set({
        categories: ms.map((m, i) => ({ key: m, label: monthShort(m), sub: i === 0 || m.endsWith('-01') ? m.slice(0, 4) : '' })),
        series: langs.map((l) => ({ key: l, label: langName(l), color: colour[l] })),
        value,
        format: (v) => upTo(v),
        label: t('rep.chart.hours_label', { from: dateText(monthly.from), to: dateText(monthly.to), total: upTo(total),
          parts: langs.map((l) => `${langName(l)} ${upTo(perLang.get(l) / 3600)}`).join(', ') }),
        xTitle: t('rep.chart.month'),
        yTitle: t('rep.chart.hours_axis'),
        title: (c, s, v) => t('rep.chart.segment', { series: s.label, category: monthText(c.key), value: upTo(v) }),
        data: (c, s, v) => ({ 'data-month': c.key, 'data-language': s.key, 'data-hours': v, 'data-seconds': seconds.get(`${c.key}|${s.key}`) }),
      });
      const legend = h('ul', { class: 'legend' }, langs.map((l) => h('li', { 'data-language': l },
        h('span', { class: 'swatch', style: `background:${colour[l]}`, 'aria-hidden': 'true' }),
        langName(l), ' ', h('span', { class: 'meta' }, t('rep.h', { n: upTo(perLang.get(l) / 3600) })))));
      return h('figure', { class: 'chart-block', 'aria-labelledby': titleId },
        h('figcaption', { id: titleId }, h('h3', {}, t('rep.chart.hours'))), legend, hoursChart.el,
        figures([t('rep.chart.month'), ...langs.map(langName), t('rep.total')],
          ms.map((m) => [monthText(m), ...langs.map((l) => upTo(value(m, l))), upTo(langs.reduce((a, l) => a + value(m, l), 0))])));
    }

    // Speed: the three tables, and a histogram of the time from request to
    // acceptance. The speed report gives only percentiles and the counts
    // within 2, 5 and 15 minutes, which cannot make buckets such as "up to
    // 1 min" or "15–30 min"; so the histogram counts each request of the
    // `requests` export (its created_at and accepted_at, whole seconds), the
    // urgent ones only as the speed report does.
    const acceptChart = D.charts.Chart('accept-chart');
    const speed = Section('speed', {
      by: SPEED_BY,
      fetch: (by) => Promise.all([json('speed', { by }), json('requests')]),
      render([main, requests], by) {
        const tabs = main.tables;
        if (!tabs.accept.total || !tabs.accept.total.requests) {
          acceptChart.set(null);
          return h('p', { class: 'notice empty' }, t('rep.no_requests'));
        }
        return [histogram(requests.tables.requests.rows, tabs.accept.total),
          ['offer', 'accept', 'start'].map((n) => reportTable('speed', { by }, n, tabs[n]))];
      },
    });

    function bucketOf(ms) {
      return BUCKETS.findIndex((b) => ms <= b * 60000);
    }
    const bucketKey = (i) => `${i ? BUCKETS[i - 1] : 0}-${BUCKETS[i] === Infinity ? '' : BUCKETS[i]}`;
    const bucketShort = (i) => (BUCKETS[i] === Infinity ? `${BUCKETS[i - 1]}+` : `${i ? BUCKETS[i - 1] : 0}–${BUCKETS[i]}`);
    const bucketText = (i) => (i === 0 ? t('rep.bucket.first', { b: BUCKETS[0] })
      : BUCKETS[i] === Infinity ? t('rep.bucket.last', { a: BUCKETS[i - 1] }) : t('rep.bucket.range', { a: BUCKETS[i - 1], b: BUCKETS[i] }));

    function histogram(rows, total) {
      const counts = BUCKETS.map(() => 0);
      for (const r of rows) {
        if (r.urgency !== 'now' || !r.accepted_at || !r.created_at) continue;
        counts[bucketOf(Math.max(0, Date.parse(r.accepted_at) - Date.parse(r.created_at)))]++;
      }
      const n = counts.reduce((a, b) => a + b, 0);
      const titleId = uid('chart');
      acceptChart.set({
        categories: BUCKETS.map((b, i) => ({ key: bucketKey(i), label: bucketShort(i) })),
        series: [{ key: 'accepted', label: t('rep.chart.requests'), color: D.charts.PALETTE[0] }],
        value: (c) => counts[BUCKETS.findIndex((b, i) => bucketKey(i) === c)],
        format: (v) => upTo(v, 0),
        integer: true,
        label: t('rep.chart.accept_label', { n, parts: counts.map((c, i) => `${bucketText(i)}: ${c}`).join(', ') }),
        xTitle: t('rep.chart.minutes'),
        yTitle: t('rep.chart.requests'),
        title: (c, s, v) => `${bucketText(BUCKETS.findIndex((b, i) => bucketKey(i) === c.key))}: ${D.i18n.plural('rep.requests_n', v)}`,
        data: (c, s, v) => ({ 'data-bucket': c.key, 'data-count': v }),
      });
      return h('figure', { class: 'chart-block', 'aria-labelledby': titleId },
        h('figcaption', { id: titleId }, h('h3', {}, t('rep.chart.accept'))),
        h('p', { class: 'accept-summary' }, t('rep.accept_summary', { accepted: total.reached, requests: total.requests,
          median: total.median_s === null ? '—' : duration(total.median_s), p90: total.p90_s === null ? '—' : duration(total.p90_s) })),
        acceptChart.el,
        h('p', { class: 'hint' }, t('rep.chart.accept_hint')),
        figures([t('rep.chart.minutes'), t('rep.chart.requests'), t('rep.chart.share')],
          counts.map((c, i) => [bucketText(i), upTo(c, 0), n ? percent(c / n) : '—'])));
    }

    const simple = (kind, by, names, empty = {}) => Section(kind, {
      by,
      fetch: (b) => json(kind, b ? { by: b } : {}),
      render: (data, b) => names.map((n) => reportTable(kind, b ? { by: b } : {}, n, data.tables[n], empty[n])),
    });
    const sections = [hours, speed, simple('fill', SPEED_BY, ['fill', 'interpreters'], { fill: 'rep.no_requests' }),
      simple('supply', null, ['languages', 'hours']), simple('fairness', null, ['summary', 'interpreters']),
      simple('feedback', FEEDBACK_BY, ['ratings', 'comments'], { ratings: 'rep.no_sessions', comments: 'rep.no_comments' })];

    const results = h('div', { class: 'report-sections', hidden: true }, sections.map((s) => s.el));
    const el = h('div', { class: 'reports', 'data-state': 'idle' }, form, status, error, results);

    async function load(from, to) {
      period.from = from;
      period.to = to;
      const mine = ++seq;
      el.dataset.state = 'loading';
      el.setAttribute('aria-busy', 'true');
      status.textContent = t('rep.loading');
      showError(null);
      try {
        const data = await Promise.all(sections.map((s) => s.fetch()));
        if (mine !== seq) return;
        results.hidden = false;
        sections.forEach((s, i) => s.take(data[i]));
        el.dataset.period = `${from}/${to}`;
        el.dataset.state = 'ready';
        status.textContent = t('rep.showing', { from: dateText(from), to: dateText(to) });
      } catch (err) {
        if (mine !== seq) return;
        results.hidden = true;
        el.dataset.state = 'error';
        status.textContent = '';
        showError(err);
      } finally {
        if (mine === seq) el.removeAttribute('aria-busy');
      }
    }

    // The first time the tab opens: this month.
    function open() {
      if (el.dataset.state !== 'idle') return;
      [fromInput.value, toInput.value] = quick('this_month');
      load(fromInput.value, toInput.value);
    }

    D.i18n.onChange(() => {
      for (const s of sections) s.draw();
      if (el.dataset.state === 'ready') status.textContent = t('rep.showing', { from: dateText(period.from), to: dateText(period.to) });
    });
    return { el, open, load };
  }

  D.Reports = Reports;
  D.reports = { quick, months, BUCKETS };
})(window.Dragoman = window.Dragoman || {});
