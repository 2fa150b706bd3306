-- Reads what matching needs for one request: the request and the free
-- interpreters of its language, least recently assigned first.
-- ARGV: request id, how many to read, heartbeat grace ms.
-- A held scheduled request gets no candidates.
-- Returns {request hash, pending offers, records} where records are lines of
-- candidate_record (_prelude.lua): one string for all of them, because the
-- server would otherwise parse and free nine reply objects per candidate.
-- The free set holds exactly the free interpreters (free_sync keeps it so), and
-- offer.lua checks again when it claims them, so only the fields the policy
-- ranks by are read here: this script runs once per match and reads many.
local rid, limit = ARGV[1], tonumber(ARGV[2])
local key = P .. 'r:' .. rid
local rh = hgetall(key)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
local out = {redis.call('HGETALL', key), redis.call('SCARD', key .. ':pending')}
if rh.state ~= 'searching' or held(rh) then return out end
local ex, recs = key .. ':ex', {}
for _, iid in ipairs(redis.call('ZRANGE', P .. 'free:' .. rh.language, 0, limit - 1)) do
  local f = redis.call('HMGET', P .. 'i:' .. iid, 'langs', 'gender', 'modalities', 'specialties', 'active',
    'last_assigned')
  recs[#recs + 1] = candidate_record(iid, f, redis.call('SISMEMBER', ex, iid))
end
out[3] = table.concat(recs, '\n')
return out
