// Reports, end to end: a known set of sessions made through the real server
// (WebSocket protocol), their times set exactly with session.correct, in the
// Europe/Helsinki zone: sessions crossing midnight, a month end, a year end
// and the spring DST change, one corrected twice, an uncorrected one, cancelled
// and unfilled requests, a decline and an expiry. Every total and percentile
// is checked exactly, against the design and against the request records;
// then CSV, the terminal, the access rules and the retention purge.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';

import { NAMES, token } from './lib/fixtures.mjs';
import { REPO, T, create, offerFor, useEnv, waitFor } from './lib/harness.mjs';

const DRAGOMANCTL = path.resolve(process.env.DRAGOMANCTL || path.join(REPO, 'bin/dragomanctl'));
const ZONE = 'Europe/Helsinki';
const env = useEnv({ timezone: ZONE, 'offer-timeout': 5, 'escalate-after': 5, 'unfilled-after': 10 });

const at = (iso) => Date.parse(iso);
// The sessions, in local (Helsinki) time; seconds as counted.
const PLAN = {
  s1: { lang: 'ar', clinic: 'c-north', interp: 'i-a1', modality: 'video', start: '2025-12-31T23:30:00+02:00', end: '2026-01-01T00:30:00+02:00', secs: 3600 },
  s2: { lang: 'ar', clinic: 'c-east', interp: 'i-a2', modality: 'phone', start: '2026-01-31T23:50:00+02:00', end: '2026-02-01T00:20:00+02:00', secs: 1800 },
  s3: { lang: 'fa', clinic: 'c-north', interp: 'i-f1', modality: 'video', specialty: 'mental_health', start: '2026-01-15T10:00:00+02:00', end: '2026-01-15T10:45:00+02:00', secs: 2700 },
  // 02:30 EET to 04:30 EEST on the night clocks go forward: one real hour.
  s4: { lang: 'fr', clinic: 'c-east', interp: 'i-r1', modality: 'onsite', start: '2026-03-29T02:30:00+02:00', end: '2026-03-29T04:30:00+03:00', secs: 3600 },
  // Corrected twice: first to 10 February, then to 11 February.
  s5: { lang: 'ar', clinic: 'c-north', interp: 'i-a1', modality: 'video', start: '2026-02-11T09:00:00+02:00', end: '2026-02-11T09:30:00+02:00', secs: 1800, first: ['2026-02-10T09:00:00+02:00', '2026-02-10T10:00:00+02:00'] },
  s6: { lang: 'ps', clinic: 'c-north', interp: 'i-p1', modality: 'video' }, // not corrected: today, real times
};
const YEAR = 'from=2025-12-01&to=2026-12-31';

const ids = {};
let declinedOffer; // an offer declined with a reason: free text for the purge
let clients;

function localDay(ms, offsetDays = 0) {
  const d = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(ms + offsetDays * 86400000));
  return d;
}

function localHour(ms) {
  return Number(new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', hourCycle: 'h23' }).format(new Date(ms)));
}

function nearestRank(sorted, p) {
  return sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1];
}

async function report(kind, query, tok = token('u-coord')) {
  return env.http('GET', `/api/reports/${kind}?${query}`, { token: tok });
}

async function table(kind, query, name) {
  const r = await report(kind, query);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'application/json');
  return r.body.tables[name];
}

function ctl(...args) {
  return execFileSync(DRAGOMANCTL, ['--redis', env.redisProc.url, '--timezone', ZONE, ...args], { encoding: 'utf8' });
}

async function runSession(key) {
  const p = PLAN[key];
  const clinic = clients[p.clinic];
  const who = clients[p.interp];
  const extra = { language: p.lang, modality: p.modality };
  if (p.specialty) extra.specialty = p.specialty;
  if (p.modality === 'onsite') extra.location = 'Ward 7';
  const req = await create(clinic, { ...extra, note: `session ${key}` });
  const offer = await offerFor(who, req.id);
  await who.ok({ type: 'offer.accept', offer: offer.id });
  await clinic.ok({ type: 'session.start', request: req.id });
  await who.ok({ type: 'session.end', request: req.id });
  ids[key] = req.id;
  const correct = async (s, e, reason) => clients.coord.ok({ type: 'session.correct', request: req.id,
    started_at: at(s), ended_at: at(e), reason });
  if (p.first) await correct(p.first[0], p.first[1], 'first guess');
  if (p.start) await correct(p.start, p.end, 'times from the clinic log');
}

async function buildScenario() {
  // Farhad takes mental-health sessions.
  const put = await env.http('PUT', '/api/admin/interpreters/i-f1', { token: token('u-coord'), body: {
    name: 'Farhad', languages: { fa: 'certified' }, gender: 'male', modalities: ['phone', 'video', 'onsite'],
    specialties: ['mental_health'], area: 'north' } });
  assert.equal(put.status, 200, put.text);
  clients = { coord: await env.coordinator(), 'c-north': await env.clinic('c-north'), 'c-east': await env.clinic('c-east') };
  for (const id of ['i-a1', 'i-a2', 'i-f1', 'i-r1', 'i-p1']) clients[id] = await env.interpreter(id);
  for (const key of Object.keys(PLAN)) await runSession(key);

  // Cancelled: by the clinic while searching (nobody speaks Ukrainian), by
  // the coordinator once assigned.
  const c1 = await create(clients['c-north'], { language: 'uk' });
  await clients['c-north'].ok({ type: 'request.cancel', request: c1.id, reason: 'patient left' });
  const c2 = await create(clients['c-east'], { language: 'ar' });
  const o2 = await offerFor(clients['i-a1'], c2.id);
  await clients['i-a1'].ok({ type: 'offer.accept', offer: o2.id });
  await clients.coord.ok({ type: 'request.cancel', request: c2.id });
  Object.assign(ids, { c1: c1.id, c2: c2.id });

  // Unfilled: nobody online, everyone declined, the only offer expired.
  const u1 = await create(clients['c-north'], { language: 'uk' });
  const u2 = await create(clients['c-north'], { language: 'fa' });
  const u3 = await create(clients['c-east'], { language: 'fr' });
  const o3 = await offerFor(clients['i-f1'], u2.id);
  await clients['i-f1'].ok({ type: 'offer.decline', offer: o3.id, reason: 'busy' });
  declinedOffer = o3.id;
  await clients['i-r1'].next('offer.withdrawn', (m) => m.request === u3.id && m.reason === 'expired', 15000);
  for (const u of [u1, u2, u3]) {
    await clients.coord.next('alert', (m) => m.kind === 'unfilled' && m.request.id === u.id, 20000);
  }
  Object.assign(ids, { u1: u1.id, u2: u2.id, u3: u3.id });

  // Feedback: a rating alone, and a rating with a comment plus a note that
  // looks like a spreadsheet formula.
  await clients['c-north'].ok({ type: 'session.feedback', request: ids.s1, rating: 3 });
  await clients['c-north'].ok({ type: 'session.feedback', request: ids.s3, rating: 5, comment: 'Very good, thanks' });
  await clients['i-f1'].ok({ type: 'session.feedback', request: ids.s3, comment: '=1+1 "quoted", two lines\nend' });
  // Going away credits the available time.
  for (const id of ['i-a1', 'i-a2', 'i-f1', 'i-r1', 'i-p1']) await clients[id].ok({ type: 'presence.set', status: 'away' });
}

async function records() {
  const out = {};
  for (const [k, id] of Object.entries(ids)) out[k] = await env.redis.hgetall(`dm:r:${id}`);
  return out;
}

// "2026-03-29T04:30:00+03:00": a time as the reports print it (local, whole seconds).
function isoLocal(ms) {
  if (!(Number(ms) > 0)) return null;
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, timeZoneName: 'longOffset',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23' }).formatToParts(new Date(Math.floor(Number(ms) / 1000) * 1000)).map((p) => [p.type, p.value]));
  const off = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName.slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${off}`;
}

const dayKey = (date) => date.replaceAll('-', '');
const intOrNull = (v) => (v === undefined || v === '' ? null : Number(v));

// The feedback report worked out from the request records: every session
// counted on a day of the period, grouped and filtered as asked; names are
// the registry's.
function feedbackFrom(recs, { by = 'interpreter', from = '2025-12-01', to = '2026-12-31', language, institution, interpreter } = {}) {
  const field = { interpreter: 'interpreter', language: 'language', institution: 'clinic' }[by];
  const blank = () => ({ sessions: 0, rated: 0, sum: 0, stars: [0, 0, 0, 0, 0], comments: 0, notes: 0 });
  const groups = {};
  const total = blank();
  const chosen = recs.filter((r) => r.rep_day && r.rep_day >= dayKey(from) && r.rep_day <= dayKey(to)
    && (!language || r.language === language) && (!institution || r.clinic === institution)
    && (!interpreter || r.interpreter === interpreter));
  for (const r of chosen) {
    for (const g of [(groups[r[field]] ||= blank()), total]) {
      g.sessions++;
      const stars = Number(r.rating || 0);
      if (stars >= 1 && stars <= 5) { g.rated++; g.sum += stars; g.stars[stars - 1]++; }
      if (r.clinic_comment || r.had_clinic_comment === '1') g.comments++;
      if (r.interp_note || r.had_interp_note === '1') g.notes++;
    }
  }
  const figures = (g) => ({ sessions: g.sessions, rated: g.rated, mean_rating: g.rated ? Number((g.sum / g.rated).toFixed(2)) : null,
    rating_1: g.stars[0], rating_2: g.stars[1], rating_3: g.stars[2], rating_4: g.stars[3], rating_5: g.stars[4],
    comments: g.comments, notes: g.notes });
  const nameCol = { interpreter: 'interpreter_name', institution: 'institution_name' }[by];
  const row = (key, g) => ({ [by]: key, ...(nameCol ? { [nameCol]: key === null ? null : NAMES[key] ?? EXTRA_NAMES[key] ?? '' } : {}), ...figures(g) });
  const comments = chosen.filter((r) => r.clinic_comment || r.interp_note)
    .sort((a, b) => Number(a.started_at) - Number(b.started_at) || (a.id < b.id ? -1 : 1))
    .map((r) => ({ request: r.id, started_at: isoLocal(r.started_at), language: r.language, institution: r.clinic,
      institution_name: r.clinic_name, interpreter: r.interpreter, interpreter_name: r.interp_name,
      rating: intOrNull(r.rating), clinic_comment: r.clinic_comment ?? '', interpreter_note: r.interp_note ?? '' }));
  return {
    ratings: { rows: Object.keys(groups).sort().map((k) => row(k, groups[k])), total: row(null, total) },
    comments,
  };
}

// Interpreters the tests add to the fixtures.
const EXTRA_NAMES = {};

const FEEDBACK_QUERIES = [];
for (const by of ['interpreter', 'language', 'institution']) {
  for (const filter of [{}, { language: 'ar' }, { institution: 'c-north' }, { interpreter: 'i-a1' }, { interpreter: 'i-f1' },
    { language: 'ar', institution: 'c-north' }, { language: 'fa', interpreter: 'i-a1' }]) {
    FEEDBACK_QUERIES.push({ by, ...filter });
  }
}
FEEDBACK_QUERIES.push({ by: 'interpreter', from: '2026-01-01', to: '2026-01-31' }, { by: 'language', from: '2026-02-01', to: '2026-02-28' });

const feedbackQuery = (o) => `from=${o.from || '2025-12-01'}&to=${o.to || '2026-12-31'}&by=${o.by}`
  + ['language', 'institution', 'interpreter'].filter((k) => o[k]).map((k) => `&${k}=${o[k]}`).join('');

// Every feedback query above, against the records.
async function checkFeedback(what) {
  const recs = Object.values(await allRecords());
  for (const o of FEEDBACK_QUERIES) {
    const r = await report('feedback', feedbackQuery(o));
    assert.equal(r.status, 200, r.text);
    const want = feedbackFrom(recs, o);
    assert.deepEqual({ rows: r.body.tables.ratings.rows, total: r.body.tables.ratings.total }, want.ratings, `${what}: ${feedbackQuery(o)}`);
    assert.deepEqual(r.body.tables.comments.rows, want.comments, `${what}: comments of ${feedbackQuery(o)}`);
  }
}

// Every request record, by id.
async function allRecords() {
  const out = {};
  for (const key of await env.redis.cmd('KEYS', 'dm:r:*')) {
    if (key.split(':').length !== 3) continue;
    out[key.slice(5)] = await env.redis.hgetall(key);
  }
  return out;
}

// The raw exports worked out from the request records.
function sessionRow(r) {
  return { request: r.id, created_at: isoLocal(r.created_at), first_offer_at: isoLocal(r.first_offer_at),
    accepted_at: isoLocal(r.accepted_at), started_at: isoLocal(r.started_at), ended_at: isoLocal(r.ended_at),
    seconds: Number(r.rep_s), language: r.language, modality: r.modality, urgency: r.urgency, specialty: r.specialty ?? '',
    institution: r.clinic, institution_name: r.clinic_name, interpreter: r.interpreter, interpreter_name: r.interp_name,
    corrected: r.corrected === '1' ? 1 : 0, orig_started_at: isoLocal(r.orig_started_at), orig_ended_at: isoLocal(r.orig_ended_at),
    rating: intOrNull(r.rating), asked: intOrNull(r.asked), escalated: r.escalated === '1' ? 1 : 0 };
}

function requestRow(r) {
  return { request: r.id, created_at: isoLocal(r.created_at), state: r.state, language: r.language, modality: r.modality,
    urgency: r.urgency, specialty: r.specialty ?? '', institution: r.clinic, institution_name: r.clinic_name,
    interpreter: r.interpreter ?? '', interpreter_name: r.interp_name ?? '', first_offer_at: isoLocal(r.first_offer_at),
    accepted_at: isoLocal(r.accepted_at), started_at: isoLocal(r.started_at), ended_at: isoLocal(r.ended_at),
    closed_at: isoLocal(r.closed_at), cancelled_by: (r.cancelled_by ?? '').split(':')[0], cancel_stage: r.cancel_stage ?? '',
    unfilled_reason: r.state === 'unfilled' ? r.reason : null, escalated: r.escalated === '1' ? 1 : 0, asked: intOrNull(r.asked) };
}

const byTime = (field) => (a, b) => Number(a[field]) - Number(b[field]) || (a.id < b.id ? -1 : 1);

describe('reports', () => {
  before(buildScenario, T(120));

  it('service hours by every dimension, counted whole on the local day a session started', T(), async () => {
    const s6 = await env.redis.hgetall(`dm:r:${ids.s6}`);
    const s6secs = Math.floor((Number(s6.ended_at) - Number(s6.started_at) + 500) / 1000);
    const byLang = await table('hours', `${YEAR}&by=language`, 'hours');
    assert.deepEqual(byLang.columns, ['language', 'sessions', 'seconds', 'hours', 'corrected']);
    assert.deepEqual(byLang.rows, [
      { language: 'ar', sessions: 3, seconds: 7200, hours: 2, corrected: 3 },
      { language: 'fa', sessions: 1, seconds: 2700, hours: 0.75, corrected: 1 },
      { language: 'fr', sessions: 1, seconds: 3600, hours: 1, corrected: 1 },
      { language: 'ps', sessions: 1, seconds: s6secs, hours: Number((s6secs / 3600).toFixed(2)), corrected: 0 },
    ]);
    const total = 13500 + s6secs;
    assert.deepEqual(byLang.total, { language: null, sessions: 6, seconds: total, hours: Number((total / 3600).toFixed(2)), corrected: 5 });

    const byMonth = await table('hours', `${YEAR}&by=month`, 'hours');
    const month = localDay(Number(s6.started_at)).slice(0, 7);
    assert.deepEqual(byMonth.rows.map((r) => [r.month, r.sessions, r.seconds]), [
      ['2025-12', 1, 3600], ['2026-01', 2, 4500], ['2026-02', 1, 1800], ['2026-03', 1, 3600], [month, 1, s6secs],
    ]);
    const byWeek = await table('hours', 'from=2025-12-01&to=2026-03-31&by=week', 'hours');
    assert.deepEqual(byWeek.rows.map((r) => [r.week, r.seconds]), [
      ['2026-W01', 3600], ['2026-W03', 2700], ['2026-W05', 1800], ['2026-W07', 1800], ['2026-W13', 3600],
    ]);
    const byDay = await table('hours', 'from=2025-12-31&to=2026-03-31&by=day', 'hours');
    assert.deepEqual(byDay.rows.map((r) => [r.day, r.seconds]), [
      ['2025-12-31', 3600], ['2026-01-15', 2700], ['2026-01-31', 1800], ['2026-02-11', 1800], ['2026-03-29', 3600],
    ]);

    const byInst = await table('hours', `${YEAR}&by=institution`, 'hours');
    assert.deepEqual(byInst.rows.map((r) => [r.institution, r.institution_name, r.sessions, r.seconds]), [
      ['c-east', 'East Surgery', 2, 5400], ['c-north', 'North Hospital', 4, 8100 + s6secs],
    ]);
    const byInterp = await table('hours', `${YEAR}&by=interpreter`, 'hours');
    assert.deepEqual(byInterp.rows.map((r) => [r.interpreter, r.interpreter_name, r.seconds]), [
      ['i-a1', 'Amal', 5400], ['i-a2', 'Bashir', 1800], ['i-f1', 'Farhad', 2700], ['i-p1', 'Paiman', s6secs],
      ['i-r1', 'Rene', 3600],
    ]);
    const bySpec = await table('hours', `${YEAR}&by=specialty`, 'hours');
    assert.deepEqual(bySpec.rows.map((r) => [r.specialty, r.seconds]), [['', 10800 + s6secs], ['mental_health', 2700]]);
    const byMod = await table('hours', `${YEAR}&by=modality`, 'hours');
    assert.deepEqual(byMod.rows.map((r) => [r.modality, r.seconds]), [['onsite', 3600], ['phone', 1800], ['video', 8100 + s6secs]]);
    const perMonth = await table('hours', 'from=2025-12-01&to=2026-02-28&by=language&per=month', 'hours');
    assert.deepEqual(perMonth.rows.map((r) => [r.month, r.language, r.seconds]), [
      ['2025-12', 'ar', 3600], ['2026-01', 'ar', 1800], ['2026-01', 'fa', 2700], ['2026-02', 'ar', 1800],
    ]);
  });

  it('pins the period edges: by start, across midnight, month end and a moved correction', T(), async () => {
    const jan = await table('hours', 'from=2026-01-01&to=2026-01-31&by=language', 'hours');
    assert.deepEqual(jan.total.sessions, 2, 'the 31 Dec session that ended on 1 Jan stays in December');
    assert.deepEqual(jan.total.seconds, 4500);
    const feb = await table('hours', 'from=2026-02-01&to=2026-02-28&by=language', 'hours');
    assert.deepEqual([feb.total.sessions, feb.total.seconds], [1, 1800], 'the 31 Jan session that ended on 1 Feb stays in January');
    const tenth = await table('hours', 'from=2026-02-10&to=2026-02-10&by=language', 'hours');
    assert.deepEqual([tenth.rows.length, tenth.total.seconds], [0, 0], 'the first correction moved away again');
    const audit = await env.redis.cmd('LRANGE', `dm:r:${ids.s5}:audit`, 0, -1);
    assert.equal(audit.length, 2, 'both corrections stay in the audit trail');
  });

  it('exports the raw sessions with ISO-8601 local times, in the same total as the hours', T(), async () => {
    const t = await table('sessions', YEAR, 'sessions');
    assert.deepEqual(t.rows.map((r) => r.request), ['s1', 's3', 's2', 's5', 's4', 's6'].map((k) => ids[k]));
    const s1 = t.rows[0];
    assert.equal(s1.started_at, '2025-12-31T23:30:00+02:00');
    assert.equal(s1.ended_at, '2026-01-01T00:30:00+02:00');
    assert.equal(s1.seconds, 3600);
    assert.equal(s1.corrected, 1);
    assert.ok(s1.orig_started_at.startsWith('2026-'), s1.orig_started_at);
    const s4 = t.rows[4];
    assert.deepEqual([s4.started_at, s4.ended_at, s4.seconds], ['2026-03-29T02:30:00+02:00', '2026-03-29T04:30:00+03:00', 3600]);
    const hours = await table('hours', `${YEAR}&by=language`, 'hours');
    assert.equal(t.total.seconds, hours.total.seconds);
    for (const row of t.rows) assert.equal(row.note, undefined, 'no free text in the export');
    const fa = await table('sessions', `${YEAR}&language=fa`, 'sessions');
    assert.deepEqual(fa.rows.map((r) => r.request), [ids.s3]);
  });

  it('speed: exact percentiles and shares against the request records', T(), async () => {
    const recs = Object.values(await records());
    const today = localDay(Number(recs[0].created_at));
    const q = `from=${localDay(Date.now(), -1)}&to=${localDay(Date.now(), 1)}`;
    for (const [metric, field] of [['offer', 'first_offer_at'], ['accept', 'accepted_at'], ['start', 'started_at']]) {
      const t = await table('speed', `${q}&by=language`, metric);
      const langs = [...new Set(recs.map((r) => r.language))].sort();
      const expectRow = (rs) => {
        const v = rs.filter((r) => Number(r[field] || 0) > 0)
          .map((r) => Math.max(0, Number(r[field]) - Number(r.created_at))).sort((a, b) => a - b);
        const within = (min) => v.filter((x) => x <= min * 60000).length;
        const pct = (p) => (v.length ? Number((nearestRank(v, p) / 1000).toFixed(3)) : null);
        const share = (n) => Number((n / rs.length).toFixed(4));
        return { requests: rs.length, reached: v.length, median_s: pct(50), p90_s: pct(90), p95_s: pct(95),
          within_2min: within(2), within_5min: within(5), within_15min: within(15),
          share_2min: share(within(2)), share_5min: share(within(5)), share_15min: share(within(15)) };
      };
      assert.deepEqual(t.rows, langs.map((l) => ({ language: l, ...expectRow(recs.filter((r) => r.language === l)) })), metric);
      assert.deepEqual(t.total, { language: null, ...expectRow(recs) }, `${metric} total`);
    }
    assert.ok(today);
  });

  it('fill: created, ended, cancelled by whom and when, unfilled and why; per interpreter', T(), async () => {
    const recs = await records();
    assert.equal(recs.u1.reason, 'nobody_online');
    assert.equal(recs.u2.reason, 'all_declined');
    assert.equal(recs.u3.reason, 'all_declined');
    const q = `from=${localDay(Date.now(), -1)}&to=${localDay(Date.now(), 1)}`;
    const t = await table('fill', `${q}&by=language`, 'fill');
    const row = (l) => t.rows.find((r) => r.language === l);
    assert.deepEqual(t.rows.map((r) => r.language), ['ar', 'fa', 'fr', 'ps', 'uk']);
    assert.deepEqual([row('ar').created, row('ar').ended, row('ar').cancelled, row('ar').cancelled_coordinator_assigned], [4, 3, 1, 1]);
    assert.deepEqual([row('uk').created, row('uk').cancelled_clinic_searching, row('uk').unfilled_nobody_online], [2, 1, 1]);
    assert.deepEqual([row('fa').unfilled_all_declined, row('fr').unfilled_all_declined], [1, 1]);
    const escalated = Object.values(recs).filter((r) => r.escalated === '1').length;
    assert.deepEqual([t.total.created, t.total.open, t.total.ended, t.total.cancelled, t.total.unfilled, t.total.escalated],
      [11, 0, 6, 2, 3, escalated]);
    const inst = await table('fill', `${q}&by=institution`, 'fill');
    assert.deepEqual(inst.rows.map((r) => [r.institution, r.institution_name, r.created]),
      [['c-east', 'East Surgery', 4], ['c-north', 'North Hospital', 7]]);
    const ev = await table('fill', q, 'interpreters');
    assert.deepEqual(ev.rows.map((r) => [r.interpreter, r.accepted, r.declined, r.expired]), [
      ['i-a1', 3, 0, 0], ['i-a2', 1, 0, 0], ['i-f1', 1, 1, 0], ['i-p1', 1, 0, 0], ['i-r1', 1, 0, 1],
    ]);
  });

  it('supply: requests and unfilled per language and local hour, with availability', T(), async () => {
    const recs = Object.values(await records());
    const q = `from=${localDay(Date.now(), -1)}&to=${localDay(Date.now(), 1)}`;
    const t = await table('supply', q, 'hours');
    const expected = {};
    for (const r of recs) {
      const k = `${r.language}|${localHour(Number(r.created_at))}`;
      expected[k] = expected[k] || { requests: 0, unfilled: 0 };
      expected[k].requests++;
      if (r.state === 'unfilled') expected[k].unfilled++;
    }
    const got = {};
    for (const r of t.rows) if (r.requests) got[`${r.language}|${r.hour}`] = { requests: r.requests, unfilled: r.unfilled };
    assert.deepEqual(got, expected);
    const langs = await table('supply', q, 'languages');
    for (const l of ['ar', 'fa', 'fr', 'ps']) {
      const avail = langs.rows.find((r) => r.language === l).available_hours;
      assert.ok(avail >= 0 && avail < 0.1, `${l}: ${avail} h available`);
    }
    const av = await env.redis.cmd('HGETALL', `dm:rep:p:${localDay(Date.now()).replaceAll('-', '')}`);
    assert.ok(av.some((f) => /^ar:\d\d:av$/.test(f)), 'available time was credited to Arabic');
    assert.equal(langs.rows.find((r) => r.language === 'uk').available_hours, 0);
  });

  it('fairness: hours per interpreter, everyone active included, and the Gini coefficient', T(), async () => {
    const sessions = await table('sessions', YEAR, 'sessions');
    const t = await table('fairness', YEAR, 'interpreters');
    const summary = await table('fairness', YEAR, 'summary');
    assert.equal(t.rows.length, 9, 'all nine interpreters of the fixtures');
    const secs = t.rows.map((r) => r.seconds).sort((a, b) => a - b);
    const sum = secs.reduce((a, b) => a + b, 0);
    assert.equal(sum, sessions.total.seconds);
    const n = secs.length;
    const gini = (2 * secs.reduce((a, x, i) => a + (i + 1) * x, 0)) / (n * sum) - (n + 1) / n;
    assert.deepEqual(summary.rows[0].interpreters, 9);
    assert.equal(summary.rows[0].gini, Number(gini.toFixed(4)));
    assert.equal(t.rows.find((r) => r.interpreter === 'i-a3').seconds, 0);
  });

  it('feedback: ratings and comments, filterable; CSV escapes formulas and quotes', T(), async () => {
    const ratings = await table('feedback', YEAR, 'ratings');
    const a1 = ratings.rows.find((r) => r.interpreter === 'i-a1');
    assert.deepEqual([a1.sessions, a1.rated, a1.mean_rating, a1.rating_3], [2, 1, 3, 1]);
    const f1 = ratings.rows.find((r) => r.interpreter === 'i-f1');
    assert.deepEqual([f1.rated, f1.mean_rating, f1.comments, f1.notes], [1, 5, 1, 1]);
    const comments = await table('feedback', `${YEAR}&interpreter=i-f1`, 'comments');
    assert.deepEqual(comments.rows.map((r) => [r.request, r.clinic_comment, r.interpreter_note]),
      [[ids.s3, 'Very good, thanks', '=1+1 "quoted", two lines\nend']]);
    const csv = await report('feedback', `${YEAR}&table=comments&format=csv`);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.ok(csv.text.includes(`"'=1+1 ""quoted"", two lines\nend"`), csv.text);
  });

  it('feedback: exact figures for every grouping and filter; a changed rating and a moved session move them', T(60), async () => {
    await checkFeedback('as made');
    // The clinic changes its rating of s1 (3 -> 4), and s3 (rated, with a
    // comment and a note) is moved to another month by a correction.
    await clients['c-north'].ok({ type: 'session.feedback', request: ids.s1, rating: 4 });
    await clients.coord.ok({ type: 'session.correct', request: ids.s3, started_at: at('2026-02-20T10:00:00+02:00'),
      ended_at: at('2026-02-20T10:45:00+02:00'), reason: 'wrong day' });
    const jan = await table('feedback', 'from=2026-01-01&to=2026-01-31&by=interpreter', 'ratings');
    assert.deepEqual(jan.rows.map((r) => r.interpreter), ['i-a2'], 's3 left January');
    const feb = await table('feedback', 'from=2026-02-01&to=2026-02-28&by=interpreter', 'comments');
    assert.deepEqual(feb.rows.map((r) => [r.request, r.started_at]), [[ids.s3, '2026-02-20T10:00:00+02:00']]);
    await checkFeedback('after a new rating and a correction');
    // Back as they were, for the tests that follow.
    await clients['c-north'].ok({ type: 'session.feedback', request: ids.s1, rating: 3 });
    await clients.coord.ok({ type: 'session.correct', request: ids.s3, started_at: at(PLAN.s3.start),
      ended_at: at(PLAN.s3.end), reason: 'right day after all' });
    await checkFeedback('restored');
    const a1 = (await table('feedback', YEAR, 'ratings')).rows.find((r) => r.interpreter === 'i-a1');
    assert.deepEqual([a1.rated, a1.rating_3, a1.rating_4], [1, 1, 0]);
  });

  it('feedback: days stored by an older server (one string of lines) read the same and are moved on change', T(60), async () => {
    // Before, a day's figures were one string rewritten whole on every change;
    // now they are a hash. Put every day back the old way.
    const keys = await env.redis.cmd('KEYS', 'dm:rep:fb:*');
    assert.ok(keys.length > 0, 'feedback days exist');
    for (const key of keys) {
      const h = await env.redis.hgetall(key);
      await env.redis.cmd('DEL', key);
      await env.redis.cmd('SET', key, Object.entries(h).map(([head, figures]) => `\n${head} ${figures}`).join(''));
    }
    await checkFeedback('old day strings');
    await clients['c-north'].ok({ type: 'session.feedback', request: ids.s1, rating: 4 });
    await checkFeedback('changed on an old day string');
    await clients['c-north'].ok({ type: 'session.feedback', request: ids.s1, rating: 3 });
    await checkFeedback('changed back');
    const types = await Promise.all(keys.map((key) => env.redis.cmd('TYPE', key)));
    assert.ok(types.includes('hash'), 'the changed day became a hash');
  });

  it('CSV: a stable header, rows and a TOTAL line; the terminal prints the same figures', T(), async () => {
    const csv = await report('hours', `${YEAR}&by=institution&format=csv`);
    const lines = csv.text.split('\r\n');
    assert.equal(lines[0], 'institution,institution_name,sessions,seconds,hours,corrected');
    assert.equal(lines[1], 'c-east,East Surgery,2,5400,1.50,2');
    assert.ok(lines[3].startsWith('TOTAL,,6,'), lines[3]);
    assert.equal(ctl('report', 'hours', '--from', '2025-12-01', '--to', '2026-12-31', '--by', 'institution', '--csv'), csv.text);
    const text = ctl('report', 'hours', '--from', '2025-12-01', '--to', '2026-12-31', '--by', 'language');
    assert.match(text, /\nar\s+3\s+7200\s+2\.00\s+3\n/);
    const json = JSON.parse(ctl('report', 'speed', '--from', '2025-12-01', '--to', '2026-12-31', '--json'));
    assert.deepEqual(json, (await report('speed', YEAR)).body);
  });

  it('access: interpreters see only their own hours; clinics nothing; bad queries are refused', T(), async () => {
    const own = await report('hours', `${YEAR}&by=interpreter`, token('i-a1'));
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(own.body.tables.hours.rows.map((r) => [r.interpreter, r.seconds]), [['i-a1', 5400]]);
    assert.equal(own.body.tables.hours.total.seconds, 5400);
    const monthly = await report('hours', `${YEAR}&by=interpreter&per=month`, token('i-a1'));
    assert.deepEqual(monthly.body.tables.hours.rows.map((r) => [r.month, r.interpreter, r.seconds]),
      [['2025-12', 'i-a1', 3600], ['2026-02', 'i-a1', 1800]]);
    const others = [['hours', `${YEAR}&by=language`], ['speed', YEAR], ['fill', YEAR], ['fairness', YEAR],
      ['sessions', YEAR], ['feedback', YEAR]];
    for (const [kind, q] of others) {
      const r = await report(kind, q, token('i-a1'));
      assert.equal(r.status, 403, `interpreter ${kind}: ${r.text}`);
    }
    for (const [kind, q] of [...others, ['hours', `${YEAR}&by=interpreter`]]) {
      const c = await report(kind, q, token('c-north'));
      assert.equal(c.status, 403, `clinic ${kind}: ${c.text}`);
    }
    assert.equal((await env.http('GET', `/api/reports/hours?${YEAR}`)).status, 401);
    const bad = await report('hours', 'from=2026-02-30&to=2026-03-01');
    assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, 'bad_message', 'from']);
    assert.equal((await report('hours', `${YEAR}&colour=red`)).body.field, 'colour');
    assert.equal((await report('speed', `${YEAR}&by=modality`)).body.field, 'by');
    assert.equal((await report('nonsense', YEAR)).status, 404);
  });

  it('retention: the purge removes free text and keeps every count', T(), async () => {
    const before = await report('feedback', YEAR);
    const hoursBefore = await report('hours', `${YEAR}&by=language`);
    assert.equal(await env.redis.cmd('HGET', `dm:o:${declinedOffer}`, 'reason'), 'busy');
    assert.match(ctl('report', 'purge', '--days', '0'), /^11 requests purged\n$/);
    assert.equal(await env.redis.cmd('HGET', `dm:o:${declinedOffer}`, 'reason'), null, 'a decline\'s words are free text');
    assert.equal(await env.redis.cmd('HGET', `dm:o:${declinedOffer}`, 'state'), 'declined');
    const s3 = await env.redis.hgetall(`dm:r:${ids.s3}`);
    assert.equal(s3.clinic_comment, undefined);
    assert.equal(s3.interp_note, undefined);
    assert.equal(s3.note, undefined);
    assert.equal(s3.rating, '5', 'the rating is a count, not text');
    const after = await report('feedback', YEAR);
    assert.deepEqual(after.body.tables.ratings, before.body.tables.ratings);
    assert.deepEqual(after.body.tables.comments.rows, []);
    assert.deepEqual((await report('hours', `${YEAR}&by=language`)).body, hoursBefore.body);
    // Every grouping and filter still counts the removed comment and note.
    await checkFeedback('after the purge');
    const f1 = (await table('feedback', `${YEAR}&interpreter=i-f1`, 'ratings')).total;
    assert.deepEqual([f1.sessions, f1.rated, f1.comments, f1.notes], [1, 1, 1, 1]);
    assert.equal(await env.redis.cmd('EXISTS', `dm:rep:fbc:${s3.rep_day}`), 0, 'no comment text left in the index');
  });

  it('exports: every column as in the records; names and comments with commas, quotes, % and new lines', T(60), async () => {
    // An interpreter whose name needs every escape, and a session with them.
    const name = 'Zoë, "Z" 100%\nÜnal';
    EXTRA_NAMES['i-x1'] = name;
    const put = await env.http('PUT', '/api/admin/interpreters/i-x1', { token: token('u-coord'), body: {
      name, languages: { ps: 'certified' }, gender: 'female', modalities: ['phone', 'video', 'onsite'] } });
    assert.equal(put.status, 200, put.text);
    const x1 = await env.connect(ctl('token', 'issue', 'interpreter', 'i-x1').trim());
    await x1.ok({ type: 'presence.set', status: 'available' });
    const clinic = clients['c-east'];
    const req = await create(clinic, { language: 'ps', modality: 'video' });
    const offer = await offerFor(x1, req.id);
    await x1.ok({ type: 'offer.accept', offer: offer.id });
    await clinic.ok({ type: 'session.start', request: req.id });
    await x1.ok({ type: 'session.end', request: req.id });
    await clients.coord.ok({ type: 'session.correct', request: req.id, started_at: at('2026-06-10T10:00:00+03:00'),
      ended_at: at('2026-06-10T10:20:00+03:00'), reason: 'log' });
    const comment = 'Late, "sorry" 100%25\nnext, time';
    await clinic.ok({ type: 'session.feedback', request: req.id, rating: 2, comment });
    await x1.ok({ type: 'session.feedback', request: req.id, comment: '%0A,' });
    await x1.ok({ type: 'presence.set', status: 'away' });
    ids.x1 = req.id;

    const recs = Object.values(await allRecords());
    const sessions = await table('sessions', YEAR, 'sessions');
    const counted = recs.filter((r) => r.rep_day).sort(byTime('started_at'));
    assert.deepEqual(sessions.rows, counted.map(sessionRow));
    assert.equal(sessions.total.seconds, counted.reduce((a, r) => a + Number(r.rep_s), 0));
    const requests = await table('requests', `from=${localDay(Date.now(), -1)}&to=${localDay(Date.now(), 1)}`, 'requests');
    assert.deepEqual(requests.rows, recs.filter((r) => r.rep_cday).sort(byTime('created_at')).map(requestRow));
    const row = sessions.rows.find((r) => r.request === req.id);
    assert.deepEqual([row.interpreter_name, row.started_at, row.seconds, row.rating], [name, '2026-06-10T10:00:00+03:00', 1200, 2]);
    const fb = await table('feedback', `${YEAR}&interpreter=i-x1`, 'comments');
    assert.deepEqual(fb.rows.map((r) => [r.interpreter_name, r.clinic_comment, r.interpreter_note]), [[name, comment, '%0A,']]);
    await checkFeedback('with i-x1');

    const csv = await report('sessions', `${YEAR}&interpreter=i-x1&format=csv`);
    const lines = csv.text.split('\r\n');
    assert.equal(lines.length, 4, csv.text); // header, the session, TOTAL, and the empty string after the last CRLF
    assert.ok(lines[1].includes(',"Zoë, ""Z"" 100%\nÜnal",'), lines[1]);
    assert.equal(ctl('report', 'sessions', '--from', '2025-12-01', '--to', '2026-12-31', '--interpreter', 'i-x1', '--csv'), csv.text);
    const all = await report('requests', `from=${localDay(Date.now(), -1)}&to=${localDay(Date.now(), 1)}&format=csv`);
    assert.ok(!all.text.includes('patient left'), 'no canceller words in the export');
  });

  it('rebuild: indexes missing (data written before them) are rebuilt by a report, by dragomanctl and at start', T(90), async () => {
    const queries = [['feedback', `${YEAR}`], ['feedback', `${YEAR}&by=institution&language=ar`],
      ['feedback', `${YEAR}&interpreter=i-x1&table=comments&format=csv`], ['sessions', YEAR],
      ['sessions', `${YEAR}&format=csv`], ['requests', `from=${localDay(Date.now(), -1)}&to=${localDay(Date.now(), 1)}`]];
    const snapshot = [];
    for (const [kind, q] of queries) snapshot.push((await report(kind, q)).text);
    const same = async (what) => {
      for (let i = 0; i < queries.length; i++) {
        const r = await report(...queries[i]);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, snapshot[i], `${what}: ${queries[i].join('?')}`);
      }
    };
    const s3day = (await env.redis.hgetall(`dm:r:${ids.s3}`)).rep_day;
    // As a Redis written before these indexes: none of them, no version, no
    // request marked, and the day sets of the first version still there.
    const drop = async () => {
      for (const pat of ['dm:rep:fb:*', 'dm:rep:fbc:*', 'dm:rep:xs:*', 'dm:rep:xr:*']) {
        for (const key of await env.redis.cmd('KEYS', pat)) await env.redis.cmd('DEL', key);
      }
      await env.redis.cmd('DEL', 'dm:rep:v');
      for (const key of await env.redis.cmd('KEYS', 'dm:r:*')) {
        if (key.split(':').length === 3) await env.redis.cmd('HDEL', key, 'rep_x');
      }
      await env.redis.cmd('SADD', `dm:rep:ss:${s3day}`, ids.s3);
      assert.equal(await env.redis.cmd('EXISTS', `dm:rep:xs:${s3day}`), 0);
    };
    const rebuilt = async () => {
      assert.equal(await env.redis.cmd('GET', 'dm:rep:v'), '2');
      assert.equal(await env.redis.cmd('EXISTS', `dm:rep:ss:${s3day}`), 0, 'the old day set is gone');
      assert.equal(await env.redis.cmd('HGET', `dm:r:${ids.s3}`, 'rep_x'), '1');
      // Every request here was created today, so today's request export was
      // appended to; it keeps growing, so it is left for another day.
      const today = localDay(Date.now()).replaceAll('-', '');
      const grown = await env.redis.cmd('SMEMBERS', 'dm:rep:grown');
      assert.deepEqual(grown.filter((k) => !k.endsWith(today)), [], 'the day strings of earlier days were written whole');
      assert.ok(grown.includes(`dm:rep:xr:${today}`), `today's strings are not: ${grown}`);
    };

    await drop();
    await same('rebuilt by the first report');
    await rebuilt();

    await drop();
    const json = JSON.parse(ctl('report', 'feedback', '--from', '2025-12-01', '--to', '2026-12-31', '--json'));
    await rebuilt();
    assert.deepEqual(json, JSON.parse(snapshot[0]));
    await same('rebuilt by dragomanctl');

    // The server rebuilds them itself soon after it starts, before any report.
    await drop();
    await env.closeClients();
    await env.server.restart();
    await waitFor(async () => (await env.redis.cmd('GET', 'dm:rep:v')) === '2', { timeout: 20000, what: 'the rebuild at start' });
    await rebuilt();
    await same('rebuilt at start');
  });
});
