-- Puts the requests closed before the report indexes of version REP_VERSION
-- existed into them (rep_index in _report.lua), a batch per call: reports run
-- it until it says done, and so does the server's clock soon after start. A
-- request already in them (rep_x) is skipped, so runs may overlap and the
-- scripts that close or change requests keep working meanwhile. Once every
-- request is in, the day strings of earlier days it appended to are written
-- whole (rep_compact), then the version is set. Also drops the day sets of version
-- 1 (rep:ss, rep:rq). State: rep:rebuild is the SCAN cursor, then "whole".
-- ARGV: how many keys to look at (SCAN COUNT; a tenth as many strings written whole),
-- report zone (today is its local day).
-- Returns {1, requests indexed} when done, {0, requests indexed} when more remain.
if redis.call('GET', RP .. 'v') == REP_VERSION then return {1, 0} end
local state = redis.call('GET', RP .. 'rebuild') or '0'
if state == 'whole' then
  if rep_compact(math.max(1, math.floor(tonumber(ARGV[1]) / 10)), rep_zone(ARGV[2])) > 0 then return {0, 0} end
  redis.call('SET', RP .. 'v', REP_VERSION)
  redis.call('DEL', RP .. 'rebuild')
  return {1, 0}
end
local res = redis.call('SCAN', state, 'MATCH', P .. 'r:*', 'COUNT', tonumber(ARGV[1]))
local n, from = 0, #P + 3
for _, key in ipairs(res[2]) do
  local m = not string.find(key, ':', from, true) and redis.call('HMGET', key, 'rep_x', 'rep_day', 'rep_cday')
  if m and not m[1] and (m[2] or m[3]) then
    local h = hgetall(key)
    if h.id then
      rep_index(h.id, h)
      if h.rep_day then redis.call('DEL', RP .. 'ss:' .. h.rep_day) end
      if h.rep_cday then redis.call('DEL', RP .. 'rq:' .. h.rep_cday) end
      n = n + 1
    end
  end
end
redis.call('SET', RP .. 'rebuild', res[1] == '0' and 'whole' or res[1])
return {0, n}
