-- Reads the report buckets of some days (see _report.lua): "h" hours by start
-- day and "f" fill by creation day, one hash per dimension; "p" supply by day.
-- ARGV: bucket letter, dimensions joined by "," ("" for "p"), then day keys.
-- Returns {day, dimension, {field, value, ...}, ...} for the buckets that exist.
local dims = split(ARGV[2])
if #dims == 0 then dims = {''} end
local out = {}
for i = 3, #ARGV do
  for _, dim in ipairs(dims) do
    local flat = redis.call('HGETALL', RP .. ARGV[1] .. ':' .. ARGV[i] .. (dim ~= '' and ':' .. dim or ''))
    if #flat > 0 then
      out[#out + 1] = ARGV[i]
      out[#out + 1] = dim
      out[#out + 1] = flat
    end
  end
end
return out
