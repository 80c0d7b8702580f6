//! The desk's people (schema 2): a name, a role, an Argon2id password hash, and the count of
//! wrong passwords that locks the account for a while; and the desk's journal of events.
//!
//! Since schema 3 both are under the signed head: [`digest`] covers every person's name, role,
//! password hash and who added them when; the journal is a chain ([`event_hash`]) whose end
//! the head holds. `failed_attempts` and `locked_until` stay outside the signature: they can
//! only lock a person out or let them try again, never let anyone in or raise a role (the
//! desk keeps sign-in throttling in its memory from issue 27 on; nothing in `db/` but
//! [`failed`] and [`succeeded`] touches them).

use rusqlite::{Connection, OptionalExtension, params};

pub use super::role::Role;

/// A person as stored (the hash stays in the database but for sign-in).
#[derive(Clone, Debug)]
pub struct Person {
    /// Their name (what they sign in with).
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Wrong passwords since the last sign-in.
    pub failed_attempts: u32,
    /// Locked until then (RFC 3339 UTC), if locked.
    pub locked_until: Option<String>,
    /// When added.
    pub added_at: String,
    /// By whom.
    pub added_by: String,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    let role: String = r.get(1)?;
    Ok(Person {
        name: r.get(0)?,
        // The table's CHECK holds the role to these names.
        role: role.parse().unwrap_or(Role::Support),
        failed_attempts: r.get(2)?,
        locked_until: r.get(3)?,
        added_at: r.get(4)?,
        added_by: r.get(5)?,
    })
}

const COLUMNS: &str = "name, role, failed_attempts, locked_until, added_at, added_by";

/// Everyone, by name.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Person>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM people ORDER BY name"))?;
    stmt.query_map([], from_row)?.collect()
}

/// One person and their password hash.
pub fn get(conn: &Connection, name: &str) -> rusqlite::Result<Option<(Person, String)>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS}, password_hash FROM people WHERE name = ?1"))?
        .query_row([name], |r| Ok((from_row(r)?, r.get(6)?)))
        .optional()
}

/// Adds a person (a name already there is a constraint error).
pub fn add(
    conn: &Connection,
    name: &str,
    role: Role,
    hash: &str,
    at: &str,
    by: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO people (name, role, password_hash, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![name, role.name(), hash, at, by],
    )
    .map(|_| ())
}

/// Removes a person; whether they were there.
pub fn remove(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM people WHERE name = ?1", [name])? == 1)
}

/// Sets a person's password (and unlocks them); whether they were there.
pub fn set_password(conn: &Connection, name: &str, hash: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE people SET password_hash = ?2, failed_attempts = 0, locked_until = NULL WHERE name = ?1",
        params![name, hash],
    )? == 1)
}

/// Appends an event to the desk's journal, chained to the one before.
pub fn event(conn: &Connection, at: &str, actor: &str, action: &str, detail: &str) -> rusqlite::Result<()> {
    chain_journal(conn)?;
    let end = journal_end(conn)?;
    let id = end.count + 1;
    let hash = event_hash(id, &end.last, at, actor, action, detail);
    conn.execute(
        "INSERT INTO desk_events (id, at, actor, action, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![i64::try_from(id).unwrap_or(i64::MAX), at, actor, action, detail, hash],
    )
    .map(|_| ())
}

/// The hash of a journal event: SHA-256 of the JSON array of its id, the hash of the event
/// before (64 zeros for the first) and its fields.
pub fn event_hash(id: u64, prev: &str, at: &str, actor: &str, action: &str, detail: &str) -> String {
    super::sha256_hex(&serde_json::to_vec(&(id, prev, at, actor, action, detail)).unwrap_or_default())
}

/// The end of the journal's chain: the last event's id (0 when none) and hash
/// ([`super::GENESIS`] when none; an empty string for an event not chained yet).
pub fn journal_end(conn: &Connection) -> rusqlite::Result<super::keys::Chain> {
    let last = conn
        .prepare_cached("SELECT id, hash FROM desk_events ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)))
        .optional()?;
    Ok(match last {
        Some((id, hash)) => {
            super::keys::Chain { count: u64::try_from(id).unwrap_or(0), last: hash.unwrap_or_default() }
        }
        None => super::keys::Chain { count: 0, last: super::GENESIS.to_owned() },
    })
}

/// A journal event as stored.
pub struct Event {
    /// Its id.
    pub id: u64,
    /// When, who, what, about what.
    pub fields: [String; 4],
    /// Its stored hash (`None` before schema 3's first signed write).
    pub hash: Option<String>,
}

/// Every event from id `after` on, in order.
pub fn events_after(conn: &Connection, after: u64) -> rusqlite::Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, detail, hash FROM desk_events WHERE id > ?1 ORDER BY id",
    )?;
    stmt.query_map([i64::try_from(after).unwrap_or(i64::MAX)], event_row)?.collect()
}

/// The last `n` events, the last first.
pub fn last_events(conn: &Connection, n: u32) -> rusqlite::Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, detail, hash FROM desk_events ORDER BY id DESC LIMIT ?1",
    )?;
    stmt.query_map([n], event_row)?.collect()
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
        fields: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
        hash: r.get(5)?,
    })
}

/// Chains the events written before schema 3 (their hash is NULL): done by the first signed
/// write after the migration, before it signs (they were never signed, so nothing is lost
/// that a signature held). A no-op once every event has its hash (one indexed read).
pub fn chain_journal(conn: &Connection) -> rusqlite::Result<()> {
    let unchained: bool =
        conn.prepare_cached("SELECT 1 FROM desk_events WHERE hash IS NULL LIMIT 1")?.exists([])?;
    if !unchained {
        return Ok(());
    }
    let mut prev = super::GENESIS.to_owned();
    for e in events_after(conn, 0)? {
        let [at, actor, action, detail] = &e.fields;
        let hash = match e.hash {
            Some(h) => h,
            None => {
                let h = event_hash(e.id, &prev, at, actor, action, detail);
                conn.execute(
                    "UPDATE desk_events SET hash = ?2 WHERE id = ?1",
                    params![i64::try_from(e.id).unwrap_or(i64::MAX), h],
                )?;
                h
            }
        };
        prev = hash;
    }
    Ok(())
}

/// The digest of the people that the head signs: SHA-256 of the JSON array of every person
/// (by name) as name, role, password hash, when added, by whom; with API tokens or shops
/// (schema 4), of the JSON array of that array, the tokens' and the shops' signed rows.
pub fn digest(conn: &Connection) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, role, password_hash, added_at, added_by FROM people ORDER BY name COLLATE BINARY",
    )?;
    let rows: Vec<(String, String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // Since schema 4 the API tokens and the shops are covered too; while there are none the
    // digest is the people's alone, as schema 3 signed it (a migrated ledger's head holds).
    let tokens = super::tokens::signed_rows(conn)?;
    let shops = super::shops::signed_rows(conn)?;
    if tokens.is_empty() && shops.is_empty() {
        return Ok(super::sha256_hex(&serde_json::to_vec(&rows).unwrap_or_default()));
    }
    Ok(super::sha256_hex(&serde_json::to_vec(&(rows, tokens, shops)).unwrap_or_default()))
}

/// An Argon2id PHC string of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches `hash` (in the time Argon2 takes, whatever the answer).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}
