-- Members a coordinator added to or removed from a queue by hand: kept so until the turn's end
-- (the next boundary of the team's day); until then following the rota leaves them as they are.
CREATE TABLE queue_hand_changes (
    queue      text NOT NULL CHECK (length(queue) BETWEEN 1 AND 80),
    interface  text NOT NULL CHECK (length(interface) BETWEEN 1 AND 120),
    handle     text NOT NULL,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('added', 'removed')),
    until      timestamptz NOT NULL,
    by_user    text,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, interface)
);
