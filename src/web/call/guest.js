// The guest's call page, opened from the one-time link a clinic makes
// (call.invite → /call/#TOKEN): a patient at home, or a second device. The
// link's token works once; every hello answers with the next one (`resume`),
// kept in this tab's sessionStorage, so a dropped connection or a reload
// comes back into the same call while opening the link anywhere else is
// refused.
'use strict';
(function (D) {
  const { h } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const KEY = 'dragoman.guest';
  const OPEN = ['assigned', 'in_session'];

  const kept = {
    get() {
      try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; }
    },
    set(v) {
      try {
        if (v) sessionStorage.setItem(KEY, JSON.stringify(v));
        else sessionStorage.removeItem(KEY);
      } catch { /* not kept: a reload then needs a new link */ }
    },
  };

  // The link's token (taken out of the address bar at once, so it is neither
  // shared nor kept in history), or the one this tab kept from its last hello.
  function token() {
    const link = decodeURIComponent(location.hash.replace(/^#/, '').replace(/^token=/, ''));
    const k = kept.get();
    if (link) {
      history.replaceState(null, '', location.pathname + location.search);
      if (k && k.link === link && k.token) return k.token;
      kept.set({ link, token: link });
      return link;
    }
    return k && k.token ? k.token : '';
  }

  D.i18n.init(document.documentElement.lang);
  D.i18n.mark(document.documentElement);
  D.i18n.apply(document.body);
  document.title = t('call.page_title');
  D.i18n.onChange(() => {
    D.i18n.mark(document.documentElement);
    D.i18n.apply(document);
    document.title = t('call.page_title');
  });

  const main = document.querySelector('main');
  const header = document.querySelector('header');
  const tools = h('div', { class: 'header-tools' });
  header.append(tools);

  function message(key, cls = '') {
    D.dom.fill(main, h('div', { class: 'card' }, h('p', { class: `notice ${cls}`, role: 'alert', t: key })));
  }

  const tok = token();
  if (!tok) {
    tools.append(D.i18n.picker());
    message('call.no_link');
    return;
  }

  const client = new D.Client({ base: new URL('../', location.href).href, token: tok });
  tools.append(D.shell.status(client), D.i18n.picker());
  main.before(D.shell.banner(client));
  D.dom.fill(main, h('div', { class: 'card' }, h('p', { role: 'status', t: 'call.connecting' })));

  let panel = null;
  let request = null;

  client.on('hello', (data) => {
    if (data.role !== 'guest') {
      client.stop();
      kept.set(null);
      message('call.no_link', 'danger');
      return;
    }
    // The next hello needs the next token.
    if (data.resume) {
      client.token = data.resume;
      kept.set({ link: (kept.get() || {}).link, token: data.resume });
    }
    request = data.request && typeof data.request === 'object' ? data.request.id : data.request;
  });

  client.on('snapshot', (m) => {
    const r = m.request;
    if (!r || panel) return;
    if (request && r.id !== request) return;
    if (!OPEN.includes(r.state)) {
      message('call.ended_ended');
      return;
    }
    main.replaceChildren();
    panel = D.CallPanel(client, { request: r.id, media: D.CallPanel.MEDIA[r.modality] || 'video', role: 'guest',
      language: r.language, mount: main, inline: true });
  });

  client.on('state', (s) => {
    if (s !== 'refused') return;
    kept.set(null);
    if (panel) panel.close();
    panel = null;
    message('call.link_used', 'danger');
  });

  client.start();
})(window.Dragoman);
