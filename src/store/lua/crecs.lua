-- Reads the whole of CREC for a server's copy of it (src/server/crecs.c),
-- when the copy is empty. One such call is out at a time: the matches made
-- meanwhile ask for no changes ("-", see crec_changes) and, as Redis answers
-- a connection in order, find the copy loaded when their replies come. Each
-- asking for everything itself was the whole registry once per request
-- created while the first answer was on its way.
-- Returns {version, entries as HGETALL gives them}.
local version, all = crec_changes('')
return {version, all}
