-- Lists a registry: ARGV: "clinics" | "interpreters" | "coordinators".
-- Returns {hash...} sorted by id.
local prefix = {clinics = 'c:', interpreters = 'i:', coordinators = 'u:'}
local ids = redis.call('SMEMBERS', P .. ARGV[1])
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do out[#out + 1] = redis.call('HGETALL', P .. prefix[ARGV[1]] .. id) end
return out
