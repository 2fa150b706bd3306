-- What a connection needs to show after (re)connecting.
-- ARGV: role, subject id, grace ms.
--  clinic:      {{request hash}...}: open requests and those closed in the last 24 h.
--  interpreter: {status, offer hash or {}, offered request hash or {}, job request hash or {},
--               {push on, quiet, modalities, {{device, "", "", "", label}...}} as push.lua gives them}.
--  coordinator: {{request hash}...}, {{id, name, langs, status, job, offer, fresh heartbeat 0/1}...}.
--  guest:       {id, language, modality, state} of the request whose call it was let into, or {}.
local role, subject, grace = ARGV[1], ARGV[2], tonumber(ARGV[3])
if role == 'guest' then
  local rid = redis.call('HGET', P .. 'g:' .. subject, 'request')
  if not rid then return {} end
  return redis.call('HMGET', P .. 'r:' .. rid, 'id', 'language', 'modality', 'state')
end
if role == 'interpreter' then
  local ih = hgetall(P .. 'i:' .. subject)
  local offer, offreq, job = {}, {}, {}
  if ih.offer then
    offer = redis.call('HGETALL', P .. 'o:' .. ih.offer)
    offreq = redis.call('HGETALL', P .. 'r:' .. redis.call('HGET', P .. 'o:' .. ih.offer, 'request'))
  end
  if ih.job then job = redis.call('HGETALL', P .. 'r:' .. ih.job) end
  local devices = {}
  local flat = redis.call('HGETALL', P .. 'i:' .. subject .. ':push')
  for i = 1, #flat, 2 do
    devices[#devices + 1] = {flat[i], '', '', '', string.match(flat[i + 1], '([^\t]*)$') or ''}
  end
  return {ih.status or 'away', offer, offreq, job, {ih.push_on or '1', ih.push_quiet or '', ih.push_modalities or '', devices}}
end
local reqs = {}
local ids
if role == 'clinic' then
  ids = redis.call('SMEMBERS', P .. 'copen:' .. subject)
  local seen = {}
  for _, id in ipairs(ids) do seen[id] = true end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'cr:' .. subject, NOW - 86400000, '+inf', 'LIMIT', 0, 200)) do
    if not seen[id] then ids[#ids + 1] = id end
  end
else
  ids = redis.call('ZRANGE', P .. 'open', 0, 999)
end
for _, id in ipairs(ids) do reqs[#reqs + 1] = redis.call('HGETALL', P .. 'r:' .. id) end
if role == 'clinic' then return reqs end
local online = {}
for _, iid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'hb', NOW - grace, '+inf', 'LIMIT', 0, 5000)) do
  local h = redis.call('HMGET', P .. 'i:' .. iid, 'name', 'langs', 'status', 'job', 'offer')
  online[#online + 1] = {iid, h[1] or '', h[2] or '', h[3] or 'away', h[4] or '', h[5] or ''}
end
return {reqs, online}
