-- Reads the feedback of some days (rep_fb in _report.lua): the figures per
-- combination of language, institution and interpreter, and the sessions
-- with a comment or note still there.
-- ARGV: day keys "YYYYMMDD".
-- Returns {{figures of each day}, {comment rows of each day}} ("" for none).
local fb, fbc = {}, {}
for i = 1, #ARGV do
  fb[i] = RP .. 'fb:' .. ARGV[i]
  fbc[i] = RP .. 'fbc:' .. ARGV[i]
end
fb = redis.call('MGET', unpack(fb))
fbc = redis.call('MGET', unpack(fbc))
for i = 1, #ARGV do
  fb[i] = fb[i] or ''
  fbc[i] = fbc[i] or ''
end
return {fb, fbc}
