// The UI string tables and the current UI language. English is complete and
// the fallback; every other table may lag behind without breaking anything.
'use strict';
(function (D) {
  const tables = {};
  // UI languages, each named in its own script so anyone can find theirs.
  const UI_LANGUAGES = { en: 'English', fi: 'Suomi', ar: 'العربية' };
  const RTL = new Set(['ar', 'fa', 'prs', 'ps', 'ur', 'he']);
  // The interpreted languages offered to clinics, with their names in their own script.
  const LANGUAGES = ['ar', 'fa', 'prs', 'ps', 'uk', 'fr'];
  const ENDONYMS = { ar: 'العربية', fa: 'فارسی', prs: 'دری', ps: 'پښتو', uk: 'Українська', fr: 'Français' };
  const KEY = 'dragoman.lang';
  const listeners = new Set();
  let current = 'en';

  function add(code, table) {
    tables[code] = Object.assign(tables[code] || {}, table);
  }

  function lookup(key) {
    const own = tables[current] && tables[current][key];
    return own !== undefined ? own : tables.en && tables.en[key];
  }

  // t('status.rated', {n: 4}) fills {n}; an unknown key shows itself, which a
  // test or a reviewer notices at once.
  function t(key, vars) {
    const s = lookup(key);
    if (s === undefined) return key;
    return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : vars[k])) : s;
  }

  // Plural forms by the language's own rules (Arabic has six): key.one,
  // key.few, ... with key.other as the fallback.
  function plural(key, n, vars) {
    const rule = new Intl.PluralRules(current).select(n);
    const k = lookup(`${key}.${rule}`) !== undefined ? `${key}.${rule}` : `${key}.other`;
    return t(k, Object.assign({ n }, vars));
  }

  // The remembered choice, else a hint from the embedding page, else the
  // browser's languages, else English.
  function init(hint) {
    const saved = D.dom.store.get(KEY);
    const wanted = [saved, hint, ...(navigator.languages || [])].filter(Boolean).map((l) => String(l).slice(0, 2));
    current = wanted.find((l) => UI_LANGUAGES[l]) || 'en';
    return current;
  }

  function set(code) {
    if (!UI_LANGUAGES[code] || code === current) return;
    current = code;
    D.dom.store.set(KEY, code);
    for (const fn of listeners) fn(code);
  }

  const dir = (code = current) => (RTL.has(code) ? 'rtl' : 'ltr');

  // Re-translates what h() marked with data-t / data-t-ATTR under root.
  function apply(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.dataset.t) el.textContent = t(el.dataset.t);
      for (const a of [...el.attributes]) {
        if (a.name.startsWith('data-t-')) el.setAttribute(a.name.slice(7), t(a.value));
      }
    }
  }

  // Sets lang and dir on el (the page's <html>, or the widget's root).
  function mark(el) {
    el.lang = current;
    el.dir = dir();
  }

  function onChange(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  // A ClientError in words: ours for the codes that have them (offline,
  // conflict, ...), else the server's own message, which names the field.
  const error = (err) => (lookup(`err.${err.code}`) !== undefined ? t(`err.${err.code}`) : err.message);

  // A request's reason: a known code in words, anything else is a person's own words.
  const reason = (r) => (r && lookup(`reason.${r}`) !== undefined ? t(`reason.${r}`) : r || '');

  const { h } = D.dom;

  // "Arabic — العربية": the name in the UI language, then in its own script
  // (marked with its language so screen readers and fonts get it right).
  function languageLabel(code) {
    const own = ENDONYMS[code];
    const name = t(`lang.${code}`);
    if (!own || own === name) return h('span', { lang: own ? code : false }, own || code);
    return h('span', {}, h('span', { class: 'lang-name' }, name), ' ',
      h('span', { class: 'lang-own', lang: code, dir: dir(code) }, own));
  }

  const languageText = (code) => (ENDONYMS[code] && ENDONYMS[code] !== t(`lang.${code}`)
    ? `${t(`lang.${code}`)} — ${ENDONYMS[code]}` : ENDONYMS[code] || code);

  // The UI language picker: a labelled <select> of the UI languages.
  function picker() {
    const id = D.dom.uid('uilang');
    const sel = h('select', { id, class: 'ui-lang', onchange: (e) => set(e.target.value) },
      Object.entries(UI_LANGUAGES).map(([code, name]) => h('option', { value: code, lang: code }, name)));
    sel.value = current;
    onChange((code) => { sel.value = code; });
    return h('span', { class: 'ui-lang-picker' }, h('label', { for: id, t: 'ui.language' }), sel);
  }

  D.i18n = {
    add, t, plural, error, reason, init, set, dir, apply, mark, onChange, languageLabel, languageText, picker,
    LANGUAGES, ENDONYMS, get lang() { return current; },
  };
})(window.Dragoman = window.Dragoman || {});
