// Small DOM helpers shared by every face. The shared code is plain classic
// scripts under one global, Dragoman, rather than ES modules: the widget runs
// on other sites' pages, and module scripts loaded cross-origin need CORS
// headers that the static file server does not send.
'use strict';
(function (D) {
  // h('button', {class: 'btn', onclick: fn, t: 'key'}, child, ...) builds an
  // element. `t` names a string-table key (kept in data-t so a language switch
  // can re-translate it); `tAttr` does the same for attributes
  // ({placeholder: 'key'}); false, null and undefined attributes are skipped.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 't') {
        el.dataset.t = v;
        el.textContent = D.i18n.t(v);
      } else if (k === 'tAttr') {
        for (const [a, key] of Object.entries(v)) {
          el.setAttribute(`data-t-${a}`, key);
          el.setAttribute(a, D.i18n.t(key));
        }
      } else if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v);
      } else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'hidden') {
        el[k] = v;
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    return append(el, children);
  }

  // Appends nodes, strings and (nested) arrays of them; null, undefined and false are skipped.
  function append(el, ...children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  // Replaces an element's children.
  function fill(el, ...children) {
    el.replaceChildren();
    return append(el, children);
  }

  // A random v4 UUID. crypto.randomUUID exists only in secure contexts; a
  // desk PC on a plain-http LAN address is not one, getRandomValues works anywhere.
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  // localStorage can throw (storage disabled, private mode quotas): the UI
  // then simply forgets between visits.
  const store = {
    get(key) {
      try { return JSON.parse(localStorage.getItem(key)); } catch { return null; }
    },
    set(key, value) {
      try {
        if (value === null || value === undefined) localStorage.removeItem(key);
        else localStorage.setItem(key, JSON.stringify(value));
      } catch { /* not remembered */ }
    },
  };

  let idSeq = 0;
  // Unique element ids for label/aria wiring; several widgets may share a page.
  const uid = (prefix) => `dm-${prefix}-${++idSeq}`;

  D.dom = { h, append, fill, uuid, store, uid };
})(window.Dragoman = window.Dragoman || {});
