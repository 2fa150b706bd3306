-- Reads one registry entry or request by key suffix, e.g. "r:r17", "i:i-amal".
-- ARGV: key suffix. Returns its hash ({} when missing).
return redis.call('HGETALL', P .. ARGV[1])
