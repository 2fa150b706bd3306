-- Reads what matching needs for one request: the request and the free
-- interpreters of its language, least recently assigned first.
-- ARGV: request id, how many to read, heartbeat grace ms.
-- A held scheduled request gets no candidates.
-- Returns {request hash, pending offers, ids, records, excluded} where ids
-- are the free interpreters' ids one a line, records their CREC entries on
-- the same lines, and excluded the ids the request excludes: the server
-- pairs the lines, because building one record per candidate here (as
-- candidate_record does) cost a quarter of this script's time.
-- The free set holds exactly the free interpreters, scored by last_assigned
-- (free_sync keeps it so), and offer.lua checks again when it claims them, so
-- a candidate costs no more than its share of one HMGET of CREC: this script
-- runs once per match and reads many. Ids come in the free set's order
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
local crecs = {}
-- HMGET in slices: unpack spreads only so many values.
for from = 1, #ids, 1000 do
  local part = redis.call('HMGET', CREC, unpack(ids, from, math.min(from + 999, #ids)))
  for k = 1, #part do
    -- An interpreter written before CREC existed gets its entry now.
    crecs[from + k - 1] = part[k] or crec_sync(ids[from + k - 1])
  end
end
out[3] = table.concat(ids, '\n')
out[4] = table.concat(crecs, '\n')
out[5] = redis.call('SMEMBERS', key .. ':ex')
return out
