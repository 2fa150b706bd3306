-- A peer leaves its call. A hang-up (end, by the clinic or the interpreter)
-- ends a started session; so does a leave that takes away the interpreter or
-- the last other participant. A chat-only call (on site) ends nothing.
-- ARGV: request id, peer id, role, "end" or "", states END is allowed from,
-- heartbeat grace ms, report zone.
-- Returns {row of the peer, {rows of the others}, request hash when the session ended or {}, freed interpreter or ""}.
local rid, pid, role = ARGV[1], ARGV[2], ARGV[3]
local ph, err = call_peer(rid, pid)
if not ph then return err end
call_leave_peer(rid, pid)
local others = call_others(rid, pid)
local rk = P .. 'r:' .. rid
local rh = hgetall(rk)
local hangup = ARGV[4] == 'end' and (role == 'clinic' or role == 'interpreter')
if ph.call == 'none' or not allowed(ARGV[5], rh.state) or not (hangup or call_side_gone(rid)) then
  return {call_peer_row(pid, ph), others, {}, ''}
end
if hangup then
  session_end(rid, rh, role, 'hangup', tonumber(ARGV[6]), ARGV[7])
else
  session_end(rid, rh, 'call', 'ended', tonumber(ARGV[6]), ARGV[7])
end
return {call_peer_row(pid, ph), others, redis.call('HGETALL', rk), rh.interpreter}
