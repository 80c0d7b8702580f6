-- Schema version 3 (issue 26), as ../0003_signed_people.sql: the desk's people and journal
-- under the signed head. Translated by the rules in 0001_ledger.sql.
ALTER TABLE ledger_head ADD COLUMN people_hash TEXT COLLATE "C" CHECK (people_hash IS NULL OR length(people_hash) = 64);
ALTER TABLE ledger_head ADD COLUMN journal_id BIGINT CHECK (journal_id IS NULL OR journal_id >= 0);
ALTER TABLE ledger_head ADD COLUMN journal_hash TEXT COLLATE "C" CHECK (journal_hash IS NULL OR length(journal_hash) = 64);

ALTER TABLE desk_events ADD COLUMN hash TEXT COLLATE "C" CHECK (hash IS NULL OR length(hash) = 64);

-- A person's name is one name whatever its ASCII case: lower() under "C" folds ASCII
-- letters only, as SQLite's lower() does, so `Émile` and `émile` stay two names in both.
CREATE UNIQUE INDEX people_name_nocase ON people (lower(name));
