-- A clinic creates a request, at most once per idempotency key. A scheduled
-- request is held until scheduled_lead before its start, so nobody is tied
-- up by tomorrow's appointment today; the clock (tick.lua) releases it.
-- A new request that is offered now gets its first match's reading too, as
-- candidates.lua would give it: a dispatch then waits for two round trips
-- to Redis instead of three.
-- ARGV: clinic, idempotency key, escalate_after ms, scheduled_lead ms, how
-- many free interpreters to read for the first match (0: none), the CREC
-- version of the caller's copy (see crec_changes in _scan.lua), then
-- field/value pairs of the spec.
-- Returns {1 when new else 0, request hash}, followed for a new request
-- offered now by 0 (its pending offers) and match_read's ids, excluded,
-- version and changes: from the hash on, candidates.lua's reply.
local clinic, idem, esc, lead = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local scan, known = tonumber(ARGV[5]), ARGV[6]
local ch = redis.call('HMGET', P .. 'c:' .. clinic, 'name', 'active', 'contact', 'address')
if not ch[1] then return fail('not_found', 'no clinic ' .. clinic) end
if ch[2] == '0' then return fail('forbidden', 'clinic ' .. clinic .. ' is deactivated') end
local ikey = P .. 'idem:' .. clinic .. ':' .. idem
local existing = redis.call('GET', ikey)
if existing then return {0, redis.call('HGETALL', P .. 'r:' .. existing)} end
local seq = redis.call('INCR', P .. 'seq')
-- The first request of a database: none closed before the report indexes
-- existed, so they are complete, and report_rebuild.lua need not walk every
-- key (at a new server's start, seconds of 0.3 ms calls).
if seq == 1 then redis.call('SET', RP .. 'v', REP_VERSION) end
local rid = 'r' .. seq
local key = P .. 'r:' .. rid
redis.call('HSET', key, 'id', rid, 'clinic', clinic, 'clinic_name', ch[1], 'state', 'searching',
  'created_at', NOWS, 'asked', '0', 'escalated', '0', 'idem', idem, 'clinic_contact', ch[3] or '',
  'clinic_address', ch[4] or '')
if #ARGV >= 8 then redis.call('HSET', key, unpack(ARGV, 7)) end
redis.call('SET', ikey, rid, 'EX', 30 * 86400)
local rh = hmget(key, 'urgency', 'start_at', 'created_at', 'language')
local offer_from = rh.urgency == 'scheduled' and tonumber(rh.start_at) - lead or NOW
local later = offer_from > NOW
if later then
  redis.call('HSET', key, 'offer_from', offer_from)
  redis.call('ZADD', P .. 'sched', offer_from, rid)
else
  queue_add(rid, rh, esc)
end
redis.call('ZADD', P .. 'open', NOWS, rid)
redis.call('SADD', P .. 'copen:' .. clinic, rid)
redis.call('ZADD', P .. 'cr:' .. clinic, NOWS, rid)
local flat = redis.call('HGETALL', key)
if later or scan == 0 then return {1, flat} end
return {1, flat, 0, unpack(match_read(rid, rh.language, scan, known))}
