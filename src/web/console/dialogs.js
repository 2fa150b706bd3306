// The console's modal dialogs, on the native <dialog> element: it keeps focus
// inside, closes on Escape and gives focus back to the button that opened it.
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);

  // Opens a dialog with a form. onSubmit(form) may throw a ClientError, which
  // is shown in the dialog (the field it names is marked); success closes it.
  function open({ title, body, submit, danger = false, onSubmit }) {
    const titleId = uid('dlg');
    const error = h('p', { class: 'error', role: 'alert' });
    const send = submit ? h('button', { class: `btn ${danger ? 'danger' : 'primary'}`, type: 'submit' }, submit) : null;
    const form = h('form', { class: 'dialog-form', novalidate: true },
      h('h2', { id: titleId }, title), body, error,
      h('div', { class: 'actions' }, send,
        h('button', { class: 'btn', type: 'button', onclick: () => dlg.close() }, t(submit ? 'dlg.cancel' : 'dlg.close'))));
    const dlg = h('dialog', { 'aria-labelledby': titleId }, form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!send) return;
      error.textContent = '';
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      const bad = [...form.querySelectorAll('[required]')].find((el) => !el.value.trim());
      if (bad) {
        bad.setAttribute('aria-invalid', 'true');
        error.textContent = t('dlg.required', { field: form.querySelector(`label[for="${bad.id}"]`)?.textContent || bad.name });
        bad.focus();
        return;
      }
      send.disabled = true;
      try {
        await onSubmit(form);
        dlg.close();
      } catch (err) {
        const field = err.field && form.querySelector(`[name="${err.field.split(/[.[]/)[0]}"]`);
        if (field) {
          field.setAttribute('aria-invalid', 'true');
          field.focus();
        }
        error.textContent = D.i18n.error(err);
      } finally {
        send.disabled = false;
      }
    });
    dlg.addEventListener('close', () => dlg.remove());
    document.body.appendChild(dlg);
    dlg.showModal();
    return dlg;
  }

  // A labelled control in a dialog.
  function field(labelKey, control, hint) {
    control.id = control.id || uid('f');
    return h('div', { class: 'field' }, h('label', { for: control.id }, t(labelKey)), control,
      hint ? h('p', { class: 'hint' }, hint) : null);
  }

  function summary(r) {
    return h('p', { class: 'meta' }, `${r.id} · ${r.clinic ? r.clinic.name : ''} · ${D.i18n.languageText(r.language)} · `,
      t(`mod.${r.modality}`), r.interpreter ? ` · ${r.interpreter.name}` : '');
  }

  // Assign or reassign: an interpreter from those online (the request's
  // language first) or any id typed in, and the reason, which the server keeps.
  function assign(client, r, online) {
    const speaks = (i) => (i.languages || []).includes(r.language);
    const label = (i) => `${i.name} (${i.id}) — ${t(i.busy ? 'board.busy' : `presence.${i.status}`)}`;
    const pick = h('select', { name: 'pick' }, h('option', { value: '' }, t('assign.choose')),
      h('optgroup', { label: t('assign.speaks', { language: D.i18n.languageText(r.language) }) },
        online.filter(speaks).map((i) => h('option', { value: i.id }, label(i)))),
      h('optgroup', { label: t('assign.others') }, online.filter((i) => !speaks(i)).map((i) => h('option', { value: i.id }, label(i)))));
    const typed = h('input', { name: 'interpreter', pattern: '[a-z0-9][a-z0-9_-]{0,31}', autocomplete: 'off', spellcheck: 'false' });
    const reason = h('input', { name: 'reason', required: true, maxlength: 200 });
    open({
      title: t(r.state === 'searching' ? 'assign.title' : 'assign.retitle', { id: r.id }),
      body: [summary(r), field('assign.pick', pick), field('assign.typed', typed, t('assign.typed_hint')),
        field('assign.reason', reason, t('assign.reason_hint'))],
      submit: t(r.state === 'searching' ? 'board.assign' : 'board.reassign'),
      async onSubmit() {
        const who = typed.value.trim() || pick.value;
        if (!who) throw new D.ClientError('bad_message', t('assign.need_who'), 'pick');
        await client.send('request.assign', { request: r.id, interpreter: who, reason: reason.value.trim() });
      },
    });
  }

  function cancel(client, r) {
    const reason = h('input', { name: 'reason', required: true, maxlength: 200 });
    open({
      title: t('cancel.title', { id: r.id }),
      body: [summary(r), field('cancel.reason', reason, t('cancel.reason_hint'))],
      submit: t('cancel.submit'),
      danger: true,
      onSubmit: () => client.send('request.cancel', { request: r.id, reason: reason.value.trim() }),
    });
  }

  function confirm({ title, text, submit, onSubmit }) {
    open({ title, body: [h('p', {}, text)], submit, danger: true, onSubmit });
  }

  // A copyable read-only value (a token, a link, the embed tag).
  function copyable(labelKey, value) {
    const id = uid('copy');
    const input = h('input', { id, readonly: true, value, class: 'copy-value', spellcheck: 'false' });
    const done = h('span', { class: 'hint', role: 'status' });
    const button = h('button', { class: 'btn small', type: 'button', onclick: async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(value);
      } catch {
        document.execCommand('copy');
      }
      done.textContent = t('token.copied');
    } }, t('token.copy'));
    return h('div', { class: 'field copy' }, h('label', { for: id }, t(labelKey)),
      h('div', { class: 'copy-row' }, input, button), done);
  }

  D.dialogs = { open, field, assign, cancel, confirm, copyable };
})(window.Dragoman = window.Dragoman || {});
