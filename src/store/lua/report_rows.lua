-- Reads the rows of a raw export (rep_row in _report.lua): "xs" sessions by
-- local start day, "xr" closed requests by local creation day.
-- ARGV: index, then day keys "YYYYMMDD".
-- Returns one string per day key: that day's rows ("" for none).
local keys = {}
for i = 2, #ARGV do keys[#keys + 1] = RP .. ARGV[1] .. ':' .. ARGV[i] end
local out = redis.call('MGET', unpack(keys))
for i = 1, #keys do out[i] = out[i] or '' end
return out
