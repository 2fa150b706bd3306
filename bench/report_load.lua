-- Benchmark loader (bench/report_bench.c): writes request records with given
-- times and outcomes, then counts them with the very functions the real
-- scripts call (src/store/lua/_report.lua), so the aggregates are exactly what
-- the server would have built. Run with _prelude.lua and _report.lua before it.
-- ARGV: zone, fields per record N, then records of N values:
--   id created_at first_offer_at accepted_at started_at ended_at language clinic
--   interpreter modality specialty state cancelled_by cancel_stage reason rating
--   comment corrected
-- and after a "" separator: availability intervals "interpreter from to".
local z = rep_zone(ARGV[1])
local n = tonumber(ARGV[2])
local names = {'id', 'created_at', 'first_offer_at', 'accepted_at', 'started_at', 'ended_at', 'language', 'clinic',
  'interpreter', 'modality', 'specialty', 'state', 'cancelled_by', 'cancel_stage', 'reason', 'rating',
  'clinic_comment', 'corrected'}
local i = 3
while i + n - 1 <= #ARGV and ARGV[i] ~= '' do
  local rk = P .. 'r:' .. ARGV[i]
  local pairs_ = {'urgency', 'now', 'escalated', '0', 'asked', '1'}
  for k = 1, n do
    if ARGV[i + k - 1] ~= '' then
      pairs_[#pairs_ + 1] = names[k]
      pairs_[#pairs_ + 1] = ARGV[i + k - 1]
    end
  end
  local state = ARGV[i + 11]
  local closed = state == 'ended' and ARGV[i + 5] or ARGV[i + 1]
  pairs_[#pairs_ + 1] = 'closed_at'
  pairs_[#pairs_ + 1] = closed
  redis.call('HSET', rk, unpack(pairs_))
  if state == 'ended' then rep_session_ended(ARGV[i], z) else rep_closed(ARGV[i], z) end
  i = i + n
end
i = i + 1
while i + 2 <= #ARGV do
  local ih = hgetall(P .. 'i:' .. ARGV[i])
  rep_avail_credit(langs_of(ih), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), z)
  i = i + 3
end
return 1
