-- Resolves a token (by its SHA-256) to who holds it.
-- ARGV: token hash; for a WebSocket hello, the hash of a fresh token that
-- becomes a guest's next one ("" over HTTP, where guest links are refused).
-- Returns {role, subject id, name, origins, guest's request or ""}.
-- A guest link works once: its use is marked (so a second use is told so) and
-- the guest reconnects with the next token, until the call closes them all.
local tk = P .. 'tok:' .. ARGV[1]
local t = hgetall(tk)
if not t.role then return fail('not_authenticated', 'unknown or revoked token') end
if t.role == 'guest' then
  if ARGV[2] == '' then return fail('forbidden', 'a call link works only on the call page') end
  if t.used then return fail('not_authenticated', 'this link was already used') end
  local g = hgetall(P .. 'g:' .. t.subject)
  if not g.request then return fail('not_authenticated', 'this link has expired') end
  redis.call('HSET', tk, 'used', NOWS)
  local nk = P .. 'tok:' .. ARGV[2]
  redis.call('HSET', nk, 'role', 'guest', 'subject', t.subject)
  redis.call('PEXPIRE', nk, redis.call('PTTL', P .. 'g:' .. t.subject))
  redis.call('SADD', P .. 'r:' .. g.request .. ':guests', nk)
  return {'guest', t.subject, g.name, '', g.request}
end
local h = redis.call('HMGET', P .. KIND_PREFIX[t.role] .. t.subject, 'name', 'active', 'origins')
if not h[1] then return fail('not_authenticated', 'the token\'s ' .. t.role .. ' no longer exists') end
if h[2] == '0' then return fail('forbidden', t.role .. ' ' .. t.subject .. ' is deactivated') end
return {t.role, t.subject, h[1], h[3] or '', ''}
