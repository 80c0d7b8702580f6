//! The `keys` table in SQLite.

use std::sync::OnceLock;

use rusqlite::{OptionalExtension, Row, params};

use super::Sqlite;
use crate::db::GENESIS;
use crate::db::keys::{Chain, Filter, ReplacedBy, Revoked, Stored};
use crate::db::store::{FirstKey, KeysRead, KeysWrite, NewKey, StoreResult};
use crate::key_record::KeyRecord;

/// The columns a key row is read with, in [`from_row`]'s order.
const COLUMNS: &str = "serial, position, order_id, organization, seats, features, issued, expires, key, \
                       signed_by, supersedes, reason, via, template, contact, recorded_at, prev, hash, actor";

/// The statement that appends one key row.
const INSERT_ROW: &str = "INSERT INTO keys (serial, position, order_id, organization, org_search, seats, features, \
     issued, expires, key, signed_by, supersedes, reason, via, template, contact, recorded_at, prev, hash, actor) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";

/// Reads a row selected with [`COLUMNS`].
fn from_row(row: &Row<'_>) -> rusqlite::Result<Stored> {
    let features: String = row.get(5)?;
    let position: i64 = row.get(1)?;
    Ok(Stored {
        record: KeyRecord {
            serial: row.get(0)?,
            order_id: row.get(2)?,
            organization: row.get(3)?,
            seats: row.get(4)?,
            features: features.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
            issued: row.get(6)?,
            expires: row.get(7)?,
            key: row.get(8)?,
            key_id: row.get(9)?,
            supersedes: row.get(10)?,
            reason: row.get(11)?,
            via: row.get(12)?,
            template: row.get(13)?,
            contact: row.get(14)?,
            issued_at: row.get(15)?,
            actor: row.get(18)?,
            prev: row.get(16)?,
            product: product_key::PRODUCT_CODE.to_owned(),
            major_version: product_key::MAJOR_VERSION,
        },
        position: u64::try_from(position).unwrap_or(0),
        hash: row.get(17)?,
    })
}

/// [`COLUMNS`] on the table aliased `k`.
fn k_columns() -> String {
    COLUMNS.split(',').map(|c| format!("k.{}", c.trim())).collect::<Vec<_>>().join(", ")
}

/// A chunk of order ids (or serials) as the JSON array its statement reads.
fn json_list(items: &[&str]) -> rusqlite::Result<String> {
    serde_json::to_string(items).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl KeysRead for Sqlite {
    fn key_chain(&self) -> StoreResult<Chain> {
        let last = self
            .conn
            .prepare_cached("SELECT position, hash FROM keys ORDER BY position DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .optional()?;
        Ok(match last {
            Some((n, hash)) => Chain { count: u64::try_from(n).unwrap_or(0), last: hash },
            None => Chain { count: 0, last: GENESIS.to_owned() },
        })
    }

    fn key_by_serial(&self, serial: &str) -> StoreResult<Option<Stored>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM keys WHERE serial = ?1"))?
            .query_row([serial], from_row)
            .optional()?)
    }

    fn key_at(&self, position: u64) -> StoreResult<Option<Stored>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM keys WHERE position = ?1"))?
            .query_row([sql_int(position)], from_row)
            .optional()?)
    }

    fn keys_after(&self, position: u64, limit: usize) -> StoreResult<Vec<Stored>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM keys WHERE position > ?1 ORDER BY position LIMIT ?2"
        ))?;
        let rows =
            stmt.query_map(params![sql_int(position), i64::try_from(limit).unwrap_or(i64::MAX)], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn order_exists(&self, order: &str) -> StoreResult<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM keys WHERE order_id = ?1 LIMIT 1")?.exists([order])?)
    }

    fn first_of_order(&self, order: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT serial FROM keys WHERE order_id = ?1 ORDER BY position LIMIT 1")?
            .query_row([order], |r| r.get(0))
            .optional()?)
    }

    fn successor(&self, serial: &str) -> StoreResult<Option<ReplacedBy>> {
        Ok(self
            .conn
            .prepare_cached("SELECT serial, recorded_at, reason FROM keys WHERE supersedes = ?1")?
            .query_row([serial], |r| {
                Ok(ReplacedBy { serial: r.get(0)?, issued_at: r.get(1)?, reason: r.get(2)? })
            })
            .optional()?)
    }

    fn revocation(&self, serial: &str) -> StoreResult<Option<Revoked>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT r.sequence, l.published_at, r.reason, l.actor FROM revocations r \
                 JOIN revocation_lists l ON l.sequence = r.sequence WHERE r.serial = ?1",
            )?
            .query_row([serial], |r| {
                Ok(Revoked {
                    sequence: r.get(0)?,
                    revoked_at: r.get(1)?,
                    reason: r.get(2)?,
                    actor: r.get(3)?,
                })
            })
            .optional()?)
    }

    fn keys_matching(&self, filter: &Filter<'_>) -> StoreResult<Vec<Stored>> {
        let mut sql = format!("SELECT {COLUMNS} FROM keys WHERE 1 = 1");
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::new();
        if let Some(s) = &filter.serial {
            args.push(s);
            sql.push_str(&format!(" AND serial = ?{}", args.len()));
        }
        if let Some(o) = &filter.order_id {
            args.push(o);
            sql.push_str(&format!(" AND order_id = ?{}", args.len()));
        }
        if let Some((form, folded)) = &filter.organization {
            args.push(form);
            args.push(folded);
            // Through the small index of the search column, not the rows.
            sql.push_str(&format!(
                " AND position IN (SELECT position FROM keys WHERE instr(org_search, ?{}) > 0 OR instr(org_search, ?{}) > 0)",
                args.len() - 1,
                args.len()
            ));
        }
        sql.push_str(" ORDER BY position");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(args.as_slice(), from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn current_expiring(&self, from: &str, to: &str) -> StoreResult<Vec<Stored>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM keys k WHERE expires >= ?1 AND expires <= ?2 \
             AND NOT EXISTS (SELECT 1 FROM keys n WHERE n.supersedes = k.serial) \
             AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = k.serial) ORDER BY position"
        ))?;
        let rows = stmt.query_map([from, to], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn replaced_unrevoked(&self) -> StoreResult<Vec<(String, String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT old.serial, new.serial, new.issued FROM keys new JOIN keys old ON old.serial = new.supersedes \
             WHERE old.serial NOT IN (SELECT serial FROM revocations) ORDER BY old.position",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One statement for the whole chunk: a statement a row cost more in SQLite's statement
    /// handling than in its look-ups.
    fn first_of_orders(&self, orders: &[&str]) -> StoreResult<Vec<Option<FirstKey>>> {
        static SQL: OnceLock<String> = OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!(
                "SELECT {}, j.key, EXISTS (SELECT 1 FROM keys n WHERE n.supersedes = k.serial), \
                 EXISTS (SELECT 1 FROM revocations r WHERE r.serial = k.serial) \
                 FROM json_each(?1) j CROSS JOIN keys k ON k.order_id = j.value",
                k_columns()
            )
        });
        let mut first: Vec<Option<FirstKey>> = orders.iter().map(|_| None).collect();
        if orders.is_empty() {
            return Ok(first);
        }
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query([json_list(orders)?])?;
        while let Some(row) = rows.next()? {
            let stored = from_row(row)?;
            let (i, replaced, revoked): (i64, bool, bool) = (row.get(19)?, row.get(20)?, row.get(21)?);
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| first.get_mut(i))
                && slot.as_ref().is_none_or(|f| stored.position < f.stored.position)
            {
                *slot = Some(FirstKey { stored, replaced, revoked });
            }
        }
        Ok(first)
    }

    fn keys_by_serials(&self, serials: &[&str]) -> StoreResult<Vec<Option<Stored>>> {
        static SQL: OnceLock<String> = OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!(
                "SELECT {}, j.key FROM json_each(?1) j CROSS JOIN keys k ON k.serial = j.value",
                k_columns()
            )
        });
        let mut found: Vec<Option<Stored>> = serials.iter().map(|_| None).collect();
        if serials.is_empty() {
            return Ok(found);
        }
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query([json_list(serials)?])?;
        while let Some(row) = rows.next()? {
            let stored = from_row(row)?;
            let i: i64 = row.get(19)?;
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| found.get_mut(i)) {
                *slot = Some(stored);
            }
        }
        Ok(found)
    }

    fn each_org_search(&self, each: &mut dyn FnMut(u64, &str, &str, &str) -> bool) -> StoreResult<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT position, serial, organization, org_search FROM keys ORDER BY position")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (position, serial, org, search): (i64, String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            if !each(u64::try_from(position).unwrap_or(0), &serial, &org, &search) {
                break;
            }
        }
        Ok(())
    }
}

impl KeysWrite for Sqlite {
    fn insert_key(&self, row: &NewKey<'_>) -> StoreResult<()> {
        insert(&mut self.conn.prepare_cached(INSERT_ROW)?, row)
    }

    /// One statement for the whole chunk: `prepare_cached` copies the statement's text and
    /// hashes it to take the statement out of the cache and again to put it back, which a
    /// batch of a million rows would pay a million times.
    fn insert_keys(&self, rows: &[NewKey<'_>]) -> StoreResult<()> {
        let mut stmt = self.conn.prepare_cached(INSERT_ROW)?;
        rows.iter().try_for_each(|row| insert(&mut stmt, row))
    }
}

fn insert(stmt: &mut rusqlite::CachedStatement<'_>, row: &NewKey<'_>) -> StoreResult<()> {
    let r = row.record;
    stmt.execute(params![
        r.serial,
        sql_int(row.position),
        r.order_id,
        r.organization,
        row.org_search,
        r.seats,
        row.features,
        r.issued,
        r.expires,
        r.key,
        r.key_id,
        r.supersedes,
        r.reason,
        r.via,
        r.template,
        r.contact,
        r.issued_at,
        row.prev,
        row.hash,
        r.actor,
    ])?;
    Ok(())
}
