-- Weekly timetables: the seats of each planned week, their change log and versions, load
-- overrides, solver jobs, and personal calendar-feed tokens.

-- A planned week (keyed by its Monday). Draft until published; the published week is the one
-- the PBX queue and the calendar feeds follow.
CREATE TABLE rota_weeks (
    monday        date PRIMARY KEY CHECK (extract(isodow FROM monday) = 1),
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    -- Bumped on every change; a snapshot of each version is kept in rota_versions.
    version       integer NOT NULL DEFAULT 0,
    -- The turn boundaries ("HH:MM", n + 1 of them for n turns, in the team's time zone) and
    -- lines the seats were made for: settings may change later, a planned week keeps its shape.
    turn_boundaries text[] NOT NULL,
    time_zone     text NOT NULL,
    lines         integer NOT NULL CHECK (lines >= 1),
    -- The last solve's cost and penalties in words, for the coordinator to read.
    cost          bigint,
    penalties     jsonb NOT NULL DEFAULT '[]',
    imported_from text,
    published_at  timestamptz,
    published_by  bigint REFERENCES users (id),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The current seats of a week. Days are dates (holidays have no rows).
CREATE TABLE rota_seats (
    monday     date NOT NULL REFERENCES rota_weeks (monday) ON DELETE CASCADE,
    day        date NOT NULL,
    turn       smallint NOT NULL CHECK (turn >= 0),
    line       smallint NOT NULL CHECK (line >= 0),
    -- NULL: nobody in this seat.
    person_id  bigint REFERENCES people (id) ON DELETE SET NULL,
    PRIMARY KEY (monday, day, turn, line)
);
-- Nobody twice in one turn.
CREATE UNIQUE INDEX rota_seats_once_per_turn ON rota_seats (day, turn, person_id) WHERE person_id IS NOT NULL;
CREATE INDEX rota_seats_person ON rota_seats (person_id, day);

-- Every change by hand or by the solver: who, when, which seat, from whom to whom.
CREATE TABLE rota_changes (
    id          bigserial PRIMARY KEY,
    monday      date NOT NULL REFERENCES rota_weeks (monday) ON DELETE CASCADE,
    version     integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    by_user     bigint REFERENCES users (id),
    kind        text NOT NULL CHECK (kind IN ('seat', 'swap', 'solve', 'repair', 'restore', 'publish', 'import')),
    day         date,
    turn        smallint,
    line        smallint,
    from_handle text,
    to_handle   text,
    note        text
);
CREATE INDEX rota_changes_week ON rota_changes (monday, id DESC);

-- Snapshots, one per version: the whole grid as JSON (per day, per turn, the handles or null).
CREATE TABLE rota_versions (
    monday     date NOT NULL REFERENCES rota_weeks (monday) ON DELETE CASCADE,
    version    integer NOT NULL,
    seats      jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint REFERENCES users (id),
    note       text NOT NULL,
    PRIMARY KEY (monday, version)
);

-- A coordinator's decision on a person's load for one week.
CREATE TABLE load_overrides (
    monday     date NOT NULL,
    person_id  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    load       integer NOT NULL CHECK (load BETWEEN 0 AND 100),
    PRIMARY KEY (monday, person_id)
);

-- Solver runs, done by a worker (any instance) rather than the web request.
CREATE TABLE solver_jobs (
    id             bigserial PRIMARY KEY,
    monday         date NOT NULL,
    status         text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'done', 'stopped', 'failed')),
    repair         boolean NOT NULL DEFAULT false,
    seed           bigint NOT NULL,
    time_limit_s   double precision NOT NULL CHECK (time_limit_s > 0 AND time_limit_s <= 600),
    -- Progress while running: best cost, lower bound, totals per rule, elapsed.
    progress       jsonb,
    error          text,
    stop_requested boolean NOT NULL DEFAULT false,
    claimed_by     text,
    lease_until    timestamptz,
    created_by     bigint REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);
CREATE INDEX solver_jobs_waiting ON solver_jobs (id) WHERE status IN ('queued', 'running');
-- One run at a time per week.
CREATE UNIQUE INDEX solver_jobs_one_per_week ON solver_jobs (monday) WHERE status IN ('queued', 'running');

-- Personal, revocable tokens for a person's calendar feed. Only a hash is kept.
CREATE TABLE calendar_tokens (
    id          bigserial PRIMARY KEY,
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    token_hash  text NOT NULL UNIQUE,
    prefix      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
