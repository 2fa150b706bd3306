-- Where a peer's WebRTC signalling for another peer of the same call goes.
-- ARGV: request id, sender's peer id, recipient's peer id.
-- Returns the recipient's delivery target.
local rid, from, to = ARGV[1], ARGV[2], ARGV[3]
local fh, err = call_peer(rid, from)
if not fh then return err end
if fh.call == 'none' then return fail('conflict', 'request ' .. rid .. ' is on site: its call has chat only') end
local at = redis.call('HMGET', P .. 'cp:' .. to, 'request', 'at')
if at[1] ~= rid or to == from then return fail('not_found', 'no other peer ' .. to .. ' in the call of request ' .. rid) end
redis.call('ZADD', P .. 'callseen', NOWS, from)
return at[2]
