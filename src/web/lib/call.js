// The call panel: a video or audio call (or, for on-site jobs, a chat only)
// between the clinic, the interpreter and invited guests, in the browser.
// dragomand relays the signalling (call.join, call.signal, call.state,
// call.leave, call.chat, call.invite; see proto/README.md "Calls") and never
// sees the media.
//
// The panel is in four files, loaded in this order before the faces' own
// scripts: call-peers.js (one RTCPeerConnection per other peer, a mesh, and
// their tiles), call-media.js (our camera and microphone), call-chat.js (the
// chat and the invitation link) and this one: the panel itself (join screen,
// stage, controls, the end), joining, the call.* pushes about peers and the
// call's end. They share one state object, `s` below. After the WebSocket
// reconnects the panel joins again by itself (a new peer; the old one
// disappears from the others' screens with call.peer left).
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
    const canEnd = role === 'clinic' || role === 'interpreter';
    const mount = opts.mount || document.body;

    // What the parts (call-peers.js, call-media.js, call-chat.js) share with the panel.
    const s = {
      client, request, role, cfg: options(),
      media: opts.media || 'video',
      view: 'join', // join | joining | call | ended
      local: null, // our MediaStream
      mediaNote: '', // why the camera or microphone is missing
      me: null, // our peer id in the call
      mine: new Set(), // every peer id this page has had (chat history says "You" for them)
      iceServers: [],
      peers: new Map(),
      micOn: true,
      camOn: true,
      facing: 'user',
      cameras: [],
      chatOpen: false,
      unread: 0,
      closed: false,
      playBlocked: false,
      tiles: null, // the stage's element for the peers' tiles
      buttons: {}, // the controls the chat focuses: chat, add
      draw, drawControls, report, announce, peerLabel,
    };
    let keepMs = KEEPALIVE_MS;
    let lastSent = '';
    let lastSentAt = 0;
    let joinedOnce = false;
    const timers = {};
    const unsubs = [];
    const inerted = [];
    const mesh = D.callParts.Peers(s);
    const { addPeer, dropPeer, peerState, mediaState, linkQuality } = mesh;
    const own = D.callParts.Media(s);
    const { hasTrack } = own;
    const talk = D.callParts.Chat(s);

    /* ---------------- the DOM ---------------- */

    const titleId = uid('call-title');
    const title = h('h2', { class: 'call-title', id: titleId, tabindex: '-1' });
    const qualityEl = h('p', { class: 'call-quality', role: 'status' });
    const live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });

    // The join screen: own preview, the microphone level, Join.
    const joinError = h('p', { class: 'error', role: 'alert' });
    const joinBtn = h('button', { class: 'btn primary big', type: 'button', 'data-key': 'join', onclick: () => join(),
      t: 'call.join_now' });
    const joinHint = h('p', { class: 'call-join-hint' });
    const joinView = h('div', { class: 'call-join' },
      joinHint, own.previewBox, own.meterBox, own.joinNote, joinError,
      h('div', { class: 'actions' }, joinBtn, own.retryMediaBtn,
        opts.onClose ? h('button', { class: 'btn', type: 'button', onclick: () => close(), t: 'call.not_now' }) : null));

    // The call: remote tiles large, own picture small.
    const tiles = h('div', { class: 'call-tiles' });
    s.tiles = tiles;
    const playBtn = h('button', { class: 'btn primary call-play', type: 'button', hidden: true, t: 'call.play',
      onclick: () => mesh.playAll() });
    const stage = h('div', { class: 'call-stage' }, tiles, own.self, playBtn);

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
    const muteBtn = control('call.mute', 'mic', () => own.toggleMic(), { 'aria-pressed': 'false', 'data-key': 'mute' });
    const camBtn = control('call.camera_off', 'cam', () => own.toggleCam(), { 'aria-pressed': 'false', 'data-key': 'camera' });
    const flipBtn = control('call.switch_camera', 'flip', () => own.switchCamera(), { hidden: true, 'data-key': 'flip' });
    const unreadEl = h('span', { class: 'call-unread', hidden: true });
    const chatBtn = control('call.chat', 'chat', () => talk.setChat(!s.chatOpen),
      { 'aria-expanded': 'false', 'aria-controls': talk.chatId, 'data-key': 'chat' });
    chatBtn.append(unreadEl);
    const addBtn = role === 'clinic'
      ? control('call.add', 'add', () => talk.showInvite(), { 'data-key': 'add', 'aria-haspopup': 'dialog' }) : null;
    s.buttons.chat = chatBtn;
    s.buttons.add = addBtn;
    const endKey = s.media === 'none' ? 'call.close_chat' : canEnd ? 'call.end' : 'call.leave';
    const endBtn = control(endKey, s.media === 'none' ? 'close' : 'end', () => hangUp(), { 'data-key': 'end' });
    if (s.media !== 'none') endBtn.classList.add('end');
    const controls = h('div', { class: 'call-controls', role: 'toolbar', tAttr: { 'aria-label': 'call.controls' } },
      muteBtn, camBtn, flipBtn, chatBtn, addBtn, endBtn);

    const body = h('div', { class: 'call-body' }, joinView, stage, talk.chat, endedView, talk.invite);
    const el = h('section', { class: `call-screen ${opts.inline ? 'inline' : 'overlay'}`, 'aria-labelledby': titleId,
      'data-media': s.media, 'data-view': s.view, 'data-request': request },
    h('header', { class: 'call-head' }, title, qualityEl), body, controls, live);
    if (!opts.inline) {
      el.setAttribute('role', 'dialog');
      el.setAttribute('aria-modal', 'true');
    }

    /* ---------------- drawing ---------------- */

    function drawTitle() {
      D.dom.fill(title, t(TITLE[s.media]), opts.language ? [' · ', D.i18n.languageLabel(opts.language)] : null);
    }

    function setView(v) {
      s.view = v;
      el.dataset.view = v;
      el.dataset.media = s.media;
      joinBtn.disabled = v === 'joining';
      joinBtn.textContent = t(v === 'joining' ? 'call.joining' : 'call.join_now');
      draw();
    }

    function drawControls() {
      const { media, micOn, camOn, chatOpen, unread } = s;
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
      flipBtn.hidden = media !== 'video' || !cam || s.cameras.length < 2;
      chatBtn.hidden = media === 'none';
      chatBtn.setAttribute('aria-expanded', String(chatOpen));
      chatBtn.classList.toggle('on', chatOpen);
      if (addBtn) addBtn.hidden = media === 'none';
      unreadEl.hidden = !unread || chatOpen;
      unreadEl.textContent = unread ? String(unread) : '';
      talk.chatClose.hidden = media === 'none';
      own.drawControls();
    }

    function draw() {
      const { media, view } = s;
      drawTitle();
      drawControls();
      const q = overall();
      el.dataset.quality = q;
      qualityEl.dataset.quality = q;
      qualityEl.hidden = view !== 'call' || (media === 'none' && q !== 'server');
      qualityEl.textContent = t(QUALITY[q]);
      joinHint.textContent = t(media === 'video' ? 'call.check_video' : 'call.check_audio');
      own.previewBox.hidden = media !== 'video';
      own.meterBox.hidden = media === 'none' || !hasTrack('audio');
      el.classList.toggle('chat-open', s.chatOpen || media === 'none');
      talk.chat.hidden = view !== 'call' || !(s.chatOpen || media === 'none');
      playBtn.hidden = !s.playBlocked;
      for (const p of s.peers.values()) p.tile.draw();
      tiles.dataset.count = String(s.peers.size);
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

    // What the header says.
    function overall() {
      if (client.state !== 'online' && s.view === 'call') return 'server';
      if (!s.peers.size) return 'waiting';
      const m = mediaState();
      return m === 'connected' ? linkQuality() : m;
    }

    async function tick() {
      if (s.closed || s.view !== 'call') return;
      await Promise.all([...s.peers.values()].map(mesh.sample));
      if (s.closed) return;
      for (const p of s.peers.values()) if (p.pc && p.ice !== 'connected') mesh.watch(p);
      draw();
      report();
    }

    function report(force = false) {
      if (s.view !== 'call' || !s.me || s.closed) return;
      const m = mediaState();
      const msg = { request, media: m, audio: hasTrack('audio') && s.micOn,
        video: s.media === 'video' && hasTrack('video') && s.camOn };
      if (m === 'connected') msg.quality = linkQuality();
      const key = JSON.stringify(msg);
      if (!force && key === lastSent && Date.now() - lastSentAt < keepMs) return;
      lastSent = key;
      lastSentAt = Date.now();
      client.send('call.state', msg).catch(() => { lastSent = ''; });
    }

    /* ---------------- joining ---------------- */

    async function join() {
      if (s.view === 'joining' || s.closed) return;
      joinError.textContent = '';
      setView('joining');
      let data;
      try {
        data = await client.send('call.join', { request });
      } catch (err) {
        if (s.closed) return;
        if (err.code === 'conflict' || err.code === 'not_found') return ended('call.ended_ended');
        joinError.textContent = joinErrorText(err);
        setView('join');
        return;
      }
      if (s.closed) return;
      joined(data.call || data);
      // Keyboard users land on the first control instead of a vanished button.
      const first = s.media === 'none' ? talk.chatInput : muteBtn.disabled ? endBtn : muteBtn;
      first.focus();
    }

    function joinErrorText(err) {
      if (err.code === 'forbidden') return t('call.err_forbidden');
      return D.i18n.error(err);
    }

    function joined(c) {
      s.me = c.peer;
      s.mine.add(s.me);
      s.iceServers = Array.isArray(c.ice_servers) ? c.ice_servers : [];
      if (c.media && c.media !== s.media) adaptMedia(c.media);
      keepMs = Math.max(1000, Math.min(KEEPALIVE_MS, ((c.grace_s || 60) * 1000) / 3));
      own.stopMeter();
      if (!joinedOnce && s.media !== 'none' && window.matchMedia && window.matchMedia('(min-width: 900px)').matches) {
        s.chatOpen = true;
      }
      joinedOnce = true;
      talk.loadChat(c.chat || []);
      setView('call');
      const list = (c.peers || []).filter((info) => !s.mine.has(info.peer));
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
      s.media = m;
      if (s.local && s.media !== 'video') {
        for (const tr of s.local.getVideoTracks()) {
          tr.stop();
          s.local.removeTrack(tr);
        }
      }
      if (s.media === 'none') own.stopLocal();
    }

    // After the WebSocket came back: a new peer in the same call; the old
    // connections go (the others see our old peer leave).
    async function rejoin() {
      if (s.closed || s.view !== 'call') return;
      for (const p of [...s.peers.values()]) dropPeer(p);
      s.me = null;
      draw();
      let data;
      try {
        data = await client.send('call.join', { request });
      } catch (err) {
        if (s.closed || s.view !== 'call') return;
        if (err.code === 'conflict' || err.code === 'not_found' || err.code === 'forbidden') {
          ended(err.code === 'forbidden' ? 'call.err_forbidden' : 'call.ended_ended');
        }
        // offline or timeout: the next hello tries again.
        return;
      }
      if (s.closed || s.view !== 'call') return;
      joined(data.call || data);
      announce('call.rejoined');
    }

    /* ---------------- pushes ---------------- */

    function onPeer(m) {
      if (m.request !== request || s.view !== 'call' || !s.me || !m.peer || s.mine.has(m.peer.peer)) return;
      const id = m.peer.peer;
      const peers = s.peers;
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
      if (m.request !== request || s.closed || s.view === 'ended') return;
      ended(ENDED[m.reason] || 'call.ended_ended');
    }

    /* ---------------- ending ---------------- */

    async function hangUp() {
      endBtn.disabled = true;
      const end = canEnd && s.media !== 'none';
      if (s.me) {
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
      for (const p of [...s.peers.values()]) dropPeer(p);
      own.stopLocal();
      s.me = null;
      s.playBlocked = false;
    }

    function ended(key, canRejoin = false) {
      teardown();
      talk.invite.hidden = true;
      endedText.textContent = t(key);
      endedText.dataset.t = key;
      D.dom.fill(endedActions,
        canRejoin ? h('button', { class: 'btn primary', type: 'button', t: 'call.rejoin', onclick: () => {
          setView('join');
          own.acquire();
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
      if (s.closed) return;
      s.closed = true;
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
      client.on('call.signal', mesh.onSignal),
      client.on('call.peer', onPeer),
      client.on('call.chat', talk.onChat),
      client.on('call.ended', onEnded),
      client.on('hello', () => rejoin()),
      client.on('state', () => draw()),
      D.i18n.onChange(() => {
        D.i18n.apply(el);
        own.joinNote.textContent = s.mediaNote;
        if (endedText.dataset.t) endedText.textContent = t(endedText.dataset.t);
        setView(s.view);
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
      get peers() { return s.peers; },
      get peer() { return s.me; },
      get view() { return s.view; },
      get media() { return s.media; },
      get local() { return s.local; },
    };
    active = api;
    if (s.media === 'none') {
      join();
    } else {
      title.focus();
      own.acquire();
    }
    return api;
  }

  CallPanel.current = () => active;
  CallPanel.mountFor = mountFor;
  CallPanel.MEDIA = MEDIA;
  D.CallPanel = CallPanel;
})(window.Dragoman = window.Dragoman || {});
