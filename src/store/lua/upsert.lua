-- Creates or updates a registry entry (clinic, interpreter or coordinator).
-- An interpreter's free-set membership is rebuilt, since languages or the
-- active flag may have changed.
-- ARGV: kind ("clinic" | "interpreter" | "coordinator"), id, grace ms, field/value pairs
-- (an empty value deletes the field). Returns the entry's hash.
local kind, id, grace = ARGV[1], ARGV[2], tonumber(ARGV[3])
local set = {clinic = 'clinics', interpreter = 'interpreters', coordinator = 'coordinators'}
local key = P .. KIND_PREFIX[kind] .. id
if kind == 'interpreter' then free_rem(id, hgetall(key)) end
redis.call('HSET', key, 'id', id)
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', key, ARGV[i])
  else
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  end
end
redis.call('HSETNX', key, 'active', '1')
redis.call('SADD', P .. set[kind], id)
if kind == 'interpreter' then
  crec_sync(id)
  free_sync(id, grace)
end
return redis.call('HGETALL', key)
