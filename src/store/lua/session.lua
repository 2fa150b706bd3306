-- Start or end of the session, by the clinic or the assigned interpreter. The
-- end is written once: a request that is already ended is a conflict, so a
-- session record is never counted twice.
-- ARGV: request id, actor role, actor id, "start" | "end", allowed-from states, grace ms,
-- report zone (see _report.lua).
-- Returns {request hash, freed interpreter or "", 1 when work may wait for
-- them (work_waits) else 0}.
local rid, role, actor, action, from, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local rk = P .. 'r:' .. rid
local rh = hgetall(rk)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
if role == 'clinic' and rh.clinic ~= actor then return fail('forbidden', 'request ' .. rid .. ' is not yours') end
if role == 'interpreter' and rh.interpreter ~= actor then
  return fail('forbidden', 'request ' .. rid .. ' is not your job')
end
if not allowed(from, rh.state) then return fail('conflict', 'request ' .. rid .. ' is ' .. rh.state) end
if action == 'start' then
  redis.call('HSET', rk, 'state', 'in_session', 'started_at', NOWS, 'started_by', role)
  rh.state, rh.started_at, rh.started_by = 'in_session', NOWS, role
  return {hflat(rh), '', 0}
end
-- session_end writes every change it makes to rh as well.
session_end(rid, rh, role, 'ended', grace, ARGV[7])
return {hflat(rh), rh.interpreter, work_waits(rh.interpreter) and 1 or 0}
