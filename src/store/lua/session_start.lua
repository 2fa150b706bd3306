-- Start of the session, by the clinic or the assigned interpreter. A script
-- of its own: session.lua carries the report helpers an end writes, which
-- Redis makes anew on every call (src/store/scripts.c), and a start needs
-- none of them (bench/README.md, session 13).
-- ARGV: request id, actor role, actor id, allowed-from states.
-- Returns {request hash, "", 0}, as session.lua does.
local rid, role = ARGV[1], ARGV[2]
local rh, err = session_request(rid, role, ARGV[3], ARGV[4])
if not rh then return err end
redis.call('HSET', P .. 'r:' .. rid, 'state', 'in_session', 'started_at', NOWS, 'started_by', role)
rh.state, rh.started_at, rh.started_by = 'in_session', NOWS, role
return {hflat(rh), '', 0}
