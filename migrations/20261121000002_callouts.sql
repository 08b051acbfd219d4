-- Callouts: a directory of contacts (shared with the incoming-call desk later), callouts
-- (campaigns) with their pacing, retry, calling-hours and caller-id settings, participations
-- (a contact in a callout, at most once) and calls (the attempts to reach a participation).
--
-- Statuses are the snake_case names of the domain enums (app/src/domain/{callouts,calls}.rs);
-- weekdays are 0 = Monday .. 6 = Sunday as everywhere else.

-- People and organisations we may call (or who may call us). One row per E.164 number.
CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    phone       text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    -- Free-form data from imports and the API; always a JSON object (filters use `@>`).
    metadata    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    tags        text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_tags ON contacts USING gin (tags);
CREATE INDEX contacts_metadata ON contacts USING gin (metadata jsonb_path_ops);

-- A campaign: whom to call (its participations), how fast, when, from which number, and what
-- the provider plays. NULL limits mean "no limit".
CREATE TABLE callouts (
    id                    bigserial PRIMARY KEY,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description           text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    status                text NOT NULL DEFAULT 'initialized'
                          CHECK (status IN ('initialized', 'running', 'paused', 'stopped')),
    -- Pacing (domain::pacing).
    max_calls_per_run     integer CHECK (max_calls_per_run > 0),
    strategy              text NOT NULL DEFAULT 'optimistic' CHECK (strategy IN ('optimistic', 'pessimistic')),
    min_calls_per_run     integer NOT NULL DEFAULT 1 CHECK (min_calls_per_run >= 0),
    max_calls_per_period  integer CHECK (max_calls_per_period > 0),
    period_hours          integer NOT NULL DEFAULT 24 CHECK (period_hours > 0),
    max_concurrent_calls  integer CHECK (max_concurrent_calls > 0),
    calls_per_second      integer CHECK (calls_per_second > 0),
    -- Retries (domain::calls::RetryPolicy).
    retry_statuses        text[] NOT NULL DEFAULT ARRAY['not_answered', 'busy', 'failed', 'errored'],
    max_attempts          integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 20),
    retry_delay_minutes   integer NOT NULL DEFAULT 15 CHECK (retry_delay_minutes >= 0),
    -- Calling hours in `time_zone` (NULL: the team's). NULL days: any day, any time.
    calling_days          smallint[] CHECK (calling_days <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]),
    calling_hours_start   time,
    calling_hours_end     time,
    time_zone             text,
    -- The caller id (`From`) when no prefix of caller_ids matches the number.
    caller_id             text CHECK (caller_id ~ '^\+[1-9][0-9]{7,14}$'),
    -- What the provider plays: a URL fetched with script_method, or inline TwiML.
    script_url            text,
    script_method         text NOT NULL DEFAULT 'POST' CHECK (script_method IN ('GET', 'POST')),
    twiml                 text,
    created_by            bigint REFERENCES users (id) ON DELETE SET NULL,
    started_at            timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (script_url IS NULL OR twiml IS NULL)
);
-- The dialer visits running callouts on every tick.
CREATE INDEX callouts_running ON callouts (id) WHERE status = 'running';

-- A contact in a callout. `state`: pending (waiting for its next call at next_attempt_at),
-- calling (a call is in flight; claimed_by/lease_until say which instance placed it and until
-- when its claim holds), done (answered, or no more attempts; done_reason says which).
CREATE TABLE participations (
    id               bigserial PRIMARY KEY,
    callout_id       bigint NOT NULL REFERENCES callouts (id) ON DELETE CASCADE,
    -- A contact with participations cannot be deleted (its call history would be lost).
    contact_id       bigint NOT NULL REFERENCES contacts (id) ON DELETE RESTRICT,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'calling', 'done')),
    done_reason      text CHECK (done_reason IN ('answered', 'max_attempts', 'not_retried')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    answered         boolean NOT NULL DEFAULT false,
    last_call_status text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_by       text,
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (callout_id, contact_id)
);
-- Due work of a callout, in order (the dialer's claim).
CREATE INDEX participations_due ON participations (callout_id, next_attempt_at, id) WHERE state = 'pending';
-- Claims whose lease ran out (a crashed instance).
CREATE INDEX participations_leases ON participations (lease_until) WHERE state = 'calling';
CREATE INDEX participations_contact ON participations (contact_id);

-- One attempt to reach a participation. Calls only move forward (domain::calls), which makes
-- status callbacks idempotent and order-safe; `history` keeps every status the call took, with
-- where it came from (worker, callback, poll).
CREATE TABLE calls (
    id                bigserial PRIMARY KEY,
    participation_id  bigint NOT NULL REFERENCES participations (id) ON DELETE CASCADE,
    callout_id        bigint NOT NULL REFERENCES callouts (id) ON DELETE CASCADE,
    attempt           integer NOT NULL CHECK (attempt >= 1),
    phone             text NOT NULL,
    caller_id         text,
    status            text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'queued', 'remotely_queued',
                      'errored', 'in_progress', 'completed', 'busy', 'not_answered', 'failed', 'canceled', 'expired')),
    provider_sid      text UNIQUE,
    provider_status   text,
    -- Claimed for sending (counts against the per-period and per-second limits from then on).
    sent_at           timestamptz,
    remote_queued_at  timestamptz,
    answered_at       timestamptz,
    completed_at      timestamptz,
    duration_secs     integer,
    error_code        bigint,
    error_message     text,
    last_polled_at    timestamptz,
    placed_by         text,
    history           jsonb NOT NULL DEFAULT '[]',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (participation_id, attempt)
);
-- The database itself refuses a second call in flight for a participation.
CREATE UNIQUE INDEX calls_one_in_flight ON calls (participation_id)
    WHERE status IN ('created', 'queued', 'remotely_queued', 'in_progress');
-- Calls awaiting completion per callout (pessimistic strategy, concurrent limit), and the
-- poller's / expiry's scan.
CREATE INDEX calls_in_flight ON calls (callout_id, sent_at)
    WHERE status IN ('created', 'queued', 'remotely_queued', 'in_progress');
-- Calls sent in a window (per-period and per-second limits) and the 10-minute statistics.
CREATE INDEX calls_sent ON calls (callout_id, sent_at);
CREATE INDEX calls_participation ON calls (participation_id, attempt);

-- Caller ids by number prefix: the longest prefix of the dialled number wins (+3851 beats +385);
-- otherwise the callout's caller_id is used.
CREATE TABLE caller_ids (
    prefix      text PRIMARY KEY CHECK (prefix ~ '^\+[1-9][0-9]{0,14}$'),
    caller_id   text NOT NULL CHECK (caller_id ~ '^\+[1-9][0-9]{7,14}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
