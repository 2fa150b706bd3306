// Times and durations in the UI language. Digits stay Latin in every
// language so that countdowns and phone numbers read the same everywhere.
'use strict';
(function (D) {
  const locale = () => `${D.i18n.lang}-u-nu-latn`;
  const two = (n) => String(n).padStart(2, '0');

  // 75000 → "1:15"; 3723000 → "1:02:03". Negative spans count as zero.
  function clock(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
  }

  // 80 → "1 h 20 min".
  function minutes(n) {
    const h = Math.floor(n / 60);
    const m = n % 60;
    if (!h) return D.i18n.t('fmt.min', { m });
    return m ? D.i18n.t('fmt.h_min', { h, m }) : D.i18n.t('fmt.h', { h });
  }

  function time(ms) {
    return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit' }).format(ms);
  }

  // Today's times alone, other days with the date.
  function when(ms) {
    const d = new Date(ms);
    if (d.toDateString() === new Date().toDateString()) return time(ms);
    return new Intl.DateTimeFormat(locale(), { weekday: 'short', day: 'numeric', month: 'short',
      hour: '2-digit', minute: '2-digit' }).format(ms);
  }

  // A session's length in whole minutes, at least one.
  const sessionMinutes = (r) => Math.max(1, Math.round((r.ended_at - r.started_at) / 60000));

  // A running clock from a moment (ms, server time): ticking() keeps every one
  // under a root current, once a second.
  function since(ms, now) {
    return D.dom.h('span', { class: 'since', 'data-since': ms }, clock(now() - ms));
  }

  function ticking(root, now) {
    return setInterval(() => {
      for (const s of root.querySelectorAll('[data-since]')) s.textContent = clock(now() - Number(s.dataset.since));
    }, 1000);
  }

  D.format = { clock, minutes, time, when, sessionMinutes, since, ticking };
})(window.Dragoman = window.Dragoman || {});
