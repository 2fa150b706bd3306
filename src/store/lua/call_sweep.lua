-- Peers gone longer than the call grace (dropped connection, no keepalive)
-- leave their calls; a started call that so loses its interpreter or every
-- other participant ends its session.
-- ARGV: call grace ms, states END is allowed from, heartbeat grace ms, report zone, most peers per run.
-- Returns {{request id, row of the peer, {rows of the others}, request hash when ended or {}, freed or ""}...}.
local out = {}
local gone = redis.call('ZRANGEBYSCORE', P .. 'callseen', '-inf', NOW - tonumber(ARGV[1]), 'LIMIT', 0, tonumber(ARGV[5]))
for _, pid in ipairs(gone) do
  local ph = hgetall(P .. 'cp:' .. pid)
  redis.call('ZREM', P .. 'callseen', pid)
  if ph.request then
    local rid = ph.request
    call_leave_peer(rid, pid)
    local others, ended, freed = call_others(rid, pid), {}, ''
    local rk = P .. 'r:' .. rid
    local rh = hgetall(rk)
    if ph.call ~= 'none' and allowed(ARGV[2], rh.state) and call_side_gone(rid) then
      session_end(rid, rh, 'call', 'dropped', tonumber(ARGV[3]), ARGV[4])
      ended, freed = redis.call('HGETALL', rk), rh.interpreter
    end
    out[#out + 1] = {rid, call_peer_row(pid, ph), others, ended, freed}
  end
end
return out
