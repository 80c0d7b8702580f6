//! The revocation lists in PostgreSQL ([`ListsRead`], [`ListsWrite`]), as `db::lists`.

use postgres::Row;

use super::Postgres;
use super::keys::chain_of;
use crate::db::keys::Chain;
use crate::db::lists::StoredList;
use crate::db::store::{ListsRead, ListsWrite, StoreResult};

fn sequence(r: &Row, i: usize) -> u32 {
    u32::try_from(r.get::<_, i64>(i)).unwrap_or(u32::MAX)
}

fn list_row(r: &Row) -> StoredList {
    StoredList {
        sequence: sequence(r, 0),
        signed_by: r.get(1),
        reason: r.get(2),
        published_at: r.get(3),
        text: r.get(4),
        prev: r.get(5),
        hash: r.get(6),
        actor: r.get(7),
    }
}

impl ListsRead for Postgres {
    fn list_chain(&self) -> StoreResult<Chain> {
        Ok(chain_of(
            self.query_opt(
                "SELECT sequence, hash FROM revocation_lists ORDER BY sequence DESC LIMIT 1",
                &[],
            )?,
        ))
    }

    fn lists(&self) -> StoreResult<Vec<StoredList>> {
        let rows = self.query(
            "SELECT sequence, signed_by, reason, published_at, text, prev, hash, actor FROM revocation_lists \
             ORDER BY sequence",
            &[],
        )?;
        Ok(rows.iter().map(list_row).collect())
    }

    fn last_list(&self) -> StoreResult<Option<StoredList>> {
        let row = self.query_opt(
            "SELECT sequence, signed_by, reason, published_at, text, prev, hash, actor FROM revocation_lists \
             ORDER BY sequence DESC LIMIT 1",
            &[],
        )?;
        Ok(row.as_ref().map(list_row))
    }

    fn list_hash_at(&self, sequence: u64) -> StoreResult<Option<String>> {
        let sequence = i64::try_from(sequence).unwrap_or(i64::MAX);
        Ok(self
            .query_opt("SELECT hash FROM revocation_lists WHERE sequence = $1", &[&sequence])?
            .map(|r| r.get(0)))
    }

    fn list_text(&self, sequence: u32) -> StoreResult<Option<String>> {
        let sequence = i64::from(sequence);
        Ok(self
            .query_opt("SELECT text FROM revocation_lists WHERE sequence = $1", &[&sequence])?
            .map(|r| r.get(0)))
    }

    fn revoked(&self) -> StoreResult<Vec<String>> {
        Ok(self
            .query("SELECT serial FROM revocations ORDER BY serial", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn named_by(&self, sequence: u32) -> StoreResult<Vec<(String, Option<String>)>> {
        let rows = self.query(
            "SELECT serial, reason FROM revocations WHERE sequence = $1 ORDER BY serial",
            &[&i64::from(sequence)],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn revocation_count(&self) -> StoreResult<u64> {
        let row = self.query_opt("SELECT count(*) FROM revocations", &[])?;
        Ok(row.map_or(0, |r| u64::try_from(r.get::<_, i64>(0)).unwrap_or(0)))
    }
}

impl ListsWrite for Postgres {
    fn insert_list(&self, list: &StoredList, serials: &[String]) -> StoreResult<()> {
        let sequence = i64::from(list.sequence);
        self.execute(
            "INSERT INTO revocation_lists (sequence, signed_by, reason, published_at, text, prev, hash, actor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&sequence, &list.signed_by, &list.reason, &list.published_at, &list.text, &list.prev, &list.hash, &list.actor],
        )?;
        if !serials.is_empty() {
            self.execute(
                "INSERT INTO revocations (serial, sequence, reason) SELECT s, $2, $3 FROM unnest($1::text[]) AS s",
                &[&serials, &sequence, &list.reason],
            )?;
        }
        Ok(())
    }
}
