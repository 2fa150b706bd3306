-- A participant of a request joins its call as a new peer (proto/README.md "Calls").
-- ARGV: request id, role, subject id, name, the connection's delivery target
-- ("k:INSTANCE:CONN"), the new peer id, the connection's previous peer id or ""
-- (it leaves its call), states a call exists in, most peers in one call.
-- A dropped peer of the same participant (media reconnecting) is replaced at
-- once: the phone on the bus is back.
-- Returns {media (video, audio or none), {row of each other peer}, {chat entry JSON...}, left, own row,
-- {rows of the replaced peers}} where
-- a row is {peer, role, name, media, audio, video, quality, target} and left is
-- {} or {request, row of the previous peer, {rows of the peers it left}}.
local rid, role, subject, name, at, pid, old, states = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6],
  ARGV[7], ARGV[8]
local rh, err = call_request(rid, role, subject, states)
if not rh then return err end
local ck = P .. 'call:' .. rid
local left = {}
if old ~= '' then
  local oh = hgetall(P .. 'cp:' .. old)
  if oh.request then
    call_leave_peer(oh.request, old)
    left = {oh.request, call_peer_row(old, oh), call_others(oh.request, old)}
  end
end
local replaced = {}
for _, p in ipairs(redis.call('SMEMBERS', ck)) do
  local h = hgetall(P .. 'cp:' .. p)
  if h.role == role and h.subject == subject and h.media == 'reconnecting' then
    replaced[#replaced + 1] = call_peer_row(p, h)
    call_leave_peer(rid, p)
  end
end
if redis.call('SCARD', ck) >= tonumber(ARGV[9]) then
  return fail('conflict', 'the call of request ' .. rid .. ' is full')
end
local media = ({video = 'video', phone = 'audio'})[rh.modality] or 'none'
redis.call('HSET', P .. 'cp:' .. pid, 'request', rid, 'role', role, 'subject', subject, 'name', name, 'at', at,
  'call', media, 'media', 'connecting', 'audio', '0', 'video', '0', 'joined_at', NOWS)
redis.call('SADD', ck, pid)
redis.call('ZADD', P .. 'callseen', NOWS, pid)
return {media, call_others(rid, pid), redis.call('LRANGE', P .. 'r:' .. rid .. ':chat', 0, -1), left,
  call_peer_row(pid, hgetall(P .. 'cp:' .. pid)), replaced}
