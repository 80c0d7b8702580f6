-- Schema version 4 (issue 32): the desk's API tokens, the shops whose fulfillment webhooks
-- it accepts, and the webhook deliveries it has answered.
--
-- A token is kept only as the SHA-256 of its text (the token is 256 random bits, printed
-- once): the table alone lets nobody in. Its name, role, hash, last day and who added it
-- when are under the signed head with the people (docs/operations.md, section 4);
-- `last_used` is not: it only tells `desk token list` when the token was last used.
CREATE TABLE api_tokens (
    name       TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role       TEXT NOT NULL CHECK (role IN ('support', 'sales', 'operations', 'admin')),
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    expires    TEXT CHECK (expires IS NULL OR length(expires) = 10),
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL,
    last_used  TEXT
) STRICT;

-- A shop: its name, the SHA-256 of its webhook secret (the secret itself is in a 0600 file
-- beside the signing key, never in the ledger: a copy of the ledger must not let anyone
-- sign webhooks), and its product ids mapped to editions (a JSON object). Under the signed
-- head with the people.
CREATE TABLE shops (
    name        TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64),
    products    TEXT NOT NULL CHECK (json_valid(products)),
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL
) STRICT;

-- The webhook deliveries answered: a `webhook-id` seen again with another body is refused.
-- Not under the signed head: deleting a row only lets a replayed id through to the order's
-- own idempotency (the same order answers its one key).
CREATE TABLE webhook_deliveries (
    shop      TEXT NOT NULL,
    id        TEXT NOT NULL,
    body_hash TEXT NOT NULL CHECK (length(body_hash) = 64),
    at        TEXT NOT NULL,
    PRIMARY KEY (shop, id)
) STRICT;
