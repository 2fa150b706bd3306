-- Waiting requests an interpreter could be offered: the head of each of its
-- languages' short lists (short_add in _prelude.lua: requests that have been
-- through their first match and may be short of offers), in queue order,
-- skipping those it is excluded from. Those found full or no longer
-- searching leave the list. A request whose own first match has not come
-- back is not there: that match offers it fanout interpreters in one call,
-- and offering it one here split that call into several. Matching (in C)
-- picks the first one the interpreter suits.
-- ARGV: how many per language, grace ms, offer fanout, then the ids of the
-- interpreters that became free together (those one accept withdrew offers
-- from: one call instead of one each).
-- Returns for each, in order, {id, its candidate_record or '', waiting}
-- flattened, where waiting is lines of tab-separated queue score, pending
-- offers, request id, language, modality, gender, gender_need, specialty and
-- escalated: only what matching reads, in one string (see candidates.lua).
-- Runs whenever interpreters become free.
local limit, grace, fanout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])

local function waiting_for(iid, ih)
  local waiting = {}
  for _, lang in ipairs(langs_of(ih)) do
    local sk = P .. 'short:' .. lang
    local q = redis.call('ZRANGE', sk, 0, limit - 1, 'WITHSCORES')
    for i = 1, #q, 2 do
      local rk = P .. 'r:' .. q[i]
      local pending = redis.call('SCARD', rk .. ':pending')
      local f = redis.call('HMGET', rk, 'state', 'language', 'modality', 'gender', 'gender_need', 'specialty', 'escalated')
      if f[1] ~= 'searching' or pending >= fanout then
        redis.call('ZREM', sk, q[i])
      elseif redis.call('SISMEMBER', rk .. ':ex', iid) == 0 then
        waiting[#waiting + 1] = table.concat({q[i + 1], pending, q[i], f[2] or '',
          f[3] or '', f[4] or '', f[5] or '', f[6] or '', f[7] or '0'}, '\t')
      end
    end
  end
  return table.concat(waiting, '\n')
end

local out = {}
for k = 4, #ARGV do
  local iid = ARGV[k]
  local ih = hgetall(P .. 'i:' .. iid)
  local rec, waiting = '', ''
  if is_free(ih, grace) then
    rec, waiting = candidate_record(iid, crec_of(ih), ih.last_assigned, '0'), waiting_for(iid, ih)
  end
  out[#out + 1] = iid
  out[#out + 1] = rec
  out[#out + 1] = waiting
end
return out
