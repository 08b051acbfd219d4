-- Tomàtic's "bossa d'hores": each person's balance of turns over the weeks. A published week
-- adds, per person, the turns they were given minus their share (their load before the week's
-- adjustments); the row per week and person makes a re-publish replace, never add twice.
CREATE TABLE rota_balances (
    person_id  bigint PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    credit     integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rota_balance_weeks (
    monday    date NOT NULL,
    person_id bigint NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    overload  integer NOT NULL,
    PRIMARY KEY (monday, person_id)
);

-- Forgiving and importing balances, who and when.
CREATE TABLE rota_balance_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    by_user   bigint REFERENCES users(id) ON DELETE SET NULL,
    person_id bigint REFERENCES people(id) ON DELETE CASCADE,
    what      text NOT NULL
);
