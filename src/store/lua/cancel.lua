-- A clinic (its own requests) or a coordinator cancels a request.
-- ARGV: request id, actor role, actor id, reason, states CANCEL is allowed from, grace ms,
-- report zone.
-- Returns {request hash, {withdrawn offer id, interpreter id, ...}, freed interpreter or ""}.
local rid, role, actor, reason, from, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local rk = P .. 'r:' .. rid
local rh = hgetall(rk)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
if role == 'clinic' and rh.clinic ~= actor then return fail('forbidden', 'request ' .. rid .. ' is not yours') end
if not allowed(from, rh.state) then return fail('conflict', 'request ' .. rid .. ' is ' .. rh.state) end
local withdrawn = withdraw_all(rid, 'cancelled', grace)
local freed = ''
if rh.state == 'assigned' and rh.interpreter then
  redis.call('HDEL', P .. 'i:' .. rh.interpreter, 'job')
  free_sync(rh.interpreter, grace)
  freed = rh.interpreter
end
redis.call('HSET', rk, 'state', 'cancelled', 'cancelled_by', role .. ':' .. actor, 'cancel_stage', rh.state,
  'reason', reason, 'closed_at', NOWS)
request_close(rid, rh)
call_close(rid, 'cancelled')
rep_closed(rid, rep_zone(ARGV[7]))
return {redis.call('HGETALL', rk), withdrawn, freed}
