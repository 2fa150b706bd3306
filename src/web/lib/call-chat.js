// The call's chat and, for the clinic, the one-time link that adds a
// participant (the panel is call.js). The chat is a side panel in a video or
// audio call and the whole call for an on-site job; what was said before one
// joined comes with call.join.
'use strict';
(function (D) {
  const { h, uid } = D.dom;
  const t = (k, v) => D.i18n.t(k, v);

  // s: the call's shared state (call.js). Keeps s.chatOpen and s.unread;
  // reads s.client, s.request, s.role, s.media, s.view, s.me and s.mine
  // (every peer id this page has had: their messages are "You"); calls
  // s.draw(), s.announce() and s.peerLabel(); focuses s.buttons.chat and
  // s.buttons.add (the panel's controls) when the chat or the invitation
  // closes.
  function Chat(s) {
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
      onkeydown: (e) => { if (e.key === 'Escape' && s.media !== 'none' && s.chatOpen) { e.stopPropagation(); setChat(false); } } },
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

    /* ---------------- chat ---------------- */

    function chatItem(msg) {
      const own = s.mine.has(msg.from && msg.from.peer);
      const who = own ? t('call.you') : s.peerLabel(msg.from || {});
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
      if (m.request !== s.request || s.view !== 'call' || (m.from && s.mine.has(m.from.peer))) return;
      addChat(m);
      if (!(s.chatOpen || s.media === 'none')) {
        s.unread += 1;
        s.announce('call.chat_new', { name: s.peerLabel(m.from || {}), text: m.text });
      }
      s.draw();
    }

    async function sendChat(e) {
      e.preventDefault();
      const text = chatInput.value.trim();
      if (!text || s.view !== 'call' || !s.me) return;
      chatError.textContent = '';
      sendBtn.disabled = true;
      try {
        const d = await s.client.send('call.chat', { request: s.request, text: text.slice(0, 1000) });
        const client = s.client;
        addChat({ from: { peer: s.me, role: s.role, name: client.user && client.user.name }, text,
          at: d.at || client.serverNow() });
        chatInput.value = '';
      } catch (err) {
        chatError.textContent = D.i18n.error(err);
      }
      sendBtn.disabled = false;
      chatInput.focus();
    }

    function setChat(open) {
      s.chatOpen = open;
      if (open) s.unread = 0;
      s.draw();
      if (open) chatInput.focus();
      else s.buttons.chat.focus();
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
        const d = await s.client.send('call.invite', { request: s.request });
        linkInput.value = new URL(d.link, s.client.base).href;
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
      if (s.buttons.add) s.buttons.add.focus();
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

    return { chat, chatId, chatClose, chatInput, invite, loadChat, onChat, setChat, showInvite };
  }

  D.callParts = Object.assign(D.callParts || {}, { Chat });
})(window.Dragoman = window.Dragoman || {});
