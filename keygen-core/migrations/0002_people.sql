-- Schema version 2 (issue 22): who did it, and the desk's people.
--
-- `actor` names who recorded a key or a revocation list: a desk person's name, or for the
-- command line `cli:` and the OS user. Older rows have none (NULL). When set, it is part of
-- the row's hash (docs/operations.md), so the chain holds it like every other field.
ALTER TABLE keys ADD COLUMN actor TEXT CHECK (actor IS NULL OR length(actor) BETWEEN 1 AND 200);
ALTER TABLE revocation_lists ADD COLUMN actor TEXT CHECK (actor IS NULL OR length(actor) BETWEEN 1 AND 200);

-- The desk's people. The password is stored only as an Argon2id PHC string; repeated wrong
-- passwords lock the account for a while (`locked_until`, RFC 3339 UTC).
CREATE TABLE people (
    name            TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role            TEXT NOT NULL CHECK (role IN ('support', 'sales', 'operations', 'admin')),
    password_hash   TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    TEXT,
    added_at        TEXT NOT NULL,
    added_by        TEXT NOT NULL
) STRICT;

-- What the desk's people did that is not a key or a list (sign-ins, refusals, people
-- added or removed): an append-only journal.
CREATE TABLE desk_events (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
