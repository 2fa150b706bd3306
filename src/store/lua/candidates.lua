-- Reads what matching needs for one request: the request and the free
-- interpreters of its language, least recently assigned first.
-- ARGV: request id, how many to read, the CREC version of the caller's copy
-- (see crec_changes in _scan.lua).
-- A held scheduled request gets no candidates.
-- Returns {request hash, pending offers, ids, excluded, version, changes}
-- (the last four from match_read in _scan.lua).
local rid, limit, known = ARGV[1], tonumber(ARGV[2]), ARGV[3] or ''
local key = P .. 'r:' .. rid
local rh, flat = hgetall(key)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
local pending = redis.call('SCARD', key .. ':pending')
if rh.state ~= 'searching' or held(rh) then return {flat, pending} end
return {flat, pending, unpack(match_read(rid, rh.language, limit, known))}
