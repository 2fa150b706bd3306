-- What matching reads of a searching request: shared by candidates.lua and
-- create.lua, which reads it for a new request's first match so that match
-- costs no round trip of its own (see src/server/match.c), and by crecs.lua.
-- Named to come after _prelude.lua, whose definitions these use.

-- CREC's count of changes and its epoch, starting them when there are none.
local function crec_version()
  local v = redis.call('HMGET', CRECS, 'epoch', 'n')
  if v[1] then return v[1], tonumber(v[2] or '0') end
  local epoch = NOWS
  redis.call('HSET', CRECS, 'epoch', epoch, 'n', 0)
  return epoch, 0
end

-- Every entry, after copying those of interpreters written before CREC existed.
local function crec_all()
  if redis.call('HLEN', CREC) ~= redis.call('SCARD', P .. 'interpreters') then
    for _, id in ipairs(redis.call('SMEMBERS', P .. 'interpreters')) do
      if redis.call('HEXISTS', CREC, id) == 0 then crec_sync(id) end
    end
  end
  return redis.call('HGETALL', CREC)
end

-- CREC's version ("EPOCH:N") and the entries changed since known, the
-- caller's: none when it is "-" (the caller is reading them all with an
-- earlier call, crecs.lua), all of them when it is "", of another epoch or
-- ahead (a Redis restored from an older save).
local function crec_changes(known)
  local epoch, n = crec_version()
  local now = epoch .. ':' .. n
  if known == now or known == '-' then return now, {} end
  local kepoch, kn = string.match(known, '^(%d+):(%d+)$')
  if kepoch ~= epoch or tonumber(kn) > n then
    local all = crec_all()
    epoch, n = crec_version() -- copying entries counted changes
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

-- {ids, excluded, version, changes} of a searching request in language lang:
-- the first limit free interpreters' ids one a line, in the free set's order
-- (by last_assigned, then id, as ranking orders; the server ranks by
-- position, dm_view_candidates), the ids the request excludes, and CREC's
-- version and changes since known (crec_changes).
-- The server ranks the ids by its copy of their CREC entries: reading 256 of
-- them here was two thirds of a match's time (Lua turning each into a string
-- and back); with the free set's scores, Redis formatted 256 doubles per
-- match with printf, a tenth of its time at saturation. The free set holds
-- exactly the free interpreters (free_sync keeps it so), and offer.lua checks
-- again when it claims them.
local function match_read(rid, lang, limit, known)
  local version, changes = crec_changes(known)
  return {table.concat(redis.call('ZRANGE', P .. 'free:' .. lang, 0, limit - 1), '\n'),
    redis.call('SMEMBERS', P .. 'r:' .. rid .. ':ex'), version, changes}
end
