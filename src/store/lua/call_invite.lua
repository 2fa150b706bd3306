-- A clinic makes a one-time link for a guest of a video or phone call: a
-- token (stored as its hash) that lets one hello in as guest GID.
-- ARGV: request id, clinic id, token hash, guest id, lifetime ms, states a call exists in, most links per call.
-- Returns the time the link expires (ms); it also dies when the call closes (call_close).
local rid, clinic, hash, gid, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local rh, err = call_request(rid, 'clinic', clinic, ARGV[6])
if not rh then return err end
if rh.modality == 'onsite' then return fail('conflict', 'request ' .. rid .. ' is on site: its call has no guests') end
local gk = P .. 'r:' .. rid .. ':guests'
if redis.call('SCARD', gk) >= 2 * tonumber(ARGV[7]) then
  return fail('conflict', 'request ' .. rid .. ' has too many guest links')
end
local tk, uk = P .. 'tok:' .. hash, P .. 'g:' .. gid
redis.call('HSET', tk, 'role', 'guest', 'subject', gid)
redis.call('HSET', uk, 'request', rid, 'name', 'Guest')
redis.call('PEXPIRE', tk, ttl)
redis.call('PEXPIRE', uk, ttl)
redis.call('SADD', gk, tk, uk)
return NOW + ttl
