// Dispatch invariants read straight from Redis (key layout: the dm:* keys the
// Lua scripts in src/store/lua write). Whatever the clients saw, these must
// hold after every test: one job per interpreter, one interpreter per request,
// and offers, jobs and free sets agreeing with each other.
import assert from 'node:assert/strict';

const OPEN = new Set(['assigned', 'in_session']);

// Reads every dm:* hash, set and sorted set in one Lua script, so the picture
// is of one moment even while the server is still matching.
const DUMP = `
local out = {}
for _, k in ipairs(redis.call('KEYS', 'dm:*')) do
  local t = redis.call('TYPE', k).ok
  if t == 'hash' then out[#out + 1] = {k, redis.call('HGETALL', k)}
  elseif t == 'set' then out[#out + 1] = {k, redis.call('SMEMBERS', k)}
  elseif t == 'zset' then out[#out + 1] = {k, redis.call('ZRANGE', k, 0, -1)}
  end
end
return out`;

function hash(flat) {
  const o = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]] = flat[i + 1];
  return o;
}

// Every interpreter, request and offer hash, by id, plus each request's
// pending set, the free sets and the registry fields matching reads (crec).
export async function readState(redis) {
  const state = { interpreters: {}, requests: {}, offers: {}, pending: {}, free: {}, crec: {}, queue: {}, short: {} };
  for (const [key, value] of await redis.cmd('EVAL', DUMP, 0)) {
    let m;
    if ((m = /^dm:i:([^:]+)$/.exec(key))) state.interpreters[m[1]] = hash(value);
    else if ((m = /^dm:r:([^:]+)$/.exec(key))) state.requests[m[1]] = hash(value);
    else if ((m = /^dm:o:([^:]+)$/.exec(key))) state.offers[m[1]] = hash(value);
    else if ((m = /^dm:r:([^:]+):pending$/.exec(key))) state.pending[m[1]] = value.sort();
    else if ((m = /^dm:free:([^:]+)$/.exec(key))) state.free[m[1]] = value;
    else if ((m = /^dm:q:([^:]+)$/.exec(key))) state.queue[m[1]] = value;
    else if ((m = /^dm:short:([^:]+)$/.exec(key))) state.short[m[1]] = value;
    else if (key === 'dm:crec') state.crec = hash(value);
  }
  return state;
}

// Returns the list of violated invariants (empty when all hold).
export function violations(state) {
  const out = [];
  const { interpreters: I, requests: R, offers: O, pending: P, free: F, crec: C, queue: Q, short: S } = state;
  const jobHolders = {};
  for (const [iid, ih] of Object.entries(I)) {
    if (ih.job) {
      const r = R[ih.job];
      if (jobHolders[ih.job]) out.push(`request ${ih.job} is the job of both ${jobHolders[ih.job]} and ${iid}`);
      jobHolders[ih.job] = iid;
      if (!r) out.push(`${iid} holds job ${ih.job}, which does not exist`);
      else if (!OPEN.has(r.state)) out.push(`${iid} holds job ${ih.job}, which is ${r.state}`);
      else if (r.interpreter !== iid) out.push(`${iid} holds job ${ih.job}, whose interpreter is ${r.interpreter}`);
    }
    if (ih.job && ih.offer) out.push(`${iid} holds both job ${ih.job} and offer ${ih.offer}`);
    if (ih.offer) {
      const o = O[ih.offer];
      if (!o || o.state !== 'pending' || o.interpreter !== iid) {
        out.push(`${iid} holds offer ${ih.offer}, which is ${o ? `${o.state} for ${o.interpreter}` : 'missing'}`);
      }
    }
  }
  const accepted = {};
  for (const [oid, o] of Object.entries(O)) {
    if (o.state === 'accepted') (accepted[o.request] ||= []).push(oid);
    if (o.state === 'pending') {
      const r = R[o.request];
      if (!r || r.state !== 'searching') out.push(`offer ${oid} is pending for request ${o.request}, which is ${r ? r.state : 'missing'}`);
      if (I[o.interpreter]?.offer !== oid) out.push(`offer ${oid} is pending but ${o.interpreter} holds offer ${I[o.interpreter]?.offer}`);
      if (!(P[o.request] || []).includes(oid)) out.push(`offer ${oid} is pending but not in dm:r:${o.request}:pending`);
    }
  }
  for (const [rid, r] of Object.entries(R)) {
    if (OPEN.has(r.state)) {
      if (!r.interpreter) out.push(`request ${rid} is ${r.state} without an interpreter`);
      else if (I[r.interpreter]?.job !== rid) out.push(`request ${rid} is ${r.state} with ${r.interpreter}, whose job is ${I[r.interpreter]?.job}`);
    }
    if (r.state === 'searching' && r.interpreter) out.push(`request ${rid} is searching but names interpreter ${r.interpreter}`);
    if (r.state !== 'searching' && (P[rid] || []).length) out.push(`request ${rid} is ${r.state} with pending offers ${P[rid]}`);
    for (const oid of P[rid] || []) {
      if (O[oid]?.state !== 'pending' || O[oid]?.request !== rid) out.push(`dm:r:${rid}:pending holds ${oid}, which is ${O[oid]?.state}`);
    }
    // A released request was accepted once per release, plus the current one.
    const acc = accepted[rid] || [];
    if (acc.length > 1 + Number(r.releases || 0)) out.push(`request ${rid} has ${acc.length} accepted offers: ${acc}`);
    // A request a coordinator assigned by hand was not won through an offer.
    if (OPEN.has(r.state) && r.offer && !r.assigned_by && !(O[r.offer]?.state === 'accepted' && O[r.offer]?.interpreter === r.interpreter)) {
      out.push(`request ${rid} names offer ${r.offer} (${O[r.offer]?.state} by ${O[r.offer]?.interpreter}) but is held by ${r.interpreter}`);
    }
  }
  // An interpreter coming free looks only at the short lists (short_add in
  // _prelude.lua): a queued request that has been matched and holds no offer
  // at all must be there, whatever the fan-out.
  for (const [lang, rids] of Object.entries(Q)) {
    for (const rid of rids) {
      const r = R[rid] || {};
      if (r.state === 'searching' && r.matched && !(P[rid] || []).length && !(S[lang] || []).includes(rid)) {
        out.push(`request ${rid} is queued, matched and has no offer, but is not in dm:short:${lang}`);
      }
    }
  }
  // What matching ranks by is a copy of the registry (written before it
  // existed: absent until first read), never a stale one.
  for (const [iid, rec] of Object.entries(C)) {
    const ih = I[iid] || {};
    const want = [ih.langs, ih.gender, ih.modalities, ih.specialties, ih.active ?? '0'].map((v) => v ?? '').join('\t');
    if (rec !== want) out.push(`dm:crec has ${JSON.stringify(rec)} for ${iid}, whose registry says ${JSON.stringify(want)}`);
  }
  for (const [lang, ids] of Object.entries(F)) {
    for (const iid of ids) {
      const ih = I[iid] || {};
      if (ih.job || ih.offer || ih.status !== 'available' || ih.active !== '1') {
        out.push(`${iid} is in dm:free:${lang} but has job=${ih.job} offer=${ih.offer} status=${ih.status} active=${ih.active}`);
      }
    }
  }
  return out;
}

export async function assertInvariants(redis) {
  const v = violations(await readState(redis));
  assert.deepEqual(v, [], `dispatch invariants broken:\n${v.join('\n')}`);
}
