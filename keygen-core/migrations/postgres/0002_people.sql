-- Schema version 2 (issue 22), as ../0002_people.sql: who did it, and the desk's people.
-- Translated by the rules in 0001_ledger.sql.
ALTER TABLE keys ADD COLUMN actor TEXT COLLATE "C" CHECK (actor IS NULL OR length(actor) BETWEEN 1 AND 200);
ALTER TABLE revocation_lists ADD COLUMN actor TEXT COLLATE "C" CHECK (actor IS NULL OR length(actor) BETWEEN 1 AND 200);

-- The desk's people (see ../0002_people.sql).
CREATE TABLE people (
    name            TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role            TEXT COLLATE "C" NOT NULL CHECK (role IN ('support', 'sales', 'operations', 'admin')),
    password_hash   TEXT COLLATE "C" NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    failed_attempts BIGINT           NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    TEXT COLLATE "C",
    added_at        TEXT COLLATE "C" NOT NULL,
    added_by        TEXT COLLATE "C" NOT NULL
);

-- The desk's append-only journal. SQLite's `INTEGER PRIMARY KEY` would number a row given
-- no id; keygen always gives it (db/people.rs: the id is the event's place in the chain), so
-- a plain key does, and no sequence can leave gaps after a rollback.
CREATE TABLE desk_events (
    id     BIGINT           PRIMARY KEY NOT NULL,
    at     TEXT COLLATE "C" NOT NULL,
    actor  TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    detail TEXT COLLATE "C" NOT NULL
);
