-- Sessions and their calls (proto/README.md "Calls"; keys in
-- proto/redis-keys.md). Shared by session_start.lua, session.lua, cancel.lua,
-- release.lua, assign.lua and the call_*.lua scripts.

-- Whether the actor (the clinic or the assigned interpreter) may start or
-- end the session of the request rh (its id, clinic, interpreter and state
-- at least) from the states in from: rh, or nil and an error.
local function session_request(rid, rh, role, actor, from)
  if not rh.id then return nil, fail('not_found', 'no request ' .. rid) end
  if role == 'clinic' and rh.clinic ~= actor then return nil, fail('forbidden', 'request ' .. rid .. ' is not yours') end
  if role == 'interpreter' and rh.interpreter ~= actor then
    return nil, fail('forbidden', 'request ' .. rid .. ' is not your job')
  end
  if not allowed(from, rh.state) then return nil, fail('conflict', 'request ' .. rid .. ' is ' .. rh.state) end
  return rh
end

-- A peer is told its call is over through the event channel, as "lua TAB
-- !call TAB PEER-TARGET TAB REQUEST TAB REASON": the server holding that
-- connection tells it (server.c). No server is named "lua", so all listen.
-- Also ends the call's guest links.
local function call_close(rid, reason)
  local ck = P .. 'call:' .. rid
  for _, pid in ipairs(redis.call('SMEMBERS', ck)) do
    local at = redis.call('HGET', P .. 'cp:' .. pid, 'at')
    if at then redis.call('PUBLISH', P .. 'events', 'lua\t!call\t' .. at .. '\t' .. rid .. '\t' .. reason) end
    redis.call('DEL', P .. 'cp:' .. pid)
    redis.call('ZREM', P .. 'callseen', pid)
  end
  redis.call('DEL', ck)
  local gk = P .. 'r:' .. rid .. ':guests'
  for _, key in ipairs(redis.call('SMEMBERS', gk)) do redis.call('DEL', key) end
  redis.call('DEL', gk)
end

-- The service-hour record: ends an in-session request, frees its interpreter
-- and closes its call. by is who ended it, why what its call's peers are told.
local function session_end(rid, rh, by, why, grace, zone)
  local rk = P .. 'r:' .. rid
  redis.call('HSET', rk, 'state', 'ended', 'ended_at', NOWS, 'ended_by', by, 'closed_at', NOWS)
  rh.state, rh.ended_at, rh.ended_by, rh.closed_at = 'ended', NOWS, by, NOWS
  redis.call('HDEL', P .. 'i:' .. rh.interpreter, 'job')
  free_sync(rh.interpreter, grace)
  request_close(rid, rh)
  redis.call('ZADD', P .. 'done', NOWS, rid)
  redis.call('ZADD', P .. 'idone:' .. rh.interpreter, NOWS, rid)
  rep_session_ended(rid, rep_zone(zone), rh)
  call_close(rid, why)
end

-- The request whose call the actor may take part in, or nil and an error.
-- states: where a call exists (assigned, in_session).
local function call_request(rid, role, subject, states)
  local rh = hgetall(P .. 'r:' .. rid)
  if not rh.id then return nil, fail('not_found', 'no request ' .. rid) end
  local part = (role == 'clinic' and rh.clinic == subject) or (role == 'interpreter' and rh.interpreter == subject)
    or (role == 'guest' and redis.call('HGET', P .. 'g:' .. subject, 'request') == rid)
  if not part then return nil, fail('forbidden', 'you take no part in the call of request ' .. rid) end
  if not allowed(states, rh.state) then
    return nil, fail('conflict', 'request ' .. rid .. ' is ' .. rh.state .. ' and has no call')
  end
  return rh
end

-- A peer of the request's call, or nil and an error: a peer that left, was
-- dropped or whose call ended no longer exists.
local function call_peer(rid, pid)
  local ph = hgetall(P .. 'cp:' .. pid)
  if ph.request ~= rid then return nil, fail('conflict', 'you are not in the call of request ' .. rid .. '; join it') end
  return ph
end

-- {peer, role, name, media, audio, video, quality, at} of a peer, as the
-- call_*.lua scripts return peers.
local function call_peer_row(pid, ph)
  return {pid, ph.role, ph.name, ph.media, ph.audio, ph.video, ph.quality or '', ph.at}
end

-- Rows of the call's peers other than except.
local function call_others(rid, except)
  local rows = {}
  for _, pid in ipairs(redis.call('SMEMBERS', P .. 'call:' .. rid)) do
    if pid ~= except then rows[#rows + 1] = call_peer_row(pid, hgetall(P .. 'cp:' .. pid)) end
  end
  return rows
end

local function call_leave_peer(rid, pid)
  redis.call('DEL', P .. 'cp:' .. pid)
  redis.call('SREM', P .. 'call:' .. rid, pid)
  redis.call('ZREM', P .. 'callseen', pid)
end

-- Whether a started call lost a side: its interpreter, or everyone else.
local function call_side_gone(rid)
  local interp, other = false, false
  for _, pid in ipairs(redis.call('SMEMBERS', P .. 'call:' .. rid)) do
    if redis.call('HGET', P .. 'cp:' .. pid, 'role') == 'interpreter' then interp = true else other = true end
  end
  return not (interp and other)
end

-- A peer (ph, already read) leaves. A started media call ends its session when
-- this was a hang-up or left it without its interpreter or anyone else; a
-- chat-only call (on site) ends nothing. by and why say who ended it and
-- what the peers are told. Returns {rows of the other peers, request hash
-- when the session ended or {}, freed interpreter or ""}.
local function call_peer_gone(rid, pid, ph, hangup, by, why, end_states, grace, zone)
  call_leave_peer(rid, pid)
  local others = call_others(rid, pid)
  local rk = P .. 'r:' .. rid
  local rh = hgetall(rk)
  if ph.call == 'none' or not allowed(end_states, rh.state) or not (hangup or call_side_gone(rid)) then
    return {others, {}, ''}
  end
  session_end(rid, rh, by, why, grace, zone)
  return {others, redis.call('HGETALL', rk), rh.interpreter}
end
