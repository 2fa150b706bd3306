// The coordinator console: the live board, the directory and the reports, as tabs.
'use strict';
(function (D) {
  const { h, uid } = D.dom;

  // Tabs as the ARIA pattern has them: arrow keys move between tabs, Tab
  // goes into the open panel.
  function tabs(entries) {
    const list = h('div', { class: 'tabs', role: 'tablist' });
    const panels = [];
    const buttons = entries.map(({ key, panel, onShow }, i) => {
      const id = uid('tab');
      const pid = uid('panel');
      const p = h('section', { id: pid, role: 'tabpanel', 'aria-labelledby': id, class: 'tab-panel' }, panel);
      panels.push(p);
      return h('button', { id, role: 'tab', type: 'button', 'aria-controls': pid, t: key, 'data-tab': key,
        onclick: () => select(i, onShow) });
    });
    function select(i, onShow) {
      buttons.forEach((b, j) => {
        b.setAttribute('aria-selected', String(i === j));
        b.tabIndex = i === j ? 0 : -1;
        panels[j].hidden = i !== j;
      });
      if (onShow) onShow();
    }
    list.addEventListener('keydown', (e) => {
      const i = buttons.indexOf(document.activeElement);
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (i < 0 || !step) return;
      const forward = D.i18n.dir() === 'rtl' ? -step : step;
      const j = (i + forward + buttons.length) % buttons.length;
      buttons[j].focus();
      buttons[j].click();
    });
    D.dom.append(list, buttons);
    select(0);
    return [list, panels];
  }

  D.shell.boot({
    face: 'console',
    role: 'coordinator',
    mount(client, main) {
      const dialogs = {
        assign: (r, online) => D.dialogs.assign(client, r, online),
        cancel: (r) => D.dialogs.cancel(client, r),
      };
      const board = D.Board(client, dialogs);
      const directory = D.Directory(client);
      const reports = D.Reports(client);
      let loaded = false;
      const [list, panels] = tabs([
        { key: 'console.board', panel: board.el },
        { key: 'console.directory', panel: directory.el, onShow: () => { if (!loaded) directory.load(); loaded = true; } },
        { key: 'console.reports', panel: reports.el, onShow: () => reports.open() },
      ]);
      const codes = h('datalist', { id: 'dm-lang-codes' }, D.i18n.LANGUAGES.map((c) => h('option', { value: c }, D.i18n.ENDONYMS[c])));
      D.dom.fill(main, list, panels, codes);
    },
  });
})(window.Dragoman);
