-- An interpreter's own hours: sessions ended since each given time.
-- ARGV: interpreter id, then one or more "since" times (ms).
-- Returns {{since, sessions, minutes}, ...}, one per "since", minutes rounded down.
local key = P .. 'idone:' .. ARGV[1]
local out = {}
for i = 2, #ARGV do
  local n, ms = 0, 0
  for _, rid in ipairs(redis.call('ZRANGEBYSCORE', key, ARGV[i], '+inf')) do
    local t = redis.call('HMGET', P .. 'r:' .. rid, 'started_at', 'ended_at')
    n = n + 1
    ms = ms + math.max(0, tonumber(t[2] or '0') - tonumber(t[1] or '0'))
  end
  out[#out + 1] = {tonumber(ARGV[i]), n, math.floor(ms / 60000)}
end
return out
