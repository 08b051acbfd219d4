-- Rota data: team settings, people, availability, holidays, fixed turns, imported timetables.
-- Weekdays are 0 = Monday .. 6 = Sunday everywhere (as in the domain code). Turn masks are
-- boolean arrays, one flag per turn of the team's day, `true` = busy; NULL means every turn, so
-- the common whole-day entries survive a change of the number of turns.

-- The team's settings: exactly one row.
CREATE TABLE team_settings (
    id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
    time_zone          text NOT NULL DEFAULT 'Europe/Madrid',
    -- "HH:MM" boundaries; n boundaries make n - 1 turns.
    turn_boundaries    text[] NOT NULL DEFAULT ARRAY['09:00', '10:15', '11:30', '12:45', '14:00'],
    lines              integer NOT NULL DEFAULT 8 CHECK (lines BETWEEN 1 AND 200),
    working_days       smallint[] NOT NULL DEFAULT ARRAY[0, 1, 2, 3, 4]::smallint[],
    max_turns_per_day  integer NOT NULL DEFAULT 2 CHECK (max_turns_per_day BETWEEN 1 AND 24),
    max_empty_seats    integer NOT NULL DEFAULT 2 CHECK (max_empty_seats >= 0),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO team_settings DEFAULT VALUES;

-- People who may take phone turns (not necessarily users of the console).
CREATE TABLE people (
    id                 bigserial PRIMARY KEY,
    handle             text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9][a-z0-9_.-]{0,31}$'),
    full_name          text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 100),
    extension          text UNIQUE CHECK (extension ~ '^[0-9]{2,8}$'),
    email              text CHECK (length(email) <= 200),
    colour             text NOT NULL DEFAULT '#8fa3bf' CHECK (colour ~ '^#([0-9a-f]{3}|[0-9a-f]{6})$'),
    desk               text CHECK (length(desk) BETWEEN 1 AND 40),
    groups             text[] NOT NULL DEFAULT '{}',
    -- Turns in a full week; NULL = not on the rota.
    ideal_load         integer CHECK (ideal_load BETWEEN 0 AND 100),
    max_turns_per_day  integer CHECK (max_turns_per_day BETWEEN 1 AND 24),
    active             boolean NOT NULL DEFAULT true,
    user_id            bigint UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_groups ON people USING gin (groups);

-- When a person cannot (mandatory) or would rather not (optional) take turns.
CREATE TABLE availability (
    id          bigserial PRIMARY KEY,
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('weekly', 'oneoff', 'leave')),
    -- weekly: the weekday, or NULL for every working day.
    weekday     smallint CHECK (weekday BETWEEN 0 AND 6),
    -- oneoff: date_from = date_to; leave: the range, whole days.
    date_from   date,
    date_to     date,
    turns       boolean[],
    mandatory   boolean NOT NULL,
    reason      text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'weekly' OR (date_from IS NULL AND date_to IS NULL)),
    CHECK (kind = 'weekly' OR (weekday IS NULL AND date_from IS NOT NULL AND date_to IS NOT NULL AND date_to >= date_from)),
    CHECK (kind <> 'oneoff' OR date_from = date_to),
    CHECK (kind <> 'leave' OR turns IS NULL),
    CHECK (turns IS NULL OR cardinality(turns) > 0)
);
-- The same entry twice means nothing more; this also makes a repeated import a no-op.
-- (Index expressions must be immutable: an array cast to text is not, so an all-day entry's
-- NULL mask is indexed as the empty array, which no stored mask can be.)
CREATE UNIQUE INDEX availability_same_entry ON availability (
    person_id, kind, coalesce(weekday, -1), coalesce(date_from, 'infinity'), coalesce(date_to, 'infinity'),
    coalesce(turns, '{}'::boolean[]), mandatory, reason
);
CREATE INDEX availability_dates ON availability (date_from, date_to) WHERE kind <> 'weekly';

-- Days without phone turns: team holidays and no-service days.
CREATE TABLE holidays (
    day         date PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    kind        text NOT NULL DEFAULT 'holiday' CHECK (kind IN ('holiday', 'no_service')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The template week: who should sit in a seat every week. person_id NULL = keep the seat empty.
CREATE TABLE fixed_turns (
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    turn        smallint NOT NULL CHECK (turn >= 0),
    line        smallint NOT NULL CHECK (line >= 0),
    person_id   bigint REFERENCES people (id) ON DELETE CASCADE,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (weekday, turn, line)
);

-- Timetables imported from Tomàtic's graelles, kept as read (the timetable editor shows them).
CREATE TABLE imported_timetables (
    week        date PRIMARY KEY,
    source      text NOT NULL,
    timetable   jsonb NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);
