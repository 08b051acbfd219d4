-- The solver's optional rules, off unless set: at most N people of one desk in a turn, and per
-- group at most N members on the phone at once / at least N members off it.
ALTER TABLE team_settings
    ADD COLUMN max_per_desk integer CHECK (max_per_desk >= 1),
    ADD COLUMN group_rules jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(group_rules) = 'array');
