//! The revocation lists in SQLite.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::db::GENESIS;
use crate::db::keys::Chain;
use crate::db::lists::StoredList;
use crate::db::store::{ListsRead, ListsWrite, StoreResult};

const LIST_COLUMNS: &str = "sequence, signed_by, reason, published_at, text, prev, hash, actor";

fn list_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredList> {
    Ok(StoredList {
        sequence: r.get(0)?,
        signed_by: r.get(1)?,
        reason: r.get(2)?,
        published_at: r.get(3)?,
        text: r.get(4)?,
        prev: r.get(5)?,
        hash: r.get(6)?,
        actor: r.get(7)?,
    })
}

impl ListsRead for Sqlite {
    fn list_chain(&self) -> StoreResult<Chain> {
        let last = self
            .conn
            .prepare_cached("SELECT sequence, hash FROM revocation_lists ORDER BY sequence DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .optional()?;
        Ok(match last {
            Some((n, hash)) => Chain { count: u64::try_from(n).unwrap_or(0), last: hash },
            None => Chain { count: 0, last: GENESIS.to_owned() },
        })
    }

    fn lists(&self) -> StoreResult<Vec<StoredList>> {
        let mut stmt =
            self.conn.prepare(&format!("SELECT {LIST_COLUMNS} FROM revocation_lists ORDER BY sequence"))?;
        let rows = stmt.query_map([], list_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_list(&self) -> StoreResult<Option<StoredList>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {LIST_COLUMNS} FROM revocation_lists ORDER BY sequence DESC LIMIT 1"
            ))?
            .query_row([], list_row)
            .optional()?)
    }

    fn list_hash_at(&self, sequence: u64) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT hash FROM revocation_lists WHERE sequence = ?1")?
            .query_row([i64::try_from(sequence).unwrap_or(i64::MAX)], |r| r.get(0))
            .optional()?)
    }

    fn list_text(&self, sequence: u32) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT text FROM revocation_lists WHERE sequence = ?1")?
            .query_row([sequence], |r| r.get(0))
            .optional()?)
    }

    fn revoked(&self) -> StoreResult<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT serial FROM revocations ORDER BY serial")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn named_by(&self, sequence: u32) -> StoreResult<Vec<(String, Option<String>)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT serial, reason FROM revocations WHERE sequence = ?1 ORDER BY serial")?;
        let rows = stmt.query_map([sequence], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn revocation_count(&self) -> StoreResult<u64> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM revocations", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl ListsWrite for Sqlite {
    fn insert_list(&self, list: &StoredList, serials: &[String]) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO revocation_lists (sequence, signed_by, reason, published_at, text, prev, hash, actor) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                list.sequence,
                list.signed_by,
                list.reason,
                list.published_at,
                list.text,
                list.prev,
                list.hash,
                list.actor
            ],
        )?;
        let mut stmt = self
            .conn
            .prepare_cached("INSERT INTO revocations (serial, sequence, reason) VALUES (?1, ?2, ?3)")?;
        for s in serials {
            stmt.execute(params![s, list.sequence, list.reason])?;
        }
        Ok(())
    }
}
