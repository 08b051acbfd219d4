-- The queue follows the published timetable.
-- Members Switchboard put in a PBX queue (so members added by others are left alone).
CREATE TABLE queue_members (
    queue      text NOT NULL CHECK (length(queue) BETWEEN 1 AND 80),
    interface  text NOT NULL CHECK (length(interface) BETWEEN 1 AND 120),
    handle     text NOT NULL,
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, interface)
);
-- Each boundary of the team's day, applied once by one instance (the row is the claim).
CREATE TABLE queue_boundaries (
    queue      text NOT NULL,
    starts_at  timestamptz NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, starts_at)
);
-- Every change to a queue: when, who or what made it, what.
CREATE TABLE queue_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    queue      text NOT NULL,
    source     text NOT NULL CHECK (source IN ('rota', 'coordinator', 'agent', 'reconcile')),
    who        text,
    what       text NOT NULL
);
CREATE INDEX queue_log_at ON queue_log (queue, at DESC);
