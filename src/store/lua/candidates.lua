-- Reads what matching needs for one request: the request and the free
-- interpreters of its language, least recently assigned first.
-- ARGV: request id, how many to read, heartbeat grace ms.
-- A held scheduled request gets no candidates.
-- Returns {request hash, pending offers, records} where records are lines of
-- candidate_record (_prelude.lua): one string for all of them, because the
-- server would otherwise parse and free nine reply objects per candidate.
-- The free set holds exactly the free interpreters, scored by last_assigned
-- (free_sync keeps it so), and offer.lua checks again when it claims them, so
-- a candidate costs no more than its share of one HMGET of CREC: this script
-- runs once per match and reads many. Records come in the free set's order
-- (by last_assigned, then id, as ranking orders) and carry no time: the
-- server ranks by position (dm_view_candidates). With the scores, Redis
-- formatted 256 doubles per match with printf, a tenth of its time at
-- saturation; for the same reason no number is turned into a string here.
local rid, limit = ARGV[1], tonumber(ARGV[2])
local key = P .. 'r:' .. rid
local rh, flat = hgetall(key)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
local out = {flat, redis.call('SCARD', key .. ':pending')}
if rh.state ~= 'searching' or held(rh) then return out end
local ids = redis.call('ZRANGE', P .. 'free:' .. rh.language, 0, limit - 1)
local excluded = {}
for _, iid in ipairs(redis.call('SMEMBERS', key .. ':ex')) do excluded[iid] = '1' end
local recs = {}
-- HMGET in slices: unpack spreads only so many values.
for from = 1, #ids, 1000 do
  local slice = {unpack(ids, from, math.min(from + 999, #ids))}
  local crecs = redis.call('HMGET', CREC, unpack(slice))
  for k, iid in ipairs(slice) do
    -- An interpreter written before CREC existed gets its entry now.
    recs[from + k - 1] = candidate_record(iid, crecs[k] or crec_sync(iid), '', excluded[iid] or '0')
  end
end
out[3] = table.concat(recs, '\n')
return out
