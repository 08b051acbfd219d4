-- Chat reminders and alerts (issue 13, part 4).
-- Every message Switchboard sends to the team chat, sent or failed, with what happened to it.
-- A message is `pending` (waiting for its next attempt at `next_attempt_at`), `sending` (claimed
-- by one instance until `lease_until`: a crashed instance's claim is taken up again), `sent`, or
-- `failed` (every attempt failed; `last_error` says why).
CREATE TABLE chat_messages (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('reminder', 'alert', 'statistics', 'say')),
    text            text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    -- Who asked for it: a user's name for "say as Switchboard", NULL for the server itself.
    actor           text,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_by      text,
    lease_until     timestamptz,
    sent_at         timestamptz
);
CREATE INDEX chat_messages_due ON chat_messages (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX chat_messages_recent ON chat_messages (created_at DESC);
-- One reminder per turn start, across instances: the row is the claim.
CREATE TABLE chat_reminders (
    starts_at   timestamptz PRIMARY KEY,
    message_id  bigint NOT NULL REFERENCES chat_messages (id)
);
-- An agent on duty whose phone is disconnected while not paused: one open incident per member
-- interface (a restart does not alert again), closed when it is over.
CREATE TABLE chat_incidents (
    id          bigserial PRIMARY KEY,
    interface   text NOT NULL CHECK (length(interface) BETWEEN 1 AND 120),
    name        text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    alert_id    bigint REFERENCES chat_messages (id),
    over_id     bigint REFERENCES chat_messages (id)
);
CREATE UNIQUE INDEX chat_incidents_open ON chat_incidents (interface) WHERE ended_at IS NULL;
