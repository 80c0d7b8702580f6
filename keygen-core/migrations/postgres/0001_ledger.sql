-- The ledger, schema version 1, in PostgreSQL (13 or later): the tables, columns,
-- constraints and (partial) indexes of ../0001_ledger.sql, under the same names.
--
-- Translation rules (src/db/postgres.rs relies on them; keep them in every later file):
-- * INTEGER becomes BIGINT: SQLite's integers are 64-bit, and the rows' hashes format them
--   as the same decimal digits from the same i64.
-- * TEXT becomes TEXT COLLATE "C": SQLite compares and sorts text byte by byte (BINARY);
--   "C" does the same, whatever the database's locale, so ORDER BY, the unique indexes and
--   prefix matches (LIKE 'abc%') give the same answers and lists in both backends, and
--   lower() folds ASCII letters only, as SQLite's does.
-- * STRICT is dropped (PostgreSQL's columns are always typed).
-- Text cannot hold a NUL character in PostgreSQL (it can in SQLite): no field the ledger
-- accepts holds control characters.

-- Every signing key the ledger has known: the current one, and those retired by rotations.
CREATE TABLE signing_keys (
    key_id      TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(key_id) = 8),
    public_key  TEXT COLLATE "C" NOT NULL UNIQUE CHECK (length(public_key) = 64),
    position    BIGINT           NOT NULL UNIQUE CHECK (position >= 1),
    status      TEXT COLLATE "C" NOT NULL CHECK (status IN ('current', 'retired')),
    added_at    TEXT COLLATE "C" NOT NULL,
    retired_at  TEXT COLLATE "C",
    CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
-- One current key at a time.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (status) WHERE status = 'current';

-- One row per key issued (see ../0001_ledger.sql).
CREATE TABLE keys (
    serial       TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(serial) = 16),
    position     BIGINT           NOT NULL UNIQUE CHECK (position >= 1),
    order_id     TEXT COLLATE "C" CHECK (order_id IS NULL OR length(order_id) > 0),
    organization TEXT COLLATE "C" NOT NULL CHECK (length(organization) > 0),
    org_search   TEXT COLLATE "C" NOT NULL,
    seats        BIGINT           CHECK (seats IS NULL OR (seats >= 1 AND seats <= 65534)),
    features     TEXT COLLATE "C" NOT NULL CHECK (length(features) > 0),
    issued       TEXT COLLATE "C" NOT NULL CHECK (length(issued) = 10),
    expires      TEXT COLLATE "C" CHECK (expires IS NULL OR length(expires) = 10),
    key          TEXT COLLATE "C" NOT NULL,
    signed_by    TEXT COLLATE "C" NOT NULL REFERENCES signing_keys (key_id),
    supersedes   TEXT COLLATE "C" UNIQUE REFERENCES keys (serial),
    reason       TEXT COLLATE "C" CHECK (reason IN ('renewal', 'amendment')),
    via          TEXT COLLATE "C" NOT NULL CHECK (via IN ('issue', 'batch', 'renew', 'amend', 'import')),
    template     TEXT COLLATE "C",
    contact      TEXT COLLATE "C",
    recorded_at  TEXT COLLATE "C" NOT NULL,
    prev         TEXT COLLATE "C" NOT NULL CHECK (length(prev) = 64),
    hash         TEXT COLLATE "C" NOT NULL CHECK (length(hash) = 64),
    CHECK (supersedes IS NULL OR supersedes <> serial),
    CHECK ((supersedes IS NULL) = (reason IS NULL))
);
-- An order gets one key; a key that replaces another may keep its order.
CREATE UNIQUE INDEX keys_one_per_order ON keys (order_id) WHERE supersedes IS NULL;
CREATE INDEX keys_order ON keys (order_id);
CREATE INDEX keys_expires ON keys (expires);
-- `ledger find --org` scans this index only, not the rows.
CREATE INDEX keys_org_search ON keys (org_search, position);

-- Every revocation list published, with its exact text, in one sequence across signing
-- keys. Chained like the keys.
CREATE TABLE revocation_lists (
    sequence     BIGINT           NOT NULL PRIMARY KEY CHECK (sequence >= 1),
    signed_by    TEXT COLLATE "C" NOT NULL REFERENCES signing_keys (key_id),
    reason       TEXT COLLATE "C",
    published_at TEXT COLLATE "C" NOT NULL,
    text         TEXT COLLATE "C" NOT NULL,
    prev         TEXT COLLATE "C" NOT NULL CHECK (length(prev) = 64),
    hash         TEXT COLLATE "C" NOT NULL UNIQUE CHECK (length(hash) = 64)
);

-- One row per revoked key: the list that first named it.
CREATE TABLE revocations (
    serial   TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES keys (serial),
    sequence BIGINT           NOT NULL REFERENCES revocation_lists (sequence),
    reason   TEXT COLLATE "C"
);
CREATE INDEX revocations_sequence ON revocations (sequence);

-- The signed head: the chains' lengths and last hashes and the signing keys' digest, signed
-- by the current signing key in the same transaction as every write.
CREATE TABLE ledger_head (
    id           BIGINT           NOT NULL PRIMARY KEY CHECK (id = 1),
    key_count    BIGINT           NOT NULL CHECK (key_count >= 0),
    key_hash     TEXT COLLATE "C" NOT NULL CHECK (length(key_hash) = 64),
    list_count   BIGINT           NOT NULL CHECK (list_count >= 0),
    list_hash    TEXT COLLATE "C" NOT NULL CHECK (length(list_hash) = 64),
    signers_hash TEXT COLLATE "C" NOT NULL CHECK (length(signers_hash) = 64),
    signed_by    TEXT COLLATE "C" NOT NULL REFERENCES signing_keys (key_id),
    signature    TEXT COLLATE "C" NOT NULL CHECK (length(signature) = 128)
);
