// The reception-desk page: the same panel as the widget, full width, with
// the token from a login form or a #token= link instead of a script tag.
'use strict';
(function (D) {
  D.shell.boot({
    face: 'clinic',
    role: 'clinic',
    mount(client, main) {
      D.dom.fill(main, D.ClinicPanel(client, { maxDone: 12 }).el);
    },
  });
})(window.Dragoman);
