-- The ledger, schema version 1. Portable SQL: TEXT and INTEGER columns only, constraints
-- and (partial) indexes that PostgreSQL also has, so another backend can follow.

-- Every signing key the ledger has known: the current one, and those retired by rotations.
CREATE TABLE signing_keys (
    key_id      TEXT    NOT NULL PRIMARY KEY CHECK (length(key_id) = 8),
    public_key  TEXT    NOT NULL UNIQUE CHECK (length(public_key) = 64),
    position    INTEGER NOT NULL UNIQUE CHECK (position >= 1),
    status      TEXT    NOT NULL CHECK (status IN ('current', 'retired')),
    added_at    TEXT    NOT NULL,
    retired_at  TEXT,
    CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
-- One current key at a time.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (status) WHERE status = 'current';

-- One row per key issued. `position` is the row's place in the SHA-256 chain (from 1),
-- `prev` the hash of the row before (64 zeros for the first), `hash` this row's. The key's
-- text embeds its serial, so the serial's uniqueness covers it (an index on 250-character
-- texts would cost a batch dearly); `ledger verify` checks both.
CREATE TABLE keys (
    serial       TEXT    NOT NULL PRIMARY KEY CHECK (length(serial) = 16),
    position     INTEGER NOT NULL UNIQUE CHECK (position >= 1),
    order_id     TEXT    CHECK (order_id IS NULL OR length(order_id) > 0),
    organization TEXT    NOT NULL CHECK (length(organization) > 0),
    org_search   TEXT    NOT NULL,
    seats        INTEGER CHECK (seats IS NULL OR (seats >= 1 AND seats <= 65534)),
    features     TEXT    NOT NULL CHECK (length(features) > 0),
    issued       TEXT    NOT NULL CHECK (length(issued) = 10),
    expires      TEXT    CHECK (expires IS NULL OR length(expires) = 10),
    key          TEXT    NOT NULL,
    signed_by    TEXT    NOT NULL REFERENCES signing_keys (key_id),
    supersedes   TEXT    UNIQUE REFERENCES keys (serial),
    reason       TEXT    CHECK (reason IN ('renewal', 'amendment')),
    via          TEXT    NOT NULL CHECK (via IN ('issue', 'batch', 'renew', 'amend', 'import')),
    template     TEXT,
    contact      TEXT,
    recorded_at  TEXT    NOT NULL,
    prev         TEXT    NOT NULL CHECK (length(prev) = 64),
    hash         TEXT    NOT NULL CHECK (length(hash) = 64),
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
    sequence     INTEGER NOT NULL PRIMARY KEY CHECK (sequence >= 1),
    signed_by    TEXT    NOT NULL REFERENCES signing_keys (key_id),
    reason       TEXT,
    published_at TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    prev         TEXT    NOT NULL CHECK (length(prev) = 64),
    hash         TEXT    NOT NULL UNIQUE CHECK (length(hash) = 64)
);

-- One row per revoked key: the list that first named it.
CREATE TABLE revocations (
    serial   TEXT    NOT NULL PRIMARY KEY REFERENCES keys (serial),
    sequence INTEGER NOT NULL REFERENCES revocation_lists (sequence),
    reason   TEXT
);
CREATE INDEX revocations_sequence ON revocations (sequence);

-- The signed head: the chains' lengths and last hashes and the signing keys' digest, signed
-- by the current signing key in the same transaction as every write.
CREATE TABLE ledger_head (
    id           INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    key_count    INTEGER NOT NULL CHECK (key_count >= 0),
    key_hash     TEXT    NOT NULL CHECK (length(key_hash) = 64),
    list_count   INTEGER NOT NULL CHECK (list_count >= 0),
    list_hash    TEXT    NOT NULL CHECK (length(list_hash) = 64),
    signers_hash TEXT    NOT NULL CHECK (length(signers_hash) = 64),
    signed_by    TEXT    NOT NULL REFERENCES signing_keys (key_id),
    signature    TEXT    NOT NULL CHECK (length(signature) = 128)
);
