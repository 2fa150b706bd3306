// The directory: interpreters and clinics through the admin HTTP API (list,
// add, edit), and their access tokens (issue — shown once — and revoke).
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const { field } = D.dialogs;
  const LEVELS = ['volunteer', 'trained', 'certified'];
  const MODALITIES = ['phone', 'video', 'onsite'];
  const ID_PATTERN = '[a-z0-9][a-z0-9_\\-]{0,31}';

  // GET answers with the stored record ("ar:certified,fr:trained", "phone,video",
  // active "1"/"0") rather than the JSON that PUT takes; read either shape.
  const list = (v) => (Array.isArray(v) ? v : String(v || '').split(',').filter(Boolean));
  const flag = (v) => v === undefined || v === true || v === '1';
  function interpreterFrom(e) {
    const languages = e.languages && typeof e.languages === 'object' ? e.languages
      : Object.fromEntries(list(e.langs).map((p) => p.split(':')));
    return { id: e.id, name: e.name || '', languages, gender: e.gender || '', modalities: list(e.modalities),
      specialties: list(e.specialties), area: e.area || '', active: flag(e.active) };
  }
  const clinicFrom = (e) => ({ id: e.id, name: e.name || '', area: e.area || '', address: e.address || '',
    contact: e.contact || '', origins: list(e.origins) });

  function Directory(client) {
    const base = new URL('../', location.href).href;
    const note = h('p', { class: 'notice ok', role: 'status', hidden: true });
    const lists = { interpreters: h('div', { class: 'entries' }), clinics: h('div', { class: 'entries' }) };
    const section = (kind, addKey, onAdd) => {
      const id = uid(kind);
      return h('section', { class: `dir-${kind}`, 'aria-labelledby': id },
        h('div', { class: 'row' }, h('h2', { id, t: `dir.${kind}` }),
          h('button', { class: 'btn primary small', type: 'button', t: addKey, onclick: onAdd })),
        lists[kind]);
    };
    const tokenInput = h('input', { name: 'token', autocomplete: 'off', spellcheck: 'false', maxlength: 128 });
    const revokeOne = h('form', { class: 'revoke-one card', onsubmit: async (e) => {
      e.preventDefault();
      if (!tokenInput.value.trim()) return;
      await run(async () => {
        const { count } = await client.api('POST', '/api/admin/tokens/revoke', { token: tokenInput.value.trim() });
        tokenInput.value = '';
        return t('dir.revoked', { n: count });
      });
    } },
    h('h2', { t: 'dir.revoke_one' }), field('dir.token', tokenInput),
    h('button', { class: 'btn danger', type: 'submit', t: 'dir.revoke' }));
    const el = h('div', { class: 'directory' }, note,
      section('interpreters', 'dir.add_interpreter', () => editInterpreter(null)),
      section('clinics', 'dir.add_clinic', () => editClinic(null)), revokeOne);

    async function run(fn) {
      note.hidden = true;
      try {
        const text = await fn();
        if (text) {
          note.className = 'notice ok';
          note.textContent = text;
          note.hidden = false;
        }
      } catch (err) {
        note.className = 'notice danger';
        note.textContent = D.i18n.error(err);
        note.hidden = false;
      }
    }

    function entryActions(role, e) {
      return h('div', { class: 'actions' },
        h('button', { class: 'btn small', type: 'button', onclick: () => (role === 'interpreter' ? editInterpreter(e) : editClinic(e)) },
          t('dir.edit')),
        h('button', { class: 'btn small', type: 'button', onclick: () => issue(role, e) }, t('dir.issue')),
        h('button', { class: 'btn small danger', type: 'button', onclick: () => D.dialogs.confirm({
          title: t('dir.revoke_all_title', { name: e.name }), text: t('dir.revoke_all_text'), submit: t('dir.revoke'),
          onSubmit: () => run(async () => {
            const { count } = await client.api('POST', '/api/admin/tokens/revoke', { role, subject: e.id });
            return t('dir.revoked', { n: count });
          }),
        }) }, t('dir.revoke_all')));
    }

    function interpreterCard(e) {
      return h('article', { class: 'card entry', 'data-id': e.id },
        h('h3', {}, e.name, ' ', h('span', { class: 'meta' }, `(${e.id})`), ' ',
          e.active ? null : h('span', { class: 'badge danger' }, t('dir.inactive'))),
        h('p', {}, Object.entries(e.languages).map(([l, lvl], i) => [i ? ', ' : '', D.i18n.languageText(l), ` — ${t(`level.${lvl}`)}`])),
        h('p', { class: 'meta' }, [e.modalities.map((m) => t(`mod.${m}`)).join(', '),
          e.gender ? t(`gender.${e.gender}`) : '', e.specialties.map((s) => t(`spec.${s}`)).join(', '), e.area]
          .filter(Boolean).join(' · ')),
        entryActions('interpreter', e));
    }

    function clinicCard(e) {
      return h('article', { class: 'card entry', 'data-id': e.id },
        h('h3', {}, e.name, ' ', h('span', { class: 'meta' }, `(${e.id})`)),
        h('p', {}, [e.address, e.contact, e.area].filter(Boolean).join(' · ')),
        h('p', { class: 'meta' }, t('dir.origins'), ' ', e.origins.length ? e.origins.join(', ') : t('dir.any_origin')),
        entryActions('clinic', e));
    }

    async function load() {
      await run(async () => {
        const [interps, clinics] = await Promise.all([client.api('GET', '/api/admin/interpreters'),
          client.api('GET', '/api/admin/clinics')]);
        D.dom.fill(lists.interpreters, interps.map(interpreterFrom).map(interpreterCard));
        D.dom.fill(lists.clinics, clinics.map(clinicFrom).map(clinicCard));
      });
    }

    const idField = (e) => (e ? null : field('dir.id', h('input', { name: 'id', required: true, pattern: ID_PATTERN,
      autocomplete: 'off', spellcheck: 'false' }), t('dir.id_hint')));
    const value = (form, name) => form.elements[name].value.trim();

    function languageRow(code = '', level = 'trained') {
      const row = h('div', { class: 'lang-row' },
        field('dir.lang_code', h('input', { name: 'lang', value: code, pattern: '[a-z]{2,3}', maxlength: 3, size: 4,
          list: 'dm-lang-codes', autocomplete: 'off' })),
        field('dir.level', h('select', { name: 'level' }, LEVELS.map((l) => h('option', { value: l }, t(`level.${l}`))))),
        h('button', { class: 'btn small', type: 'button', onclick: () => row.remove() }, t('dir.remove')));
      row.querySelector('select').value = level;
      return row;
    }

    function editInterpreter(e) {
      const rows = h('div', { class: 'lang-rows' }, Object.entries(e ? e.languages : { '': 'trained' }).map(([c, l]) => languageRow(c, l)));
      const gender = h('select', { name: 'gender' }, ['', 'female', 'male'].map((g) => h('option', { value: g }, t(`gender.${g || 'undisclosed'}`))));
      gender.value = e ? e.gender : '';
      const mods = h('fieldset', { class: 'checks' }, h('legend', {}, t('dir.modalities')), MODALITIES.map((m) => h('label', {},
        h('input', { type: 'checkbox', name: 'modality', value: m, checked: e ? e.modalities.includes(m) : m !== 'onsite' }),
        ' ', t(`mod.${m}`))));
      const active = h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'active', checked: e ? e.active : true }),
        ' ', t('dir.active'));
      D.dialogs.open({
        title: e ? t('dir.edit_title', { name: e.name }) : t('dir.add_interpreter'),
        body: [idField(e), field('dir.name', h('input', { name: 'name', required: true, maxlength: 80, value: e ? e.name : '' })),
          h('fieldset', {}, h('legend', {}, t('dir.languages')), rows,
            h('button', { class: 'btn small', type: 'button', onclick: () => rows.append(languageRow()) }, t('dir.add_language'))),
          mods, field('dir.gender', gender),
          field('dir.specialties', h('input', { name: 'specialties', value: e ? e.specialties.join(', ') : '' }), t('dir.specialties_hint')),
          field('dir.area', h('input', { name: 'area', maxlength: 80, value: e ? e.area : '' })), active],
        submit: t('dir.save'),
        async onSubmit(form) {
          const languages = {};
          for (const row of rows.querySelectorAll('.lang-row')) {
            const code = row.querySelector('input').value.trim().toLowerCase();
            if (code) languages[code] = row.querySelector('select').value;
          }
          const body = { name: value(form, 'name'), languages,
            modalities: [...form.querySelectorAll('input[name="modality"]:checked')].map((c) => c.value),
            specialties: value(form, 'specialties').split(/[\s,]+/).filter(Boolean), area: value(form, 'area'),
            active: form.elements.active.checked };
          if (gender.value) body.gender = gender.value;
          const id = e ? e.id : value(form, 'id');
          await client.api('PUT', `/api/admin/interpreters/${encodeURIComponent(id)}`, body);
          await load();
        },
      });
    }

    function editClinic(e) {
      const text = (name, labelKey, max, hint) => field(labelKey, h('input', { name, maxlength: max, value: e ? e[name] : '',
        required: name === 'name' }), hint);
      D.dialogs.open({
        title: e ? t('dir.edit_title', { name: e.name }) : t('dir.add_clinic'),
        body: [idField(e), text('name', 'dir.name', 80), text('address', 'dir.address', 200), text('contact', 'dir.contact', 120),
          text('area', 'dir.area', 80),
          field('dir.origins_field', h('textarea', { name: 'origins', rows: 3 }, e ? e.origins.join('\n') : ''), t('dir.origins_hint'))],
        submit: t('dir.save'),
        async onSubmit(form) {
          const body = { name: value(form, 'name'), address: value(form, 'address'), contact: value(form, 'contact'),
            area: value(form, 'area'), origins: value(form, 'origins').split(/\s+/).filter(Boolean) };
          const id = e ? e.id : value(form, 'id');
          await client.api('PUT', `/api/admin/clinics/${encodeURIComponent(id)}`, body);
          await load();
        },
      });
    }

    // A new token is shown once: with the link (app or desk page) that logs in
    // with it, and for clinics the widget's embed tag.
    async function issue(role, e) {
      await run(async () => {
        const { token } = await client.api('POST', '/api/admin/tokens', { role, subject: e.id });
        const tok = encodeURIComponent(token);
        const body = [h('p', { class: 'notice' }, t('token.once')), D.dialogs.copyable('token.token', token)];
        if (role === 'interpreter') body.push(D.dialogs.copyable('token.app_link', `${base}app/#token=${tok}`));
        if (role === 'clinic') {
          body.push(D.dialogs.copyable('token.desk_link', `${base}clinic/#token=${tok}`),
            D.dialogs.copyable('token.embed', `<script src="${base}widget.js" data-clinic-key="${token}"></script>`));
        }
        D.dialogs.open({ title: t('token.title', { name: e.name }), body });
      });
    }

    D.i18n.onChange(load);
    return { el, load };
  }

  D.Directory = Directory;
})(window.Dragoman = window.Dragoman || {});
