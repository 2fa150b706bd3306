-- Lists a registry: ARGV: "clinics" | "interpreters" | "coordinators".
-- Returns {hash...} sorted by id.
local ids = redis.call('SMEMBERS', P .. ARGV[1])
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do out[#out + 1] = redis.call('HGETALL', P .. KIND_PREFIX[string.sub(ARGV[1], 1, -2)] .. id) end
return out
