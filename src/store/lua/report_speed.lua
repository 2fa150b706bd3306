-- Reads the time-to-offer, -accept and -start lists of urgent requests for
-- some days, in one dimension ("language" or "clinic").
-- ARGV: dimension, then day keys "YYYYMMDD".
-- Returns {{value, urgent requests, offer list, accept list, start list}, ...}
-- for every day and value; each list is 4-byte big-endian milliseconds.
local dim = ARGV[1]
local out = {}
for i = 2, #ARGV do
  local day = ARGV[i]
  local flat = redis.call('HGETALL', RP .. 'f:' .. day .. ':' .. dim)
  for k = 1, #flat, 2 do
    local v = string.match(flat[k], '^([^:]+):urgent$')
    if v then
      local row = {v, flat[k + 1]}
      for _, m in ipairs(REP_SPEED) do
        row[#row + 1] = redis.call('GET', RP .. 's:' .. day .. ':' .. m[1] .. ':' .. dim .. ':' .. v) or ''
      end
      out[#out + 1] = row
    end
  end
end
return out
