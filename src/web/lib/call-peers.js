// The other participants of a call (the panel is call.js): one
// RTCPeerConnection per other peer, a mesh. Whoever joins makes the offer to
// the peers already there; the others answer. That side also restarts ICE
// when the connection fails or stays disconnected, so there is never an offer
// from both sides at once. Candidates trickle through call.signal. Here too:
// each connection's state and quality (getStats), what the page reports in
// call.state, and each peer's tile on the stage.
'use strict';
(function (D) {
  const { h } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);

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

  // Only the fields the protocol takes, without nulls.
  function cleanCandidate(c) {
    const out = {};
    for (const k of CANDIDATE_KEYS) if (c[k] !== null && c[k] !== undefined) out[k] = c[k];
    if (out.candidate === undefined) out.candidate = '';
    return out;
  }

  // s: the call's shared state (call.js). Reads s.client, s.request, s.cfg,
  // s.media, s.me, s.iceServers, s.local, s.closed and s.peers (the map of
  // peers this keeps); sets s.playBlocked; calls s.draw(), s.report() and
  // s.peerLabel(info); puts tiles into s.tiles.
  function Peers(s) {
    const peers = s.peers;

    function addPeer(info, offerer) {
      if (peers.has(info.peer)) return peers.get(info.peer);
      const p = { id: info.peer, info: Object.assign({}, info), offerer, pc: null, queue: [], chain: Promise.resolve(),
        stream: new MediaStream(), senders: {}, tracksAdded: false, ice: 'checking', connectedOnce: false,
        failedOnce: false, lostAt: 0, lastRestart: 0, quality: 'good', prev: null, route: '', timers: {},
        negotiatedAt: 0, gathered: 0, noCandidates: false, iceErrors: [] };
      p.tile = tile(p);
      s.tiles.append(p.tile.el);
      peers.set(p.id, p);
      if (s.media !== 'none') {
        p.pc = newConnection(p);
        if (offerer) {
          addLocalTracks(p);
          makeOffer(p, false);
        }
      }
      s.draw();
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
      s.draw();
    }

    function newConnection(p) {
      const conf = { iceServers: s.iceServers };
      if (s.cfg.relay) conf.iceTransportPolicy = 'relay';
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
      const local = s.local;
      const kinds = s.media === 'video' ? ['audio', 'video'] : ['audio'];
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
      if (!s.me || !peers.has(p.id)) return;
      s.client.send('call.signal', Object.assign({ request: s.request, to: p.id, kind }, fields)).catch(() => {
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
      if (m.request !== s.request || s.view !== 'call' || s.media === 'none' || !s.me) return;
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
          if (s.me < m.from) return;
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
      if (!pc || s.closed) return;
      const ice = pc.iceConnectionState;
      const conn = pc.connectionState;
      let st;
      if (conn === 'connected' || ice === 'connected' || ice === 'completed') st = 'connected';
      else if (conn === 'failed' || ice === 'failed') st = 'failed';
      else if (conn === 'disconnected' || ice === 'disconnected') st = 'lost';
      else st = 'checking';
      if (conn === 'closed') return;
      p.ice = st;
      if (st === 'connected') {
        p.connectedOnce = true;
        p.failedOnce = false;
        p.lostAt = 0;
        clearTimeout(p.timers.restart);
        p.timers.restart = null;
        sample(p);
      } else if (p.connectedOnce && !p.lostAt) {
        p.lostAt = Date.now();
      }
      if (st === 'failed' || (st !== 'connected' && !p.connectedOnce && stuck(p))) p.failedOnce = true;
      if (p.offerer && (st === 'failed' || (p.failedOnce && st !== 'connected'))) restartLater(p, 0);
      if (p.offerer && st === 'lost') restartLater(p, RESTART_WAIT_MS);
      s.draw();
      s.report();
    }

    function restartLater(p, wait) {
      if (p.timers.restart) return;
      const ms = Math.max(wait, p.lastRestart + RETRY_MS - Date.now());
      p.timers.restart = setTimeout(() => {
        p.timers.restart = null;
        if (s.closed || !peers.has(p.id) || p.ice === 'connected') return;
        p.lastRestart = Date.now();
        makeOffer(p, true);
        // Still not connected after a while: try again.
        p.timers.restart = setTimeout(() => {
          p.timers.restart = null;
          if (!s.closed && peers.has(p.id) && p.ice !== 'connected') restartLater(p, 0);
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
      if (s.media === 'none') return 'connecting';
      const list = [...peers.values()].map(peerState);
      if (list.includes('connected')) return 'connected';
      if (list.includes('reconnecting')) return 'reconnecting';
      if (list.length && list.every((x) => x === 'failed')) return 'failed';
      return 'connecting';
    }

    function linkQuality() {
      const connected = [...peers.values()].filter((p) => peerState(p) === 'connected');
      return connected.some((p) => p.quality === 'poor') ? 'poor' : 'good';
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
      stats.forEach((x) => byId.set(x.id, x));
      let pair = null;
      let lost = 0;
      let recv = 0;
      stats.forEach((x) => {
        if (x.type === 'transport' && x.selectedCandidatePairId) pair = byId.get(x.selectedCandidatePairId) || pair;
        if (x.type === 'inbound-rtp') {
          lost += x.packetsLost || 0;
          recv += x.packetsReceived || 0;
        }
      });
      if (!pair) stats.forEach((x) => { if (x.type === 'candidate-pair' && x.nominated && x.state === 'succeeded') pair = x; });
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

    /* ---------------- remote tiles ---------------- */

    function tile(p) {
      const video = s.media === 'video';
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
          const label = s.peerLabel(info);
          name.textContent = label;
          avatar.textContent = (info.name || '?').trim().slice(0, 1).toUpperCase();
          if (video) player.setAttribute('aria-label', t('call.video_of', { name: label }));
          el.dataset.role = info.role || '';
          el.dataset.audio = String(info.audio !== false);
          el.dataset.video = String(video && info.video !== false);
          const st = peerState(p);
          el.dataset.state = st;
          el.dataset.quality = st === 'connected' ? p.quality : st;
          D.dom.fill(badges,
            info.audio === false ? badge('call.peer_muted', 'warn') : null,
            video && info.video === false ? badge('call.camera_is_off', 'warn') : null,
            st === 'connected' && p.quality === 'poor' ? badge('call.q_poor', 'danger') : null,
            st === 'reconnecting' ? badge('call.q_reconnecting', 'warn') : null,
            st === 'connecting' ? badge('call.q_connecting', '') : null,
            st === 'failed' ? badge('call.q_failed', 'danger') : null);
        },
      };
    }

    function play(player) {
      const r = player.play();
      if (r && r.catch) {
        r.catch((e) => {
          if (e && e.name === 'NotAllowedError') {
            s.playBlocked = true;
            s.draw();
          }
        });
      }
    }

    function playAll() {
      s.playBlocked = false;
      for (const p of peers.values()) p.tile.player.play().catch(() => {});
      s.draw();
    }

    return { addPeer, dropPeer, onSignal, watch, peerState, mediaState, linkQuality, sample, playAll };
  }

  D.callParts = Object.assign(D.callParts || {}, { Peers });
})(window.Dragoman = window.Dragoman || {});
