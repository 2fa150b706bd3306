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
    local gone = call_peer_gone(ph.request, pid, ph, false, 'call', 'dropped', ARGV[2], tonumber(ARGV[3]), ARGV[4])
    out[#out + 1] = {ph.request, call_peer_row(pid, ph), gone[1], gone[2], gone[3]}
  end
end
return out
