-- An interpreter's presence: "available" or "away" as they chose, or "hb" for a
-- heartbeat that keeps an available interpreter offerable.
-- ARGV: interpreter id, action, grace ms, report zone.
-- Returns {status, 1 when this made them free (they may be offered work now) else 0,
--          name, langs, job or "", offer or ""} (the last four for the coordinators' board).
local iid, action, grace = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ik = P .. 'i:' .. iid
local before = hgetall(ik)
if not before.name then return fail('not_found', 'no interpreter ' .. iid) end
if action == 'hb' then
  redis.call('HSET', ik, 'hb', NOW)
else
  redis.call('HSET', ik, 'status', action, 'hb', NOW)
end
local status = redis.call('HGET', ik, 'status') or 'away'
if status == 'available' then
  redis.call('ZADD', P .. 'hb', NOW, iid)
else
  redis.call('ZREM', P .. 'hb', iid)
end
local now_free = free_sync(iid, grace)
rep_presence(iid, before, grace, rep_zone(ARGV[4]))
local h = redis.call('HMGET', ik, 'name', 'langs', 'job', 'offer')
return {status, (now_free and not is_free(before, grace)) and 1 or 0, h[1], h[2] or '', h[3] or '', h[4] or ''}
