//! The revocation lists: one sequence for the vendor across signing keys, each list stored
//! with its exact text (so it can be written again byte for byte), chained like the keys;
//! and `revocations`, the list that first named each revoked key.

use rusqlite::{Connection, OptionalExtension, params};

use super::keys::Chain;
use super::{GENESIS, sha256_hex};

/// A published list as stored.
#[derive(Clone, Debug)]
pub struct StoredList {
    /// Its sequence, from 1.
    pub sequence: u32,
    /// The key_id that signed it.
    pub signed_by: String,
    /// Why (as given to `revoke --reason`).
    pub reason: Option<String>,
    /// When (RFC 3339 UTC).
    pub published_at: String,
    /// The armoured text as published.
    pub text: String,
    /// The hash of the list before.
    pub prev: String,
    /// Its hash.
    pub hash: String,
    /// Who recorded it (schema 2; none before).
    pub actor: Option<String>,
}

/// A list row's hash: SHA-256 of the JSON array of its sequence, the hash before it and its
/// fields.
pub fn row_hash(l: &StoredList) -> String {
    let fields = (l.sequence, &l.prev, &l.signed_by, &l.reason, &l.published_at, &l.text);
    // Lists of schema 1 have no actor: their hash is unchanged; an actor is one more element.
    match &l.actor {
        None => sha256_hex(&serde_json::to_vec(&fields).unwrap_or_default()),
        Some(actor) => sha256_hex(&serde_json::to_vec(&(fields, actor)).unwrap_or_default()),
    }
}

/// The end of the lists' chain.
pub fn chain(conn: &Connection) -> rusqlite::Result<Chain> {
    let last = conn
        .query_row("SELECT sequence, hash FROM revocation_lists ORDER BY sequence DESC LIMIT 1", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    Ok(match last {
        Some((n, hash)) => Chain { count: u64::try_from(n).unwrap_or(0), last: hash },
        None => Chain { count: 0, last: GENESIS.to_owned() },
    })
}

/// Every serial revoked so far, ascending.
pub fn revoked(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT serial FROM revocations ORDER BY serial")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Records the next list (its sequence must be the chain's count + 1) and the serials it
/// revokes for the first time.
pub fn insert(
    conn: &Connection,
    signed_by: &str,
    reason: Option<&str>,
    published_at: &str,
    text: &str,
    new_serials: &[String],
) -> rusqlite::Result<u32> {
    insert_by(conn, signed_by, reason, published_at, text, new_serials, None)
}

/// [`insert`], recording who did it.
pub fn insert_by(
    conn: &Connection,
    signed_by: &str,
    reason: Option<&str>,
    published_at: &str,
    text: &str,
    new_serials: &[String],
    actor: Option<&str>,
) -> rusqlite::Result<u32> {
    let end = chain(conn)?;
    let mut list = StoredList {
        sequence: u32::try_from(end.count + 1).unwrap_or(u32::MAX),
        signed_by: signed_by.to_owned(),
        reason: reason.map(str::to_owned),
        published_at: published_at.to_owned(),
        text: text.to_owned(),
        prev: end.last,
        hash: String::new(),
        actor: actor.map(str::to_owned),
    };
    list.hash = row_hash(&list);
    conn.execute(
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
    let mut stmt =
        conn.prepare_cached("INSERT INTO revocations (serial, sequence, reason) VALUES (?1, ?2, ?3)")?;
    for s in new_serials {
        stmt.execute(params![s, list.sequence, list.reason])?;
    }
    Ok(list.sequence)
}

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

/// Every list, in sequence.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<StoredList>> {
    let mut stmt = conn.prepare(&format!("SELECT {LIST_COLUMNS} FROM revocation_lists ORDER BY sequence"))?;
    stmt.query_map([], list_row)?.collect()
}

/// The last list, if any.
pub fn last(conn: &Connection) -> rusqlite::Result<Option<StoredList>> {
    conn.prepare_cached(&format!(
        "SELECT {LIST_COLUMNS} FROM revocation_lists ORDER BY sequence DESC LIMIT 1"
    ))?
    .query_row([], list_row)
    .optional()
}

/// The text of list `sequence` as first published.
pub fn text(conn: &Connection, sequence: u32) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT text FROM revocation_lists WHERE sequence = ?1", [sequence], |r| r.get(0))
        .optional()
}

/// The serials list `sequence` named for the first time, with the reason stored for each.
pub fn named_by(conn: &Connection, sequence: u32) -> rusqlite::Result<Vec<(String, Option<String>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT serial, reason FROM revocations WHERE sequence = ?1 ORDER BY serial")?;
    stmt.query_map([sequence], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}
