-- The dialer's health (issue 11).
-- Each dialer instance's heartbeat: an instance not seen for a while is gone, and the others
-- poll its calls in flight and look up its unconfirmed calls at the provider.
CREATE TABLE dialer_instances (
    name       text PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now()
);

-- Send slots: the next moment a callout's next call may be sent to the provider (its
-- calls-per-second limit held at the provider, across instances).
CREATE TABLE callout_send_slots (
    callout_id bigint PRIMARY KEY REFERENCES callouts (id) ON DELETE CASCADE,
    next_at    timestamptz NOT NULL
);

-- The slot a call was given (when it may be sent).
ALTER TABLE calls ADD COLUMN send_at timestamptz;

-- Unconfirmed calls (no CallSid yet) are looked up by the sweep.
CREATE INDEX calls_unconfirmed ON calls (id) WHERE status IN ('created', 'queued') AND provider_sid IS NULL;
