//! The schema as the ledger's database holds it ([`SchemaRead`]), compared with the one the
//! migrations make: `migrations/postgres/schema.txt`, a description of a new ledger written
//! by [`describe`] (a test makes a ledger and checks that its description is that file).
//!
//! What is compared, in the ledger's schema (the one holding `schema_version`): every table,
//! view, sequence and other relation; each table's columns (order, type, collation, NOT NULL,
//! default); every constraint (`pg_get_constraintdef`: a CHECK changed or dropped is
//! found); every index (its definition: a partial unique index made plain is found); every
//! trigger, rule and row-level policy, and row-level security switched on. Not compared:
//! functions and types (a trigger calling one is found by its trigger), grants (they are
//! the operator's, docs/operations.md section 11), objects in other schemas (`init` and
//! `migrate` refuse a database holding any).

use super::Postgres;
use crate::db::store::{SchemaRead, StoreResult};

/// The description of a new ledger's schema.
pub const EXPECTED: &str = include_str!("../../../migrations/postgres/schema.txt");

/// One line per object, sorted: what [`EXPECTED`] holds for a new ledger.
pub const DESCRIBE: &str = "WITH s AS (SELECT n.oid, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.oid = to_regclass('schema_version')), \
     rel AS (SELECT c.* FROM pg_class c, s WHERE c.relnamespace = s.oid) \
     SELECT line FROM ( \
     SELECT ('relation ' || rel.relkind::text || ' ' || rel.relname::text)::text AS line FROM rel WHERE rel.relkind <> 'i' \
     UNION ALL SELECT 'column ' || rel.relname || ' ' || a.attnum || ' ' || a.attname || ' ' \
       || format_type(a.atttypid, a.atttypmod) || coalesce(' collate ' || co.collname, '') \
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END \
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') \
       FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped \
       LEFT JOIN pg_collation co ON co.oid = a.attcollation \
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
       WHERE rel.relkind <> 'i' \
     UNION ALL SELECT 'constraint ' || rel.relname || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid) \
       FROM pg_constraint con JOIN rel ON rel.oid = con.conrelid \
     UNION ALL SELECT 'index ' || i.tablename || ' ' || i.indexname || ' ' \
       || replace(i.indexdef, ' ' || quote_ident(i.schemaname) || '.', ' ') \
       FROM pg_indexes i, s WHERE i.schemaname = s.nspname \
     UNION ALL SELECT 'trigger ' || rel.relname || ' ' || t.tgname FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid \
       WHERE NOT t.tgisinternal \
     UNION ALL SELECT 'rule ' || r.tablename || ' ' || r.rulename FROM pg_rules r, s WHERE r.schemaname = s.nspname \
     UNION ALL SELECT 'policy ' || p.tablename || ' ' || p.policyname FROM pg_policies p, s WHERE p.schemaname = s.nspname \
     UNION ALL SELECT 'row level security ' || rel.relname FROM rel WHERE rel.relrowsecurity \
     ) d ORDER BY line COLLATE \"C\"";

/// The ledger's schema described as [`EXPECTED`] describes a new ledger's.
pub fn describe(ledger: &Postgres) -> StoreResult<String> {
    let rows = ledger.query(DESCRIBE, &[])?;
    Ok(rows.iter().map(|r| format!("{}\n", r.get::<_, String>(0))).collect())
}

/// The fingerprint of this keygen's schema: SHA-256 of [`EXPECTED`]. `init` and every
/// migration note it in `schema_version.fingerprint` once they have found the whole schema
/// as [`EXPECTED`] says (super::make_schema).
pub fn fingerprint() -> String {
    crate::db::sha256_hex(EXPECTED.as_bytes())
}

/// What differs between `found` (as [`describe`] gives it) and [`EXPECTED`], the first
/// difference in words.
pub fn difference(found: &str) -> Option<String> {
    let expected: Vec<&str> = EXPECTED.lines().collect();
    let found: Vec<&str> = found.lines().collect();
    if let Some(extra) = found.iter().find(|l| !expected.contains(l)) {
        let name = |line: &str| line.split(' ').take(3).collect::<Vec<_>>().join(" ");
        return Some(match expected.iter().find(|e| name(e) == name(extra)) {
            Some(_) => format!("its {} is not as keygen made it: {extra}", name(extra)),
            None => format!("it holds what keygen never made: {extra}"),
        });
    }
    expected
        .iter()
        .find(|l| !found.contains(l))
        .map(|missing| format!("what keygen made is missing: {missing}"))
}

/// Two checks, one per use. Outside a write (`ledger verify`, a test): the whole schema,
/// read from the catalog ([`describe`]), compared with [`EXPECTED`]. Inside a write (the
/// write door, at every write): the fingerprint noted by the last `init` or migration,
/// compared with this keygen's, one indexed read where the whole comparison cost a new
/// session more (its catalog caches cold) than the rest of an issue. So a schema changed by
/// hand after it was made (an index dropped by its owner) is found by `ledger verify` and
/// by the next migration, not by the write door; the desk's role cannot change it
/// (docs/operations.md section 11: it owns nothing).
impl SchemaRead for Postgres {
    fn schema_difference(&self) -> StoreResult<Option<String>> {
        if self.writing.get() {
            let noted: Option<Option<String>> =
                self.query_opt("SELECT fingerprint FROM schema_version WHERE id = 1", &[])?.map(|r| r.get(0));
            return Ok(match noted.flatten() {
                Some(f) if f == fingerprint() => None,
                Some(f) => Some(format!(
                    "the fingerprint noted by its last migration is {f}, not this keygen's {}",
                    fingerprint()
                )),
                None => Some("no migration of this keygen noted its fingerprint".to_owned()),
            });
        }
        Ok(difference(&describe(self)?))
    }
}
