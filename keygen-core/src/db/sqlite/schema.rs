//! The schema as the migrations make it: `ledger verify` and every write compare the
//! ledger's `sqlite_master` with it, so that a trigger, a view or an index added by hand, or a
//! table whose CHECK was stripped through `PRAGMA writable_schema`, is named.

use std::sync::OnceLock;

use rusqlite::Connection;

use super::Sqlite;
use crate::db::store::{SchemaRead, StoreResult};

/// One schema object: type, name, table, SQL.
type Object = (String, String, String, Option<String>);

fn objects(conn: &Connection) -> rusqlite::Result<Vec<Object>> {
    // `sqlite_stat*` are ANALYZE's statistics, not the schema.
    let mut stmt = conn.prepare_cached(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name",
    )?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect()
}

/// The objects the migrations make, from an empty database in memory (once per process).
fn expected() -> Result<&'static [Object], String> {
    static EXPECTED: OnceLock<Result<Vec<Object>, String>> = OnceLock::new();
    EXPECTED
        .get_or_init(|| {
            let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
            for sql in super::MIGRATIONS {
                conn.execute_batch(sql).map_err(|e| e.to_string())?;
            }
            objects(&conn).map_err(|e| e.to_string())
        })
        .as_deref()
        .map_err(Clone::clone)
}

impl SchemaRead for Sqlite {
    fn schema_difference(&self) -> StoreResult<Option<String>> {
        Ok(difference(&self.conn)?)
    }
}

/// What differs between the ledger's schema and the migrations', the first thing found.
fn difference(conn: &Connection) -> Result<Option<String>, rusqlite::Error> {
    let expected = match expected() {
        Ok(e) => e,
        // The migrations run on every new ledger: failing in memory, they fail there too.
        Err(e) => return Ok(Some(format!("keygen cannot build its own schema to compare: {e}"))),
    };
    let found = objects(conn)?;
    for o in &found {
        match expected.iter().find(|e| e.0 == o.0 && e.1 == o.1) {
            None => {
                return Ok(Some(format!("it holds a {} '{}' (on {}) that keygen never made", o.0, o.1, o.2)));
            }
            Some(e) if e != o => {
                return Ok(Some(format!(
                    "the {} '{}' is not as keygen made it (a CHECK, column or constraint was changed)",
                    o.0, o.1
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(e) = expected.iter().find(|e| !found.iter().any(|o| o.0 == e.0 && o.1 == e.1)) {
        return Ok(Some(format!("its {} '{}' is missing", e.0, e.1)));
    }
    Ok(None)
}
