-- Requests still open that were created in a period: reports count them as
-- created (and by the hour they came in) though they have not closed yet.
-- ARGV: from ms, to ms (exclusive).
-- Returns {{language, clinic, created_at}, ...}.
local out = {}
for _, rid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'open', ARGV[1], '(' .. ARGV[2])) do
  local h = redis.call('HMGET', P .. 'r:' .. rid, 'language', 'clinic', 'created_at')
  out[#out + 1] = {h[1] or '', h[2] or '', h[3] or '0'}
end
return out
