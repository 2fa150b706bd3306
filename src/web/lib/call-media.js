// The call's own camera and microphone (the panel is call.js): asking for
// them, and saying why one is missing (refused, absent, a plain-http page);
// the camera preview and microphone level on the join screen; the own picture
// in the call; mute, camera off and switching between front and back camera
// (the new track replaces the old one in every connection: nothing is
// renegotiated).
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);

  // s: the call's shared state (call.js). Keeps s.local (our MediaStream),
  // s.mediaNote, s.micOn, s.camOn, s.facing and s.cameras; reads s.media,
  // s.closed and s.peers; calls s.draw(), s.drawControls() and s.report().
  function Media(s) {
    const timers = {};
    let audioCtx = null;

    // The join screen: own preview and the microphone level.
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
    const retryMediaBtn = h('button', { class: 'btn', type: 'button', hidden: true, onclick: () => acquire(),
      t: 'call.retry_media' });

    // In the call: the own picture, small.
    const selfVideo = h('video', { autoplay: true, playsinline: true, tAttr: { 'aria-label': 'call.own_video' } });
    selfVideo.muted = true;
    const self = h('div', { class: 'call-self' }, selfVideo, h('span', { class: 'call-off-note', t: 'call.camera_is_off' }));

    const hasTrack = (kind) => Boolean(s.local && s.local.getTracks().some((tr) => tr.kind === kind && tr.readyState === 'live'));

    // The own picture's part of the panel's drawControls().
    function drawControls() {
      const cam = hasTrack('video');
      previewBox.dataset.off = String(!cam || !s.camOn);
      self.dataset.off = String(!cam || !s.camOn);
      self.hidden = s.media !== 'video' || !cam;
      self.classList.toggle('mirror', s.facing === 'user');
      previewBox.classList.toggle('mirror', s.facing === 'user');
    }

    async function acquire() {
      stopLocal();
      s.mediaNote = '';
      retryMediaBtn.hidden = true;
      if (s.media === 'none') return;
      const md = navigator.mediaDevices;
      if (!md || !md.getUserMedia) {
        s.mediaNote = t('call.media_insecure');
      } else {
        const video = s.media === 'video' ? { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } } : false;
        try {
          s.local = await md.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video });
        } catch (e) {
          if (s.media === 'video') {
            try {
              s.local = await md.getUserMedia({ audio: true });
              s.mediaNote = t('call.no_camera');
            } catch { /* reported below */ }
          }
          if (!s.local) {
            s.mediaNote = e && e.name === 'NotAllowedError' ? t('call.media_denied')
              : e && (e.name === 'NotFoundError' || e.name === 'OverconstrainedError') ? t('call.media_missing')
                : t('call.media_failed', { error: (e && e.message) || String(e) });
            retryMediaBtn.hidden = false;
          }
        }
      }
      if (s.closed) {
        stopLocal();
        return;
      }
      const local = s.local;
      if (local) {
        const v = local.getVideoTracks()[0];
        if (v) s.facing = (v.getSettings && v.getSettings().facingMode) || 'user';
        for (const tr of local.getAudioTracks()) tr.enabled = s.micOn;
        for (const tr of local.getVideoTracks()) tr.enabled = s.camOn;
        preview.srcObject = local;
        selfVideo.srcObject = local;
        preview.play().catch(() => {});
        startMeter();
        listCameras();
      }
      joinNote.hidden = !s.mediaNote;
      joinNote.textContent = s.mediaNote;
      s.draw();
    }

    async function listCameras() {
      try {
        s.cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
      } catch {
        s.cameras = [];
      }
      s.drawControls();
    }

    function stopLocal() {
      if (s.local) for (const tr of s.local.getTracks()) tr.stop();
      s.local = null;
      preview.srcObject = null;
      selfVideo.srcObject = null;
      stopMeter();
    }

    // The microphone level on the join screen: a <meter> fed by an analyser.
    function startMeter() {
      stopMeter();
      const track = s.local && s.local.getAudioTracks()[0];
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
      s.micOn = !s.micOn;
      if (s.local) for (const tr of s.local.getAudioTracks()) tr.enabled = s.micOn;
      s.draw();
      s.report();
    }

    function toggleCam() {
      s.camOn = !s.camOn;
      if (s.local) for (const tr of s.local.getVideoTracks()) tr.enabled = s.camOn;
      s.draw();
      s.report();
    }

    // Front and back camera: the next camera by deviceId, or the other
    // facingMode when the browser does not list them apart.
    async function switchCamera() {
      const old = s.local && s.local.getVideoTracks()[0];
      if (!old) return;
      const cameras = s.cameras;
      const current = old.getSettings ? old.getSettings().deviceId : '';
      const i = cameras.findIndex((c) => c.deviceId === current);
      const next = cameras.length > 1 ? cameras[(i + 1) % cameras.length] : null;
      const want = next && next.deviceId ? { deviceId: { exact: next.deviceId } }
        : { facingMode: s.facing === 'user' ? 'environment' : 'user' };
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
      const local = s.local;
      if (!local || s.closed) {
        if (track) track.stop();
        return;
      }
      local.removeTrack(old);
      if (track) {
        track.enabled = s.camOn;
        local.addTrack(track);
        s.facing = (track.getSettings && track.getSettings().facingMode) || (s.facing === 'user' ? 'environment' : 'user');
      }
      for (const p of s.peers.values()) {
        if (p.senders.video) p.senders.video.replaceTrack(track).catch(() => {});
      }
      selfVideo.srcObject = local;
      preview.srcObject = local;
      s.draw();
      s.report();
    }

    return { previewBox, meterBox, joinNote, retryMediaBtn, self, hasTrack, drawControls, acquire, stopLocal, stopMeter,
      toggleMic, toggleCam, switchCamera };
  }

  D.callParts = Object.assign(D.callParts || {}, { Media });
})(window.Dragoman = window.Dragoman || {});
