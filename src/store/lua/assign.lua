-- A coordinator assigns a request to an interpreter by hand, when the
-- automatic path failed, or moves an assigned job to someone else. The
-- interpreter must be active and hold no job; an offer they hold elsewhere is
-- withdrawn, as are the request's own offers; a previous assignee is freed.
-- ARGV: request id, interpreter id, coordinator id, reason, states ACCEPT is
-- allowed from, states REASSIGN is allowed from, grace ms.
-- Returns {request hash, {withdrawn offer id, interpreter id, ...}, freed previous assignee or "",
--          {offer id, its request id} of an offer the interpreter held for another request, or {}}.
local rid, iid, coord, reason, from, refrom = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local grace = tonumber(ARGV[7])
local rk = P .. 'r:' .. rid
local rh = hgetall(rk)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
local ik = P .. 'i:' .. iid
local ih = hgetall(ik)
if not ih.name then return fail('not_found', 'no interpreter ' .. iid) end
local reassign = allowed(refrom, rh.state)
if not allowed(from, rh.state) and not reassign then
  return fail('conflict', 'request ' .. rid .. ' is ' .. rh.state)
end
if reassign and rh.interpreter == iid then
  return fail('conflict', 'request ' .. rid .. ' is already assigned to ' .. iid)
end
if ih.active ~= '1' then return fail('conflict', 'interpreter ' .. iid .. ' is deactivated') end
if ih.job then return fail('conflict', 'interpreter ' .. iid .. ' already holds job ' .. ih.job) end
local elsewhere = {}
if ih.offer then
  local other = redis.call('HGET', P .. 'o:' .. ih.offer, 'request')
  if other ~= rid and offer_close(ih.offer, 'withdrawn', 'reassigned', grace) then
    redis.call('SADD', P .. 'r:' .. other .. ':ex', iid)
    elsewhere = {ih.offer, other}
  end
end
local withdrawn = withdraw_all(rid, 'taken', grace)
local freed = ''
if reassign then
  redis.call('HDEL', P .. 'i:' .. rh.interpreter, 'job')
  free_sync(rh.interpreter, grace)
  redis.call('SADD', rk .. ':ex', rh.interpreter)
  redis.call('HINCRBY', rk, 'reassigned', 1)
  call_close(rid, 'reassigned')
  freed = rh.interpreter
end
redis.call('HSET', ik, 'job', rid, 'last_assigned', NOWS)
free_sync(iid, grace)
redis.call('HSET', rk, 'state', 'assigned', 'interpreter', iid, 'interp_name', ih.name, 'accepted_at', NOWS,
  'assigned_by', coord, 'assign_reason', reason)
redis.call('HDEL', rk, 'offer')
queue_rem(rid, rh.language)
return {redis.call('HGETALL', rk), withdrawn, freed, elsewhere}
