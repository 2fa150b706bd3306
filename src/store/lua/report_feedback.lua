-- Reads the feedback of some days (rep_fb in _report.lua): the figures per
-- combination of language, institution and interpreter, and the sessions
-- with a comment or note still there.
-- ARGV: day keys "YYYYMMDD".
-- Returns {{figures of each day}, {comment rows of each day}} ("" for none),
-- the figures as lines "\nLANGUAGE CLINIC INTERPRETER n r sum s1 .. s5 cm nt".
local fb, fbc = {}, {}
for i = 1, #ARGV do
  local key = RP .. 'fb:' .. ARGV[i]
  if redis.call('TYPE', key).ok == 'hash' then
    local kv, lines = redis.call('HGETALL', key), {}
    for j = 1, #kv, 2 do lines[#lines + 1] = '\n' .. kv[j] .. ' ' .. kv[j + 1] end
    fb[i] = table.concat(lines)
  else
    fb[i] = redis.call('GET', key) or ''
  end
  fbc[i] = RP .. 'fbc:' .. ARGV[i]
end
fbc = redis.call('MGET', unpack(fbc))
for i = 1, #ARGV do fbc[i] = fbc[i] or '' end
return {fb, fbc}
