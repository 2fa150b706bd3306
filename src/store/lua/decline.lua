-- An interpreter declines an offer; the request will not be offered to them again.
-- ARGV: offer id, interpreter id, reason, heartbeat grace ms, report zone.
-- Returns {request hash}.
local oid, iid, reason, grace = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local o = hmget(P .. 'o:' .. oid, 'id', 'interpreter', 'state', 'request')
if not o.id then return fail('not_found', 'no offer ' .. oid) end
if o.interpreter ~= iid then return fail('forbidden', 'offer ' .. oid .. ' is not yours') end
if o.state ~= 'pending' then return fail('conflict', 'offer ' .. oid .. ' is ' .. o.state) end
redis.call('SADD', P .. 'r:' .. o.request .. ':ex', iid)
redis.call('HINCRBY', P .. 'i:' .. iid, 'declines', 1)
offer_close(oid, 'declined', reason, grace)
-- The interpreter's words are free text: the retention purge finds them here.
if reason ~= '' then redis.call('SADD', P .. 'r:' .. o.request .. ':declined', oid) end
rep_event(iid, 'declined', rep_zone(ARGV[5]))
return {redis.call('HGETALL', P .. 'r:' .. o.request)}
