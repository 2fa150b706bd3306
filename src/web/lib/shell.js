// What the three full pages share: the token (from a #token= link or a login
// form, remembered per face), the header with the connection state, the UI
// language picker and log-out, and the offline banner.
'use strict';
(function (D) {
  const { h, store } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const tokenKey = (face) => `dragoman.token.${face}`;

  // A #token=... link wins over what was remembered; it is then taken out of
  // the address bar so it does not linger in history or get shared by accident.
  function token(face) {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      store.set(tokenKey(face), decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    return store.get(tokenKey(face));
  }

  // Why a token did not work, in words a receptionist or an interpreter can act on.
  function refusal(err) {
    if (!err) return '';
    if (err.code === 'forbidden' && /origin/.test(err.message)) return t('err.origin', { origin: location.origin });
    if (err.code === 'not_authenticated' || err.code === 'forbidden') return t('err.token');
    if (err.code === 'wrong_role') return t('err.role', { role: t(`role.${err.message}`) });
    return err.message;
  }

  function loginForm(face, err) {
    const id = D.dom.uid('token');
    const input = h('input', { id, type: 'password', name: 'token', autocomplete: 'off', required: true,
      spellcheck: 'false', 'aria-describedby': `${id}-help` });
    const form = h('form', { class: 'login card', onsubmit: (e) => {
      e.preventDefault();
      if (!input.value.trim()) return;
      store.set(tokenKey(face), input.value.trim());
      location.reload();
    } },
    h('h2', { t: `${face}.title` }),
    h('label', { for: id, t: 'login.token' }), input,
    h('p', { id: `${id}-help`, class: 'hint', t: 'login.help' }),
    err ? h('p', { class: 'error', role: 'alert' }, refusal(err)) : null,
    h('button', { class: 'btn primary', type: 'submit', t: 'login.submit' }));
    return form;
  }

  // A small "Online / Reconnecting / Offline" badge that follows the client.
  function status(client) {
    const el = h('span', { class: 'conn', role: 'status' });
    const show = (state) => {
      el.dataset.state = state;
      el.dataset.t = `conn.${state}`;
      el.textContent = t(`conn.${state}`);
    };
    show(client.state);
    client.on('state', show);
    return el;
  }

  // The offline banner: shown while the connection is down, with a way to retry at once.
  function banner(client) {
    const el = h('div', { class: 'banner offline', role: 'status', hidden: true },
      h('span', { t: 'conn.banner' }), ' ',
      h('button', { class: 'btn small', type: 'button', t: 'conn.retry', onclick: () => client.connect() }));
    client.on('state', (s) => { el.hidden = s !== 'offline'; });
    return el;
  }

  // Boots a full page: face is clinic | app | console, role the token's
  // expected role, mount(client, main) builds the face once.
  function boot({ face, role, mount }) {
    D.i18n.init(document.documentElement.lang);
    D.i18n.mark(document.documentElement);
    // The page's own markup (its heading) is written in English.
    D.i18n.apply(document.body);
    document.title = t(`${face}.title`);
    D.i18n.onChange(() => {
      D.i18n.mark(document.documentElement);
      D.i18n.apply(document);
      document.title = t(`${face}.title`);
    });
    const main = document.querySelector('main');
    const tok = token(face);
    if (!tok) {
      D.dom.fill(main, loginForm(face));
      return null;
    }
    // Pages live one folder below the server's root (/clinic/, /app/, /console/).
    const client = new D.Client({ base: new URL('../', location.href).href, token: tok });
    const logout = () => {
      client.stop();
      store.set(tokenKey(face), null);
      location.reload();
    };
    const refuse = (err) => {
      client.stop();
      store.set(tokenKey(face), null);
      document.querySelector('header .user')?.replaceChildren();
      D.dom.fill(main, loginForm(face, err));
    };
    client.on('state', (s) => { if (s === 'refused') refuse(client.error); });
    client.on('hello', (data) => {
      if (data.role !== role) refuse(new D.ClientError('wrong_role', data.role));
    });
    const header = document.querySelector('header');
    const user = h('span', { class: 'user' });
    client.on('hello', (data) => { user.textContent = data.user.name; });
    D.dom.append(header, h('div', { class: 'header-tools' }, user, status(client), D.i18n.picker(),
      h('button', { class: 'btn small', type: 'button', t: 'login.logout', onclick: logout })));
    main.before(banner(client));
    mount(client, main);
    client.start();
    return client;
  }

  D.shell = { token, boot, banner, status, refusal };
})(window.Dragoman = window.Dragoman || {});
