-- Feedback after a session: a clinic's rating and comment, an interpreter's note.
-- ARGV: request id, role, actor id, rating ("0" = none), comment.
-- Returns {request hash}.
local rid, role, actor, rating, comment = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local rk = P .. 'r:' .. rid
local rh = hgetall(rk)
if not rh.id then return fail('not_found', 'no request ' .. rid) end
if role == 'clinic' and rh.clinic ~= actor then return fail('forbidden', 'request ' .. rid .. ' is not yours') end
if role == 'interpreter' and rh.interpreter ~= actor then
  return fail('forbidden', 'request ' .. rid .. ' was not your job')
end
if rh.state ~= 'ended' then return fail('conflict', 'request ' .. rid .. ' is ' .. rh.state .. ', not ended') end
if role == 'clinic' then
  if rating ~= '0' then redis.call('HSET', rk, 'rating', rating) end
  if comment ~= '' then redis.call('HSET', rk, 'clinic_comment', comment) end
else
  if rating ~= '0' then return fail('forbidden', 'only the clinic rates a session') end
  if comment ~= '' then redis.call('HSET', rk, 'interp_note', comment) end
end
redis.call('HSET', rk, 'feedback_at', NOWS)
rep_feedback(rid, rh)
return {redis.call('HGETALL', rk)}
