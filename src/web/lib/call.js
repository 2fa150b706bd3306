// The call panel: a video or audio call (or, for on-site jobs, a chat only)
// between the clinic, the interpreter and invited guests, in the browser.
// dragomand relays the signalling (call.join, call.signal, call.state,
// call.leave, call.chat, call.invite; see proto/README.md "Calls") and never
// sees the media.
//
// One RTCPeerConnection per other peer (a mesh). Whoever joins makes the
// offer to the peers already there; the others answer. That side also
// restarts ICE when the connection fails or stays disconnected, so there is
// never an offer from both sides at once. Candidates trickle through
// call.signal. After the WebSocket reconnects the panel joins again by
// itself (a new peer; the old one disappears from the others' screens with
// call.peer left).
//
// The same panel runs in the widget's shadow root, on the clinic's desk
// page, in the interpreter's app (as an overlay over the page) and on the
// guest page (inline). Tests may force relay-only ICE with ?relay=1 in the
// page's address or window.DragomanCallOptions = {relay: true}.
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);

  const STATS_MS = 2000; // getStats sampling and the state re-check
  const KEEPALIVE_MS = 8000; // call.state at least this often (the server wants ≤ 10 s)
  const RESTART_WAIT_MS = 3000; // a disconnected connection often comes back by itself
  const RETRY_MS = 10000; // at most one ICE restart per peer this often
  const LOST_MS = 30000; // reconnecting this long counts as failed
  // Not connected this long after the first offer or answer counts as failed
  // (so does gathering no candidate at all: relay-only with a TURN server that
  // refuses us). Chrome leaves ICE "new" for ever when neither side has a
  // candidate, and never says "failed" by itself then.
  const CONNECT_MS = 20000;
  const POOR_LOSS = 0.05; // packet loss fraction over one sample
  const POOR_RTT = 0.4; // seconds
  const CANDIDATE_KEYS = ['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment'];

  const ROLE = { clinic: 'call.role_clinic', interpreter: 'call.role_interpreter', guest: 'call.role_guest' };
  const TITLE = { video: 'call.title_video', audio: 'call.title_audio', none: 'call.title_chat' };
  const QUALITY = { waiting: 'call.q_waiting', connecting: 'call.q_connecting', good: 'call.q_good', poor: 'call.q_poor',
    reconnecting: 'call.q_reconnecting', failed: 'call.q_failed', server: 'call.q_server' };
  const ENDED = { hangup: 'call.ended_hangup', ended: 'call.ended_ended', dropped: 'call.ended_dropped',
    cancelled: 'call.ended_cancelled', reassigned: 'call.ended_reassigned' };
  // A request's modality → the call's media.
  const MEDIA = { video: 'video', phone: 'audio', onsite: 'none' };

  // How the server shows a peer whose connection dropped: kept in the call,
  // its media "reconnecting", until call_grace runs out.
  const dropped = (info) => info.media === 'reconnecting';
  const samePerson = (a, b) => a.role === b.role && a.name === b.name;

  function options() {
    const o = Object.assign({}, window.DragomanCallOptions || {});
    try {
      if (new URLSearchParams(location.search).get('relay') === '1') o.relay = true;
    } catch { /* no usable location */ }
    return o;
  }

  // Small drawn icons (no icon font: not every system has one).
  const PATHS = {
    mic: 'M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11z',
    cam: 'M3 7a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v2.5l5-3v11l-5-3V17a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z',
    flip: 'M4 12a8 8 0 0 1 14-5.3V4h2v6h-6V8h2.9A6 6 0 0 0 6 12zm16 0a8 8 0 0 1-14 5.3V20H4v-6h6v2H7.1A6 6 0 0 0 18 12z',
    chat: 'M5 3h14a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-6 5V5a2 2 0 0 1 2-2z',
    end: 'M12 9c-3.2 0-6.2.8-8.8 2.3-.7.4-1 1.2-.8 2l.6 2.2c.2.8 1 1.3 1.8 1.1l2.9-.7c.7-.2 1.2-.8 1.2-1.5v-1.7a12 12 0 0 1 6.2 0v1.7c0 .7.5 1.3 1.2 1.5l2.9.7c.8.2 1.6-.3 1.8-1.1l.6-2.2c.2-.8-.1-1.6-.8-2C18.2 9.8 15.2 9 12 9z',
    add: 'M10 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 8c0-3.3 3.1-6 7-6s7 2.7 7 6zm16-12V5h-2v3h-3v2h3v3h2v-3h3V8z',
    close: 'M5.3 6.7l1.4-1.4L12 10.6l5.3-5.3 1.4 1.4L13.4 12l5.3 5.3-1.4 1.4L12 13.4l-5.3 5.3-1.4-1.4 5.3-5.3z',
  };

  function icon(name, slashed = false) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('class', 'call-icon');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', PATHS[name]);
    path.setAttribute('fill', 'currentColor');
    svg.appendChild(path);
    if (slashed) {
      const line = document.createElementNS(ns, 'path');
      line.setAttribute('d', 'M3 3l18 18');
      line.setAttribute('stroke', 'currentColor');
      line.setAttribute('stroke-width', '2.5');
      line.setAttribute('stroke-linecap', 'round');
      svg.appendChild(line);
    }
    return svg;
  }

  // Only the fields the protocol takes, without nulls.
  function cleanCandidate(c) {
    const out = {};
    for (const k of CANDIDATE_KEYS) if (c[k] !== null && c[k] !== undefined) out[k] = c[k];
    if (out.candidate === undefined) out.candidate = '';
    return out;
  }

  // Where an overlay goes for a component drawn at el: the widget's frame
  // inside its shadow root (so its styles apply), else the page's body.
  function mountFor(el) {
    const root = el && el.getRootNode ? el.getRootNode() : document;
    if (window.ShadowRoot && root instanceof ShadowRoot) return root.querySelector('.dm-root') || root;
    return document.body;
  }

  let active = null;

  // opts: request (id), media (video | audio | none), role (clinic |
  // interpreter | guest), language (code, for the title), mount (element;
  // default document.body), inline (true: drawn in mount's flow, not over the
  // page), opener (element to focus after closing), onClose().
  function CallPanel(client, opts) {
    if (active) active.close();
    const { request, role } = opts;
    const cfg = options();
    let media = opts.media || 'video';
    const canEnd = role === 'clinic' || role === 'interpreter';
    const mount = opts.mount || document.body;

    let view = 'join'; // join | joining | call | ended
    let local = null; // our MediaStream
    let mediaNote = ''; // why the camera or microphone is missing
    let me = null; // our peer id in the call
    const mine = new Set(); // every peer id this page has had (chat history says "You" for them)
    let iceServers = [];
    let keepMs = KEEPALIVE_MS;
    const peers = new Map();
    let micOn = true;
    let camOn = true;
    let facing = 'user';
    let cameras = [];
    let lastSent = '';
    let lastSentAt = 0;
    let joinedOnce = false;
    let chatOpen = false;
    let unread = 0;
    let closed = false;
    let audioCtx = null;
    let playBlocked = false;
    const timers = {};
    const unsubs = [];
    const inerted = [];

    /* ---------------- the DOM ---------------- */

    const titleId = uid('call-title');
    const title = h('h2', { class: 'call-title', id: titleId, tabindex: '-1' });
    const qualityEl = h('p', { class: 'call-quality', role: 'status' });
    const live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });

    // The join screen: own preview, the microphone level, Join.
    const preview = h('video', { class: 'call-preview', autoplay: true, playsinline: true,
      tAttr: { 'aria-label': 'call.own_video' } });
    preview.muted = true;
    const previewBox = h('div', { class: 'call-preview-box' }, preview,
      h('span', { class: 'call-off-note', t: 'call.camera_is_off' }));
    const meterId = uid('call-meter');
    const meter = h('meter', { id: meterId, min: 0, max: 1, value: 0, low: 0.02, optimum: 0.3 });
    const meterBox = h('div', { class: 'call-meter' },
      h('label', { for: meterId, t: 'call.mic_level' }), meter, h('p', { class: 'hint', t: 'call.mic_hint' }));
    const joinNote = h('p', { class: 'notice', hidden: true });
    const joinError = h('p', { class: 'error', role: 'alert' });
    const joinBtn = h('button', { class: 'btn primary big', type: 'button', 'data-key': 'join', onclick: () => join(),
      t: 'call.join_now' });
    const retryMediaBtn = h('button', { class: 'btn', type: 'button', hidden: true, onclick: () => acquire(),
      t: 'call.retry_media' });
    const joinHint = h('p', { class: 'call-join-hint' });
    const joinView = h('div', { class: 'call-join' },
      joinHint, previewBox, meterBox, joinNote, joinError,
      h('div', { class: 'actions' }, joinBtn, retryMediaBtn,
        opts.onClose ? h('button', { class: 'btn', type: 'button', onclick: () => close(), t: 'call.not_now' }) : null));

    // The call: remote tiles large, own picture small.
    const tiles = h('div', { class: 'call-tiles' });
    const selfVideo = h('video', { autoplay: true, playsinline: true, tAttr: { 'aria-label': 'call.own_video' } });
    selfVideo.muted = true;
    const self = h('div', { class: 'call-self' }, selfVideo, h('span', { class: 'call-off-note', t: 'call.camera_is_off' }));
    const playBtn = h('button', { class: 'btn primary call-play', type: 'button', hidden: true, t: 'call.play',
      onclick: () => playAll() });
    const stage = h('div', { class: 'call-stage' }, tiles, self, playBtn);

    // The chat.
    const chatId = uid('call-chat');
    const chatHeadingId = uid('call-chat-h');
    const chatLog = h('ol', { class: 'call-chat-list' });
    const chatBox = h('div', { class: 'call-chat-log', role: 'log', 'aria-labelledby': chatHeadingId }, chatLog);
    const chatEmpty = h('p', { class: 'hint call-chat-empty', t: 'call.chat_empty' });
    const inputId = uid('call-msg');
    const chatInput = h('input', { id: inputId, class: 'call-chat-input', maxlength: 1000, autocomplete: 'off',
      dir: 'auto', tAttr: { placeholder: 'call.message_placeholder' } });
    const sendBtn = h('button', { class: 'btn primary', type: 'submit', t: 'call.send' });
    const chatError = h('p', { class: 'error', role: 'alert' });
    const chatClose = h('button', { class: 'btn small call-chat-close', type: 'button', t: 'call.chat_hide',
      onclick: () => setChat(false) });
    const chat = h('section', { class: 'call-chat', id: chatId, 'aria-labelledby': chatHeadingId,
      onkeydown: (e) => { if (e.key === 'Escape' && media !== 'none' && chatOpen) { e.stopPropagation(); setChat(false); } } },
      h('div', { class: 'call-chat-head' }, h('h3', { id: chatHeadingId, t: 'call.chat' }), chatClose),
      chatEmpty, chatBox,
      h('form', { class: 'call-chat-form', onsubmit: (e) => sendChat(e) },
        h('label', { for: inputId, class: 'visually-hidden', t: 'call.message' }), chatInput, sendBtn),
      chatError);

    // Adding a participant (clinic): the one-time link.
    const inviteHeadingId = uid('call-invite-h');
    const linkId = uid('call-link');
    const linkInput = h('input', { id: linkId, class: 'call-link', readonly: true, dir: 'ltr', spellcheck: 'false' });
    const inviteHint = h('p', { class: 'hint' });
    const inviteStatus = h('p', { class: 'call-invite-status', role: 'status' });
    const copyBtn = h('button', { class: 'btn primary', type: 'button', t: 'call.copy', onclick: () => copyLink() });
    const invite = h('section', { class: 'call-invite', role: 'dialog', 'aria-labelledby': inviteHeadingId, hidden: true,
      onkeydown: (e) => { if (e.key === 'Escape') { e.stopPropagation(); hideInvite(); } } },
    h('h3', { id: inviteHeadingId, t: 'call.invite_title' }),
    h('label', { for: linkId, t: 'call.link' }), linkInput, inviteHint, inviteStatus,
    h('div', { class: 'actions' }, copyBtn,
      h('button', { class: 'btn', type: 'button', t: 'call.close', onclick: () => hideInvite() })));

    // After the call.
    const endedText = h('p', { class: 'call-ended-text' });
    const endedActions = h('div', { class: 'actions' });
    const endedView = h('div', { class: 'call-ended', role: 'status' }, endedText, endedActions);

    // The controls.
    function control(key, name, onclick, attrs = {}) {
      const label = h('span', { class: 'call-btn-label', t: key });
      const b = h('button', Object.assign({ class: 'call-btn', type: 'button', onclick }, attrs), icon(name), label);
      b.setIcon = (slashed) => b.firstChild.replaceWith(icon(name, slashed));
      return b;
    }
    const muteBtn = control('call.mute', 'mic', () => toggleMic(), { 'aria-pressed': 'false', 'data-key': 'mute' });
    const camBtn = control('call.camera_off', 'cam', () => toggleCam(), { 'aria-pressed': 'false', 'data-key': 'camera' });
    const flipBtn = control('call.switch_camera', 'flip', () => switchCamera(), { hidden: true, 'data-key': 'flip' });
    const unreadEl = h('span', { class: 'call-unread', hidden: true });
    const chatBtn = control('call.chat', 'chat', () => setChat(!chatOpen),
      { 'aria-expanded': 'false', 'aria-controls': chatId, 'data-key': 'chat' });
    chatBtn.append(unreadEl);
    const addBtn = role === 'clinic'
      ? control('call.add', 'add', () => showInvite(), { 'data-key': 'add', 'aria-haspopup': 'dialog' }) : null;
    const endKey = media === 'none' ? 'call.close_chat' : canEnd ? 'call.end' : 'call.leave';
    const endBtn = control(endKey, media === 'none' ? 'close' : 'end', () => hangUp(), { 'data-key': 'end' });
    if (media !== 'none') endBtn.classList.add('end');
    const controls = h('div', { class: 'call-controls', role: 'toolbar', tAttr: { 'aria-label': 'call.controls' } },
      muteBtn, camBtn, flipBtn, chatBtn, addBtn, endBtn);

    const body = h('div', { class: 'call-body' }, joinView, stage, chat, endedView, invite);
    const el = h('section', { class: `call-screen ${opts.inline ? 'inline' : 'overlay'}`, 'aria-labelledby': titleId,
      'data-media': media, 'data-view': view, 'data-request': request },
    h('header', { class: 'call-head' }, title, qualityEl), body, controls, live);
    if (!opts.inline) {
      el.setAttribute('role', 'dialog');
      el.setAttribute('aria-modal', 'true');
    }

    /* ---------------- drawing ---------------- */

    function drawTitle() {
      D.dom.fill(title, t(TITLE[media]), opts.language ? [' · ', D.i18n.languageLabel(opts.language)] : null);
    }

    function setView(v) {
      view = v;
      el.dataset.view = v;
      el.dataset.media = media;
      joinBtn.disabled = v === 'joining';
      joinBtn.textContent = t(v === 'joining' ? 'call.joining' : 'call.join_now');
      draw();
    }

    const hasTrack = (kind) => Boolean(local && local.getTracks().some((tr) => tr.kind === kind && tr.readyState === 'live'));

    function drawControls() {
      const mic = hasTrack('audio');
      const cam = hasTrack('video');
      muteBtn.hidden = media === 'none';
      muteBtn.disabled = !mic;
      muteBtn.setAttribute('aria-pressed', String(mic && !micOn));
      muteBtn.setIcon(!mic || !micOn);
      camBtn.hidden = media !== 'video';
      camBtn.disabled = !cam;
      camBtn.setAttribute('aria-pressed', String(cam && !camOn));
      camBtn.setIcon(!cam || !camOn);
      flipBtn.hidden = media !== 'video' || !cam || cameras.length < 2;
      chatBtn.hidden = media === 'none';
      chatBtn.setAttribute('aria-expanded', String(chatOpen));
      chatBtn.classList.toggle('on', chatOpen);
      if (addBtn) addBtn.hidden = media === 'none';
      unreadEl.hidden = !unread || chatOpen;
      unreadEl.textContent = unread ? String(unread) : '';
      chatClose.hidden = media === 'none';
      previewBox.dataset.off = String(!cam || !camOn);
      self.dataset.off = String(!cam || !camOn);
      self.hidden = media !== 'video' || !cam;
      self.classList.toggle('mirror', facing === 'user');
      previewBox.classList.toggle('mirror', facing === 'user');
    }

    function draw() {
      drawTitle();
      drawControls();
      const q = overall();
      el.dataset.quality = q;
      qualityEl.dataset.quality = q;
      qualityEl.hidden = view !== 'call' || (media === 'none' && q !== 'server');
      qualityEl.textContent = t(QUALITY[q]);
      joinHint.textContent = t(media === 'video' ? 'call.check_video' : 'call.check_audio');
      previewBox.hidden = media !== 'video';
      meterBox.hidden = media === 'none' || !hasTrack('audio');
      el.classList.toggle('chat-open', chatOpen || media === 'none');
      chat.hidden = view !== 'call' || !(chatOpen || media === 'none');
      playBtn.hidden = !playBlocked;
      for (const p of peers.values()) p.tile.draw();
      tiles.dataset.count = String(peers.size);
    }

    function announce(key, vars) {
      live.textContent = '';
      // A fresh text node, so that the same words twice are read twice.
      setTimeout(() => { live.textContent = t(key, vars); }, 50);
    }

    function peerLabel(info) {
      const name = info.name || t('call.someone');
      return ROLE[info.role] ? t('call.peer_label', { name, role: t(ROLE[info.role]) }) : name;
    }

    /* ---------------- local media ---------------- */

    async function acquire() {
      stopLocal();
      mediaNote = '';
      retryMediaBtn.hidden = true;
      if (media === 'none') return;
      const md = navigator.mediaDevices;
      if (!md || !md.getUserMedia) {
        mediaNote = t('call.media_insecure');
      } else {
        const video = media === 'video' ? { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } } : false;
        try {
          local = await md.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video });
        } catch (e) {
          if (media === 'video') {
            try {
              local = await md.getUserMedia({ audio: true });
              mediaNote = t('call.no_camera');
            } catch { /* reported below */ }
          }
          if (!local) {
            mediaNote = e && e.name === 'NotAllowedError' ? t('call.media_denied')
              : e && (e.name === 'NotFoundError' || e.name === 'OverconstrainedError') ? t('call.media_missing')
                : t('call.media_failed', { error: (e && e.message) || String(e) });
            retryMediaBtn.hidden = false;
          }
        }
      }
      if (closed) {
        stopLocal();
        return;
      }
      if (local) {
        const v = local.getVideoTracks()[0];
        if (v) facing = (v.getSettings && v.getSettings().facingMode) || 'user';
        for (const tr of local.getAudioTracks()) tr.enabled = micOn;
        for (const tr of local.getVideoTracks()) tr.enabled = camOn;
        preview.srcObject = local;
        selfVideo.srcObject = local;
        preview.play().catch(() => {});
        startMeter();
        listCameras();
      }
      joinNote.hidden = !mediaNote;
      joinNote.textContent = mediaNote;
      draw();
    }

    async function listCameras() {
      try {
        cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
      } catch {
        cameras = [];
      }
      drawControls();
    }

    function stopLocal() {
      if (local) for (const tr of local.getTracks()) tr.stop();
      local = null;
      preview.srcObject = null;
      selfVideo.srcObject = null;
      stopMeter();
    }

    // The microphone level on the join screen: a <meter> fed by an analyser.
    function startMeter() {
      stopMeter();
      const track = local && local.getAudioTracks()[0];
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!track || !AC) return;
      try {
        audioCtx = new AC();
        const src = audioCtx.createMediaStreamSource(new MediaStream([track]));
        const an = audioCtx.createAnalyser();
        an.fftSize = 512;
        src.connect(an);
        const buf = new Float32Array(an.fftSize);
        timers.meter = setInterval(() => {
          if (audioCtx.state === 'suspended') audioCtx.resume().catch(() => {});
          an.getFloatTimeDomainData(buf);
          let sum = 0;
          for (const v of buf) sum += v * v;
          meter.value = track.enabled ? Math.min(1, Math.sqrt(sum / buf.length) * 4) : 0;
        }, 100);
      } catch {
        stopMeter();
      }
    }

    function stopMeter() {
      clearInterval(timers.meter);
      timers.meter = null;
      if (audioCtx) audioCtx.close().catch(() => {});
      audioCtx = null;
      meter.value = 0;
    }

    function toggleMic() {
      micOn = !micOn;
      if (local) for (const tr of local.getAudioTracks()) tr.enabled = micOn;
      draw();
      report();
    }

    function toggleCam() {
      camOn = !camOn;
      if (local) for (const tr of local.getVideoTracks()) tr.enabled = camOn;
      draw();
      report();
    }

    // Front and back camera: the next camera by deviceId, or the other
    // facingMode when the browser does not list them apart.
    async function switchCamera() {
      const old = local && local.getVideoTracks()[0];
      if (!old) return;
      const current = old.getSettings ? old.getSettings().deviceId : '';
      const i = cameras.findIndex((c) => c.deviceId === current);
      const next = cameras.length > 1 ? cameras[(i + 1) % cameras.length] : null;
      const want = next && next.deviceId ? { deviceId: { exact: next.deviceId } }
        : { facingMode: facing === 'user' ? 'environment' : 'user' };
      // Phones often cannot open two cameras at once: stop the old one first.
      old.stop();
      let track = null;
      try {
        track = (await navigator.mediaDevices.getUserMedia({ video: want })).getVideoTracks()[0];
      } catch {
        try {
          track = (await navigator.mediaDevices.getUserMedia({ video: current ? { deviceId: { exact: current } } : true }))
            .getVideoTracks()[0];
        } catch { /* no camera any more */ }
      }
      if (!local || closed) {
        if (track) track.stop();
        return;
      }
      local.removeTrack(old);
      if (track) {
        track.enabled = camOn;
        local.addTrack(track);
        facing = (track.getSettings && track.getSettings().facingMode) || (facing === 'user' ? 'environment' : 'user');
      }
      for (const p of peers.values()) {
        if (p.senders.video) p.senders.video.replaceTrack(track).catch(() => {});
      }
      selfVideo.srcObject = local;
      preview.srcObject = local;
      draw();
      report();
    }

    /* ---------------- joining ---------------- */

    async function join() {
      if (view === 'joining' || closed) return;
      joinError.textContent = '';
      setView('joining');
      let data;
      try {
        data = await client.send('call.join', { request });
      } catch (err) {
        if (closed) return;
        if (err.code === 'conflict' || err.code === 'not_found') return ended('call.ended_ended');
        joinError.textContent = joinErrorText(err);
        setView('join');
        return;
      }
      if (closed) return;
      joined(data.call || data);
      // Keyboard users land on the first control instead of a vanished button.
      const first = media === 'none' ? chatInput : muteBtn.disabled ? endBtn : muteBtn;
      first.focus();
    }

    function joinErrorText(err) {
      if (err.code === 'forbidden') return t('call.err_forbidden');
      return D.i18n.error(err);
    }

    function joined(c) {
      me = c.peer;
      mine.add(me);
      iceServers = Array.isArray(c.ice_servers) ? c.ice_servers : [];
      if (c.media && c.media !== media) adaptMedia(c.media);
      keepMs = Math.max(1000, Math.min(KEEPALIVE_MS, ((c.grace_s || 60) * 1000) / 3));
      stopMeter();
      if (!joinedOnce && media !== 'none' && window.matchMedia && window.matchMedia('(min-width: 900px)').matches) {
        chatOpen = true;
      }
      joinedOnce = true;
      loadChat(c.chat || []);
      setView('call');
      const list = (c.peers || []).filter((info) => !mine.has(info.peer));
      for (const info of list) {
        // A dropped connection of someone who is already back as a new peer.
        const replaced = dropped(info) && list.some((o) => o !== info && !dropped(o) && samePerson(o, info));
        if (!replaced) addPeer(info, true);
      }
      clearInterval(timers.tick);
      timers.tick = setInterval(tick, STATS_MS);
      lastSent = '';
      report(true);
      draw();
    }

    // The server says what the call carries; drop what it does not.
    function adaptMedia(m) {
      media = m;
      if (local && media !== 'video') {
        for (const tr of local.getVideoTracks()) {
          tr.stop();
          local.removeTrack(tr);
        }
      }
      if (media === 'none') stopLocal();
    }

    // After the WebSocket came back: a new peer in the same call; the old
    // connections go (the others see our old peer leave).
    async function rejoin() {
      if (closed || view !== 'call') return;
      for (const p of [...peers.values()]) dropPeer(p);
      me = null;
      draw();
      let data;
      try {
        data = await client.send('call.join', { request });
      } catch (err) {
        if (closed || view !== 'call') return;
        if (err.code === 'conflict' || err.code === 'not_found' || err.code === 'forbidden') {
          ended(err.code === 'forbidden' ? 'call.err_forbidden' : 'call.ended_ended');
        }
        // offline or timeout: the next hello tries again.
        return;
      }
      if (closed || view !== 'call') return;
      joined(data.call || data);
      announce('call.rejoined');
    }

    /* ---------------- peers ---------------- */

    function addPeer(info, offerer) {
      if (peers.has(info.peer)) return peers.get(info.peer);
      const p = { id: info.peer, info: Object.assign({}, info), offerer, pc: null, queue: [], chain: Promise.resolve(),
        stream: new MediaStream(), senders: {}, tracksAdded: false, ice: 'checking', connectedOnce: false,
        failedOnce: false, lostAt: 0, lastRestart: 0, quality: 'good', prev: null, route: '', timers: {},
        negotiatedAt: 0, gathered: 0, noCandidates: false, iceErrors: [] };
      p.tile = tile(p);
      tiles.append(p.tile.el);
      peers.set(p.id, p);
      if (media !== 'none') {
        p.pc = newConnection(p);
        if (offerer) {
          addLocalTracks(p);
          makeOffer(p, false);
        }
      }
      draw();
      return p;
    }

    function dropPeer(p) {
      for (const tm of Object.values(p.timers)) clearTimeout(tm);
      if (p.pc) {
        p.pc.onicecandidate = null;
        p.pc.ontrack = null;
        p.pc.onconnectionstatechange = null;
        p.pc.oniceconnectionstatechange = null;
        p.pc.onicegatheringstatechange = null;
        p.pc.onicecandidateerror = null;
        p.pc.close();
      }
      p.tile.el.remove();
      peers.delete(p.id);
      draw();
    }

    function newConnection(p) {
      const conf = { iceServers };
      if (cfg.relay) conf.iceTransportPolicy = 'relay';
      const pc = new RTCPeerConnection(conf);
      pc.ontrack = (e) => {
        if (!p.stream.getTracks().includes(e.track)) p.stream.addTrack(e.track);
        p.tile.attach();
      };
      pc.onicecandidate = (e) => {
        if (e.candidate && e.candidate.candidate) p.gathered += 1;
        signal(p, 'candidate', { candidate: e.candidate ? cleanCandidate(e.candidate.toJSON()) : { candidate: '' } });
      };
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === 'gathering') {
          p.gathered = 0;
          p.noCandidates = false;
        } else if (pc.iceGatheringState === 'complete' && !p.gathered) {
          p.noCandidates = true;
          watch(p);
        }
      };
      // Why gathering found nothing (a TURN server refusing the credentials: 401).
      pc.onicecandidateerror = (e) => {
        p.iceErrors.push({ url: e.url, code: e.errorCode, text: e.errorText });
        if (p.iceErrors.length > 20) p.iceErrors.shift();
      };
      pc.onconnectionstatechange = () => watch(p);
      pc.oniceconnectionstatechange = () => watch(p);
      return pc;
    }

    // Our tracks into a connection: the offerer makes a transceiver per kind
    // (receive-only when we have no such track); the answerer's addTrack
    // reuses the transceivers the offer made.
    function addLocalTracks(p) {
      if (p.tracksAdded) return;
      p.tracksAdded = true;
      const kinds = media === 'video' ? ['audio', 'video'] : ['audio'];
      for (const kind of kinds) {
        const track = local && local.getTracks().find((tr) => tr.kind === kind && tr.readyState === 'live');
        if (p.offerer) {
          const tr = track ? p.pc.addTransceiver(track, { direction: 'sendrecv', streams: [local] })
            : p.pc.addTransceiver(kind, { direction: 'recvonly' });
          p.senders[kind] = tr.sender;
        } else if (track) {
          p.senders[kind] = p.pc.addTrack(track, local);
        }
      }
    }

    function signal(p, kind, fields) {
      if (!me || !peers.has(p.id)) return;
      client.send('call.signal', Object.assign({ request, to: p.id, kind }, fields)).catch(() => {
        // Gone or offline: a peer that left is dropped by its call.peer left,
        // and after a reconnect everything is negotiated again.
      });
    }

    function makeOffer(p, iceRestart) {
      p.chain = p.chain.then(async () => {
        const pc = p.pc;
        if (!pc || pc.signalingState === 'closed') return;
        // An offer still unanswered (lost with a dropped peer): start over.
        if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
        if (pc.signalingState !== 'stable') return;
        await pc.setLocalDescription(await pc.createOffer(iceRestart ? { iceRestart: true } : {}));
        if (!p.negotiatedAt) p.negotiatedAt = Date.now();
        signal(p, 'offer', { sdp: pc.localDescription.sdp });
      }).catch((e) => console.warn('dragoman call: offer failed', e));
    }

    function onSignal(m) {
      if (m.request !== request || view !== 'call' || media === 'none' || !me) return;
      let p = peers.get(m.from);
      if (!p) {
        // An offer from a peer whose call.peer joined we have not seen.
        if (m.kind !== 'offer') return;
        p = addPeer({ peer: m.from }, false);
      }
      p.chain = p.chain.then(() => handleSignal(p, m)).catch((e) => console.warn('dragoman call: signal failed', e));
    }

    async function handleSignal(p, m) {
      const pc = p.pc;
      if (!pc || pc.signalingState === 'closed') return;
      if (m.kind === 'offer') {
        if (pc.signalingState === 'have-local-offer') {
          // Both sides offered (should not happen): the lower peer id wins.
          if (me < m.from) return;
          await pc.setLocalDescription({ type: 'rollback' });
        }
        await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
        addLocalTracks(p);
        await pc.setLocalDescription(await pc.createAnswer());
        if (!p.negotiatedAt) p.negotiatedAt = Date.now();
        signal(p, 'answer', { sdp: pc.localDescription.sdp });
        await flush(p);
      } else if (m.kind === 'answer') {
        if (pc.signalingState !== 'have-local-offer') return;
        await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
        await flush(p);
      } else if (m.kind === 'candidate' && m.candidate) {
        // Before the remote description (or while our restart offer waits for
        // its answer) a candidate has nothing to attach to yet.
        if (!pc.remoteDescription || pc.signalingState === 'have-local-offer') p.queue.push(m.candidate);
        else await addCandidate(pc, m.candidate);
      }
    }

    async function flush(p) {
      const q = p.queue.splice(0);
      for (const c of q) await addCandidate(p.pc, c);
    }

    async function addCandidate(pc, c) {
      try {
        if (c.candidate) await pc.addIceCandidate(c);
        else await pc.addIceCandidate(c.sdpMid !== undefined || c.sdpMLineIndex !== undefined ? c : undefined);
      } catch {
        // A candidate of an ICE generation already replaced: harmless.
      }
    }

    // Connection state → what we show and report; ICE restarts by the offerer.
    function watch(p) {
      const pc = p.pc;
      if (!pc || closed) return;
      const ice = pc.iceConnectionState;
      const conn = pc.connectionState;
      let s;
      if (conn === 'connected' || ice === 'connected' || ice === 'completed') s = 'connected';
      else if (conn === 'failed' || ice === 'failed') s = 'failed';
      else if (conn === 'disconnected' || ice === 'disconnected') s = 'lost';
      else s = 'checking';
      if (conn === 'closed') return;
      p.ice = s;
      if (s === 'connected') {
        p.connectedOnce = true;
        p.failedOnce = false;
        p.lostAt = 0;
        clearTimeout(p.timers.restart);
        p.timers.restart = null;
        sample(p);
      } else if (p.connectedOnce && !p.lostAt) {
        p.lostAt = Date.now();
      }
      if (s === 'failed' || (s !== 'connected' && !p.connectedOnce && stuck(p))) p.failedOnce = true;
      if (p.offerer && (s === 'failed' || (p.failedOnce && s !== 'connected'))) restartLater(p, 0);
      if (p.offerer && s === 'lost') restartLater(p, RESTART_WAIT_MS);
      draw();
      report();
    }

    function restartLater(p, wait) {
      if (p.timers.restart) return;
      const ms = Math.max(wait, p.lastRestart + RETRY_MS - Date.now());
      p.timers.restart = setTimeout(() => {
        p.timers.restart = null;
        if (closed || !peers.has(p.id) || p.ice === 'connected') return;
        p.lastRestart = Date.now();
        makeOffer(p, true);
        // Still not connected after a while: try again.
        p.timers.restart = setTimeout(() => {
          p.timers.restart = null;
          if (!closed && peers.has(p.id) && p.ice !== 'connected') restartLater(p, 0);
        }, RETRY_MS);
      }, ms);
    }

    // Never connected, and it will not by itself: no candidate, or too long.
    function stuck(p) {
      return p.noCandidates || (p.negotiatedAt > 0 && Date.now() - p.negotiatedAt > CONNECT_MS);
    }

    function peerState(p) {
      if (!p.pc) return 'none';
      if (p.ice === 'connected') return 'connected';
      if (p.connectedOnce) return Date.now() - p.lostAt > LOST_MS ? 'failed' : 'reconnecting';
      return p.failedOnce ? 'failed' : 'connecting';
    }

    // Our media state for call.state: connected while any connection is.
    function mediaState() {
      if (media === 'none') return 'connecting';
      const list = [...peers.values()].map(peerState);
      if (list.includes('connected')) return 'connected';
      if (list.includes('reconnecting')) return 'reconnecting';
      if (list.length && list.every((s) => s === 'failed')) return 'failed';
      return 'connecting';
    }

    function linkQuality() {
      const connected = [...peers.values()].filter((p) => peerState(p) === 'connected');
      return connected.some((p) => p.quality === 'poor') ? 'poor' : 'good';
    }

    // What the header says.
    function overall() {
      if (client.state !== 'online' && view === 'call') return 'server';
      if (!peers.size) return 'waiting';
      const m = mediaState();
      return m === 'connected' ? linkQuality() : m;
    }

    // Packet loss and round-trip time of the connection in use.
    async function sample(p) {
      if (!p.pc || p.ice !== 'connected') return;
      let stats;
      try {
        stats = await p.pc.getStats();
      } catch {
        return;
      }
      const byId = new Map();
      stats.forEach((s) => byId.set(s.id, s));
      let pair = null;
      let lost = 0;
      let recv = 0;
      stats.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId) || pair;
        if (s.type === 'inbound-rtp') {
          lost += s.packetsLost || 0;
          recv += s.packetsReceived || 0;
        }
      });
      if (!pair) stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
      const rtt = pair ? pair.currentRoundTripTime : undefined;
      let loss = 0;
      if (p.prev) {
        const dl = Math.max(0, lost - p.prev.lost);
        const dr = Math.max(0, recv - p.prev.recv);
        if (dl + dr > 0) loss = dl / (dl + dr);
      }
      p.prev = { lost, recv };
      p.quality = loss >= POOR_LOSS || (rtt !== undefined && rtt >= POOR_RTT) ? 'poor' : 'good';
      const lc = pair && byId.get(pair.localCandidateId);
      p.route = lc ? lc.candidateType : '';
      p.tile.el.dataset.route = p.route;
    }

    async function tick() {
      if (closed || view !== 'call') return;
      await Promise.all([...peers.values()].map(sample));
      if (closed) return;
      for (const p of peers.values()) if (p.pc && p.ice !== 'connected') watch(p);
      draw();
      report();
    }

    function report(force = false) {
      if (view !== 'call' || !me || closed) return;
      const m = mediaState();
      const msg = { request, media: m, audio: hasTrack('audio') && micOn, video: media === 'video' && hasTrack('video') && camOn };
      if (m === 'connected') msg.quality = linkQuality();
      const key = JSON.stringify(msg);
      if (!force && key === lastSent && Date.now() - lastSentAt < keepMs) return;
      lastSent = key;
      lastSentAt = Date.now();
      client.send('call.state', msg).catch(() => { lastSent = ''; });
    }

    /* ---------------- remote tiles ---------------- */

    function tile(p) {
      const video = media === 'video';
      const player = h(video ? 'video' : 'audio', { autoplay: true, playsinline: video });
      const name = h('span', { class: 'call-name' });
      const badges = h('span', { class: 'call-badges' });
      const avatar = h('span', { class: 'call-avatar', 'aria-hidden': 'true' });
      const el = h('figure', { class: 'call-tile', 'data-peer': p.id }, player, avatar,
        h('figcaption', {}, name, badges));
      const badge = (key, cls) => h('span', { class: `badge ${cls}` }, t(key));
      return {
        el,
        player,
        attach() {
          if (player.srcObject !== p.stream) player.srcObject = p.stream;
          play(player);
        },
        draw() {
          const info = p.info;
          const label = peerLabel(info);
          name.textContent = label;
          avatar.textContent = (info.name || '?').trim().slice(0, 1).toUpperCase();
          if (video) player.setAttribute('aria-label', t('call.video_of', { name: label }));
          el.dataset.role = info.role || '';
          el.dataset.audio = String(info.audio !== false);
          el.dataset.video = String(video && info.video !== false);
          const s = peerState(p);
          el.dataset.state = s;
          el.dataset.quality = s === 'connected' ? p.quality : s;
          D.dom.fill(badges,
            info.audio === false ? badge('call.peer_muted', 'warn') : null,
            video && info.video === false ? badge('call.camera_is_off', 'warn') : null,
            s === 'connected' && p.quality === 'poor' ? badge('call.q_poor', 'danger') : null,
            s === 'reconnecting' ? badge('call.q_reconnecting', 'warn') : null,
            s === 'connecting' ? badge('call.q_connecting', '') : null,
            s === 'failed' ? badge('call.q_failed', 'danger') : null);
        },
      };
    }

    function play(player) {
      const r = player.play();
      if (r && r.catch) {
        r.catch((e) => {
          if (e && e.name === 'NotAllowedError') {
            playBlocked = true;
            draw();
          }
        });
      }
    }

    function playAll() {
      playBlocked = false;
      for (const p of peers.values()) p.tile.player.play().catch(() => {});
      draw();
    }

    /* ---------------- pushes ---------------- */

    function onPeer(m) {
      if (m.request !== request || view !== 'call' || !me || !m.peer || mine.has(m.peer.peer)) return;
      const id = m.peer.peer;
      if (m.event === 'joined') {
        if (!peers.has(id)) {
          // A dropped connection stays in the call as "reconnecting" until the
          // server's grace runs out; the same participant joining again
          // replaces it at once (its page closed the old connections).
          const stale = [...peers.values()].find((p) => dropped(p.info) && samePerson(p.info, m.peer));
          if (stale) dropPeer(stale);
          addPeer(m.peer, false);
          announce(stale ? 'call.rejoined_peer' : 'call.joined', { name: peerLabel(m.peer) });
        }
      } else if (m.event === 'state') {
        const p = peers.get(id);
        if (p) Object.assign(p.info, m.peer);
      } else if (m.event === 'left') {
        const p = peers.get(id);
        if (p) {
          dropPeer(p);
          announce(m.reason === 'dropped' ? 'call.dropped' : 'call.left', { name: peerLabel(m.peer.name ? m.peer : p.info) });
        }
      }
      draw();
      report();
    }

    function onEnded(m) {
      if (m.request !== request || closed || view === 'ended') return;
      ended(ENDED[m.reason] || 'call.ended_ended');
    }

    /* ---------------- chat ---------------- */

    function chatItem(msg) {
      const own = mine.has(msg.from && msg.from.peer);
      const who = own ? t('call.you') : peerLabel(msg.from || {});
      return h('li', { class: `call-msg${own ? ' mine' : ''}` },
        h('p', { class: 'call-msg-head' }, h('strong', {}, who), ' ', h('span', { class: 'hint' }, msg.at ? D.format.time(msg.at) : '')),
        h('p', { class: 'call-msg-text', dir: 'auto' }, msg.text));
    }

    function loadChat(list) {
      D.dom.fill(chatLog, list.map(chatItem));
      chatEmpty.hidden = list.length > 0;
      chatBox.scrollTop = chatBox.scrollHeight;
    }

    function addChat(msg) {
      chatLog.append(chatItem(msg));
      chatEmpty.hidden = true;
      chatBox.scrollTop = chatBox.scrollHeight;
    }

    function onChat(m) {
      if (m.request !== request || view !== 'call' || (m.from && mine.has(m.from.peer))) return;
      addChat(m);
      if (!(chatOpen || media === 'none')) {
        unread += 1;
        announce('call.chat_new', { name: peerLabel(m.from || {}), text: m.text });
      }
      draw();
    }

    async function sendChat(e) {
      e.preventDefault();
      const text = chatInput.value.trim();
      if (!text || view !== 'call' || !me) return;
      chatError.textContent = '';
      sendBtn.disabled = true;
      try {
        const d = await client.send('call.chat', { request, text: text.slice(0, 1000) });
        addChat({ from: { peer: me, role, name: client.user && client.user.name }, text, at: d.at || client.serverNow() });
        chatInput.value = '';
      } catch (err) {
        chatError.textContent = D.i18n.error(err);
      }
      sendBtn.disabled = false;
      chatInput.focus();
    }

    function setChat(open) {
      chatOpen = open;
      if (open) unread = 0;
      draw();
      if (open) chatInput.focus();
      else chatBtn.focus();
    }

    /* ---------------- inviting ---------------- */

    async function showInvite() {
      invite.hidden = false;
      linkInput.value = '';
      inviteHint.textContent = '';
      inviteStatus.textContent = t('call.invite_making');
      copyBtn.disabled = true;
      invite.querySelector('h3').tabIndex = -1;
      invite.querySelector('h3').focus();
      try {
        const d = await client.send('call.invite', { request });
        linkInput.value = new URL(d.link, client.base).href;
        inviteHint.textContent = t('call.invite_hint', { when: d.expires_at ? D.format.when(d.expires_at) : '' });
        inviteStatus.textContent = '';
        copyBtn.disabled = false;
        linkInput.focus();
        linkInput.select();
      } catch (err) {
        inviteStatus.textContent = D.i18n.error(err);
      }
    }

    function hideInvite() {
      invite.hidden = true;
      if (addBtn) addBtn.focus();
    }

    async function copyLink() {
      try {
        await navigator.clipboard.writeText(linkInput.value);
        inviteStatus.textContent = t('call.copied');
      } catch {
        linkInput.focus();
        linkInput.select();
        let ok = false;
        try {
          ok = document.execCommand('copy');
        } catch { /* not allowed */ }
        inviteStatus.textContent = t(ok ? 'call.copied' : 'call.copy_failed');
      }
    }

    /* ---------------- ending ---------------- */

    async function hangUp() {
      endBtn.disabled = true;
      const end = canEnd && media !== 'none';
      if (me) {
        try {
          await client.send('call.leave', end ? { request, end: true } : { request });
        } catch { /* offline: the server sees the connection go */ }
      }
      endBtn.disabled = false;
      // Clinic and interpreter go back to their request or job, which shows
      // the session's end; a guest stays on its page and may come back.
      if (opts.onClose) close();
      else ended('call.ended_you', true);
    }

    function teardown() {
      clearInterval(timers.tick);
      timers.tick = null;
      for (const p of [...peers.values()]) dropPeer(p);
      stopLocal();
      me = null;
      playBlocked = false;
    }

    function ended(key, canRejoin = false) {
      teardown();
      invite.hidden = true;
      endedText.textContent = t(key);
      endedText.dataset.t = key;
      D.dom.fill(endedActions,
        canRejoin ? h('button', { class: 'btn primary', type: 'button', t: 'call.rejoin', onclick: () => {
          setView('join');
          acquire();
          joinBtn.focus();
        } }) : null,
        opts.onClose ? h('button', { class: 'btn', type: 'button', t: 'call.close', onclick: () => close() })
          : h('p', { class: 'hint', t: 'call.guest_done' }));
      setView('ended');
      const b = endedActions.querySelector('button');
      if (b) b.focus();
      else {
        title.focus();
      }
    }

    function close() {
      if (closed) return;
      closed = true;
      teardown();
      for (const u of unsubs) u();
      for (const [node, was] of inerted) node.inert = was;
      el.remove();
      if (active === api) active = null;
      if (opts.opener && opts.opener.isConnected) opts.opener.focus();
      if (opts.onClose) opts.onClose();
    }

    /* ---------------- start ---------------- */

    unsubs.push(
      client.on('call.signal', onSignal),
      client.on('call.peer', onPeer),
      client.on('call.chat', onChat),
      client.on('call.ended', onEnded),
      client.on('hello', () => rejoin()),
      client.on('state', () => draw()),
      D.i18n.onChange(() => {
        D.i18n.apply(el);
        joinNote.textContent = mediaNote;
        if (endedText.dataset.t) endedText.textContent = t(endedText.dataset.t);
        setView(view);
      }));

    mount.append(el);
    if (!opts.inline) {
      // A modal overlay: what is behind it can be neither seen nor reached.
      for (const sib of mount.children) {
        if (sib !== el && sib.tagName !== 'SCRIPT' && sib.tagName !== 'LINK' && sib.tagName !== 'STYLE') {
          inerted.push([sib, sib.inert]);
          sib.inert = true;
        }
      }
    }
    setView('join');
    // Also what tests look at (CallPanel.current()): the peers with their
    // RTCPeerConnections, and the client.
    const api = {
      el, close, join, client,
      get peers() { return peers; },
      get peer() { return me; },
      get view() { return view; },
      get media() { return media; },
      get local() { return local; },
    };
    active = api;
    if (media === 'none') {
      join();
    } else {
      title.focus();
      acquire();
    }
    return api;
  }

  CallPanel.current = () => active;
  CallPanel.mountFor = mountFor;
  CallPanel.MEDIA = MEDIA;
  D.CallPanel = CallPanel;
})(window.Dragoman = window.Dragoman || {});
