-- Issues or revokes tokens. Only hashes are stored: a leaked Redis dump
-- gives no one a working token.
-- ARGV: "issue", hash, role, subject  |  "revoke", hash  |  "revoke_all", role, subject.
-- Returns the number of tokens issued or revoked.
local action = ARGV[1]
if action == 'issue' then
  local hash, role, subject = ARGV[2], ARGV[3], ARGV[4]
  if not KIND_PREFIX[role] then return fail('bad_message', 'role: unknown role ' .. role) end
  if redis.call('EXISTS', P .. KIND_PREFIX[role] .. subject) == 0 then
    return fail('not_found', 'no ' .. role .. ' ' .. subject)
  end
  redis.call('HSET', P .. 'tok:' .. hash, 'role', role, 'subject', subject, 'created_at', NOWS)
  redis.call('SADD', P .. 'toks:' .. role .. ':' .. subject, hash)
  return 1
end
if action == 'revoke' then
  local t = hgetall(P .. 'tok:' .. ARGV[2])
  if not t.role then return fail('not_found', 'no such token') end
  redis.call('DEL', P .. 'tok:' .. ARGV[2])
  redis.call('SREM', P .. 'toks:' .. t.role .. ':' .. t.subject, ARGV[2])
  return 1
end
local set = P .. 'toks:' .. ARGV[2] .. ':' .. ARGV[3]
local n = 0
for _, hash in ipairs(redis.call('SMEMBERS', set)) do
  n = n + redis.call('DEL', P .. 'tok:' .. hash)
end
redis.call('DEL', set)
return n
