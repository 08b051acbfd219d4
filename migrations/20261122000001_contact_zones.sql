-- Calling hours are kept in each contact's local time: a contact may carry its IANA time zone
-- (NULL: the callout's zone, else the team's).
ALTER TABLE contacts ADD COLUMN time_zone text CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64);

-- Whether a local wall-clock time falls within calling hours. Mirrors
-- domain::pacing::CallingHours::contains (the dialer filters due participations by each
-- contact's zone in its claim, so the rule runs in SQL too; db tests check both agree).
-- Days are 0 = Monday .. 6 = Sunday; start = end means the whole day; start > end runs past
-- midnight, counted as part of the day it started.
CREATE FUNCTION within_calling_hours(local timestamp, days smallint[], start_t time, end_t time)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN start_t = end_t THEN (extract(isodow FROM local)::int - 1)::smallint = ANY (days)
        WHEN start_t < end_t THEN (extract(isodow FROM local)::int - 1)::smallint = ANY (days)
                                  AND local::time >= start_t AND local::time < end_t
        ELSE ((extract(isodow FROM local)::int - 1)::smallint = ANY (days) AND local::time >= start_t)
          OR ((extract(isodow FROM local)::int + 5) % 7 = ANY (days) AND local::time < end_t)
    END
$$;
