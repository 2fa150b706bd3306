-- Reads what matching needs for one request: the request and the free
-- interpreters of its language, least recently assigned first.
-- ARGV: request id, how many to read, heartbeat grace ms.
-- A held scheduled request gets no candidates.
-- Returns {request hash, pending offers, {interpreter record}...} where a record is
-- {id, langs, gender, modalities, specialties, active, last_assigned, excluded}.
-- The free set holds exactly the free interpreters (free_sync keeps it so), and
-- offer.lua checks again when it claims them, so only the fields the policy
-- ranks by are read here: this script runs once per match and reads many.
local rid, limit = ARGV[1], tonumber(ARGV[2])
local key = P .. 'r:' .. rid
local rh = hgetall(key)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
local out = {redis.call('HGETALL', key), redis.call('SCARD', key .. ':pending')}
if rh.state ~= 'searching' or held(rh) then return out end
local ex = key .. ':ex'
for _, iid in ipairs(redis.call('ZRANGE', P .. 'free:' .. rh.language, 0, limit - 1)) do
  local f = redis.call('HMGET', P .. 'i:' .. iid, 'langs', 'gender', 'modalities', 'specialties', 'active',
    'last_assigned')
  out[#out + 1] = {iid, f[1] or '', f[2] or '', f[3] or '', f[4] or '', f[5] or '0', f[6] or '0',
    redis.call('SISMEMBER', ex, iid)}
end
return out
