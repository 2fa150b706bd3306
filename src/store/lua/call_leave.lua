-- A peer leaves its call. A hang-up (end, by the clinic or the interpreter)
-- ends a started session; so does a leave that takes away the interpreter or
-- the last other participant. A chat-only call (on site) ends nothing.
-- ARGV: request id, peer id, role, "end" or "", states END is allowed from,
-- heartbeat grace ms, report zone.
-- Returns {row of the peer, {rows of the others}, request hash when the session ended or {}, freed interpreter or ""}.
local rid, pid, role = ARGV[1], ARGV[2], ARGV[3]
local ph, err = call_peer(rid, pid)
if not ph then return err end
local hangup = ARGV[4] == 'end' and (role == 'clinic' or role == 'interpreter')
local gone = call_peer_gone(rid, pid, ph, hangup, hangup and role or 'call', hangup and 'hangup' or 'ended', ARGV[5],
  tonumber(ARGV[6]), ARGV[7])
return {call_peer_row(pid, ph), gone[1], gone[2], gone[3]}
