// The interpreter's phone app: the available/away switch, the current job
// with its start and end buttons, a note after the session, and "my hours".
// Offers take over the screen (offer.js). Everything is redrawn from the
// server's snapshot after each (re)connection.
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);

  function Toast() {
    const el = h('div', { class: 'toast', role: 'status', 'aria-live': 'polite' });
    let timer = null;
    const show = (text) => {
      el.textContent = text;
      el.classList.add('shown');
      clearTimeout(timer);
      timer = setTimeout(() => el.classList.remove('shown'), 6000);
    };
    return { el, show };
  }

  function Presence(client, notify) {
    let status = 'away';
    const hint = uid('presence-hint');
    const button = h('button', { class: 'switch', type: 'button', role: 'switch', 'aria-checked': 'false',
      'aria-describedby': hint });
    const el = h('section', { class: 'presence' }, button, h('p', { class: 'hint', id: hint }));
    function render() {
      const on = status === 'available';
      button.setAttribute('aria-checked', String(on));
      button.dataset.on = String(on);
      D.dom.fill(button, h('span', { class: 'knob', 'aria-hidden': 'true' }),
        h('span', { class: 'switch-text' }, t(on ? 'app.available' : 'app.away')));
      el.lastChild.textContent = t(on ? 'app.available_hint' : 'app.away_hint');
    }
    button.addEventListener('click', async () => {
      const wanted = status === 'available' ? 'away' : 'available';
      button.disabled = true;
      try {
        status = (await client.send('presence.set', { status: wanted })).status;
      } catch (err) {
        notify(D.i18n.error(err));
      }
      button.disabled = false;
      render();
    });
    client.on('snapshot', (m) => { status = m.status; render(); });
    client.on('state', (s) => { button.disabled = s !== 'online'; });
    D.i18n.onChange(render);
    render();
    return { el };
  }

  // The accepted job. A job that has ended stays on screen until the
  // interpreter sends or skips the optional note.
  function Job(client, { notify, onEnded }) {
    let job = null;
    const draft = {};
    const headingId = uid('job');
    const body = h('div', {});
    const el = h('section', { class: 'job card', 'aria-labelledby': headingId, hidden: true },
      h('h2', { id: headingId, t: 'app.job' }), body);

    function set(r) {
      if (r && job && r.id === job.id && r.state === 'ended' && job.state !== 'ended') onEnded();
      if (r && (!job || r.id !== job.id)) Object.keys(draft).forEach((k) => delete draft[k]);
      job = r;
      render();
    }

    async function act(type, fields) {
      draft.error = '';
      try {
        const data = await client.send(type, Object.assign({ request: job.id }, fields));
        if (data && data.request) set(data.request);
        return true;
      } catch (err) {
        draft.error = D.i18n.error(err);
        render();
        return false;
      }
    }

    function place(r) {
      return r.modality === 'onsite' ? r.location || r.clinic.address : r.clinic.address;
    }

    function contact(r) {
      const c = r.clinic.contact;
      if (!c) return null;
      const tel = c.replace(/[^0-9+]/g, '');
      return h('p', {}, t('app.contact'), ' ', tel.length >= 5 ? h('a', { href: `tel:${tel}` }, c) : c);
    }

    function buttons(r) {
      if (r.state === 'assigned') {
        if (draft.release) {
          const id = uid('release');
          const reason = h('input', { id, maxlength: 200 });
          return h('form', { class: 'release', onsubmit: async (e) => {
            e.preventDefault();
            const ok = await act('job.release', reason.value.trim() ? { reason: reason.value.trim() } : {});
            if (ok) {
              notify(t('app.released'));
              set(null);
            }
          } },
          h('div', { class: 'field' }, h('label', { for: id }, t('app.release_reason')), reason),
          h('div', { class: 'actions' }, h('button', { class: 'btn danger', type: 'submit' }, t('app.release_yes')),
            h('button', { class: 'btn', type: 'button', onclick: () => { draft.release = false; render(); } },
              t('app.release_no'))));
        }
        return [h('div', { class: 'actions' },
          withCall(r) ? callButton(r) : null,
          h('button', { class: withCall(r) ? 'btn' : 'btn primary big', type: 'button', 'data-key': 'start',
            onclick: () => act('session.start') }, t('app.start')),
          withCall(r) ? null : callButton(r),
          h('button', { class: 'btn link', type: 'button', onclick: () => { draft.release = true; render(); } },
            t('app.release'))),
        withCall(r) ? h('p', { class: 'hint' }, t('call.manual_hint')) : null];
      }
      if (r.state === 'in_session') {
        return [h('p', { class: 'elapsed' }, t('app.in_session'), ' ', D.format.since(r.started_at, () => client.serverNow())),
          h('div', { class: 'actions' },
            withCall(r) ? callButton(r) : null,
            h('button', { class: withCall(r) ? 'btn' : 'btn primary big', type: 'button', 'data-key': 'end',
              onclick: () => act('session.end') }, t('app.end')),
            withCall(r) ? null : callButton(r))];
      }
      if (r.state === 'ended') return noteForm(r);
      return [h('p', { class: 'notice danger' }, r.reason ? t('app.cancelled_because', { reason: r.reason })
        : t('app.cancelled')),
      h('button', { class: 'btn', type: 'button', onclick: () => set(null) }, t('app.ok'))];
    }

    // Video and phone jobs are served by the call, which also records the
    // session's start and end; start and end by hand stay as the fallback
    // for working without it. On-site jobs get the chat with the clinic.
    let call = null;
    const withCall = (r) => Boolean(D.CallPanel) && (r.modality === 'video' || r.modality === 'phone');

    function openCall(r) {
      call = D.CallPanel(client, { request: r.id, media: D.CallPanel.MEDIA[r.modality], role: 'interpreter',
        language: r.language, onClose: () => {
          call = null;
          const back = el.querySelector('[data-key="call"]');
          if (back) back.focus();
        } });
    }

    function callButton(r) {
      if (!D.CallPanel) return null;
      return withCall(r)
        ? h('button', { class: 'btn primary big', type: 'button', 'data-key': 'call', onclick: () => openCall(r) },
          t('call.open'))
        : h('button', { class: 'btn', type: 'button', 'data-key': 'call', onclick: () => openCall(r) },
          t('call.open_chat'));
    }

    // An on-site job's arrival time: what the clinic was told, and a new one
    // (running late, or nearly there) until the session starts.
    function arrival(r) {
      const told = r.eta_at ? h('p', { class: 'eta-told' }, t('eta.yours', { time: D.format.when(r.eta_at) })) : null;
      if (!draft.eta) {
        return [told, h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'button', 'data-key': 'eta',
          onclick: () => {
            draft.eta = { pick: null, other: '' };
            draft.focus = 'eta-first';
            render();
          } }, t(r.eta_at ? 'eta.update' : 'eta.set')))];
      }
      const close = () => {
        draft.eta = null;
        draft.focus = 'eta';
        render();
      };
      return [told, h('form', { class: 'eta-form', onsubmit: async (e) => {
        e.preventDefault();
        const minutes = D.Eta.minutes(draft.eta);
        if (!minutes) {
          draft.error = Number.isNaN(minutes) ? t('eta.invalid') : t('eta.pick');
          draft.focus = Number.isNaN(minutes) ? 'eta-other' : 'eta-first';
          render();
          return;
        }
        if (await act('job.eta', { eta_min: minutes })) {
          notify(t('eta.sent'));
          close();
        }
      }, onkeydown: (e) => { if (e.key === 'Escape') close(); } },
      D.Eta.choice(draft.eta, { focusKey: 'eta-first' }),
      h('div', { class: 'actions' }, h('button', { class: 'btn primary', type: 'submit' }, t('eta.send')),
        h('button', { class: 'btn', type: 'button', onclick: close }, t('eta.keep'))))];
    }

    function noteForm(r) {
      const id = uid('note');
      const note = h('textarea', { id, rows: 3, maxlength: 1000, 'aria-describedby': `${id}-hint`,
        oninput: (e) => { draft.note = e.target.value; } }, draft.note || '');
      return h('form', { class: 'note', onsubmit: async (e) => {
        e.preventDefault();
        if (!note.value.trim()) return;
        if (await act('session.feedback', { comment: note.value.trim() })) {
          notify(t('app.note_sent'));
          set(null);
        }
      } },
      h('p', { class: 'notice ok' }, t('app.ended', { duration: D.format.minutes(D.format.sessionMinutes(r)) })),
      h('div', { class: 'field' }, h('label', { for: id }, t('app.note')), note,
        h('p', { class: 'hint', id: `${id}-hint` }, t('app.note_hint'))),
      h('div', { class: 'actions' }, h('button', { class: 'btn primary', type: 'submit' }, t('app.note_send')),
        h('button', { class: 'btn', type: 'button', onclick: () => set(null) }, t('app.note_skip'))));
    }

    function render() {
      el.hidden = !job;
      if (!job) return body.replaceChildren();
      const r = job;
      D.dom.fill(body,
        h('p', { class: 'job-title' }, D.i18n.languageLabel(r.language), ' · ', t(`mod.${r.modality}`),
          ' ', h('span', { class: `badge ${r.state}` }, t(`state.${r.state}`))),
        h('p', { class: 'clinic' }, h('strong', {}, r.clinic.name)),
        contact(r),
        place(r) ? h('p', {}, t(r.modality === 'onsite' ? 'app.go_to' : 'app.address'), ' ', place(r)) : null,
        h('p', {}, r.urgency === 'scheduled' ? t('app.starts', { when: D.format.when(r.start_at) }) : t('app.now'),
          ' · ', D.format.minutes(r.duration_min)),
        r.note ? h('p', { class: 'job-note' }, t('app.clinic_note'), ' ', r.note) : null,
        r.modality === 'onsite' && r.state === 'assigned' && D.Eta ? arrival(r) : null,
        buttons(r),
        draft.error ? h('p', { class: 'error', role: 'alert' }, draft.error) : null);
      const target = draft.focus && body.querySelector(`[data-key="${draft.focus}"]`);
      draft.focus = '';
      if (target) target.focus();
    }

    client.on('snapshot', (m) => {
      // An ended job waiting for its note is ours alone; the server no longer lists it.
      if (!m.job && job && job.state === 'ended') return;
      set(m.job);
    });
    client.on('request', (m) => {
      const r = m.request;
      if (r.interpreter && r.interpreter.id === client.user.id) set(r);
      // Still shown but no longer ours: say so if the clinic cancelled, else let it go.
      else if (job && job.id === r.id) set(r.state === 'cancelled' ? r : null);
    });
    client.on('job.withdrawn', (m) => {
      if (job && job.id === m.request) {
        set(null);
        notify(t('app.job_withdrawn'));
      }
    });
    D.format.ticking(el, () => client.serverNow());
    D.i18n.onChange(render);
    return { el, set, get call() { return call; } };
  }

  function Hours(client) {
    const headingId = uid('hours');
    const list = h('dl', { class: 'hours-list' });
    const error = h('p', { class: 'error', role: 'alert' });
    const el = h('section', { class: 'hours card', 'aria-labelledby': headingId },
      h('div', { class: 'row' }, h('h2', { id: headingId, t: 'app.hours' }),
        h('button', { class: 'btn small', type: 'button', t: 'app.refresh', onclick: () => load() })),
      list, error);
    let data = null;
    function render() {
      if (!data) return;
      D.dom.fill(list, ['week', 'month'].map((p) => [h('dt', {}, t(`app.${p}`)),
        h('dd', {}, D.i18n.plural('app.sessions', data[p].sessions), ' · ', D.format.minutes(data[p].minutes))]));
    }
    async function load() {
      try {
        data = await client.api('GET', '/api/me/hours');
        error.textContent = '';
        render();
      } catch (err) {
        error.textContent = D.i18n.error(err);
      }
    }
    D.i18n.onChange(render);
    return { el, load };
  }

  D.shell.boot({
    face: 'app',
    role: 'interpreter',
    mount(client, main) {
      const toast = Toast();
      const hours = Hours(client);
      const job = Job(client, { notify: toast.show, onEnded: () => hours.load() });
      const offer = D.OfferScreen(client, { onAccepted: job.set, notify: toast.show });
      client.on('hello', () => hours.load());
      // The job, when there is one, comes first; the switch matters when there is none.
      const push = D.PushSettings(client, { notify: toast.show });
      D.dom.fill(main, job.el, Presence(client, toast.show).el, hours.el, push.el);
      document.body.append(offer.el, toast.el);
    },
  });
})(window.Dragoman);
