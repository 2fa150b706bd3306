-- An interpreter accepts an offer: the first accept wins, the request's other
-- pending offers are withdrawn in the same step.
-- ARGV: offer id, interpreter id, states ACCEPT is allowed from, heartbeat grace ms, report zone,
-- minutes to arrival for an on-site job (0: not given).
-- Returns {request hash, {withdrawn offer id, interpreter id, ...}, {those
-- interpreters work may wait for (work_waits)}}.
local oid, iid, from, grace = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local ok = P .. 'o:' .. oid
local o = hmget(ok, 'id', 'interpreter', 'state', 'request')
if not o.id then return fail('not_found', 'no offer ' .. oid) end
if o.interpreter ~= iid then return fail('forbidden', 'offer ' .. oid .. ' is not yours') end
if o.state ~= 'pending' then return fail('conflict', 'offer ' .. oid .. ' is ' .. o.state) end
local rid = o.request
local rk = P .. 'r:' .. rid
local rh = hmget(rk, 'state', 'modality', 'language')
if not allowed(from, rh.state) then return fail('conflict', 'request ' .. rid .. ' is ' .. rh.state) end
local eta = tonumber(ARGV[6])
if eta > 0 and rh.modality ~= 'onsite' then
  return fail('conflict', 'request ' .. rid .. ' is ' .. rh.modality .. ': eta_min is for on-site jobs')
end
redis.call('HSET', ok, 'state', 'accepted', 'decided_at', NOWS)
redis.call('ZREM', P .. 'deadlines', oid)
redis.call('SREM', rk .. ':pending', oid)
local ik = P .. 'i:' .. iid
redis.call('HDEL', ik, 'offer')
redis.call('HSET', ik, 'job', rid, 'last_assigned', NOWS)
free_sync(iid, grace)
redis.call('HSET', rk, 'state', 'assigned', 'interpreter', iid, 'interp_name', redis.call('HGET', ik, 'name'),
  'accepted_at', NOWS, 'offer', oid)
if eta > 0 then redis.call('HSET', rk, 'eta_at', NOW + eta * 60000) end
queue_rem(rid, rh.language)
local withdrawn = withdraw_all(rid, 'taken', grace)
local waits = {}
for i = 2, #withdrawn, 2 do
  if work_waits(withdrawn[i]) then waits[#waits + 1] = withdrawn[i] end
end
rep_event(iid, 'accepted', rep_zone(ARGV[5]))
return {redis.call('HGETALL', rk), withdrawn, waits}
