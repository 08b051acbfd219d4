-- Accounts, machine tokens and the sign-in slow-down (foundation).

-- People who sign in to the console. Roles are a set; `session_epoch` is bumped when the
-- password changes or the account is deactivated, which ends every session of the user.
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username = lower(username) AND length(username) BETWEEN 2 AND 32),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash text NOT NULL,
    roles         text[] NOT NULL DEFAULT '{}'
                  CHECK (roles <@ ARRAY['admin', 'coordinator', 'agent', 'manager']::text[]),
    active        boolean NOT NULL DEFAULT true,
    session_epoch integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Tokens for machines (PBX, outside systems, REST clients, metrics scrapers). Only a SHA-256 of
-- the token is kept: tokens are long random strings, so a slow hash adds nothing but latency.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0),
    token_hash   text NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_by   bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Failed sign-ins per user name (existing or not), for the slow-down.
CREATE TABLE login_failures (
    username     text PRIMARY KEY,
    failures     integer NOT NULL,
    last_failure timestamptz NOT NULL
);
