-- Resolves a token (by its SHA-256) to who holds it.
-- ARGV: token hash. Returns {role, subject id, name, origins}.
local t = hgetall(P .. 'tok:' .. ARGV[1])
if not t.role then return fail('not_authenticated', 'unknown or revoked token') end
local h = redis.call('HMGET', P .. KIND_PREFIX[t.role] .. t.subject, 'name', 'active', 'origins')
if not h[1] then return fail('not_authenticated', 'the token\'s ' .. t.role .. ' no longer exists') end
if h[2] == '0' then return fail('forbidden', t.role .. ' ' .. t.subject .. ' is deactivated') end
return {t.role, t.subject, h[1], h[3] or ''}
