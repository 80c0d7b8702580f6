-- Schema version 4 (issue 32), as ../0004_api_tokens.sql: the desk's API tokens, the shops
-- whose fulfillment webhooks it accepts, and the webhook deliveries it has answered.
-- Translated by the rules in 0001_ledger.sql; SQLite's json_valid() is a cast to jsonb (an
-- invalid text fails the cast, and so the insert).
CREATE TABLE api_tokens (
    name       TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role       TEXT COLLATE "C" NOT NULL CHECK (role IN ('support', 'sales', 'operations', 'admin')),
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    expires    TEXT COLLATE "C" CHECK (expires IS NULL OR length(expires) = 10),
    added_at   TEXT COLLATE "C" NOT NULL,
    added_by   TEXT COLLATE "C" NOT NULL,
    last_used  TEXT COLLATE "C"
);

CREATE TABLE shops (
    name        TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    secret_hash TEXT COLLATE "C" NOT NULL CHECK (length(secret_hash) = 64),
    products    TEXT COLLATE "C" NOT NULL CHECK (products::jsonb IS NOT NULL),
    added_at    TEXT COLLATE "C" NOT NULL,
    added_by    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE webhook_deliveries (
    shop      TEXT COLLATE "C" NOT NULL,
    id        TEXT COLLATE "C" NOT NULL,
    body_hash TEXT COLLATE "C" NOT NULL CHECK (length(body_hash) = 64),
    at        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (shop, id)
);
