-- One chat line in a call, kept for the peers who join later; the retention
-- purge removes it with the request's other free text (report_purge.lua).
-- ARGV: request id, peer id, the entry as JSON, most entries kept.
-- Returns {rows of the other peers}.
local rid, pid = ARGV[1], ARGV[2]
local ph, err = call_peer(rid, pid)
if not ph then return err end
local ck = P .. 'r:' .. rid .. ':chat'
redis.call('RPUSH', ck, ARGV[3])
redis.call('LTRIM', ck, -tonumber(ARGV[4]), -1)
redis.call('ZADD', P .. 'callseen', NOWS, pid)
return call_others(rid, pid)
