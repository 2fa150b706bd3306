// The full-screen offer: what, where, how long, and a countdown to the
// deadline; accept, or decline with a reason. An on-site offer also asks
// when one can be there (optional: accepting without it works too). It
// disappears the moment the server withdraws the offer (taken, cancelled,
// expired, ...): a withdrawn offer is never shown.
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);
  const DECLINE_REASONS = ['busy', 'driving', 'modality', 'too_far'];
  const ETA_CHOICES = [15, 30, 45, 60];

  // "When can you be there?" for an on-site job: quick choices in minutes, or
  // another number. state {pick: minutes | 'other' | null, other: text}
  // outlives redraws; the offer screen and the job screen (app.js) use it.
  function etaChoice(state, { focusKey = '' } = {}) {
    const name = uid('eta');
    const otherId = uid('eta-other');
    const other = h('input', { id: otherId, type: 'number', inputmode: 'numeric', min: 1, max: 600, step: 1,
      'data-key': 'eta-other', value: state.other || '', oninput: (e) => { state.other = e.target.value; } });
    const otherField = h('div', { class: 'field eta-other', hidden: state.pick !== 'other' },
      h('label', { for: otherId }, t('eta.other')), other);
    const pick = (value) => {
      state.pick = value;
      otherField.hidden = value !== 'other';
      if (value === 'other') other.focus();
    };
    return h('fieldset', { class: 'eta' }, h('legend', {}, t('eta.question')),
      h('div', { class: 'tiles eta-tiles' }, ETA_CHOICES.concat('other').map((m, i) => h('label', { class: 'tile' },
        h('input', { type: 'radio', name, value: m, checked: state.pick === m, 'data-key': i === 0 ? focusKey : false,
          onchange: () => pick(m) }),
        h('span', {}, m === 'other' ? t('eta.other_choice') : D.format.minutes(m))))),
      otherField);
  }

  // The minutes chosen: a number, null for none, NaN for another number out of range.
  function etaMinutes(state) {
    if (state.pick !== 'other') return state.pick || null;
    const raw = String(state.other || '').trim();
    if (!raw) return null;
    const n = Number(raw);
    return Number.isInteger(n) && n >= 1 && n <= 600 ? n : NaN;
  }

  // Vibration and a short beep where the browser allows them. Browsers start
  // audio only after a user gesture, so the audio context is made on the first tap.
  let audio = null;
  document.addEventListener('pointerdown', () => {
    if (!audio && window.AudioContext) audio = new AudioContext();
    if (audio && audio.state === 'suspended') audio.resume();
  }, { capture: true });

  function ring() {
    // Before any tap on the page (opened from a notification) the browser refuses vibration.
    const active = !navigator.userActivation || navigator.userActivation.hasBeenActive;
    if (navigator.vibrate && active) navigator.vibrate([400, 200, 400]);
    if (!audio || audio.state !== 'running') return;
    [0, 0.25].forEach((at) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + 0.2);
    });
  }

  // onAccepted(request) hands the job over; notify(text) shows a short message.
  function OfferScreen(client, { onAccepted, notify }) {
    const titleId = uid('offer');
    const descId = uid('offer-desc');
    const el = h('div', { class: 'offer-screen', role: 'alertdialog', 'aria-modal': 'true',
      'aria-labelledby': titleId, 'aria-describedby': descId, hidden: true });
    let offer = null;
    let declining = false;
    let eta = { pick: null, other: '' };
    let etaError = '';
    let timer = null;
    let returnFocus = null;

    // The offer takes the whole screen: what is behind it can be neither seen nor reached.
    function setInert(on) {
      for (const sib of document.body.children) {
        if (sib !== el && sib.tagName !== 'SCRIPT') sib.inert = on;
      }
    }

    function row(key, value) {
      return value ? [h('dt', {}, t(key)), h('dd', {}, value)] : null;
    }

    function where(o) {
      if (o.modality !== 'onsite') return null;
      return o.location || (o.clinic && o.clinic.address);
    }

    function details(o) {
      return h('dl', { class: 'offer-details', id: descId },
        row('offer.clinic', o.clinic && o.clinic.name),
        row('offer.modality', t(`mod.${o.modality}`)),
        row('offer.where', where(o)),
        row('offer.when', o.urgency === 'scheduled' ? D.format.when(o.start_at) : t('offer.now')),
        row('offer.duration', D.format.minutes(o.duration_min)),
        row('offer.note', o.note));
    }

    function answerButtons() {
      const onsite = offer.modality === 'onsite';
      return [onsite ? etaChoice(eta) : null,
        onsite && etaError ? h('p', { class: 'error', role: 'alert' }, etaError) : null,
        h('div', { class: 'offer-actions' },
          h('button', { class: 'btn ok big', type: 'button', 'data-key': 'accept', onclick: accept }, t('offer.accept')),
          h('button', { class: 'btn danger big', type: 'button', 'data-key': 'decline',
            onclick: () => { declining = true; render('reason'); } }, t('offer.decline')))];
    }

    function declineForm() {
      const name = uid('why');
      const otherId = uid('other');
      const other = h('input', { id: otherId, maxlength: 200 });
      return h('form', { class: 'decline', onsubmit: (e) => {
        e.preventDefault();
        const picked = el.querySelector(`input[name="${name}"]:checked`);
        const reason = other.value.trim() || (picked ? t(`decline.${picked.value}`) : '');
        decline(reason);
      } },
      h('fieldset', {}, h('legend', {}, t('offer.why')),
        h('div', { class: 'tiles' }, DECLINE_REASONS.map((r, i) => h('label', { class: 'tile' },
          h('input', { type: 'radio', name, value: r, 'data-key': i === 0 ? 'reason' : false }),
          h('span', {}, t(`decline.${r}`)))))),
      h('div', { class: 'field' }, h('label', { for: otherId }, t('offer.other_reason')), other),
      h('div', { class: 'offer-actions' },
        h('button', { class: 'btn danger big', type: 'submit' }, t('offer.send_decline')),
        h('button', { class: 'btn big', type: 'button', 'data-key': 'back',
          onclick: () => { declining = false; render('decline'); } }, t('offer.back'))));
    }

    function render(focusKey) {
      if (!offer) return;
      const left = offer.deadline - client.serverNow();
      D.dom.fill(el,
        h('div', { class: 'offer-card' },
          h('p', { class: 'kicker' }, t('offer.title')),
          h('h2', { id: titleId, class: 'offer-language' }, D.i18n.languageLabel(offer.language)),
          details(offer),
          h('div', { class: 'countdown' },
            h('p', {}, t('offer.answer_within'), ' ', h('span', { class: 'left', role: 'timer' }, D.format.clock(left))),
            h('div', { class: 'bar', 'aria-hidden': 'true' }, h('span', { class: 'fill' }))),
          declining ? declineForm() : answerButtons()));
      tick();
      const target = focusKey && el.querySelector(`[data-key="${focusKey}"]`);
      if (target) target.focus();
    }

    // The countdown; the server withdraws the offer at the deadline, and the
    // screen does not wait for that message to stop offering a dead job.
    function tick() {
      if (!offer) return;
      const left = offer.deadline - client.serverNow();
      if (left <= 0) {
        hide();
        notify(t('withdrawn.expired'));
        return;
      }
      const out = el.querySelector('.left');
      if (out) out.textContent = D.format.clock(left);
      const fill = el.querySelector('.fill');
      if (fill) fill.style.inlineSize = `${Math.min(100, (left / offer.total) * 100)}%`;
    }

    // The server withdraws an offer no device acknowledges within a few
    // seconds (delivery_timeout) and asks the next interpreter: say it arrived,
    // and that it is on screen when it is.
    function acknowledge(id) {
      const ack = (event) => client.send('offer.ack', { offer: id, event, via: 'ws' }).catch(() => {});
      ack('received');
      if (document.visibilityState === 'visible') ack('seen');
    }

    function show(o) {
      const fresh = !offer || offer.id !== o.id;
      offer = Object.assign({}, o, { total: Math.max(1000, o.deadline - client.serverNow()) });
      if (!fresh) return;
      acknowledge(o.id);
      declining = false;
      eta = { pick: null, other: '' };
      etaError = '';
      returnFocus = document.activeElement;
      el.hidden = false;
      setInert(true);
      render('accept');
      clearInterval(timer);
      timer = setInterval(tick, 250);
      ring();
    }

    function hide() {
      offer = null;
      clearInterval(timer);
      el.hidden = true;
      el.replaceChildren();
      setInert(false);
      if (returnFocus && returnFocus.isConnected) returnFocus.focus();
    }

    async function accept() {
      const o = offer;
      const fields = { offer: o.id };
      if (o.modality === 'onsite') {
        const minutes = etaMinutes(eta);
        if (Number.isNaN(minutes)) {
          etaError = t('eta.invalid');
          render('eta-other');
          return;
        }
        if (minutes) fields.eta_min = minutes;
        etaError = '';
      }
      try {
        const data = await client.send('offer.accept', fields);
        if (offer && offer.id === o.id) hide();
        onAccepted(data.request);
      } catch (err) {
        if (err.code === 'conflict' || err.code === 'not_found') {
          if (offer && offer.id === o.id) hide();
          notify(t('offer.too_late'));
        } else {
          notify(D.i18n.error(err));
        }
      }
    }

    async function decline(reason) {
      const o = offer;
      try {
        await client.send('offer.decline', reason ? { offer: o.id, reason } : { offer: o.id });
        if (offer && offer.id === o.id) hide();
      } catch (err) {
        if (err.code === 'conflict' || err.code === 'not_found') hide();
        else notify(D.i18n.error(err));
      }
    }

    client.on('offer', (m) => show(m.offer));
    client.on('offer.withdrawn', (m) => {
      if (!offer || offer.id !== m.offer) return;
      hide();
      notify(t(`withdrawn.${m.reason}`));
    });
    client.on('snapshot', (m) => {
      if (m.offer) show(m.offer);
      else if (offer) hide();
    });
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && declining) {
        declining = false;
        render('decline');
      }
    });
    D.i18n.onChange(() => render());
    return { el };
  }

  D.OfferScreen = OfferScreen;
  D.Eta = { choice: etaChoice, minutes: etaMinutes };
})(window.Dragoman = window.Dragoman || {});
