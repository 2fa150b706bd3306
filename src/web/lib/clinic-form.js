// The clinic's request form: three taps for the common case (language,
// modality, "now"); everything else behind "More options". It only collects
// and checks the fields; sending is the panel's job.
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const DURATIONS = [15, 30, 45, 60, 90, 120, 180];
  const SPECIALTIES = ['mental_health', 'paediatrics', 'maternity', 'social_care'];
  const MODALITIES = ['phone', 'video', 'onsite'];

  function radioTiles(name, values, label) {
    return h('div', { class: 'tiles' }, values.map((v) => h('label', { class: 'tile' },
      h('input', { type: 'radio', name, value: v }), h('span', {}, label(v)))));
  }

  function field(id, labelKey, control, hintKey) {
    return h('div', { class: 'field' }, h('label', { for: id, t: labelKey }), control,
      hintKey ? h('p', { class: 'hint', id: `${id}-hint`, t: hintKey }) : null,
      h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
  }

  // onSubmit(fields) returns a promise; a rejection with a field name marks that field.
  function ClinicForm({ onSubmit }) {
    const ids = { lang: uid('lang'), mod: uid('mod'), loc: uid('loc'), dur: uid('dur'), gender: uid('gender'),
      need: uid('need'), spec: uid('spec'), when: uid('when'), at: uid('at'), note: uid('note'), more: uid('more') };
    const duration = h('select', { id: ids.dur, name: 'duration_min' });
    const gender = h('select', { id: ids.gender, name: 'gender' });
    const specialty = h('select', { id: ids.spec, name: 'specialty' });
    const location = h('input', { id: ids.loc, name: 'location', maxlength: 200, autocomplete: 'street-address',
      'aria-describedby': `${ids.loc}-hint` });
    const startAt = h('input', { id: ids.at, name: 'start_at', type: 'datetime-local' });
    const note = h('textarea', { id: ids.note, name: 'note', maxlength: 280, rows: 2,
      'aria-describedby': `${ids.note}-hint` });
    const error = h('p', { class: 'error', role: 'alert' });
    const submit = h('button', { class: 'btn primary big', type: 'submit' });
    const toggle = h('button', { class: 'btn link more-toggle', type: 'button', 'aria-expanded': 'false',
      'aria-controls': ids.more, t: 'form.more' });
    const needSet = h('fieldset', { class: 'need' }, h('legend', { t: 'form.gender_need' }),
      radioTiles(ids.need, ['preferred', 'required'], (v) => h('span', { t: `need.${v}` })));
    const laterField = field(ids.at, 'form.start_at', startAt);

    const locationField = field(ids.loc, 'form.location', location, 'form.location_hint');
    locationField.hidden = true;
    const more = h('div', { id: ids.more, class: 'more', hidden: true },
      field(ids.dur, 'form.duration', duration),
      field(ids.gender, 'form.gender', gender), needSet,
      field(ids.spec, 'form.specialty', specialty),
      h('fieldset', {}, h('legend', { t: 'form.when' }),
        radioTiles(ids.when, ['now', 'scheduled'], (v) => h('span', { t: `when.${v}` }))),
      laterField,
      field(ids.note, 'form.note', note, 'form.note_hint'));

    const form = h('form', { class: 'request-form', novalidate: true },
      h('fieldset', {}, h('legend', { t: 'form.language' }), radioTiles(ids.lang, D.i18n.LANGUAGES, D.i18n.languageLabel)),
      h('fieldset', {}, h('legend', { t: 'form.modality' }), radioTiles(ids.mod, MODALITIES,
        (m) => [h('span', { class: 'lang-name', t: `mod.${m}` }),
          h('span', { class: 'sub', t: `mod.${m}.hint` })])),
      locationField, toggle, more, error, submit);

    const radio = (name) => form.querySelector(`input[name="${name}"]:checked`);
    const setRadio = (name, value) => {
      for (const r of form.querySelectorAll(`input[name="${name}"]`)) r.checked = r.value === value;
    };

    // Options and labels that are built from the string table, redone on a language switch.
    function translate() {
      const keep = [duration.value, gender.value, specialty.value];
      D.dom.fill(duration, DURATIONS.map((m) => h('option', { value: m }, D.format.minutes(m))));
      D.dom.fill(gender, ['', 'female', 'male'].map((g) => h('option', { value: g }, t(`gender.${g || 'any'}`))));
      D.dom.fill(specialty, ['', ...SPECIALTIES].map((s) => h('option', { value: s }, t(`spec.${s || 'none'}`))));
      [duration.value, gender.value, specialty.value] = keep;
      for (const tile of form.querySelectorAll('.tiles')) {
        if (tile.querySelector(`input[name="${ids.lang}"]`)) {
          tile.querySelectorAll('.tile > span').forEach((s, i) => s.replaceChildren(D.i18n.languageLabel(D.i18n.LANGUAGES[i])));
        }
      }
      sync();
    }

    // Shows what the current choices need: the address for on-site, the time
    // for later, the gender strength only with a gender, the button's words.
    function sync() {
      const mod = radio(ids.mod);
      locationField.hidden = !(mod && mod.value === 'onsite');
      const later = (radio(ids.when) || {}).value === 'scheduled';
      laterField.hidden = !later;
      const anyGender = !gender.value;
      for (const r of needSet.querySelectorAll('input')) r.disabled = anyGender;
      needSet.hidden = anyGender;
      submit.textContent = t(later ? 'form.submit_later' : 'form.submit_now');
    }

    function setMore(open) {
      more.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      toggle.dataset.t = open ? 'form.less' : 'form.more';
      toggle.textContent = t(toggle.dataset.t);
    }

    function clearErrors() {
      error.textContent = '';
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      for (const el of form.querySelectorAll('.field-error')) el.hidden = true;
    }

    // Marks one field; fields without an input of their own go to the form's error line.
    function fail(name, message) {
      const map = { location: location, start_at: startAt, note: note, duration_min: duration, specialty: specialty };
      const input = map[name];
      if (input && !input.closest('[hidden]')) {
        input.setAttribute('aria-invalid', 'true');
        const out = form.querySelector(`#${input.id}-error`);
        out.textContent = message;
        out.hidden = false;
        input.setAttribute('aria-errormessage', out.id);
        input.focus();
      }
      error.textContent = message;
    }

    function collect() {
      const lang = radio(ids.lang);
      const mod = radio(ids.mod);
      if (!lang) return fail('language', t('form.need_language'));
      if (!mod) return fail('modality', t('form.need_modality'));
      const f = { language: lang.value, modality: mod.value, urgency: 'now', duration_min: Number(duration.value) };
      if (mod.value === 'onsite') {
        if (!location.value.trim()) return fail('location', t('form.need_location'));
        f.location = location.value.trim();
      }
      if ((radio(ids.when) || {}).value === 'scheduled') {
        const at = new Date(startAt.value).getTime();
        if (!(at > Date.now())) return fail('start_at', t('form.need_start'));
        f.urgency = 'scheduled';
        f.start_at = at;
      }
      if (gender.value) {
        f.gender = gender.value;
        f.gender_need = (radio(ids.need) || {}).value || 'preferred';
      }
      if (specialty.value) f.specialty = specialty.value;
      if (note.value.trim()) f.note = note.value.trim();
      return f;
    }

    function reset() {
      form.reset();
      duration.value = '30';
      setRadio(ids.when, 'now');
      setRadio(ids.need, 'preferred');
      setMore(false);
      sync();
    }

    // Fills the form from an earlier request ("try again"), opening "more"
    // when it used any of those fields, and moves focus to the send button.
    function prefill(r) {
      setRadio(ids.lang, r.language);
      setRadio(ids.mod, r.modality);
      location.value = r.location || '';
      duration.value = String(r.duration_min);
      gender.value = r.gender || '';
      setRadio(ids.need, r.gender_need === 'required' ? 'required' : 'preferred');
      specialty.value = r.specialty || '';
      note.value = r.note || '';
      setRadio(ids.when, 'now');
      setMore(Boolean(r.gender || r.specialty || r.note || r.duration_min !== 30));
      sync();
      submit.focus();
    }

    form.addEventListener('change', sync);
    form.addEventListener('input', clearErrors);
    toggle.addEventListener('click', () => setMore(more.hidden));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors();
      const f = collect();
      if (!f) return;
      submit.disabled = true;
      try {
        await onSubmit(f);
        reset();
      } catch (err) {
        fail(err.field, D.i18n.error(err));
      } finally {
        submit.disabled = false;
      }
    });

    translate();
    reset();
    D.i18n.onChange(translate);
    return { el: form, prefill, focus: () => form.querySelector('input').focus() };
  }

  D.ClinicForm = ClinicForm;
})(window.Dragoman = window.Dragoman || {});
