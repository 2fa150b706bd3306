-- A clinic creates a request, at most once per idempotency key. A scheduled
-- request is held until scheduled_lead before its start, so nobody is tied
-- up by tomorrow's appointment today; the clock (tick.lua) releases it.
-- ARGV: clinic, idempotency key, escalate_after ms, scheduled_lead ms, then
-- field/value pairs of the spec.
-- Returns {1 when new else 0, request hash}.
local clinic, idem, esc, lead = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local ch = redis.call('HMGET', P .. 'c:' .. clinic, 'name', 'active', 'contact', 'address')
if not ch[1] then return fail('not_found', 'no clinic ' .. clinic) end
if ch[2] == '0' then return fail('forbidden', 'clinic ' .. clinic .. ' is deactivated') end
local ikey = P .. 'idem:' .. clinic .. ':' .. idem
local existing = redis.call('GET', ikey)
if existing then return {0, redis.call('HGETALL', P .. 'r:' .. existing)} end
local rid = 'r' .. redis.call('INCR', P .. 'seq')
local key = P .. 'r:' .. rid
redis.call('HSET', key, 'id', rid, 'clinic', clinic, 'clinic_name', ch[1], 'state', 'searching',
  'created_at', NOW, 'asked', 0, 'escalated', 0, 'idem', idem, 'clinic_contact', ch[3] or '',
  'clinic_address', ch[4] or '')
if #ARGV >= 6 then redis.call('HSET', key, unpack(ARGV, 5)) end
redis.call('SET', ikey, rid, 'EX', 30 * 86400)
local rh = hmget(key, 'urgency', 'start_at', 'created_at', 'language')
local offer_from = rh.urgency == 'scheduled' and tonumber(rh.start_at) - lead or NOW
if offer_from > NOW then
  redis.call('HSET', key, 'offer_from', offer_from)
  redis.call('ZADD', P .. 'sched', offer_from, rid)
else
  queue_add(rid, rh, esc)
end
redis.call('ZADD', P .. 'open', NOW, rid)
redis.call('SADD', P .. 'copen:' .. clinic, rid)
redis.call('ZADD', P .. 'cr:' .. clinic, NOW, rid)
return {1, redis.call('HGETALL', key)}
