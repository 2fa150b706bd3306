-- The interpreter gives back an accepted job before it starts: the request
-- goes back to matching at the front of its queue, and not to them again.
-- ARGV: request id, interpreter id, reason, states RELEASE is allowed from,
-- grace ms, escalate_after ms, unfilled_after ms.
-- Returns {request hash}.
local rid, iid, reason, from, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local esc, unf = tonumber(ARGV[6]), tonumber(ARGV[7])
local rk = P .. 'r:' .. rid
local rh = hgetall(rk)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
if rh.interpreter ~= iid then return fail('forbidden', 'request ' .. rid .. ' is not your job') end
if not allowed(from, rh.state) then return fail('conflict', 'request ' .. rid .. ' is ' .. rh.state) end
redis.call('HSET', rk, 'state', 'searching', 'release_reason', reason)
redis.call('HDEL', rk, 'interpreter', 'interp_name', 'accepted_at', 'offer')
redis.call('HINCRBY', rk, 'releases', 1)
redis.call('SADD', rk .. ':ex', iid)
redis.call('HDEL', P .. 'i:' .. iid, 'job')
call_close(rid, 'released')
free_sync(iid, grace)
queue_put(rid, rh.language, queue_score(rh, true))
if rh.matched then short_add(rid, rh.language) end
local due = tonumber(rh.queued_at or rh.created_at) + (rh.escalated == '1' and unf or esc)
redis.call('ZADD', P .. 'rt', math.max(due, NOW), rid)
return {redis.call('HGETALL', rk)}
