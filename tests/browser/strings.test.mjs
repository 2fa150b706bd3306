// The UI string tables: every key the code uses exists in English, and the
// Finnish and Arabic tables translate every English key (plural forms may
// differ by language). Runs without a browser or a server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import vm from 'node:vm';

import { REPO } from '../integration/lib/harness.mjs';

const WEB = path.join(REPO, 'src/web');
const PLURAL = /\.(zero|one|two|few|many|other)$/;

function tables() {
  const out = {};
  const window = { Dragoman: { i18n: { add: (code, t) => { out[code] = t; } } } };
  for (const code of ['en', 'fi', 'ar']) {
    vm.runInNewContext(fs.readFileSync(path.join(WEB, `lib/strings-${code}.js`), 'utf8'), { window });
  }
  return out;
}

function sources(dir = WEB) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(js|html)$/.test(e.name) && !e.name.startsWith('strings-') ? [fs.readFileSync(p, 'utf8')] : [];
  });
}

// Keys built at run time from protocol words: each family with its members.
const DYNAMIC = {
  mod: ['phone', 'video', 'onsite', 'phone.hint', 'video.hint', 'onsite.hint'],
  state: ['searching', 'assigned', 'in_session', 'ended', 'cancelled', 'unfilled'],
  announce: ['searching', 'assigned', 'in_session', 'ended', 'cancelled', 'unfilled'],
  summary: ['searching', 'assigned', 'in_session', 'ended'],
  reason: ['nobody_online', 'all_declined', 'gender_unavailable', 'specialty_unavailable', 'modality_unavailable', 'all_busy'],
  todo: ['nobody_online', 'all_declined', 'gender_unavailable', 'specialty_unavailable', 'modality_unavailable', 'all_busy', 'other'],
  gender: ['any', 'undisclosed', 'female', 'male'],
  need: ['preferred', 'required', 'none'],
  spec: ['none', 'mental_health', 'paediatrics', 'maternity', 'social_care'],
  when: ['now', 'scheduled'],
  level: ['volunteer', 'trained', 'certified'],
  presence: ['available', 'away'],
  conn: ['connecting', 'online', 'offline', 'refused'],
  lang: ['ar', 'fa', 'prs', 'ps', 'uk', 'fr'],
  withdrawn: ['taken', 'cancelled', 'expired', 'unfilled', 'reassigned'],
  decline: ['busy', 'driving', 'modality', 'too_far'],
  alert: ['escalated', 'unfilled'],
  'board.col': ['searching', 'assigned', 'in_session', 'done'],
  err: ['offline', 'timeout', 'unavailable', 'conflict', 'internal'],
  role: ['clinic', 'interpreter', 'coordinator'],
  app: ['week', 'month'],
  dir: ['interpreters', 'clinics'],
  'status': ['phone_details', 'video_details', 'onsite_details'],
};

function usedKeys() {
  const keys = new Set();
  const patterns = [/\bt\(\s*'([a-z_]+\.[a-z_.]+)'/g, /\bt: '([a-z_]+\.[a-z_.]+)'/g, /data-t="([a-z_]+\.[a-z_.]+)"/g,
    /'(?:aria-label|placeholder|title)': '([a-z_]+\.[a-z_.]+)'/g, /\b(?:field|copyable)\('([a-z_]+\.[a-z_.]+)'/g];
  for (const text of sources()) {
    for (const re of patterns) for (const m of text.matchAll(re)) keys.add(m[1]);
    for (const m of text.matchAll(/\bplural\('([a-z_]+\.[a-z_.]+)'/g)) keys.add(`${m[1]}.other`);
  }
  for (const [family, members] of Object.entries(DYNAMIC)) for (const m of members) keys.add(`${family}.${m}`);
  for (const face of ['clinic', 'app', 'console']) keys.add(`${face}.title`);
  return keys;
}

test('every key the code uses is in the English table', () => {
  const { en } = tables();
  const missing = [...usedKeys()].filter((k) => en[k] === undefined).sort();
  assert.deepEqual(missing, []);
});

test('Finnish and Arabic translate every English key', () => {
  const t = tables();
  const base = (keys) => new Set(Object.keys(keys).map((k) => k.replace(PLURAL, '')));
  for (const code of ['fi', 'ar']) {
    const have = base(t[code]);
    const missing = [...base(t.en)].filter((k) => !have.has(k)).sort();
    assert.deepEqual(missing, [], `${code} lacks these keys`);
    const extra = [...have].filter((k) => !base(t.en).has(k)).sort();
    assert.deepEqual(extra, [], `${code} has keys English does not`);
    for (const [k, v] of Object.entries(t[code])) {
      const en = t.en[k] ?? t.en[k.replace(PLURAL, '.other')];
      const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      if (!PLURAL.test(k)) assert.deepEqual(placeholders(v), placeholders(en), `${code} ${k}: placeholders differ`);
    }
  }
});
