//! The desk's API tokens (schema 4): a name, a role, the SHA-256 of the token, an optional
//! last day, who added it when, and when it was last used. The token itself is never stored:
//! it is printed once when made. Name, role, hash, last day and who added it when are under
//! the signed head with the people ([`super::people::digest`]); `last_used` is not.

use rusqlite::{Connection, OptionalExtension, params};

use super::role::Role;

/// What a token's text starts with (so that a leaked one is recognized in logs and scans).
pub const PREFIX: &str = "kgt_";

/// A token as stored (without its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Its name (what the ledger's `actor` names, after `api:`).
    pub name: String,
    /// What it may do: the desk's roles.
    pub role: Role,
    /// Its last valid day (YYYY-MM-DD, UTC), if it has one.
    pub expires: Option<String>,
    /// When added.
    pub added_at: String,
    /// By whom.
    pub added_by: String,
    /// When last used (RFC 3339 UTC), if ever.
    pub last_used: Option<String>,
}

/// The actor a token's work is recorded as: `api:` and its name. People's names cannot start
/// so (`desk::cli::check_name`), and the command line's are `cli:...`, so no person and no
/// token share one.
pub fn actor(name: &str) -> String {
    format!("api:{name}")
}

/// The SHA-256 (hex) a token is stored and looked up by.
pub fn hash(token: &str) -> String {
    super::sha256_hex(token.as_bytes())
}

const COLUMNS: &str = "name, role, expires, added_at, added_by, last_used";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    let role: String = r.get(1)?;
    Ok(Token {
        name: r.get(0)?,
        // The table's CHECK holds the role to these names.
        role: role.parse().unwrap_or(Role::Support),
        expires: r.get(2)?,
        added_at: r.get(3)?,
        added_by: r.get(4)?,
        last_used: r.get(5)?,
    })
}

/// Every token, by name.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Token>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY name"))?;
    stmt.query_map([], from_row)?.collect()
}

/// The token whose hash is `hash`, with the hash as stored (for a comparison in constant time).
pub fn by_hash(conn: &Connection, hash: &str) -> rusqlite::Result<Option<(Token, String)>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS}, token_hash FROM api_tokens WHERE token_hash = ?1"))?
        .query_row([hash], |r| Ok((from_row(r)?, r.get(6)?)))
        .optional()
}

/// Whether a token named `name` (in any ASCII case) exists; its name as stored.
pub fn taken(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT name FROM api_tokens WHERE lower(name) = lower(?1)")?
        .query_row([name], |r| r.get(0))
        .optional()
}

/// Adds a token (by its hash).
pub fn add(
    conn: &Connection,
    name: &str,
    role: Role,
    hash: &str,
    expires: Option<&str>,
    at: &str,
    by: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO api_tokens (name, role, token_hash, expires, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name, role.name(), hash, expires, at, by],
    )
    .map(|_| ())
}

/// Removes a token; whether it was there.
pub fn remove(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM api_tokens WHERE name = ?1", [name])? == 1)
}

/// Notes a token's use (outside the signed head: it lets no one in).
pub fn used(conn: &Connection, name: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE api_tokens SET last_used = ?2 WHERE name = ?1", params![name, at]).map(|_| ())
}

/// The rows the signed head covers, by name: name, role, hash, last day, when and by whom added.
pub fn signed_rows(conn: &Connection) -> rusqlite::Result<Vec<[Option<String>; 6]>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, role, token_hash, expires, added_at, added_by FROM api_tokens ORDER BY name COLLATE BINARY",
    )?;
    stmt.query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]))?.collect()
}
