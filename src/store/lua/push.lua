-- An interpreter's Web Push devices and settings (proto/README.md "Push").
-- ARGV: action, interpreter id, heartbeat grace ms, then by action:
--   sub DEVICE ENDPOINT P256DH AUTH LABEL   (re)register a device
--   unsub DEVICE                           forget it (also when its push service says it is gone)
--   settings ENABLED(0/1) QUIET MODALITIES  QUIET is "HH:MM-HH:MM" or "", MODALITIES a comma list or ""
--   get                                    read them, to send
-- Returns {enabled 0/1, quiet, modalities, {{device, endpoint, p256dh, auth, label}...},
-- 1 when this made the interpreter free (they may be offered work now) else 0}.
-- An available interpreter with a device and push on stays offerable without
-- heartbeats (is_free): their phone is reachable with the app closed.
local action, iid, grace = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ik, dk = P .. 'i:' .. iid, P .. 'i:' .. iid .. ':push'
if not redis.call('HGET', ik, 'name') then return fail('not_found', 'no interpreter ' .. iid) end
local was_free = is_free(hgetall(ik), grace)
if action == 'sub' then
  if redis.call('HLEN', dk) >= 10 and redis.call('HEXISTS', dk, ARGV[4]) == 0 then
    return fail('conflict', 'at most 10 devices may get offers; remove one first')
  end
  redis.call('HSET', dk, ARGV[4], ARGV[5] .. '\t' .. ARGV[6] .. '\t' .. ARGV[7] .. '\t' .. ARGV[8])
elseif action == 'unsub' then
  redis.call('HDEL', dk, ARGV[4])
elseif action == 'settings' then
  redis.call('HSET', ik, 'push_on', ARGV[4], 'push_quiet', ARGV[5], 'push_modalities', ARGV[6])
end
local h = redis.call('HMGET', ik, 'push_on', 'push_quiet', 'push_modalities')
local on = h[1] or '1'
local devices = {}
local flat = redis.call('HGETALL', dk)
for i = 1, #flat, 2 do
  local f = {}
  for part in string.gmatch(flat[i + 1] .. '\t', '([^\t]*)\t') do f[#f + 1] = part end
  devices[#devices + 1] = {flat[i], f[1] or '', f[2] or '', f[3] or '', f[4] or ''}
end
if on == '1' and #devices > 0 then
  redis.call('HSET', ik, 'pushable', '1')
else
  redis.call('HDEL', ik, 'pushable')
end
local made_free = 0
if action ~= 'get' and free_sync(iid, grace) and not was_free then made_free = 1 end
return {on, h[2] or '', h[3] or '', devices, made_free}
