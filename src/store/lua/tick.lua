-- Everything that happens by the clock, run by every server a few times a
-- second; being one script, two servers never expire or escalate twice.
-- ARGV: heartbeat grace ms, unfilled_after ms, at most how many of each to
-- handle, escalate_after ms, report zone (see _report.lua), and how long a
-- request must have waited to count as stalled (ms; "" to look for none).
-- Returns {{expired offer id, interpreter id, request id, "deadline" | "undelivered", ...},
--          {escalated request id, ...},
--          {unfilled request id, withdrawn offer id, interpreter id, ..., "" ...},
--          {interpreter id whose heartbeat went stale, ...},
--          {scheduled request id now to be offered, ...},
--          {stalled request id, ...}}.
local grace, unfilled_after, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local esc = tonumber(ARGV[4])
local zone = rep_zone(ARGV[5])

local released = {}
for _, rid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'sched', '-inf', NOWS, 'LIMIT', 0, limit)) do
  redis.call('ZREM', P .. 'sched', rid)
  local rh = hgetall(P .. 'r:' .. rid)
  if rh.state == 'searching' then
    queue_add(rid, rh, esc)
    released[#released + 1] = rid
  end
end

local expired = {}
for _, oid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'deadlines', '-inf', NOWS, 'LIMIT', 0, limit)) do
  local rid = redis.call('HGET', P .. 'o:' .. oid, 'request')
  local iid = redis.call('HGET', P .. 'o:' .. oid, 'interpreter')
  if rid and iid then redis.call('SADD', P .. 'r:' .. rid .. ':ex', iid) end
  local o = redis.call('HMGET', P .. 'o:' .. oid, 'deliver_by', 'delivered_at', 'deadline')
  local why = (o[1] and not o[2] and tonumber(o[3]) > NOW) and 'undelivered' or 'deadline'
  if offer_close(oid, 'expired', why, grace) then
    redis.call('HINCRBY', P .. 'i:' .. iid, 'expiries', 1)
    rep_event(iid, 'expired', zone)
    expired[#expired + 1] = oid
    expired[#expired + 1] = iid
    expired[#expired + 1] = rid
    expired[#expired + 1] = why
  else
    redis.call('ZREM', P .. 'deadlines', oid)
  end
end

-- Why nobody took it: offers went out and all came back, or what matching last saw.
local function unfilled_reason(rh)
  if tonumber(rh.asked or '0') > 0 then return 'all_declined' end
  if rh.miss and rh.miss ~= '' then return rh.miss end
  return 'nobody_online'
end

local escalated, unfilled = {}, {}
for _, rid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'rt', '-inf', NOWS, 'LIMIT', 0, limit)) do
  local rk = P .. 'r:' .. rid
  local rh = hgetall(rk)
  if rh.state ~= 'searching' then
    redis.call('ZREM', P .. 'rt', rid)
  elseif rh.escalated ~= '1' then
    redis.call('HSET', rk, 'escalated', 1, 'escalated_at', NOWS)
    redis.call('ZADD', P .. 'rt', tonumber(rh.queued_at or rh.created_at) + unfilled_after, rid)
    escalated[#escalated + 1] = rid
  else
    unfilled[#unfilled + 1] = rid
    for _, v in ipairs(withdraw_all(rid, 'unfilled', grace)) do unfilled[#unfilled + 1] = v end
    unfilled[#unfilled + 1] = ''
    redis.call('HSET', rk, 'state', 'unfilled', 'reason', unfilled_reason(rh), 'closed_at', NOWS)
    request_close(rid, rh)
    rep_closed(rid, zone)
  end
end

local stale = {}
-- A phone that push can wake is still there when its app goes quiet.
for _, iid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'hb', '-inf', NOW - grace, 'LIMIT', 0, limit)) do
  redis.call('ZREM', P .. 'hb', iid)
  free_sync(iid, grace)
  if redis.call('HGET', P .. 'i:' .. iid, 'pushable') ~= '1' then
    rep_presence_lost(iid, zone)
    stale[#stale + 1] = iid
  end
end
-- Stalled: waiting with no offer out while interpreters of its language are
-- free. Matching runs when a request or an interpreter changes; a match that
-- lost all its claims to another server, or whose reply never came, would
-- wait for the next such change, which a quiet hour may not bring.
local stalled, stall_ms = {}, tonumber(ARGV[6])
for _, lang in ipairs(stall_ms and redis.call('SMEMBERS', P .. 'qlangs') or {}) do
  local q = P .. 'q:' .. lang
  if redis.call('EXISTS', q) == 0 then
    redis.call('SREM', P .. 'qlangs', lang)
  elseif redis.call('EXISTS', P .. 'free:' .. lang) == 1 then
    for _, rid in ipairs(redis.call('ZRANGE', q, 0, limit - 1)) do
      local rk = P .. 'r:' .. rid
      if redis.call('SCARD', rk .. ':pending') == 0
        and tonumber(redis.call('HGET', rk, 'queued_at') or NOW) <= NOW - stall_ms then
        stalled[#stalled + 1] = rid
      end
    end
  end
end
return {expired, escalated, unfilled, stale, released, stalled}
