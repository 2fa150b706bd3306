-- Waiting requests an interpreter could be offered: the head of the queue of
-- each of their languages, in queue order, skipping requests they are excluded
-- from, those that already have fanout offers out (under load, most of
-- the queue: reading their fields for nothing made this script the largest
-- cost after candidates.lua), and those whose own first match has not come
-- back yet (offer.lua marks them matched): that match offers them fanout
-- interpreters in one call, and offering them one here split that call into
-- several. Matching (in C) picks the first one the interpreter suits.
-- ARGV: interpreter id, how many per language, grace ms, offer fanout.
-- Returns {the interpreter's candidate_record or '', waiting} where waiting is
-- lines of tab-separated queue score, pending offers, request id, language,
-- modality, gender, gender_need, specialty and escalated: only what matching
-- reads, in one string (see candidates.lua). Runs whenever an interpreter
-- becomes free.
local iid, limit, grace, fanout = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local ih = hgetall(P .. 'i:' .. iid)
if not is_free(ih, grace) then return {''} end
local rec = candidate_record(iid, crec_of(ih), ih.last_assigned, '0')
local waiting = {}
for _, lang in ipairs(langs_of(ih)) do
  local q = redis.call('ZRANGE', P .. 'q:' .. lang, 0, limit - 1, 'WITHSCORES')
  for i = 1, #q, 2 do
    local rk = P .. 'r:' .. q[i]
    local pending = redis.call('SCARD', rk .. ':pending')
    local f = pending < fanout and
      redis.call('HMGET', rk, 'matched', 'language', 'modality', 'gender', 'gender_need', 'specialty', 'escalated')
    if f and f[1] and redis.call('SISMEMBER', rk .. ':ex', iid) == 0 then
      waiting[#waiting + 1] = table.concat({q[i + 1], pending, q[i], f[2] or '',
        f[3] or '', f[4] or '', f[5] or '', f[6] or '', f[7] or '0'}, '\t')
    end
  end
end
return {rec, table.concat(waiting, '\n')}
