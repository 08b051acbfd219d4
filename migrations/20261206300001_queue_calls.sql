-- Daily call statistics: one row per queue call, recorded from the PBX's events as they happen
-- (a caller joins, is answered by an agent after a wait and talks, or abandons after a wait).
-- The call is its caller's channel (`Uniqueid`) in its queue: two instances recording the same
-- PBX events write the same row once (the unique key), and a repeated event changes nothing.
CREATE TABLE queue_calls (
    id              bigserial PRIMARY KEY,
    queue           text NOT NULL CHECK (length(queue) BETWEEN 1 AND 80),
    uniqueid        text NOT NULL CHECK (length(uniqueid) BETWEEN 1 AND 150),
    caller_number   text NOT NULL DEFAULT '' CHECK (length(caller_number) <= 80),
    -- When the caller joined the queue (the day and hour of the statistics, in the team's zone).
    joined_at       timestamptz NOT NULL,
    -- Seconds waited until answered or abandoned (the PBX's HoldTime).
    wait_secs       integer CHECK (wait_secs >= 0),
    answered_at     timestamptz,
    agent_interface text CHECK (length(agent_interface) <= 120),
    agent_name      text CHECK (length(agent_name) <= 120),
    -- Seconds talked (the PBX's TalkTime), once the call ended.
    talk_secs       integer CHECK (talk_secs >= 0),
    ended_at        timestamptz,
    abandoned_at    timestamptz,
    -- Left the queue (answered, abandoned, or out by a timeout: then neither of those).
    left_at         timestamptz,
    UNIQUE (queue, uniqueid),
    CHECK (answered_at IS NULL OR abandoned_at IS NULL)
);
CREATE INDEX queue_calls_joined_at ON queue_calls (joined_at);
