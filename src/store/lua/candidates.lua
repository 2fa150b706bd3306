-- Reads what matching needs for one request: the request and the free
-- interpreters of its language, least recently assigned first.
-- ARGV: request id, how many to read, heartbeat grace ms.
-- A held scheduled request gets no candidates.
-- Returns {request hash, pending offers, {interpreter record}...} where a record is
-- {id, langs, gender, modalities, specialties, active, last_assigned, excluded}.
local rid, limit, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local key = P .. 'r:' .. rid
local rh = hgetall(key)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
local out = {redis.call('HGETALL', key), redis.call('SCARD', key .. ':pending')}
if rh.state ~= 'searching' or held(rh) then return out end
local ex = key .. ':ex'
for _, iid in ipairs(redis.call('ZRANGE', P .. 'free:' .. rh.language, 0, limit - 1)) do
  local ih = hgetall(P .. 'i:' .. iid)
  if is_free(ih, grace) then
    out[#out + 1] = {iid, ih.langs or '', ih.gender or '', ih.modalities or '', ih.specialties or '',
      ih.active, ih.last_assigned or '0', redis.call('SISMEMBER', ex, iid)}
  end
end
return out
