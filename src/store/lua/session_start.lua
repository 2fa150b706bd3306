-- Start of the session, by the clinic or the assigned interpreter. A script
-- of its own: session.lua carries the report helpers an end writes, which
-- Redis makes anew on every call (src/store/scripts.c), and a start needs
-- none of them. It reads only what it checks: a request's 40-odd fields
-- read into a Lua table and back cost more than the rest of the start
-- (bench/README.md, session 13).
-- ARGV: request id, actor role, actor id, allowed-from states.
-- Returns {request hash, "", 0}, as session.lua does.
local rid, role = ARGV[1], ARGV[2]
local rk = P .. 'r:' .. rid
local _, err = session_request(rid, hmget(rk, 'id', 'clinic', 'interpreter', 'state'), role, ARGV[3], ARGV[4])
if err then return err end
redis.call('HSET', rk, 'state', 'in_session', 'started_at', NOWS, 'started_by', role)
return {redis.call('HGETALL', rk), '', 0}
