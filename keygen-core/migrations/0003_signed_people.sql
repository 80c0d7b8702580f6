-- Schema version 3 (issue 26): the desk's people and journal under the signed head.
--
-- The head (ledger_head) now also covers a digest of the people (name, role, password hash,
-- when and by whom added) and the end of the journal's chain: a head of this form is
-- `ledger-head-v2` (docs/operations.md, section 4). The columns are NULL on a head signed
-- before (v1), which covers the keys, the lists and the signing keys only.
ALTER TABLE ledger_head ADD COLUMN people_hash TEXT CHECK (people_hash IS NULL OR length(people_hash) = 64);
ALTER TABLE ledger_head ADD COLUMN journal_id INTEGER CHECK (journal_id IS NULL OR journal_id >= 0);
ALTER TABLE ledger_head ADD COLUMN journal_hash TEXT CHECK (journal_hash IS NULL OR length(journal_hash) = 64);

-- The journal is chained like the keys: each event's hash covers its id, the hash of the
-- event before and its fields. Events written before this version get theirs at the first
-- signed write after the migration.
ALTER TABLE desk_events ADD COLUMN hash TEXT CHECK (hash IS NULL OR length(hash) = 64);

-- A person's name is one name whatever its (ASCII) case: `Alice` and `alice` cannot both sign in.
CREATE UNIQUE INDEX people_name_nocase ON people (lower(name));
