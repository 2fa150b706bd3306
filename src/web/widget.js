// The clinic widget, embedded on any page with one tag:
//   <script src="https://HOST/widget.js" data-clinic-key="TOKEN"></script>
// It finds the server from its own src, loads the shared scripts from there,
// and draws a button and a panel inside a shadow root with its own styles, so
// the host page's CSS does not reach in and the widget's CSS does not leak
// out. The server accepts the key only from origins registered for the clinic.
'use strict';
(function () {
  const script = document.currentScript;
  if (!script) return;
  const base = new URL('./', script.src).href;
  const key = script.dataset.clinicKey;
  const SCRIPTS = ['lib/dom.js', 'lib/i18n.js', 'lib/strings-en.js', 'lib/strings-fi.js', 'lib/strings-ar.js',
    'lib/format.js', 'lib/client.js', 'lib/shell.js', 'lib/call-peers.js', 'lib/call-media.js', 'lib/call-chat.js',
    'lib/call.js', 'lib/clinic-form.js', 'lib/clinic-status.js', 'lib/clinic.js'];
  const STYLES = ['lib/base.css', 'lib/clinic.css', 'lib/call.css', 'widget.css'];

  // Classic scripts, because module scripts would need CORS headers to load
  // from another origin. Inserted together with async off, they download in
  // parallel and run in order. A second widget on the same page reuses them.
  function loadScripts() {
    if (window.Dragoman && window.Dragoman.ClinicPanel) return Promise.resolve();
    return Promise.all(SCRIPTS.map((path) => new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = base + path;
      s.async = false;
      s.onload = resolve;
      s.onerror = () => reject(new Error(`cannot load ${s.src}`));
      document.head.appendChild(s);
    })));
  }

  // The shadow root's stylesheets; the UI is drawn only once they apply, so the
  // host page never sees the widget unstyled.
  function loadStyles(root) {
    return Promise.all(STYLES.map((path) => new Promise((resolve) => {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = base + path;
      link.onload = resolve;
      link.onerror = resolve;
      root.appendChild(link);
    })));
  }

  // Two speech bubbles, drawn rather than an emoji: not every system has an emoji font.
  function icon() {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('class', 'icon');
    svg.setAttribute('aria-hidden', 'true');
    for (const [d, fill] of [['M3 4h11a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2H8l-4 3v-3H3a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z', '#ffffff'],
      ['M18 9h3a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2h-1v3l-4-3h-4a2 2 0 0 1-2-2v-1h6a2 2 0 0 0 2-2z', '#ffd166']]) {
      const path = document.createElementNS(ns, 'path');
      path.setAttribute('d', d);
      path.setAttribute('fill', fill);
      svg.appendChild(path);
    }
    return svg;
  }

  function draw(root) {
    const D = window.Dragoman;
    const { h, uid } = D.dom;
    const t = (k, v) => D.i18n.t(k, v);
    D.i18n.init(script.dataset.lang || document.documentElement.lang);
    const panelId = uid('panel');
    const titleId = uid('title');
    const summary = h('span', { class: 'summary' });
    const launcher = h('button', { class: 'launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': panelId },
      icon(), h('span', { class: 'label', t: 'widget.button' }), summary);
    const close = h('button', { class: 'btn small close', type: 'button', tAttr: { 'aria-label': 'widget.close' } }, '×');
    const clinicName = h('p', { class: 'clinic-name' });
    const body = h('div', { class: 'panel-body' });
    const panel = h('div', { class: 'panel', id: panelId, role: 'dialog', 'aria-labelledby': titleId, hidden: true },
      h('div', { class: 'panel-head' },
        h('div', { class: 'panel-title' }, h('h2', { id: titleId, t: 'widget.title' }), close),
        h('div', { class: 'panel-tools' }, clinicName, D.i18n.picker())),
      body);
    const frame = h('div', { class: 'dm-root' }, panel, launcher);
    D.i18n.mark(frame);
    root.appendChild(frame);

    function setOpen(open) {
      panel.hidden = !open;
      launcher.setAttribute('aria-expanded', String(open));
      if (open) panel.querySelector('h2').focus();
      else launcher.focus();
    }
    panel.querySelector('h2').tabIndex = -1;
    launcher.addEventListener('click', () => setOpen(panel.hidden));
    close.addEventListener('click', () => setOpen(false));
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        setOpen(false);
      }
    });
    D.i18n.onChange(() => {
      D.i18n.mark(frame);
      D.i18n.apply(root);
    });

    if (!key) {
      D.dom.fill(body, h('p', { class: 'notice danger', role: 'alert', t: 'widget.no_key' }));
      launcher.dataset.state = 'error';
      return;
    }
    const client = new D.Client({ base, token: key });
    const ui = D.ClinicPanel(client, { maxDone: 3 });
    D.dom.fill(body, D.shell.banner(client), ui.el);
    client.on('hello', (data) => { clinicName.textContent = data.user.name; });
    client.on('state', (s) => {
      if (s !== 'refused') return;
      D.dom.fill(body, h('div', { class: 'notice danger', role: 'alert' },
        h('p', {}, h('strong', { t: 'widget.refused' })), h('p', {}, D.shell.refusal(client.error))));
      launcher.dataset.state = 'error';
      summary.textContent = '!';
    });

    // The button carries the most pressing status, so it shows with the panel closed.
    let current = null;
    const showSummary = () => {
      if (launcher.dataset.state === 'error') return;
      launcher.dataset.state = current ? current.state : '';
      summary.textContent = current
        ? current.text + (current.since ? ` ${D.format.clock(client.serverNow() - current.since)}` : '') : '';
    };
    ui.status.onSummary((s) => { current = s; showSummary(); });
    setInterval(showSummary, 1000);
    client.start();
  }

  function start() {
    const host = document.createElement('dragoman-widget');
    const root = host.attachShadow({ mode: 'open' });
    document.body.appendChild(host);
    Promise.all([loadScripts(), loadStyles(root)])
      .then(() => draw(root))
      .catch((e) => console.error('dragoman widget:', e.message));
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
