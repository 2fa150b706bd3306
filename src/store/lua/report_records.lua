-- Reads request records through a day index: "ss" sessions by local start
-- day, "rq" closed requests by local creation day.
-- ARGV: index, number of fields N, N field names, then day keys "YYYYMMDD".
-- Returns {{value of each field ("" when absent)}, ...}.
local n = tonumber(ARGV[2])
local fields = {}
for i = 1, n do fields[i] = ARGV[2 + i] end
local out = {}
for i = 3 + n, #ARGV do
  for _, rid in ipairs(redis.call('SMEMBERS', RP .. ARGV[1] .. ':' .. ARGV[i])) do
    local h = redis.call('HMGET', P .. 'r:' .. rid, unpack(fields))
    for k = 1, n do h[k] = h[k] or '' end
    out[#out + 1] = h
  end
end
return out
