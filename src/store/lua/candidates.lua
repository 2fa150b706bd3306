-- Reads what matching needs for one request: the request and the free
-- interpreters of its language, least recently assigned first.
-- ARGV: request id, how many to read, heartbeat grace ms, the CREC version
-- of the caller's copy ("" when it has none).
-- A held scheduled request gets no candidates.
-- Returns {request hash, pending offers, ids, excluded, version, changes}
-- where ids are the free interpreters' ids one a line, excluded the ids the
-- request excludes, version CREC's now ("EPOCH:N", see _prelude.lua) and
-- changes the CREC entries the caller's copy lacks, as HGETALL gives them.
-- The server ranks the ids by its copy of their CREC entries: reading 256 of
-- them here, as this script did, was two thirds of its time (Lua turning
-- each into a string and back).
-- The free set holds exactly the free interpreters, scored by last_assigned
-- (free_sync keeps it so), and offer.lua checks again when it claims them.
-- Ids come in the free set's order (by last_assigned, then id, as ranking
-- orders) and carry no time: the server ranks by position
-- (dm_view_candidates). With the scores, Redis formatted 256 doubles per
-- match with printf, a tenth of its time at saturation.
local rid, limit, known = ARGV[1], tonumber(ARGV[2]), ARGV[4] or ''
local key = P .. 'r:' .. rid

local function version()
  local v = redis.call('HMGET', CRECS, 'epoch', 'n')
  if v[1] then return v[1], tonumber(v[2] or '0') end
  local epoch = string.format('%d', NOW)
  redis.call('HSET', CRECS, 'epoch', epoch, 'n', 0)
  return epoch, 0
end

-- Every entry, after copying those of interpreters written before CREC existed.
local function all_entries()
  if redis.call('HLEN', CREC) ~= redis.call('SCARD', P .. 'interpreters') then
    for _, id in ipairs(redis.call('SMEMBERS', P .. 'interpreters')) do
      if redis.call('HEXISTS', CREC, id) == 0 then crec_sync(id) end
    end
  end
  return redis.call('HGETALL', CREC)
end

-- The entries changed since the caller's copy: all of them when it has
-- none, is of another epoch or is ahead (a Redis restored from an older save).
local function changes()
  local epoch, n = version()
  local now = epoch .. ':' .. n
  if known == now then return now, {} end
  local kepoch, kn = string.match(known, '^(%d+):(%d+)$')
  if kepoch ~= epoch or tonumber(kn) > n then
    local all = all_entries()
    epoch, n = version() -- copying entries counted changes
    return epoch .. ':' .. n, all
  end
  local ids = redis.call('ZRANGEBYSCORE', CRECV, '(' .. kn, '+inf')
  local out = {}
  -- HMGET in slices: unpack spreads only so many values.
  for from = 1, #ids, 1000 do
    local part = redis.call('HMGET', CREC, unpack(ids, from, math.min(from + 999, #ids)))
    for k = 1, #part do
      out[#out + 1] = ids[from + k - 1]
      out[#out + 1] = part[k]
    end
  end
  return now, out
end

local rh, flat = hgetall(key)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
local out = {flat, redis.call('SCARD', key .. ':pending')}
if rh.state ~= 'searching' or held(rh) then return out end
out[3] = table.concat(redis.call('ZRANGE', P .. 'free:' .. rh.language, 0, limit - 1), '\n')
out[4] = redis.call('SMEMBERS', key .. ':ex')
out[5], out[6] = changes()
return out
