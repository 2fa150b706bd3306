-- Waiting requests an interpreter could be offered: the head of the queue of
-- each of their languages, in queue order, skipping requests they are excluded
-- from. Matching (in C) picks the first one the interpreter suits.
-- ARGV: interpreter id, how many per language, grace ms.
-- Returns {interpreter record as in candidates.lua or {}, {queue score, pending offers, request hash}...}.
local iid, limit, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local ih = hgetall(P .. 'i:' .. iid)
if not is_free(ih, grace) then return {{}} end
local out = {{iid, ih.langs or '', ih.gender or '', ih.modalities or '', ih.specialties or '', ih.active,
  ih.last_assigned or '0', 0}}
for _, lang in ipairs(langs_of(ih)) do
  local q = redis.call('ZRANGE', P .. 'q:' .. lang, 0, limit - 1, 'WITHSCORES')
  for i = 1, #q, 2 do
    local rk = P .. 'r:' .. q[i]
    if redis.call('SISMEMBER', rk .. ':ex', iid) == 0 then
      out[#out + 1] = {q[i + 1], redis.call('SCARD', rk .. ':pending'), redis.call('HGETALL', rk)}
    end
  end
end
return out
