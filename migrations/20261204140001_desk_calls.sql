-- The desk: every call that rang an agent's extension, as the PBX reported it (or recorded by
-- hand), kept even when nobody was signed in or the extension belongs to nobody.
-- person_id/user_id are who had the extension when it rang (NULL: nobody); contact_id is the
-- directory's contact with that number when it rang (NULL: unknown number).
CREATE TABLE desk_calls (
    id           bigserial PRIMARY KEY,
    rang_at      timestamptz NOT NULL DEFAULT now(),
    extension    text NOT NULL CHECK (extension ~ '^[0-9]{2,8}$'),
    person_id    bigint REFERENCES people (id) ON DELETE SET NULL,
    user_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    phone        text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    pbx_call_id  text CHECK (length(pbx_call_id) BETWEEN 1 AND 100),
    contact_id   bigint REFERENCES contacts (id) ON DELETE SET NULL,
    answered_at  timestamptz,
    ended_at     timestamptz
);
-- An agent's day, newest first; a number's earlier calls; the PBX's events by call id.
CREATE INDEX desk_calls_user_rang ON desk_calls (user_id, rang_at DESC);
CREATE INDEX desk_calls_phone_rang ON desk_calls (phone, rang_at DESC);
CREATE INDEX desk_calls_contact ON desk_calls (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX desk_calls_pbx_call ON desk_calls (pbx_call_id) WHERE pbx_call_id IS NOT NULL;
