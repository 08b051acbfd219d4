-- The desk's search over the directory: every field it guesses has an index that keeps a
-- search fast on a million contacts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Lower case without accents (`unaccent` is not immutable, so it cannot feed a stored column):
-- the same two strings as directory::rules::search::{FOLD_FROM, FOLD_DROP, FOLD_TO}; the
-- middle dot (l·l) is dropped.
CREATE FUNCTION directory_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN translate(lower(t), 'áàâäãåāăąçćčďéèêëēėęěğíìîïīįıľłñńňóòôöõøōőŕřśšşťúùûüūůűųýÿźžż·', 'aaaaaaaaacccdeeeeeeeegiiiiiiillnnnoooooooorrssstuuuuuuuuyyzzz');

-- Names: every writer (the directory, the callouts' imports) keeps it right, being generated.
ALTER TABLE contacts ADD COLUMN name_folded text GENERATED ALWAYS AS (directory_fold(name)) STORED;
CREATE INDEX contacts_name_trgm ON contacts USING gin (name_folded gin_trgm_ops);
-- Emails (lower case, as the directory keeps them): `emails @> ARRAY[$1]`.
CREATE INDEX contacts_emails ON contacts USING gin (emails);
-- Phones (contacts.phone and contact_phones.phone), tax ids, member numbers and contract
-- numbers already have their b-tree indexes.
