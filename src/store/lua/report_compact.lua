-- Gives back the room APPEND left in the day strings of the report indexes
-- (rep_compact in _report.lua). The server's clock runs it hourly until none
-- remain. ARGV: at most how many strings this call.
-- Returns how many remain.
return rep_compact(tonumber(ARGV[1]))
