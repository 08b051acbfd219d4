-- One directory for every area: the callouts' contacts grow into people and organisations with
-- several phones and emails, a tax id, a member number, contracts, alerts and notes. Callouts
-- keep working on the same rows (their columns are unchanged; `phone` stays the main number).
ALTER TABLE contacts
    ADD COLUMN kind          text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'organisation')),
    ADD COLUMN emails        text[] NOT NULL DEFAULT '{}',
    -- Normalised (upper case, no separators) and checked by directory::rules::tax_id.
    ADD COLUMN tax_id        text CHECK (tax_id ~ '^[A-Z0-9]{4,16}$'),
    ADD COLUMN member_number text CHECK (length(member_number) BETWEEN 1 AND 30),
    ADD COLUMN notes         text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000);
CREATE INDEX contacts_tax_id ON contacts (tax_id) WHERE tax_id IS NOT NULL;
CREATE INDEX contacts_member_number ON contacts (member_number) WHERE member_number IS NOT NULL;

-- More numbers of a contact (the main one is contacts.phone); a number belongs to one contact.
CREATE TABLE contact_phones (
    contact_id  bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    phone       text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    label       text NOT NULL DEFAULT '' CHECK (length(label) <= 40),
    PRIMARY KEY (contact_id, phone)
);

-- A contact's contracts (supply points, accounts): the number is text, as the ERP writes it.
CREATE TABLE contracts (
    id          bigserial PRIMARY KEY,
    contact_id  bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    number      text NOT NULL UNIQUE CHECK (length(number) BETWEEN 1 AND 40),
    address     text NOT NULL DEFAULT '' CHECK (length(address) <= 300),
    state       text NOT NULL DEFAULT 'active' CHECK (state IN ('draft', 'active', 'suspended', 'ended')),
    starts_on   date,
    ends_on     date CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contracts_contact ON contracts (contact_id);

-- What an agent must see first on a contact's card (debt, suspended supply, …).
CREATE TABLE contact_alerts (
    id          bigserial PRIMARY KEY,
    contact_id  bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 300),
    severity    text NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'danger')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_alerts_contact ON contact_alerts (contact_id);
