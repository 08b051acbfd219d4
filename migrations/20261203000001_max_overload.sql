-- Tomàtic's maxOverload: when a week's loads are raised to fill its seats, nobody is raised more
-- than this many turns above their proportional load (ideal × days worked / 5). 0 = never above.
ALTER TABLE team_settings
    ADD COLUMN max_overload integer NOT NULL DEFAULT 1 CHECK (max_overload >= 0 AND max_overload <= 50);
