-- Gives back the room APPEND left in the day strings of the report indexes
-- (rep_compact in _report.lua). The server's clock runs it hourly until none
-- of a day before today remain. ARGV: at most how many strings this call,
-- report zone (today is its local day).
-- Returns how many remain.
return rep_compact(tonumber(ARGV[1]), rep_zone(ARGV[2]))
