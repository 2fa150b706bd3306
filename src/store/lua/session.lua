-- End of the session, by the clinic or the assigned interpreter. The end is
-- written once: a request that is already ended is a conflict, so a session
-- record is never counted twice.
-- ARGV: request id, actor role, actor id, allowed-from states, grace ms,
-- report zone (see _report.lua).
-- Returns {request hash, freed interpreter, 1 when work may wait for them
-- (work_waits) else 0}.
local rid, role, actor, from, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local rh, err = session_request(rid, hgetall(P .. 'r:' .. rid), role, actor, from)
if not rh then return err end
-- session_end writes every change it makes to rh as well.
session_end(rid, rh, role, 'ended', grace, ARGV[6])
return {hflat(rh), rh.interpreter, work_waits(rh.interpreter) and 1 or 0}
