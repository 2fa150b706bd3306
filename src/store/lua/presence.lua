-- An interpreter's presence: "available" or "away" as they chose, or "hb" for a
-- heartbeat that keeps an available interpreter offerable.
-- ARGV: interpreter id, action, grace ms, report zone.
-- Returns {status, 1 when this made them free (they may be offered work now) else 0,
--          name, langs, job or "", offer or ""} (the last four for the coordinators' board).
-- Every available interpreter's phone sends a heartbeat every 20 s or so, the
-- bulk of an idle day's work for Redis: one that leaves its interpreter free
-- changes nothing matching reads, so it leaves the free sets alone, and the
-- reply's fields (which nothing here changes) come from the hash read first.
local iid, action, grace = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ik = P .. 'i:' .. iid
local before = hgetall(ik)
if not before.name then return fail('not_found', 'no interpreter ' .. iid) end
local status, was_free = before.status or 'away', is_free(before, grace)
if action == 'hb' then
  redis.call('HSET', ik, 'hb', NOWS)
else
  redis.call('HSET', ik, 'status', action, 'hb', NOWS)
  status = action
end
if status == 'available' then
  redis.call('ZADD', P .. 'hb', NOWS, iid)
else
  redis.call('ZREM', P .. 'hb', iid)
end
local now_free = (action == 'hb' and was_free) or free_sync(iid, grace)
rep_presence(iid, before, grace, rep_zone(ARGV[4]))
return {status, (now_free and not was_free) and 1 or 0, before.name, before.langs or '', before.job or '',
  before.offer or ''}
