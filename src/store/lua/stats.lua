-- Counts for /metrics: open requests by state, and interpreters available now.
-- ARGV: grace ms. Returns {state, count, ...} followed by "available", count.
local grace = tonumber(ARGV[1])
local counts = {searching = 0, assigned = 0, in_session = 0}
for _, rid in ipairs(redis.call('ZRANGE', P .. 'open', 0, -1)) do
  local st = redis.call('HGET', P .. 'r:' .. rid, 'state')
  if counts[st] then counts[st] = counts[st] + 1 end
end
local out = {}
for _, st in ipairs({'searching', 'assigned', 'in_session'}) do
  out[#out + 1] = st
  out[#out + 1] = counts[st]
end
out[#out + 1] = 'available'
out[#out + 1] = redis.call('ZCOUNT', P .. 'hb', NOW - grace, '+inf')
return out
