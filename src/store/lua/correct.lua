-- A coordinator corrects an ended session's times. The first original times
-- stay in orig_started_at/orig_ended_at, and every correction is appended to
-- the request's audit list, so reports can show "corrected" and why.
-- ARGV: request id, coordinator id, started_at, ended_at, reason, report zone.
-- Returns {request hash}.
local rid, coord, started, ended, reason = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local rk = P .. 'r:' .. rid
local rh = hgetall(rk)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
if rh.state ~= 'ended' then return fail('conflict', 'request ' .. rid .. ' is ' .. rh.state .. ', not ended') end
if ended <= started then return fail('bad_message', 'ended_at: must be after started_at') end
if ended > NOW then return fail('bad_message', 'ended_at: must not be in the future') end
redis.call('HSETNX', rk, 'orig_started_at', rh.started_at)
redis.call('HSETNX', rk, 'orig_ended_at', rh.ended_at)
redis.call('HSET', rk, 'started_at', started, 'ended_at', ended, 'corrected', 1)
redis.call('RPUSH', rk .. ':audit', cjson.encode({at = NOW, by = coord, reason = reason,
  from = {started_at = tonumber(rh.started_at), ended_at = tonumber(rh.ended_at)},
  to = {started_at = started, ended_at = ended}}))
redis.call('ZADD', P .. 'done', ended, rid)
redis.call('ZADD', P .. 'idone:' .. rh.interpreter, ended, rid)
rep_session_corrected(rid, rh, rep_zone(ARGV[6]))
return {redis.call('HGETALL', rk)}
