// Calls in real pages with Chromium's fake camera and microphone: the clinic's
// desk and the interpreter's phone join a video call, see each other's video
// (frames decoded and increasing), see each other mute and turn the camera
// off, chat, survive a dropped WebSocket, add a guest by a one-time link (the
// same link twice is refused), and hanging up ends the session with its times
// recorded. The same call from the widget on another site (shadow DOM). An
// on-site job gets the chat alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { T, sleep, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { DESKTOP, PHONE, UI_MS, checkAxe, foreignSite, hostPage, openFace, openPage, requestId, screenshot, tapTile,
  useBrowser } from './lib/browser.mjs';

const env = useEnv();
const ctx = useBrowser({ media: true });

// Inbound video frames decoded from the peer of that role, per getStats (-1: none yet).
function framesDecoded(page, role) {
  return page.evaluate(async (r) => {
    const call = window.Dragoman.CallPanel.current();
    const p = call && [...call.peers.values()].find((x) => x.info.role === r);
    if (!p || !p.pc) return -1;
    let n = -1;
    (await p.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded;
    });
    return n;
  }, role);
}

// The page shows the video of the peer of that role, and it is moving.
async function seesVideo(page, role, what) {
  const tile = page.locator(`.call-screen .call-tile[data-role="${role}"]`);
  await tile.and(page.locator('[data-state="connected"]')).waitFor({ timeout: UI_MS * 2 });
  const first = await waitFor(async () => {
    const n = await framesDecoded(page, role);
    return n > 0 ? n : null;
  }, { timeout: UI_MS * 2, what: `${what}: frames from ${role}` });
  await sleep(1000);
  const later = await framesDecoded(page, role);
  assert.ok(later > first, `${what}: frames from ${role} keep coming (${first} then ${later})`);
  const playing = await tile.locator('video').evaluate((v) => !v.paused && v.videoWidth > 0 && v.readyState >= 2);
  assert.ok(playing, `${what}: the ${role}'s video element is playing`);
}

async function request(rid) {
  const r = await env.http('GET', `/api/requests/${rid}`, { token: token('u-coord') });
  assert.equal(r.status, 200);
  return r.body.request;
}

async function availablePhone(id, label) {
  const phone = await openFace(ctx.browser, env.server, 'app', token(id), { viewport: PHONE, label });
  await phone.getByRole('switch').click();
  await phone.locator('.switch[aria-checked="true"]').waitFor();
  return phone;
}

test('video call: join, see and hear, mute, camera off, chat, reconnect, a guest, hang up', T(240), async () => {
  const { browser } = ctx;
  const phone = await availablePhone('i-a1', 'amal');
  const clinic = await openFace(browser, env.server, 'clinic', token('c-north'), { label: 'clinic' });
  await tapTile(clinic, 'ar');
  await tapTile(clinic, 'video');
  await clinic.getByRole('button', { name: 'Interpreter now' }).click();
  await phone.getByRole('button', { name: 'Accept' }).click();
  const rid = await requestId(clinic, 'assigned');
  const card = clinic.locator(`article.request[data-request="${rid}"]`);

  // The interpreter's join screen: own camera, the microphone level, Join.
  const job = phone.locator('section.job');
  await job.getByRole('button', { name: 'Join call' }).click();
  const pcall = phone.locator('.call-screen');
  await pcall.getByRole('button', { name: 'Join now' }).waitFor();
  await waitFor(() => pcall.locator('video.call-preview').evaluate((v) => v.videoWidth > 0 && !v.paused),
    { what: 'the own camera preview' });
  await waitFor(() => pcall.locator('meter').evaluate((m) => m.value > 0), { what: 'the microphone level to move' });
  await checkAxe(phone, 'call join screen, phone');
  await screenshot(phone, 'call-join-phone');
  await pcall.getByRole('button', { name: 'Join now' }).click();
  await phone.locator('.call-screen[data-view="call"]').waitFor();
  await pcall.getByText('Waiting for the others to join').waitFor();

  // The clinic joins: each side sees the other's video, and the call starts the session.
  await card.getByRole('button', { name: 'Join call' }).click();
  const ccall = clinic.locator('.call-screen');
  await ccall.getByRole('button', { name: 'Join now' }).click();
  await seesVideo(phone, 'clinic', 'phone');
  await seesVideo(clinic, 'interpreter', 'clinic');
  await ccall.locator('.call-quality[data-quality="good"]').waitFor();
  await pcall.getByText('Connection good').waitFor();
  await waitFor(async () => (await request(rid)).state === 'in_session', { what: `${rid} in session by the call` });
  const started = await request(rid);
  assert.ok(started.started_at > 0);
  if (started.started_by !== undefined) assert.equal(started.started_by, 'call');
  await checkAxe(phone, 'call, phone');
  await checkAxe(clinic, 'call, clinic');
  await screenshot(phone, 'call-app-phone');
  await screenshot(clinic, 'call-clinic-desktop');

  // Mute and camera off show on the other side, and back on.
  const amalTile = ccall.locator('.call-tile[data-role="interpreter"]');
  await pcall.getByRole('button', { name: 'Mute' }).click();
  assert.equal(await pcall.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed'), 'true');
  await amalTile.and(clinic.locator('[data-audio="false"]')).waitFor();
  await amalTile.getByText('Muted').waitFor();
  await pcall.getByRole('button', { name: 'Camera off' }).click();
  await amalTile.and(clinic.locator('[data-video="false"]')).waitFor();
  await amalTile.getByText('Camera is off').waitFor();
  await pcall.locator('.call-self[data-off="true"]').waitFor();
  await screenshot(clinic, 'call-clinic-peer-muted-desktop');
  await pcall.getByRole('button', { name: 'Mute' }).click();
  await pcall.getByRole('button', { name: 'Camera off' }).click();
  await amalTile.and(clinic.locator('[data-audio="true"][data-video="true"]')).waitFor();
  // The clinic's own switches, seen on the phone.
  await ccall.getByRole('button', { name: 'Mute' }).click();
  await pcall.locator('.call-tile[data-role="clinic"][data-audio="false"]').waitFor();
  await ccall.getByRole('button', { name: 'Mute' }).click();
  await pcall.locator('.call-tile[data-role="clinic"][data-audio="true"]').waitFor();

  // Chat both ways. The desk shows the chat beside the picture; the phone's is behind a button.
  await ccall.getByLabel('Message').fill('Room 214, second floor');
  await ccall.getByRole('button', { name: 'Send' }).click();
  await ccall.locator('.call-msg.mine').getByText('Room 214, second floor').waitFor();
  await pcall.locator('.call-unread').getByText('1').waitFor();
  await pcall.getByRole('button', { name: 'Chat' }).click();
  await pcall.locator('.call-chat').getByText('Room 214, second floor').waitFor();
  await pcall.getByLabel('Message').fill('مرحبا، أنا في الطريق');
  await pcall.getByLabel('Message').press('Enter');
  await ccall.locator('.call-chat').getByText('مرحبا، أنا في الطريق').waitFor();
  await screenshot(phone, 'call-app-chat-phone');
  await pcall.getByRole('button', { name: 'Hide chat' }).click();

  // The phone's WebSocket drops: it joins again by itself as a new peer, and the picture comes back.
  const oldPeer = await phone.evaluate(() => window.Dragoman.CallPanel.current().peer);
  await phone.evaluate(() => window.Dragoman.CallPanel.current().client.ws.close());
  await waitFor(async () => {
    const now = await phone.evaluate(() => window.Dragoman.CallPanel.current().peer);
    return now && now !== oldPeer;
  }, { timeout: UI_MS * 2, what: 'the phone to join again as a new peer' });
  await waitFor(async () => (await ccall.locator('.call-tile[data-role="interpreter"]').count()) === 1,
    { what: 'the clinic to drop the old interpreter peer' });
  await seesVideo(clinic, 'interpreter', 'clinic after the phone reconnected');
  await seesVideo(phone, 'clinic', 'phone after it reconnected');

  // A third participant by the one-time link.
  await ccall.getByRole('button', { name: 'Add a participant' }).click();
  const linkBox = ccall.getByLabel('Link for the participant');
  await waitFor(async () => /\/call\/#./.test(await linkBox.inputValue()), { what: 'the invite link' });
  const link = await linkBox.inputValue();
  assert.ok(link.startsWith(env.server.base), `the link points at the server: ${link}`);
  await checkAxe(clinic, 'call invite');
  await screenshot(clinic, 'call-clinic-invite-desktop');
  await ccall.getByRole('button', { name: 'Copy link' }).click();
  await ccall.locator('.call-invite-status').filter({ hasText: /Copied|Could not copy/ }).waitFor();
  await ccall.getByRole('dialog', { name: 'Add a participant' }).getByRole('button', { name: 'Close' }).click();

  const guest = await openPage(browser, link, { viewport: DESKTOP, label: 'guest' });
  const gcall = guest.locator('.call-screen');
  await gcall.getByRole('button', { name: 'Join now' }).click();
  await seesVideo(guest, 'clinic', 'guest');
  await seesVideo(guest, 'interpreter', 'guest');
  await seesVideo(clinic, 'guest', 'clinic');
  await seesVideo(phone, 'guest', 'phone');
  // The guest sees the chat so far.
  await gcall.locator('.call-chat').getByText('Room 214, second floor').waitFor();
  assert.equal(await guest.evaluate(() => location.hash), '', 'the token is taken out of the address bar');
  await checkAxe(guest, 'call, guest');
  await screenshot(guest, 'call-guest-desktop');
  await screenshot(clinic, 'call-clinic-three-desktop');
  await screenshot(phone, 'call-app-three-phone');
  // Right to left, switched during the call: the picture goes on, the words change.
  await phone.evaluate(() => window.Dragoman.i18n.set('ar'));
  await pcall.getByRole('button', { name: 'كتم الصوت' }).waitFor();
  assert.equal(await phone.evaluate(() => document.documentElement.dir), 'rtl');
  await checkAxe(phone, 'call, phone, Arabic');
  await screenshot(phone, 'call-app-three-phone-ar');
  await seesVideo(phone, 'guest', 'phone in Arabic');
  await phone.evaluate(() => window.Dragoman.i18n.set('en'));
  await pcall.getByRole('button', { name: 'Mute' }).waitFor();

  // The same link again is refused.
  const again = await openPage(browser, link, { viewport: PHONE, label: 'again' });
  await again.getByText('This link was already used or has expired').waitFor();
  await screenshot(again, 'call-guest-link-used-phone');

  // The clinic hangs up: the session ends for everyone, with its times.
  await ccall.getByRole('button', { name: 'End call' }).click();
  await clinic.locator('.call-screen').waitFor({ state: 'detached' });
  await card.and(clinic.locator('[data-state="ended"]')).waitFor();
  await pcall.getByText('The call has ended.').waitFor();
  await gcall.getByText('The call has ended.').waitFor();
  await guest.getByText('You can close this page now.').waitFor();
  await pcall.getByRole('button', { name: 'Close' }).click();
  await phone.locator('.call-screen').waitFor({ state: 'detached' });
  await job.locator('form.note').waitFor();
  const done = await request(rid);
  assert.equal(done.state, 'ended');
  assert.ok(done.started_at > 0 && done.ended_at > done.started_at,
    `started_at ${done.started_at}, ended_at ${done.ended_at}`);
  if (done.ended_by !== undefined) assert.equal(done.ended_by, 'clinic');

  for (const p of [phone, clinic, guest, again]) {
    p.assertClean();
    await p.closeAll();
  }
});

test('phone job: an audio call, hung up by the interpreter', T(90), async () => {
  const { browser } = ctx;
  const phone = await availablePhone('i-f1', 'farhad');
  const clinic = await openFace(browser, env.server, 'clinic', token('c-north'), { label: 'clinic' });
  await tapTile(clinic, 'fa');
  await tapTile(clinic, 'phone');
  await clinic.getByRole('button', { name: 'Interpreter now' }).click();
  await phone.getByRole('button', { name: 'Accept' }).click();
  const rid = await requestId(clinic, 'assigned');
  await clinic.locator(`article.request[data-request="${rid}"]`).getByRole('button', { name: 'Join call' }).click();
  const ccall = clinic.locator('.call-screen[data-media="audio"]');
  await ccall.getByText('Check your microphone, then join.').waitFor();
  assert.equal(await ccall.locator('video:visible').count(), 0, 'no camera preview for an audio call');
  await waitFor(() => ccall.locator('meter').evaluate((m) => m.value > 0), { what: 'the microphone level to move' });
  await ccall.getByRole('button', { name: 'Join now' }).click();
  await phone.locator('section.job').getByRole('button', { name: 'Join call' }).click();
  const pcall = phone.locator('.call-screen[data-media="audio"]');
  await pcall.getByRole('button', { name: 'Join now' }).click();
  const tile = pcall.locator('.call-tile[data-role="clinic"][data-state="connected"]');
  await tile.waitFor({ timeout: UI_MS * 2 });
  await tile.locator('.call-avatar').waitFor();
  assert.equal(await pcall.getByRole('button', { name: 'Camera off' }).count(), 0, 'no camera button in an audio call');
  // Sound arrives and plays.
  const audioIn = () => phone.evaluate(async () => {
    let n = 0;
    for (const p of window.Dragoman.CallPanel.current().peers.values()) {
      (await p.pc.getStats()).forEach((st) => { if (st.type === 'inbound-rtp' && st.kind === 'audio') n += st.packetsReceived; });
    }
    return n;
  });
  const first = await waitFor(async () => (await audioIn()) || null, { what: 'audio packets' });
  await sleep(1000);
  assert.ok((await audioIn()) > first, 'audio keeps coming');
  assert.equal(await tile.locator('audio').evaluate((a) => !a.paused), true, 'the remote audio plays');
  await waitFor(async () => (await request(rid)).state === 'in_session', { what: `${rid} in session by the call` });
  await checkAxe(phone, 'audio call, phone');
  await screenshot(phone, 'call-audio-phone');

  await pcall.getByRole('button', { name: 'End call' }).click();
  await phone.locator('.call-screen').waitFor({ state: 'detached' });
  await phone.locator('section.job form.note').waitFor();
  await clinic.locator('.call-screen').getByText('The call has ended.').waitFor();
  const done = await request(rid);
  assert.equal(done.state, 'ended');
  assert.ok(done.ended_at > done.started_at);
  if (done.ended_by !== undefined) assert.equal(done.ended_by, 'interpreter');
  await clinic.locator('.call-screen').getByRole('button', { name: 'Close' }).click();
  await clinic.locator(`article.request[data-request="${rid}"][data-state="ended"]`).waitFor();
  for (const p of [phone, clinic]) {
    p.assertClean();
    await p.closeAll();
  }
});

test('on-site job: chat only, no call', T(90), async () => {
  const { browser } = ctx;
  const phone = await availablePhone('i-a2', 'bashir');
  const clinic = await openFace(browser, env.server, 'clinic', token('c-east'), { label: 'clinic', viewport: PHONE });
  await tapTile(clinic, 'ar');
  await tapTile(clinic, 'onsite');
  await clinic.getByLabel('Address for the interpreter').fill('Ward 3, room 12');
  await clinic.getByRole('button', { name: 'Interpreter now' }).click();
  await phone.getByRole('button', { name: 'Accept' }).click();
  const rid = await requestId(clinic, 'assigned');

  await phone.locator('section.job').getByRole('button', { name: 'Chat' }).click();
  const pchat = phone.locator('.call-screen[data-media="none"][data-view="call"]');
  await pchat.waitFor();
  assert.equal(await pchat.locator('video:visible').count(), 0, 'no video in a chat');
  assert.equal(await pchat.getByRole('button', { name: 'Mute' }).count(), 0);
  await clinic.locator(`article.request[data-request="${rid}"]`).getByRole('button', { name: 'Chat' }).click();
  const cchat = clinic.locator('.call-screen[data-media="none"][data-view="call"]');
  await cchat.waitFor();
  await cchat.getByLabel('Message').fill('Come to the side entrance');
  await cchat.getByRole('button', { name: 'Send' }).click();
  await pchat.getByText('Come to the side entrance').waitFor();
  await checkAxe(phone, 'chat, phone');
  await screenshot(phone, 'call-chat-onsite-phone');
  // Nothing about the chat starts the session.
  assert.equal((await request(rid)).state, 'assigned');
  await pchat.getByRole('button', { name: 'Close chat' }).click();
  await phone.locator('.call-screen').waitFor({ state: 'detached' });
  await cchat.getByRole('button', { name: 'Close chat' }).click();
  await clinic.locator('.call-screen').waitFor({ state: 'detached' });

  for (const p of [phone, clinic]) {
    p.assertClean();
    await p.closeAll();
  }
});

test('the call from the widget on another site, inside its shadow root', T(120), async () => {
  const { browser } = ctx;
  const pages = {};
  const site = await foreignSite(pages);
  pages['/host.html'] = hostPage(env.server.base, token('c-north'));
  const phone = await availablePhone('i-a3', 'carima');
  const page = await openPage(browser, `http://127.0.0.1:${site.port}/host.html`, { label: 'host' });
  await page.locator('dragoman-widget .launcher').click();
  const panel = page.getByRole('dialog', { name: 'Book an interpreter' });
  await tapTile(panel, 'ar');
  await tapTile(panel, 'video');
  await panel.getByRole('button', { name: 'Interpreter now' }).click();
  await phone.getByRole('button', { name: 'Accept' }).click();
  await phone.locator('section.job').getByRole('button', { name: 'Join call' }).click();
  await phone.getByRole('button', { name: 'Join now' }).click();

  await panel.getByRole('button', { name: 'Join call' }).click();
  const wcall = page.locator('dragoman-widget .call-screen');
  await wcall.getByRole('button', { name: 'Join now' }).click();
  await seesVideo(page, 'interpreter', 'widget');
  await seesVideo(phone, 'clinic', 'phone with the widget');
  // Over the whole window, above the widget's own button, styled from inside the shadow root.
  const box = await wcall.boundingBox();
  const view = page.viewportSize();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, view.width, view.height]);
  assert.equal(await wcall.evaluate((el) => el.getRootNode() instanceof ShadowRoot), true);
  assert.equal(await wcall.evaluate((el) => getComputedStyle(el).position), 'fixed');
  await checkAxe(page, 'widget call', 'dragoman-widget');
  await screenshot(page, 'call-widget-desktop');

  await wcall.getByRole('button', { name: 'End call' }).click();
  await wcall.waitFor({ state: 'detached' });
  await panel.locator('article.request[data-state="ended"]').first().waitFor();
  await phone.locator('.call-screen').getByText('The call has ended.').waitFor();
  for (const p of [phone, page]) {
    p.assertClean();
    await p.closeAll();
  }
  await site.close();
});
