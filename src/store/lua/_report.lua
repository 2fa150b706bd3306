-- Report aggregates, shared by the scripts like _prelude.lua (see
-- src/store/scripts.c). The scripts that end, correct, cancel or give up a
-- request, and those that track presence, call these in the same atomic step,
-- so the figures can never disagree with the records or count twice.
-- Layout and meaning: proto/README.md, "Reports". Days are the deployment's
-- local days, "YYYYMMDD".
local RP = P .. 'rep:'

-- The zone as the server passes it: "since_s:offset_s,..." ascending (see
-- dm_report_zone_arg); absent means UTC.
local function rep_zone(spec)
  local z = {}
  for s, o in string.gmatch(spec or '', '(-?%d+):(-?%d+)') do z[#z + 1] = {tonumber(s) * 1000, tonumber(o) * 1000} end
  if #z == 0 then z[1] = {0, 0} end
  return z
end

-- Local wall-clock milliseconds of a UTC time.
local function rep_local(z, t)
  local off = z[1][2]
  for i = 2, #z do
    if t < z[i][1] then break end
    off = z[i][2]
  end
  return t + off
end

-- Day key "YYYYMMDD" and hour 0..23 of a UTC time (civil_from_days, H. Hinnant).
local function rep_day(z, t)
  local loc = rep_local(z, t)
  local days = math.floor(loc / 86400000)
  local zd = days + 719468
  local era = math.floor(zd / 146097)
  local doe = zd - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d%02d%02d', y, m, d), math.floor(loc / 3600000) % 24
end

-- The value a request has in a report dimension ("-" when it has none).
local function rep_val(h, dim)
  if dim == 'all' then return '-' end
  local v = h[dim]
  if not v or v == '' then return '-' end
  return v
end

-- A duration as 4 bytes, big-endian, whole milliseconds clamped to 0..2^32-1.
local function rep_u32(ms)
  local v = math.max(0, math.min(4294967295, math.floor(ms)))
  return string.char(math.floor(v / 16777216) % 256, math.floor(v / 65536) % 256, math.floor(v / 256) % 256, v % 256)
end

-- Removes one 4-byte record equal to rec from a packed list.
local function rep_unappend(key, rec)
  local s = redis.call('GET', key) or ''
  local at = 1
  while true do
    local i = string.find(s, rec, at, true)
    if not i then return end
    if (i - 1) % 4 == 0 then
      redis.call('SET', key, string.sub(s, 1, i - 1) .. string.sub(s, i + 4))
      return
    end
    at = i + 1
  end
end

local REP_HOUR_DIMS = {'all', 'language', 'clinic', 'interpreter', 'modality', 'specialty'}
-- Counts as strings: a Lua number passed to redis.call is printed with
-- printf's %.17g (see NOWS).
local REP_SIGN = {[1] = '1', [-1] = '-1'}

-- Counts (sign 1) or uncounts (sign -1) an ended session in the hours of a
-- day, one hash per dimension so a report reads only the one it groups by.
local function rep_hours(h, day, secs, sign)
  local amount = string.format('%d', sign > 0 and secs or 0 - secs) -- never -0, which Redis refuses as an integer
  local n = REP_SIGN[sign]
  for _, dim in ipairs(REP_HOUR_DIMS) do
    local key, f = RP .. 'h:' .. day .. ':' .. dim, rep_val(h, dim) .. ':'
    redis.call('HINCRBY', key, f .. 'n', n)
    redis.call('HINCRBY', key, f .. 's', amount)
    if h.corrected == '1' then redis.call('HINCRBY', key, f .. 'c', n) end
  end
end

-- A session counts whole, in whole seconds (rounded), on the local day it started.
-- h: the request's hash as it is in Redis when the caller has it in hand.
local function rep_count_session(rid, z, h)
  local rk = P .. 'r:' .. rid
  h = h or hgetall(rk)
  local start = tonumber(h.started_at)
  local secs = math.floor((tonumber(h.ended_at) - start + 500) / 1000)
  local day = rep_day(z, start)
  rep_hours(h, day, secs, 1)
  h.rep_day, h.rep_s = day, string.format('%d', secs)
  redis.call('HSET', rk, 'rep_day', day, 'rep_s', h.rep_s)
  return h
end

-- ---- Indexes of single requests (index version REP_VERSION) ----
-- Per local day: the feedback figures per language, institution and
-- interpreter ("fb:DAY", the day a session counts in; a hash, see rep_fb),
-- and one string each of lines (each line starts with "\n"): the sessions
-- with a comment or note ("fbc:DAY"),
-- and the rows of the raw exports ("xs:DAY" sessions by start day, "xr:DAY"
-- closed requests by creation day). So a report reads a string or two per
-- day, never every request. A request in them carries rep_x;
-- report_rebuild.lua adds those closed before these indexes existed.
local REP_VERSION = '2'

-- The line of a day string that starts with head: where its "\n" and its
-- last byte are, or nil.
local function rep_line(s, head)
  local i = string.find(s, '\n' .. head, 1, true)
  if not i then return nil end
  local j = string.find(s, '\n', i + 1, true)
  return i, (j or #s + 1) - 1
end

-- Adds line to the day string at key, after removing the line that starts
-- with head (when given: the string is read and written whole). A plain add
-- is an APPEND, which leaves the string room to grow (up to as much again as
-- it holds): the key is noted in rep:grown until rep_compact gives that back.
local function rep_line_put(key, line, head)
  if not head then
    redis.call('APPEND', key, line)
    redis.call('SADD', RP .. 'grown', key)
    return
  end
  local s = redis.call('GET', key) or ''
  local i, j = rep_line(s, head)
  if i then s = string.sub(s, 1, i - 1) .. string.sub(s, j + 1) end
  redis.call('SET', key, s .. line)
end

-- Writes up to n grown day strings of days before today (z's local day)
-- whole, so they take only their length (the clock does this hourly,
-- report_rebuild.lua when it is done). Today's strings stay in rep:grown:
-- the next session that ends appends to them and takes the room again, and
-- writing one whole blocks Redis for as long as it takes to copy it twice (a
-- busy day's 5 MB took 5 ms, every call in flight waiting behind it).
-- Returns how many of earlier days remain.
local function rep_compact(n, z)
  local today, left = rep_day(z, NOW), 0
  for _, key in ipairs(redis.call('SMEMBERS', RP .. 'grown')) do
    if string.sub(key, -8) < today then
      if n > 0 then
        local s = redis.call('GET', key)
        if s then redis.call('SET', key, s) end
        redis.call('SREM', RP .. 'grown', key)
        n = n - 1
      else
        left = left + 1
      end
    end
  end
  return left
end

-- Removes the line that starts with head from the day string at key.
local function rep_line_del(key, head)
  local s = redis.call('GET', key)
  local i, j = rep_line(s or '', head)
  if not i then return end
  if i == 1 and j == #s then
    redis.call('DEL', key)
  else
    redis.call('SET', key, string.sub(s, 1, i - 1) .. string.sub(s, j + 1))
  end
end

-- The feedback figures of one counted session: sessions, rated, sum of
-- ratings, ratings 1..5, with a clinic comment, with an interpreter note
-- (text that the retention purge removed still counts: had_*).
local function rep_fb_figures(h)
  local f = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
  local r = tonumber(string.match(h.rating or '', '^%s*[+-]?%d+') or '')
  if r and r >= 1 and r <= 5 then f[2], f[3], f[3 + r] = 1, r, 1 end
  if (h.clinic_comment or '') ~= '' or h.had_clinic_comment == '1' then f[9] = 1 end
  if (h.interp_note or '') ~= '' or h.had_interp_note == '1' then f[10] = 1 end
  return f
end

-- Values in a row are joined by ","; these three bytes are %-escaped.
local REP_ESC = {['%'] = '%25', [','] = '%2C', ['\n'] = '%0A'}

-- Times in rows: the first (what the rows are ordered by) in milliseconds,
-- the others in whole seconds (the exports print seconds).
local REP_TIMES = {created_at = true, first_offer_at = true, accepted_at = true, started_at = true,
  ended_at = true, closed_at = true, orig_started_at = true, orig_ended_at = true}

-- A time in whole seconds, as the exports print it: a time in milliseconds
-- without its last three digits, or else as a number (tonumber, math.floor
-- and string.format are a call into C each, which Redis's Lua makes dear).
local function rep_secs(v)
  if #v > 3 and not string.find(v, '%D') then return string.sub(v, 1, -4) end
  local n = tonumber(v)
  return n and string.format('%d', math.floor(n / 1000)) or v
end

-- A row: "\n" and the values of fields joined by ",". A canceller is only their
-- role and a reason only an unfilled one's code, so no free text reaches the
-- exports. src/report/records.c reads the fields in this order. The values
-- are escaped only when one of them needs it, which hardly any does: with
-- rep_secs, that made a row a quarter cheaper (bench/README.md, session 13).
local function rep_row(h, fields)
  local out = {}
  for k = 1, #fields do
    local f = fields[k]
    local v = h[f] or ''
    if k > 2 and REP_TIMES[f] then
      v = rep_secs(v)
    elseif f == 'cancelled_by' then
      v = string.match(v, '^[^:]*')
    elseif f == 'reason' and h.state ~= 'unfilled' then
      v = ''
    end
    out[k] = v
  end
  if string.find(table.concat(out), '[%%,\n]') then
    for k = 1, #out do out[k] = (string.gsub(out[k], '[%%,\n]', REP_ESC)) end
  end
  return '\n' .. table.concat(out, ',')
end

local REP_XS = {'id', 'started_at', 'language', 'clinic', 'interpreter', 'clinic_name', 'interp_name',
  'created_at', 'first_offer_at', 'accepted_at', 'ended_at', 'rep_s', 'modality', 'urgency', 'specialty',
  'corrected', 'orig_started_at', 'orig_ended_at', 'rating', 'asked', 'escalated'}
local REP_XR = {'id', 'created_at', 'language', 'clinic', 'interpreter', 'clinic_name', 'interp_name', 'state',
  'modality', 'urgency', 'specialty', 'first_offer_at', 'accepted_at', 'started_at', 'ended_at', 'closed_at',
  'cancelled_by', 'cancel_stage', 'reason', 'escalated', 'asked'}
local REP_FBC = {'id', 'started_at', 'language', 'clinic', 'interpreter', 'clinic_name', 'interp_name', 'rating',
  'clinic_comment', 'interp_note'}

-- A day's feedback figures are a hash from "LANGUAGE CLINIC INTERPRETER" to
-- "n r sum s1 .. s5 cm nt", so that a session changes one field however busy
-- the day. Days written before were one string of such lines ("\n" before
-- each); one is turned into the hash the first time it changes.
local function rep_fb_hash(key)
  if redis.call('TYPE', key).ok ~= 'string' then return end
  local s = redis.call('GET', key)
  redis.call('DEL', key)
  for head, figures in string.gmatch(s, '\n(%S+ %S+ %S+) ([^\n]*)') do
    redis.call('HSET', key, head, figures)
  end
end

-- Counts (sign 1) or uncounts (-1) a session's feedback on the day it counts
-- in (h.rep_day): its combination's figures ("-" for none), gone when its
-- count is 0; and lists (or unlists) its comment and note while their text
-- exists.
local function rep_fb(rid, h, sign)
  local day, f = h.rep_day, rep_fb_figures(h)
  local key = RP .. 'fb:' .. day
  rep_fb_hash(key)
  local head = rep_val(h, 'language') .. ' ' .. rep_val(h, 'clinic') .. ' ' .. rep_val(h, 'interpreter')
  local v = {}
  for x in string.gmatch(redis.call('HGET', key, head) or '', '%-?%d+') do v[#v + 1] = tonumber(x) end
  for k = 1, 10 do v[k] = (v[k] or 0) + sign * f[k] end
  if v[1] > 0 then
    redis.call('HSET', key, head, string.format('%d %d %d %d %d %d %d %d %d %d', unpack(v)))
  else
    redis.call('HDEL', key, head)
  end
  local ck = RP .. 'fbc:' .. day
  if sign < 0 then
    rep_line_del(ck, rid .. ',')
  elseif (h.clinic_comment or '') ~= '' or (h.interp_note or '') ~= '' then
    rep_line_put(ck, rep_row(h, REP_FBC))
  end
end

-- Puts a request into the indexes: a counted session (rep_day) into the
-- feedback and the session export, which must not hold it (rep_unindex_session
-- takes it out first); a closed request (rep_cday) into the request export,
-- where its row is added (how nil), replaced ("replace") or kept ("keep").
local function rep_index(rid, h, how)
  if h.rep_day then
    rep_fb(rid, h, 1)
    rep_line_put(RP .. 'xs:' .. h.rep_day, rep_row(h, REP_XS))
  end
  if h.rep_cday and not (how == 'keep' and h.rep_x) then
    rep_line_put(RP .. 'xr:' .. h.rep_cday, rep_row(h, REP_XR), how == 'replace' and h.rep_x and rid .. ',' or nil)
  end
  if not h.rep_x then redis.call('HSET', P .. 'r:' .. rid, 'rep_x', 1) end
  h.rep_x = '1'
end

-- Takes a counted session out of the feedback and the session export (when
-- it is in them), before its figures or its day change.
local function rep_unindex_session(rid, h)
  if not (h.rep_x and h.rep_day) then return end
  rep_fb(rid, h, -1)
  rep_line_del(RP .. 'xs:' .. h.rep_day, rid .. ',')
end

-- feedback.lua: a rating, comment or note changed the figures of a session
-- (before: its hash before the change).
local function rep_feedback(rid, before)
  local h = hgetall(P .. 'r:' .. rid)
  if not h.rep_day then return end
  rep_unindex_session(rid, before)
  rep_index(rid, h, 'keep')
end

local REP_SPEED = {{'offer', 'first_offer_at'}, {'accept', 'accepted_at'}, {'start', 'started_at'}}
local REP_SPEED_DIMS = {'language', 'clinic'}

local function rep_speed_key(day, metric, h, dim)
  return RP .. 's:' .. day .. ':' .. metric .. ':' .. dim .. ':' .. rep_val(h, dim)
end

-- Times from creation to first offer, acceptance and start of an urgent request.
local function rep_speed(h, day)
  local created = tonumber(h.created_at)
  for _, m in ipairs(REP_SPEED) do
    local t = tonumber(h[m[2]] or '0')
    if t > 0 then
      for _, dim in ipairs(REP_SPEED_DIMS) do
        redis.call('APPEND', rep_speed_key(day, m[1], h, dim), rep_u32(t - created))
      end
    end
  end
end

-- Fill counters, hour-of-day demand and the indexes of a request that just
-- closed (ended, cancelled or unfilled), all on the local day it was created.
-- h as for rep_count_session.
local function rep_closed(rid, z, h)
  local rk = P .. 'r:' .. rid
  h = h or hgetall(rk)
  local day, hour = rep_day(z, tonumber(h.created_at))
  local what = {'closed', h.state}
  if h.state == 'cancelled' then
    what[#what + 1] = 'cancel:' .. string.match(h.cancelled_by or '', '^[^:]*') .. ':' .. (h.cancel_stage or '')
  elseif h.state == 'unfilled' then
    what[#what + 1] = 'unfilled:' .. (h.reason or '')
  end
  if h.escalated == '1' then what[#what + 1] = 'escalated' end
  if h.urgency == 'now' then what[#what + 1] = 'urgent' end
  for _, dim in ipairs({'all', 'language', 'clinic'}) do
    local fk, f = RP .. 'f:' .. day .. ':' .. dim, rep_val(h, dim) .. ':'
    for _, w in ipairs(what) do redis.call('HINCRBY', fk, f .. w, '1') end
  end
  local pf = string.format('%s:%02d:', h.language, hour)
  redis.call('HINCRBY', RP .. 'p:' .. day, pf .. 'req', '1')
  if h.state == 'unfilled' then redis.call('HINCRBY', RP .. 'p:' .. day, pf .. 'unf', '1') end
  if h.urgency == 'now' then rep_speed(h, day) end
  redis.call('ZADD', RP .. 'closed', h.closed_at or NOWS, rid)
  redis.call('HSET', rk, 'rep_cday', day)
  h.rep_cday = day
  rep_index(rid, h)
end

-- session.lua: an ended session counts in the hours and closes its request.
-- h as for rep_count_session: a session's end writes about 60 keys, and
-- reading its request again for each part was a fifth of its time.
local function rep_session_ended(rid, z, h)
  rep_closed(rid, z, rep_count_session(rid, z, h))
end

-- correct.lua: the minutes move from the old start day to the new one, and
-- the time to start of an urgent request follows the corrected start.
local function rep_session_corrected(rid, before, z)
  if before.rep_day then rep_hours(before, before.rep_day, tonumber(before.rep_s), -1) end
  rep_unindex_session(rid, before)
  local h = rep_count_session(rid, z)
  rep_index(rid, h, 'replace')
  if not before.rep_cday or before.urgency ~= 'now' then return end
  local created = tonumber(before.created_at)
  for _, dim in ipairs(REP_SPEED_DIMS) do
    local key = rep_speed_key(before.rep_cday, 'start', before, dim)
    rep_unappend(key, rep_u32(tonumber(before.started_at) - created))
    redis.call('APPEND', key, rep_u32(tonumber(h.started_at) - created))
  end
end

-- An interpreter's accept, decline or expiry, on the local day it happened.
local function rep_event(iid, what, z)
  redis.call('HINCRBY', RP .. 'f:' .. rep_day(z, NOW) .. ':interpreter', iid .. ':' .. what, '1')
end

-- Credits available time [a, b) to each language of an interpreter, split at
-- local hour boundaries.
local function rep_avail_credit(langs, a, b, z)
  while a < b do
    local loc = rep_local(z, a)
    local stop = math.min(b, a + 3600000 - loc % 3600000)
    local day, hour = rep_day(z, a)
    for _, lang in ipairs(langs) do
      redis.call('HINCRBY', RP .. 'p:' .. day, string.format('%s:%02d:av', lang, hour), string.format('%d', stop - a))
    end
    a = stop
  end
end

-- presence.lua: available time is credited up to now at every presence change
-- and heartbeat (only up to the last heartbeat when that one was stale), and
-- counting restarts while the interpreter stays available. av_at on the
-- interpreter marks where the uncredited time begins.
local function rep_presence(iid, before, grace, z)
  local ik = P .. 'i:' .. iid
  local since = tonumber(before.av_at or '')
  if since then
    local last = tonumber(before.hb or '0')
    rep_avail_credit(langs_of(before), since, last >= NOW - grace and NOW or last, z)
  end
  if redis.call('HGET', ik, 'status') == 'available' then
    redis.call('HSET', ik, 'av_at', NOWS)
  else
    redis.call('HDEL', ik, 'av_at')
  end
end

-- tick.lua: heartbeats stopped; the time up to the last one counts.
local function rep_presence_lost(iid, z)
  local ik = P .. 'i:' .. iid
  local ih = hgetall(ik)
  local since = tonumber(ih.av_at or '')
  if not since then return end
  rep_avail_credit(langs_of(ih), since, tonumber(ih.hb or '0'), z)
  redis.call('HDEL', ik, 'av_at')
end
