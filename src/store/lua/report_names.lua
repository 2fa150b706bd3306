-- Names for report rows. ARGV: "c:ID" or "i:ID" entries, and "*i" for every
-- interpreter in the registry.
-- Returns {{"c:ID" or "i:ID", name, active "1"/"0"}, ...}.
local out = {}
local function add(k)
  local h = redis.call('HMGET', P .. k, 'name', 'active')
  if h[1] then out[#out + 1] = {k, h[1], h[2] or '1'} end
end
for _, a in ipairs(ARGV) do
  if a == '*i' then
    for _, id in ipairs(redis.call('SMEMBERS', P .. 'interpreters')) do add('i:' .. id) end
  else
    add(a)
  end
end
return out
