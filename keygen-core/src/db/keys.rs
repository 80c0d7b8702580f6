//! The `keys` table: one row per key, each in its place in the SHA-256 chain, and the
//! questions commands ask of it (a serial, an order's current key, a key's story).

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{GENESIS, sha256_hex};
use crate::key_record::KeyRecord;

/// The columns a key row is read with, in [`from_row`]'s order.
pub const COLUMNS: &str = "serial, position, order_id, organization, seats, features, issued, expires, key, \
                           signed_by, supersedes, reason, via, template, contact, recorded_at, prev, hash, actor";

/// A key row as stored: the record, its place in the chain and its hash.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The record (`prev` set).
    pub record: KeyRecord,
    /// Its place in the chain, from 1.
    pub position: u64,
    /// The hash stored with it.
    pub hash: String,
}

/// Reads a row selected with [`COLUMNS`].
pub fn from_row(row: &Row<'_>) -> rusqlite::Result<Stored> {
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

/// The hash of a key row: SHA-256 of the JSON array of its place, the hash before it and its
/// stored fields, in this order (documented in docs/operations.md for auditors).
pub fn row_hash(position: u64, prev: &str, r: &KeyRecord) -> String {
    let fields = (
        position,
        prev,
        &r.serial,
        &r.order_id,
        &r.organization,
        r.seats,
        r.features.join(","),
        &r.issued,
        &r.expires,
        &r.key,
        &r.key_id,
        &r.supersedes,
        &r.reason,
        &r.via,
        &r.template,
        (&r.contact, &r.issued_at),
    );
    // Rows of schema 1 have no actor: their hash is unchanged; an actor is one more element.
    match &r.actor {
        None => sha256_hex(&serde_json::to_vec(&fields).unwrap_or_default()),
        Some(actor) => sha256_hex(&serde_json::to_vec(&(fields, actor)).unwrap_or_default()),
    }
}

/// The end of the keys' chain: rows so far and the last hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Rows.
    pub count: u64,
    /// The last row's hash ([`GENESIS`] when none).
    pub last: String,
}

/// The end of the keys' chain as stored.
pub fn chain(conn: &Connection) -> rusqlite::Result<Chain> {
    let last = conn
        .query_row("SELECT position, hash FROM keys ORDER BY position DESC LIMIT 1", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    Ok(match last {
        Some((n, hash)) => Chain { count: u64::try_from(n).unwrap_or(0), last: hash },
        None => Chain { count: 0, last: GENESIS.to_owned() },
    })
}

/// The statement that appends one key row, its parameters in this order: serial, position,
/// order_id, organization, org_search, seats, features, issued, expires, key, signed_by,
/// supersedes, reason, via, template, contact, recorded_at, prev, hash, actor. [`insert`] and
/// the batch's inserting thread (which hashes the row beside the signing) both use it.
pub const INSERT_ROW: &str = "INSERT INTO keys (serial, position, order_id, organization, org_search, seats, features, \
     issued, expires, key, signed_by, supersedes, reason, via, template, contact, recorded_at, prev, hash, actor) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";

/// Runs [`INSERT_ROW`] (prepared by the caller) for `r` at `position`, with its search
/// column, its features as stored, the hash before it and its own.
pub fn execute_row(
    stmt: &mut rusqlite::Statement<'_>,
    r: &KeyRecord,
    position: u64,
    org_search: &str,
    features: &str,
    prev: &str,
    hash: &str,
) -> rusqlite::Result<()> {
    stmt.execute(params![
        r.serial,
        i64::try_from(position).unwrap_or(i64::MAX),
        r.order_id,
        r.organization,
        org_search,
        r.seats,
        features,
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
        prev,
        hash,
        r.actor,
    ])?;
    Ok(())
}

/// Appends `r` to the chain (its `via`, `issued_at` set by the caller). A serial already
/// recorded, a second key for an order, or a key replaced twice is refused by the database's
/// constraints (a `SQLITE_CONSTRAINT` error).
pub fn insert(conn: &Connection, chain: &mut Chain, r: &KeyRecord) -> rusqlite::Result<()> {
    let position = chain.count + 1;
    let hash = row_hash(position, &chain.last, r);
    let mut stmt = conn.prepare_cached(INSERT_ROW)?;
    execute_row(
        &mut stmt,
        r,
        position,
        &super::search::column(&r.organization),
        &r.features.join(","),
        &chain.last,
        &hash,
    )?;
    chain.count = position;
    chain.last = hash;
    Ok(())
}

/// Whether an insert failed on a constraint (a duplicate serial, most likely).
pub fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

/// The row of `serial`.
pub fn by_serial(conn: &Connection, serial: &str) -> rusqlite::Result<Option<Stored>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM keys WHERE serial = ?1"))?
        .query_row([serial], from_row)
        .optional()
}

/// Whether any key carries `order`.
pub fn order_exists(conn: &Connection, order: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM keys WHERE order_id = ?1 LIMIT 1")?.exists([order])
}

/// The serial of the key that replaced `serial`, if one did.
pub fn successor(conn: &Connection, serial: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT serial FROM keys WHERE supersedes = ?1")?
        .query_row([serial], |r| r.get(0))
        .optional()
}

/// The current key of an order: its first key, then each key that replaced the one before.
pub fn current_of_order(conn: &Connection, order: &str) -> rusqlite::Result<Option<Stored>> {
    let first: Option<String> = conn
        .prepare_cached("SELECT serial FROM keys WHERE order_id = ?1 ORDER BY position LIMIT 1")?
        .query_row([order], |r| r.get(0))
        .optional()?;
    let Some(mut serial) = first else { return Ok(None) };
    // A chain cannot loop: each key replaces an earlier row, and only once.
    while let Some(next) = successor(conn, &serial)? {
        serial = next;
    }
    by_serial(conn, &serial)
}

/// The key that replaced another.
#[derive(Clone, Debug, Serialize)]
pub struct ReplacedBy {
    /// Its serial.
    pub serial: String,
    /// When it was recorded.
    pub issued_at: Option<String>,
    /// `renewal` or `amendment`.
    pub reason: Option<String>,
}

/// A revocation of a key.
#[derive(Clone, Debug, Serialize)]
pub struct Revoked {
    /// The revocation list that first named it.
    pub sequence: u32,
    /// When.
    pub revoked_at: String,
    /// Why, if said.
    pub reason: Option<String>,
    /// Who revoked it (schema 2; none before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// One key and its story.
#[derive(Clone, Debug)]
pub struct History {
    /// The stored row.
    pub stored: Stored,
    /// The key that replaced it, if any.
    pub replaced_by: Option<ReplacedBy>,
    /// Its revocation, if any.
    pub revoked: Option<Revoked>,
}

impl History {
    /// The record.
    pub fn record(&self) -> &KeyRecord {
        &self.stored.record
    }
}

/// A stored key with its story.
pub fn story(conn: &Connection, stored: Stored) -> rusqlite::Result<History> {
    let serial = stored.record.serial.as_str();
    let replaced_by = conn
        .prepare_cached("SELECT serial, recorded_at, reason FROM keys WHERE supersedes = ?1")?
        .query_row([serial], |r| {
            Ok(ReplacedBy { serial: r.get(0)?, issued_at: r.get(1)?, reason: r.get(2)? })
        })
        .optional()?;
    let revoked = revocation(conn, serial)?;
    Ok(History { stored, replaced_by, revoked })
}

/// The revocation of `serial`, if it was revoked.
pub fn revocation(conn: &Connection, serial: &str) -> rusqlite::Result<Option<Revoked>> {
    conn.prepare_cached(
        "SELECT r.sequence, l.published_at, r.reason, l.actor FROM revocations r \
         JOIN revocation_lists l ON l.sequence = r.sequence WHERE r.serial = ?1",
    )?
    .query_row([serial], |r| {
        Ok(Revoked { sequence: r.get(0)?, revoked_at: r.get(1)?, reason: r.get(2)?, actor: r.get(3)? })
    })
    .optional()
}

/// Which keys [`matching`] selects: every condition given must hold.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'a> {
    /// The key of this serial (canonical form).
    pub serial: Option<&'a str>,
    /// The keys of this order.
    pub order_id: Option<&'a str>,
    /// Keys whose organization's search form holds either needle (`search::needles`).
    pub organization: Option<(&'a str, &'a str)>,
}

/// Every key (in chain order) that `filter` selects, with its story; an empty filter selects
/// every key.
pub fn matching(conn: &Connection, filter: &Filter<'_>) -> rusqlite::Result<Vec<History>> {
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
    let mut stmt = conn.prepare(&sql)?;
    let rows: Vec<Stored> = stmt.query_map(args.as_slice(), from_row)?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|s| story(conn, s)).collect()
}

/// Current keys (neither replaced nor revoked) whose last day is from `from` to `to`
/// (YYYY-MM-DD, inclusive), in chain order.
pub fn current_expiring(conn: &Connection, from: &str, to: &str) -> rusqlite::Result<Vec<Stored>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM keys k WHERE expires >= ?1 AND expires <= ?2 \
         AND NOT EXISTS (SELECT 1 FROM keys n WHERE n.supersedes = k.serial) \
         AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = k.serial) ORDER BY position"
    ))?;
    stmt.query_map([from, to], from_row)?.collect()
}

/// Every replaced key not revoked yet, as (its serial, its successor's serial, the
/// successor's day of issue), in chain order.
pub fn replaced_unrevoked(conn: &Connection) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT old.serial, new.serial, new.issued FROM keys new JOIN keys old ON old.serial = new.supersedes \
         WHERE old.serial NOT IN (SELECT serial FROM revocations) ORDER BY old.position",
    )?;
    stmt.query_map(params![], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect()
}
