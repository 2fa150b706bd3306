-- A peer's media state, mic and camera (also its keepalive), or its
-- connection dropped. The session starts when the interpreter and another
-- participant both have their media connected.
-- ARGV: request id, peer id, media, audio 0/1, video 0/1, quality or "",
-- states START is allowed from, "drop" when the connection closed (only the
-- media becomes reconnecting, and the peer's last sign of life stays).
-- Returns {row of the peer, {rows of the others}, request hash when this started the session or {}}.
local rid, pid, media = ARGV[1], ARGV[2], ARGV[3]
local ph, err = call_peer(rid, pid)
if not ph then return err end
local pk = P .. 'cp:' .. pid
if ARGV[8] == 'drop' then
  redis.call('HSET', pk, 'media', 'reconnecting')
else
  redis.call('HSET', pk, 'media', media, 'audio', ARGV[4], 'video', ARGV[5], 'quality', ARGV[6])
  redis.call('ZADD', P .. 'callseen', NOWS, pid)
end
local started = {}
local rk = P .. 'r:' .. rid
if media == 'connected' and ph.call ~= 'none' and allowed(ARGV[7], redis.call('HGET', rk, 'state')) then
  local interp, other = false, false
  for _, p in ipairs(redis.call('SMEMBERS', P .. 'call:' .. rid)) do
    local h = redis.call('HMGET', P .. 'cp:' .. p, 'role', 'media')
    if h[2] == 'connected' then
      if h[1] == 'interpreter' then interp = true else other = true end
    end
  end
  if interp and other then
    redis.call('HSET', rk, 'state', 'in_session', 'started_at', NOWS, 'started_by', 'call')
    started = redis.call('HGETALL', rk)
  end
end
return {call_peer_row(pid, hgetall(pk)), call_others(rid, pid), started}
