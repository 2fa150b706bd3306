-- An interpreter's device says an offer reached it (received), its
-- notification was shown or clicked, or the offer was on screen (seen). Any of
-- these proves delivery: the offer's early "undelivered" expiry is replaced by
-- its own deadline. The first time of each is kept on the offer.
-- ARGV: offer id, interpreter id, event, via ("ws" | "push").
-- Returns {request id, 1 when this event is new for the offer else 0, state}.
local oid, iid, event, via = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ok = P .. 'o:' .. oid
local o = hmget(ok, 'id', 'interpreter', 'state', 'deliver_by', 'deadline', 'request')
if not o.id then return fail('not_found', 'no offer ' .. oid) end
if o.interpreter ~= iid then return fail('forbidden', 'offer ' .. oid .. ' is not yours') end
local new = redis.call('HSETNX', ok, event .. '_at', NOWS)
if redis.call('HSETNX', ok, 'delivered_at', NOWS) == 1 then
  redis.call('HSET', ok, 'delivered_via', via)
  if o.state == 'pending' and o.deliver_by then redis.call('ZADD', P .. 'deadlines', o.deadline, oid) end
end
return {o.request, new, o.state}
