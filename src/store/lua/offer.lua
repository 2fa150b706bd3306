-- Claims interpreters for a request: each candidate, in the order given, that
-- is still free and not excluded gets a pending offer, until the request holds
-- `fanout` pending offers. The claim is what makes double booking impossible:
-- an interpreter holding an offer or a job is not free.
-- An offer no device acknowledges within the delivery timeout expires early
-- as undelivered (its deadlines entry is the earlier time until ack.lua moves it).
-- ARGV: request id, fanout, offer timeout ms, heartbeat grace ms, miss reason
-- (why matching found nobody, "" when it found someone), delivery timeout ms
-- (0: none), candidate ids...
-- Returns {request hash, {offer id, interpreter id, ...}, deadline,
--          {interpreter id whose phone push can wake, ...}}.
local rid, fanout, timeout, grace, miss = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local deliver = tonumber(ARGV[6])
local key = P .. 'r:' .. rid
local rh = hmget(key, 'state', 'offer_from', 'matched', 'language')
if not rh.state then return fail('not_found', 'no request ' .. rid) end
local deadline = NOW + timeout
local made, pushable = {}, {}
if rh.state ~= 'searching' or held(rh) then return {redis.call('HGETALL', key), made, deadline, pushable} end
-- From here on work.lua may offer it interpreters as they come free (see
-- work.lua and short_add).
if not rh.matched then redis.call('HSET', key, 'matched', '1') end
local pend = key .. ':pending'
-- The offers' deadline and delivery deadline as strings, printed once (see NOWS).
local deadline_s = string.format('%d', deadline)
local due_s = deliver > 0 and NOW + deliver < deadline and string.format('%d', NOW + deliver) or nil
local want = fanout - redis.call('SCARD', pend)
for i = 7, #ARGV do
  if want <= 0 then break end
  local iid = ARGV[i]
  local ik = P .. 'i:' .. iid
  local ih = free_fields(iid)
  if is_free(ih, grace) and redis.call('SISMEMBER', key .. ':ex', iid) == 0 then
    local oid = 'o' .. redis.call('INCR', P .. 'seq')
    local fields = {'id', oid, 'request', rid, 'interpreter', iid, 'state', 'pending', 'created_at', NOWS,
      'deadline', deadline_s}
    if due_s then fields[#fields + 1], fields[#fields + 2] = 'deliver_by', due_s end
    redis.call('HSET', P .. 'o:' .. oid, unpack(fields))
    redis.call('HSET', ik, 'offer', oid)
    free_rem(iid, ih)
    redis.call('ZADD', P .. 'deadlines', due_s or deadline_s, oid)
    if ih.pushable == '1' then pushable[#pushable + 1] = iid end
    redis.call('SADD', pend, oid)
    made[#made + 1] = oid
    made[#made + 1] = iid
    want = want - 1
  end
end
if #made > 0 then
  redis.call('HINCRBY', key, 'asked', #made / 2)
  redis.call('HSETNX', key, 'first_offer_at', NOWS)
end
if miss ~= '' then redis.call('HSET', key, 'miss', miss) end
if want > 0 then short_add(rid, rh.language) end
return {redis.call('HGETALL', key), made, deadline, pushable}
