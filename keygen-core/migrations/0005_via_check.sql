-- Schema version 5 (issue 29): the CHECK on keys.via, unchanged in meaning, written as
-- equalities. SQLite tests `via IN (five values)` by building a temporary B-tree of the
-- values for every row it inserts (a CHECK cannot reuse one between rows), a tenth of a
-- batch's insert; five equalities cost a few comparisons. A CHECK's text may be rewritten
-- in place when every row already satisfies the new one (SQLite's documented procedure for
-- constraint changes that leave the stored rows as they are): here both accept exactly
-- the same values. migrate() bumps the schema cookie after it, so that every connection
-- reads the new text.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(
    sql,
    'via IN (''issue'', ''batch'', ''renew'', ''amend'', ''import'')',
    'via = ''issue'' OR via = ''batch'' OR via = ''renew'' OR via = ''amend'' OR via = ''import'''
)
WHERE type = 'table' AND name = 'keys';
PRAGMA writable_schema = OFF;
