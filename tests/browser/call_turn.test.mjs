// Calls through a TURN relay: Debian's coturn on loopback with a shared
// secret (use-auth-secret), dragomand minting per-call credentials from the
// same secret, and both pages forced to relay-only ICE (?relay=1). The call
// connects over relay candidates; a server with the wrong secret hands out
// credentials coturn refuses (401), no candidate can be gathered, and the
// call fails: the pages say they cannot connect and report media "failed".
// (Chrome itself leaves ICE "new" when neither side has any candidate; the
// page counts that as failed.)
//
// coturn is installed here when missing (Debian package `coturn`; root
// needed); without it the test is skipped, saying so.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { token } from '../integration/lib/fixtures.mjs';
import { REPO, T, WAIT_MS, freePort, sleep, useEnv, waitFor } from '../integration/lib/harness.mjs';
import { PHONE, UI_MS, openPage, requestId, screenshot, tapTile, useBrowser } from './lib/browser.mjs';

const TURNSERVER = process.env.TURNSERVER || '/usr/bin/turnserver';
const SECRET = 'dragoman-test-secret';

function coturnInstalled() {
  if (fs.existsSync(TURNSERVER)) return true;
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'coturn'], {
      stdio: 'ignore', timeout: 300000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch { /* not root, or no package source: skipped below */ }
  return fs.existsSync(TURNSERVER);
}

// A STUN binding request over UDP: true once coturn answers on port.
function stunAnswers(port) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const msg = Buffer.alloc(20);
    msg.writeUInt16BE(0x0001, 0); // Binding Request
    msg.writeUInt16BE(0, 2);
    msg.writeUInt32BE(0x2112a442, 4); // magic cookie
    crypto.randomFillSync(msg, 8, 12);
    const done = (ok) => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    sock.on('message', (m) => done(m.length >= 20 && m.readUInt16BE(0) === 0x0101));
    sock.on('error', () => done(false));
    sock.send(msg, port, '127.0.0.1');
  });
}

// One TURN Allocate over UDP with long-term credentials (RFC 5766 / 5389): the
// first try is answered 401 with a realm and nonce, the second carries
// USERNAME, REALM, NONCE and MESSAGE-INTEGRITY. Resolves to the final response's
// class and error code: {ok: true} or {ok: false, code}.
function turnAllocate(port, username, password) {
  const attr = (type, value) => {
    const pad = (4 - (value.length % 4)) % 4;
    const head = Buffer.alloc(4);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(value.length, 2);
    return Buffer.concat([head, value, Buffer.alloc(pad)]);
  };
  const message = (attrs, integrityKey) => {
    const head = Buffer.alloc(20);
    head.writeUInt16BE(0x0003, 0); // Allocate request
    head.writeUInt32BE(0x2112a442, 4);
    crypto.randomFillSync(head, 8, 12);
    let body = Buffer.concat(attrs);
    if (integrityKey) {
      head.writeUInt16BE(body.length + 24, 2); // the length counts MESSAGE-INTEGRITY itself
      const mac = crypto.createHmac('sha1', integrityKey).update(Buffer.concat([head, body])).digest();
      body = Buffer.concat([body, attr(0x0008, mac)]);
    }
    head.writeUInt16BE(body.length, 2);
    return Buffer.concat([head, body]);
  };
  const parse = (m) => {
    const out = { cls: m.readUInt16BE(0) & 0x0110, attrs: new Map() };
    for (let i = 20; i + 4 <= m.length;) {
      const type = m.readUInt16BE(i), len = m.readUInt16BE(i + 2);
      out.attrs.set(type, m.subarray(i + 4, i + 4 + len));
      i += 4 + len + ((4 - (len % 4)) % 4);
    }
    const err = out.attrs.get(0x0009);
    out.code = err ? err[2] * 100 + err[3] : 0;
    return out;
  };
  const transport = attr(0x0019, Buffer.from([17, 0, 0, 0]));
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => { sock.close(); reject(new Error('no TURN answer')); }, 3000);
    let tries = 0;
    sock.on('message', (m) => {
      const r = parse(m);
      if (r.cls === 0x0100) { // success response
        clearTimeout(timer);
        sock.close();
        resolve({ ok: true });
        return;
      }
      if (tries === 1 && r.code === 401) {
        tries++;
        const realm = r.attrs.get(0x0014), nonce = r.attrs.get(0x0015);
        const key = crypto.createHash('md5').update(`${username}:${realm}:${password}`).digest();
        sock.send(message([transport, attr(0x0006, Buffer.from(username)), attr(0x0014, realm), attr(0x0015, nonce)], key),
          port, '127.0.0.1');
        return;
      }
      clearTimeout(timer);
      sock.close();
      resolve({ ok: false, code: r.code });
    });
    tries = 1;
    sock.send(message([transport]), port, '127.0.0.1');
  });
}

if (!coturnInstalled()) {
  test('calls through a TURN relay', { skip: `no coturn (${TURNSERVER}) and apt-get install -y coturn failed` }, () => {});
} else {
  const turnPort = await freePort();
  const turn = { child: null, log: '', dir: '' };

  // coturn on loopback only: UDP and TCP listeners on 127.0.0.1, relay
  // addresses on 127.0.0.1 (allow-loopback-peers lets the two relays talk),
  // no TLS/DTLS listeners, no telnet CLI, its own user database file (unused
  // with a static secret, but coturn opens one), logs to stdout.
  before(async () => {
    turn.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dm-turn-'));
    const args = ['-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${turnPort}`,
      '--realm=dragoman.test', '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--no-tls', '--no-dtls',
      '--no-cli', '--allow-loopback-peers', '--no-multicast-peers', '--log-file=stdout',
      `--pidfile=${path.join(turn.dir, 'turnserver.pid')}`, `--userdb=${path.join(turn.dir, 'turndb')}`];
    turn.child = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Never left behind, whatever ends this process (the harness exits on signals).
    process.on('exit', () => { if (turn.child.exitCode === null) turn.child.kill('SIGKILL'); });
    turn.child.stdout.on('data', (d) => { turn.log += d; });
    turn.child.stderr.on('data', (d) => { turn.log += d; });
    await waitFor(async () => {
      if (turn.child.exitCode !== null) throw new Error(`turnserver exited:\n${turn.log.slice(-2000)}`);
      return stunAnswers(turnPort);
    }, { timeout: 15000, what: `turnserver on udp 127.0.0.1:${turnPort}` });
  }, { timeout: 20000 });

  after(async () => {
    if (turn.child && turn.child.exitCode === null) {
      turn.child.kill('SIGTERM');
      await Promise.race([new Promise((r) => turn.child.once('exit', r)), sleep(5000)]);
      if (turn.child.exitCode === null && turn.child.signalCode === null) turn.child.kill('SIGKILL');
    }
    fs.mkdirSync(path.join(REPO, 'tests/out/integration'), { recursive: true });
    fs.writeFileSync(path.join(REPO, 'tests/out/integration/call_turn.turnserver.log'), turn.log);
    if (turn.dir) fs.rmSync(turn.dir, { recursive: true, force: true });
  });

  const env = useEnv({ 'turn-uris': `turn:127.0.0.1:${turnPort}?transport=udp`, 'turn-secret': SECRET });
  const ctx = useBrowser({ media: true });

  // A face forced to relay-only ICE.
  async function openRelay(server, face, tok, opts) {
    const page = await openPage(ctx.browser, `${server.base}/${face}/?relay=1#token=${encodeURIComponent(tok)}`, opts);
    await page.locator('.conn[data-state="online"]').waitFor();
    return page;
  }

  // Per connection of the page's call: ICE state, the ICE servers and policy
  // in use, the local candidate types gathered, and the selected pair's local type.
  function iceInfo(page) {
    return page.evaluate(async () => {
      const call = window.Dragoman.CallPanel.current();
      if (!call) return [];
      return Promise.all([...call.peers.values()].map(async (p) => {
        const stats = await p.pc.getStats();
        const byId = new Map();
        stats.forEach((s) => byId.set(s.id, s));
        let selected = '';
        const local = [];
        stats.forEach((s) => {
          if (s.type === 'local-candidate') local.push(s.candidateType);
          if (s.type === 'transport' && s.selectedCandidatePairId) {
            const pair = byId.get(s.selectedCandidatePairId);
            const lc = pair && byId.get(pair.localCandidateId);
            if (lc) selected = lc.candidateType;
          }
        });
        const conf = p.pc.getConfiguration();
        return { role: p.info.role, ice: p.pc.iceConnectionState, conn: p.pc.connectionState, selected, local,
          policy: conf.iceTransportPolicy, urls: conf.iceServers.flatMap((s) => [].concat(s.urls)), errors: p.iceErrors };
      }));
    });
  }

  // A video request from the clinic, accepted on the phone, and both in its call.
  async function callBetween(server, interpreter, clinicId) {
    const phone = await openRelay(server, 'app', token(interpreter), { viewport: PHONE, label: 'phone' });
    await phone.getByRole('switch').click();
    await phone.locator('.switch[aria-checked="true"]').waitFor();
    const clinic = await openRelay(server, 'clinic', token(clinicId), { label: 'clinic' });
    await tapTile(clinic, 'ar');
    await tapTile(clinic, 'video');
    await clinic.getByRole('button', { name: 'Interpreter now' }).click();
    await phone.getByRole('button', { name: 'Accept' }).click();
    const rid = await requestId(clinic, 'assigned');
    await phone.locator('section.job').getByRole('button', { name: 'Join call' }).click();
    await phone.getByRole('button', { name: 'Join now' }).click();
    await phone.locator('.call-screen[data-view="call"]').waitFor();
    await clinic.locator(`article.request[data-request="${rid}"]`).getByRole('button', { name: 'Join call' }).click();
    await clinic.getByRole('button', { name: 'Join now' }).click();
    await clinic.locator('.call-screen[data-view="call"]').waitFor();
    return { phone, clinic, rid };
  }

  test('relay-only call connects through coturn with minted credentials', T(120), async () => {
    const { phone, clinic, rid } = await callBetween(env.server, 'i-a1', 'c-north');
    for (const [page, other] of [[phone, 'clinic'], [clinic, 'interpreter']]) {
      await page.locator(`.call-tile[data-role="${other}"][data-state="connected"]`).waitFor({ timeout: UI_MS * 3 });
      const [info] = await waitFor(async () => {
        const list = await iceInfo(page);
        return list.length === 1 && list[0].selected ? list : null;
      }, { timeout: WAIT_MS * 2, what: 'a selected candidate pair' });
      assert.equal(info.policy, 'relay');
      assert.ok(info.urls.includes(`turn:127.0.0.1:${turnPort}?transport=udp`), `TURN server in use: ${info.urls}`);
      assert.equal(info.selected, 'relay', `the selected pair's local candidate is a relay: ${JSON.stringify(info)}`);
      assert.ok(info.local.length > 0 && info.local.every((c) => c === 'relay'), `only relay candidates: ${info.local}`);
      // Frames arrive over the relay.
      const frames = () => page.evaluate(async () => {
        let n = 0;
        for (const p of window.Dragoman.CallPanel.current().peers.values()) {
          (await p.pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded; });
        }
        return n;
      });
      const first = await waitFor(async () => (await frames()) || null, { what: 'frames over the relay' });
      await sleep(1000);
      assert.ok((await frames()) > first, 'frames keep coming over the relay');
    }
    await screenshot(clinic, 'call-turn-relay-desktop');
    await clinic.getByRole('button', { name: 'End call' }).click();
    await waitFor(async () => (await env.http('GET', `/api/requests/${rid}`, { token: token('u-coord') })).body?.request?.state === 'ended',
      { what: `${rid} ended` });
    for (const p of [phone, clinic]) {
      p.assertClean();
      await p.closeAll();
    }
  });

  test('coturn allocates with the credentials dragomand mints, and refuses them expired', T(60), async () => {
    const clinic = await env.clinic('c-north');
    const interp = await env.interpreter('i-a3');
    const { request } = await clinic.ok({ type: 'request.create', language: 'ar', modality: 'video', urgency: 'now',
      duration_min: 20, idempotency_key: `turn-${Date.now()}` });
    const offer = (await interp.next('offer', (m) => m.offer.request === request.id)).offer;
    await interp.ok({ type: 'offer.accept', offer: offer.id });
    const { call } = await interp.ok({ type: 'call.join', request: request.id });
    const minted = call.ice_servers.find((e) => e.username);
    assert.ok(minted, `TURN credentials in ${JSON.stringify(call.ice_servers)}`);
    assert.deepEqual(await turnAllocate(turnPort, minted.username, minted.credential), { ok: true });
    // The same scheme with an expiry an hour ago: coturn refuses it.
    const expired = `${Math.floor(Date.now() / 1000) - 3600}:${request.id}`;
    const password = crypto.createHmac('sha1', SECRET).update(expired).digest('base64');
    assert.deepEqual(await turnAllocate(turnPort, expired, password), { ok: false, code: 401 });
    assert.deepEqual(await turnAllocate(turnPort, minted.username, `${minted.credential}x`), { ok: false, code: 401 });
    await interp.ok({ type: 'call.leave', request: request.id });
  });

  test('credentials minted with the wrong secret: the relay-only call fails', T(120), async () => {
    const wrong = await env.addServer('wrong', { settings: { 'turn-secret': 'not-the-secret' } });
    const { phone, clinic, rid } = await callBetween(wrong, 'i-a2', 'c-east');
    for (const page of [phone, clinic]) {
      await page.locator('.call-screen .call-quality[data-quality="failed"]').waitFor({ timeout: 40000 });
      await page.getByText('Cannot connect. Trying again…').first().waitFor();
      const [info] = await iceInfo(page);
      assert.equal(info.policy, 'relay');
      assert.ok(info.ice !== 'connected' && info.ice !== 'completed', `not connected: ${JSON.stringify(info)}`);
      assert.deepEqual(info.local, [], `coturn gave no relay address: ${JSON.stringify(info)}`);
      assert.ok(info.errors.some((e) => e.code === 401), `the TURN server refused the credentials: ${JSON.stringify(info.errors)}`);
    }
    await screenshot(phone, 'call-turn-failed-phone');
    const r = (await env.http('GET', `/api/requests/${rid}`, { token: token('u-coord') })).body.request;
    assert.equal(r.state, 'assigned', 'a call that never connected does not start the session');
    await clinic.getByRole('button', { name: 'End call' }).click();
    for (const p of [phone, clinic]) {
      p.assertClean();
      await p.closeAll();
    }
    await wrong.stop();
  });
}
