-- Retention: removes the free text of requests closed more than the given
-- number of days ago (notes, locations, feedback comments, the canceller's
-- and the coordinator's words, declines' reasons, the call's chat), keeping every count: a removed comment or
-- note leaves had_clinic_comment/had_interp_note, which the feedback report
-- counts (its figures do not change), and leaves the list of comments
-- (rep:fbc). ARGV: retention days, at most how many requests.
-- Returns the number of requests purged (fewer than the limit: done).
local cutoff = NOW - tonumber(ARGV[1]) * 86400000
local ids = redis.call('ZRANGEBYSCORE', RP .. 'closed', '-inf', cutoff, 'LIMIT', 0, tonumber(ARGV[2]))
for _, rid in ipairs(ids) do
  local rk = P .. 'r:' .. rid
  local h = redis.call('HMGET', rk, 'clinic_comment', 'interp_note', 'state', 'rep_day')
  if h[1] then redis.call('HSET', rk, 'had_clinic_comment', 1) end
  if h[2] then redis.call('HSET', rk, 'had_interp_note', 1) end
  if h[4] and (h[1] or h[2]) then rep_line_del(RP .. 'fbc:' .. h[4], rid .. ',') end
  redis.call('HDEL', rk, 'note', 'location', 'clinic_comment', 'interp_note', 'release_reason', 'assign_reason')
  if h[3] == 'cancelled' then redis.call('HDEL', rk, 'reason') end
  redis.call('DEL', rk .. ':chat')
  for _, oid in ipairs(redis.call('SMEMBERS', rk .. ':declined')) do redis.call('HDEL', P .. 'o:' .. oid, 'reason') end
  redis.call('DEL', rk .. ':declined')
  redis.call('HSET', rk, 'purged_at', NOWS)
  redis.call('ZREM', RP .. 'closed', rid)
end
return #ids
