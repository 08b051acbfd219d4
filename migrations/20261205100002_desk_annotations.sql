-- The desk's call annotations: categories (what a call was about), the categories, comment,
-- contact and contract an agent notes on a call, and calls recorded by hand (not from the PBX).
CREATE TABLE call_categories (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9._-]{1,20}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    colour      text NOT NULL CHECK (colour ~ '^#[0-9a-f]{6}$'),
    keywords    text[] NOT NULL DEFAULT '{}',
    kind        text NOT NULL DEFAULT 'information' CHECK (kind IN ('claim', 'information')),
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A call recorded by hand has no extension when its agent has none in the rota.
ALTER TABLE desk_calls ALTER COLUMN extension DROP NOT NULL;
ALTER TABLE desk_calls
    ADD COLUMN manual               boolean NOT NULL DEFAULT false,
    ADD COLUMN annotated_at         timestamptz,
    ADD COLUMN annotated_by         bigint REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN annotation_comment   text NOT NULL DEFAULT '' CHECK (length(annotation_comment) <= 2000),
    ADD COLUMN about_contact_id     bigint REFERENCES contacts (id) ON DELETE SET NULL,
    ADD COLUMN about_contract_id    bigint REFERENCES contracts (id) ON DELETE SET NULL,
    ADD CONSTRAINT desk_calls_extension_or_manual CHECK (extension IS NOT NULL OR manual);

CREATE TABLE desk_call_categories (
    call_id      bigint NOT NULL REFERENCES desk_calls (id) ON DELETE CASCADE,
    category_id  bigint NOT NULL REFERENCES call_categories (id) ON DELETE RESTRICT,
    PRIMARY KEY (call_id, category_id)
);
CREATE INDEX desk_call_categories_category ON desk_call_categories (category_id);
-- The team's log: a day's calls across agents.
CREATE INDEX desk_calls_rang ON desk_calls (rang_at DESC);
