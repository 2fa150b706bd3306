-- Prelude of every Dragoman script: src/store/scripts.c puts the definitions
-- of the shared files (_*.lua) that a script uses before it. A shared file
-- holds only top-level "local" definitions, which is how scripts.c tells them
-- apart. Key layout: proto/redis-keys.md.
--
-- The invariant these helpers keep: an interpreter is in dm:free:<lang> for
-- each of its languages exactly when is_free() holds, scored by the time it was
-- last assigned, so the least recently assigned come first.
local P = 'dm:'
local T = redis.call('TIME')
local NOW = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)
-- NOW as Redis and the scripts' strings take it. A Lua number passed to
-- redis.call, or joined to a string, is printed with printf's %.17g or %.14g,
-- 2,000 to 5,000 instructions each time: printing took some 230,000 of
-- Redis's instructions a dispatch cycle (bench/README.md, session 13). The
-- milliseconds are the first three of the six digits of the microseconds.
local NOWS = T[1] .. string.sub('00000' .. T[2], -6, -4)

-- Key prefix of each registry kind (dm_registry_prefix in C says the same).
local KIND_PREFIX = {clinic = 'c:', interpreter = 'i:', coordinator = 'u:'}

local function fail(code, msg)
  return redis.error_reply(code .. ': ' .. msg)
end

local function split(s)
  local out = {}
  if not s or s == '' then return out end
  for part in string.gmatch(s, '[^,]+') do out[#out + 1] = part end
  return out
end

local function allowed(csv, state)
  for _, s in ipairs(split(csv)) do
    if s == state then return true end
  end
  return false
end

-- A hash as a table, and as Redis returned it (for a reply that needs it
-- unchanged: reading a request's 40 fields into Lua costs 4 us).
local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h, flat
end

-- The named fields of a hash as a table (absent ones nil), for a script that
-- reads a few: HGETALL of a request turns some 60 strings into Lua.
local function hmget(key, ...)
  local names, v, h = {...}, redis.call('HMGET', key, ...), {}
  for i = 1, #names do
    if v[i] then h[names[i]] = v[i] end
  end
  return h
end

-- A table as HGETALL returns a hash, for a script that has written its
-- changes into the table too (the order of fields differs, which no reader
-- relies on).
local function hflat(h)
  local flat = {}
  for k, v in pairs(h) do
    flat[#flat + 1] = k
    flat[#flat + 1] = v
  end
  return flat
end

-- Language codes of an interpreter: langs is "ar:certified,fa:trained".
local function langs_of(ih)
  local out = {}
  for _, pair in ipairs(split(ih.langs)) do
    out[#out + 1] = string.match(pair, '^([^:]+)')
  end
  return out
end

-- What matching ranks an interpreter by from the registry, tab-separated:
-- langs, gender, modalities, specialties, active. Kept for every interpreter
-- in the hash CREC (upsert.lua), of which each server holds a copy, so that
-- a match reads only its candidates' ids (candidates.lua). None of the fields
-- can hold a tab or a newline (proto/schema patterns).
-- CRECS counts the changes to CREC (n) and CRECV notes each interpreter with
-- the count of its last change, so that a server reads only what changed
-- since its copy. The count's epoch is when it began: a Redis emptied and
-- filled again counts from 0 under a new epoch, which tells a server that its
-- copy came from another.
local CREC, CRECS, CRECV = P .. 'crec', P .. 'crecs', P .. 'crecv'
local function crec_of(ih)
  return table.concat({ih.langs or '', ih.gender or '', ih.modalities or '', ih.specialties or '', ih.active or '0'},
    '\t')
end

-- Writes an interpreter's CREC entry from its hash when it changed, and returns it.
local function crec_sync(id)
  local r = crec_of(hgetall(P .. 'i:' .. id))
  if redis.call('HGET', CREC, id) == r then return r end
  redis.call('HSET', CREC, id, r)
  redis.call('HSETNX', CRECS, 'epoch', NOWS)
  redis.call('ZADD', CRECV, redis.call('HINCRBY', CRECS, 'n', 1), id)
  return r
end

-- An interpreter as work.lua sends it for matching (dm_view_candidate
-- parses it): id, the CREC fields, last_assigned, excluded.
local function candidate_record(iid, crec, last_assigned, excluded)
  return iid .. '\t' .. crec .. '\t' .. (last_assigned or '0') .. '\t' .. excluded
end

-- Reachable: heartbeats from an open app, or a phone that push can wake (push.lua).
-- ih needs the fields free_fields reads.
local function is_free(ih, grace)
  return ih.active == '1' and ih.status == 'available' and not ih.offer and not ih.job
    and (tonumber(ih.hb or '0') >= NOW - grace or ih.pushable == '1')
end

local function free_rem(id, ih)
  for _, lang in ipairs(langs_of(ih)) do redis.call('ZREM', P .. 'free:' .. lang, id) end
end

-- What is_free, free_rem and the free sets' score read of an interpreter.
local function free_fields(id)
  return hmget(P .. 'i:' .. id, 'active', 'status', 'offer', 'job', 'hb', 'pushable', 'langs', 'last_assigned')
end

-- Re-reads the interpreter and puts it in or out of its free sets.
local function free_sync(id, grace)
  local ih = free_fields(id)
  if not is_free(ih, grace) then
    free_rem(id, ih)
    return false
  end
  local score = ih.last_assigned or '0'
  for _, lang in ipairs(langs_of(ih)) do redis.call('ZADD', P .. 'free:' .. lang, score, id) end
  return true
end

-- The requests an interpreter coming free may be offered (work.lua), per
-- language with their queue score: those in their queue that have been
-- through a match and may be short of offers. A superset: a request is put
-- in whenever it may have come short (an offer of it closed, its match left
-- it short, it came back to its queue), and work.lua drops those it finds
-- full or no longer searching, so that it reads only these and not the whole
-- head of the queue, most of which holds its offers. The caller knows the
-- request is searching and has been matched.
local function short_add(rid, lang)
  local score = redis.call('ZSCORE', P .. 'q:' .. lang, rid)
  if score then redis.call('ZADD', P .. 'short:' .. lang, score, rid) end
end

-- Whether work.lua could find anything for an interpreter who just came free:
-- it reads only the short lists of the interpreter's languages, and they are
-- empty whenever nobody waits, which is most of the time. A script that frees
-- interpreters says which, so that the server asks work.lua only for those.
local function work_waits(iid)
  for _, lang in ipairs(langs_of({langs = redis.call('HGET', P .. 'i:' .. iid, 'langs')})) do
    if redis.call('EXISTS', P .. 'short:' .. lang) == 1 then return true end
  end
  return false
end

-- The same for a request whose hash the caller has not read.
local function short_sync(rid)
  local f = redis.call('HMGET', P .. 'r:' .. rid, 'state', 'language', 'matched')
  if f[1] == 'searching' and f[3] then short_add(rid, f[2]) end
end

-- Ends a pending offer (declined, expired or withdrawn) and frees its holder.
-- Returns the offer's request and interpreter, or nil when it was not pending.
local function offer_end(oid, state, reason, grace)
  local ok = P .. 'o:' .. oid
  local o = hmget(ok, 'state', 'request', 'interpreter')
  if o.state ~= 'pending' then return nil end
  redis.call('HSET', ok, 'state', state, 'decided_at', NOWS, 'reason', reason)
  redis.call('ZREM', P .. 'deadlines', oid)
  redis.call('SREM', P .. 'r:' .. o.request .. ':pending', oid)
  local ik = P .. 'i:' .. o.interpreter
  if redis.call('HGET', ik, 'offer') == oid then
    redis.call('HDEL', ik, 'offer')
    free_sync(o.interpreter, grace)
  end
  return o.request, o.interpreter
end

-- One offer of a request that stays in its queue, which may now be short of
-- offers. Returns the interpreter's id, or nil when the offer was not pending.
local function offer_close(oid, state, reason, grace)
  local rid, iid = offer_end(oid, state, reason, grace)
  if rid then short_sync(rid) end
  return iid
end

-- Withdraws every pending offer of a request that leaves its queue (taken,
-- cancelled, unfilled: the caller takes it out of the short list too, so it
-- is not looked up there per offer); returns {oid, iid, ...}.
local function withdraw_all(rid, reason, grace)
  local out = {}
  for _, oid in ipairs(redis.call('SMEMBERS', P .. 'r:' .. rid .. ':pending')) do
    local _, iid = offer_end(oid, 'withdrawn', reason, grace)
    if iid then
      out[#out + 1] = oid
      out[#out + 1] = iid
    end
  end
  return out
end

-- Queue order: urgent ("now") before scheduled, then oldest first; a released
-- request goes before both.
local function queue_score(rh, front)
  local created = tonumber(rh.created_at)
  if front then return created - 2e13 end
  if rh.urgency == 'now' then return created end
  return created + 2e13
end

-- A scheduled request is held until its offer_from time (see create.lua).
local function held(rh)
  return rh.offer_from ~= nil and tonumber(rh.offer_from) > NOW
end

-- Into a language's queue, where the clock looks for stalled requests too.
local function queue_put(rid, lang, score)
  redis.call('ZADD', P .. 'q:' .. lang, score, rid)
  redis.call('SADD', P .. 'qlangs', lang)
end

-- A request starts being offered: into its language's queue, with its
-- escalation clock starting now.
local function queue_add(rid, rh, esc)
  redis.call('HSET', P .. 'r:' .. rid, 'queued_at', NOWS)
  queue_put(rid, rh.language, queue_score(rh, false))
  redis.call('ZADD', P .. 'rt', string.format('%d', NOW + esc), rid)
end

-- A request leaves its queue and its escalation timer (taken or done).
local function queue_rem(rid, lang)
  redis.call('ZREM', P .. 'q:' .. lang, rid)
  redis.call('ZREM', P .. 'short:' .. lang, rid)
  redis.call('ZREM', P .. 'rt', rid)
end

-- A request leaves its queue, its timer and the open boards when it is done.
local function request_close(rid, rh)
  redis.call('ZREM', P .. 'sched', rid)
  queue_rem(rid, rh.language)
  redis.call('ZREM', P .. 'open', rid)
  redis.call('SREM', P .. 'copen:' .. rh.clinic, rid)
end
