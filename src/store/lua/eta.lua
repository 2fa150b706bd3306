-- The interpreter of an on-site job gives a new arrival time before it starts.
-- ARGV: request id, interpreter id, minutes from now.
-- Returns {request hash}.
local rid, iid, eta = ARGV[1], ARGV[2], tonumber(ARGV[3])
local rk = P .. 'r:' .. rid
local rh = hgetall(rk)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
if rh.interpreter ~= iid then return fail('forbidden', 'request ' .. rid .. ' is not your job') end
if rh.modality ~= 'onsite' then return fail('conflict', 'request ' .. rid .. ' is not on site') end
if rh.state ~= 'assigned' then return fail('conflict', 'request ' .. rid .. ' is ' .. rh.state) end
redis.call('HSET', rk, 'eta_at', NOW + eta * 60000)
return {redis.call('HGETALL', rk)}
