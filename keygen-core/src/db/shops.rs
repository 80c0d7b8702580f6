//! The shops whose fulfillment webhooks the desk accepts (schema 4): a name, the SHA-256 of
//! the shop's webhook secret, its product ids mapped to editions, who added it when (under
//! the signed head with the people); and the webhook deliveries answered (not signed: a
//! replay cache).
//!
//! The secret itself is not in the ledger: it is in a 0600 file beside the signing key
//! ([`secret_path`]), so that a copy of the ledger (a backup, an export for an auditor) does
//! not let anyone sign webhooks, and the signed hash here tells when that file was swapped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

/// A shop as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shop {
    /// Its name (in the webhook's URL, and the actor `shop:NAME`).
    pub name: String,
    /// The SHA-256 (hex) of its secret's bytes.
    pub secret_hash: String,
    /// Its product ids, each to an edition (template id). Empty: product ids are edition ids.
    pub products: BTreeMap<String, String>,
    /// When added.
    pub added_at: String,
    /// By whom.
    pub added_by: String,
}

/// Where the secret of shop `name` is kept: `shops/NAME.whsec` beside the signing key.
pub fn secret_path(key: &Path, name: &str) -> PathBuf {
    key.parent().unwrap_or(Path::new("")).join("shops").join(format!("{name}.whsec"))
}

/// The actor a shop's work is recorded as.
pub fn actor(name: &str) -> String {
    format!("shop:{name}")
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Shop> {
    let products: String = r.get(2)?;
    Ok(Shop {
        name: r.get(0)?,
        secret_hash: r.get(1)?,
        // The table's CHECK holds it to JSON; another shape maps nothing.
        products: serde_json::from_str(&products).unwrap_or_default(),
        added_at: r.get(3)?,
        added_by: r.get(4)?,
    })
}

/// Every shop, by name.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Shop>> {
    let mut stmt =
        conn.prepare("SELECT name, secret_hash, products, added_at, added_by FROM shops ORDER BY name")?;
    stmt.query_map([], from_row)?.collect()
}

/// One shop.
pub fn get(conn: &Connection, name: &str) -> rusqlite::Result<Option<Shop>> {
    conn.prepare_cached("SELECT name, secret_hash, products, added_at, added_by FROM shops WHERE name = ?1")?
        .query_row([name], from_row)
        .optional()
}

/// Adds a shop, or replaces one of the same name (a new secret or mapping).
pub fn put(conn: &Connection, shop: &Shop) -> rusqlite::Result<()> {
    let products = serde_json::to_string(&shop.products).unwrap_or_else(|_| "{}".to_owned());
    conn.execute(
        "INSERT OR REPLACE INTO shops (name, secret_hash, products, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![shop.name, shop.secret_hash, products, shop.added_at, shop.added_by],
    )
    .map(|_| ())
}

/// Removes a shop; whether it was there.
pub fn remove(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM shops WHERE name = ?1", [name])? == 1)
}

/// The rows the signed head covers, by name.
pub fn signed_rows(conn: &Connection) -> rusqlite::Result<Vec<[String; 5]>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, secret_hash, products, added_at, added_by FROM shops ORDER BY name COLLATE BINARY",
    )?;
    stmt.query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))?.collect()
}

/// The body hash a delivery `id` of `shop` was answered with, if it was.
pub fn delivery(conn: &Connection, shop: &str, id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT body_hash FROM webhook_deliveries WHERE shop = ?1 AND id = ?2")?
        .query_row([shop, id], |r| r.get(0))
        .optional()
}

/// Notes a delivery answered (a second note of the same id keeps the first).
pub fn delivered(conn: &Connection, shop: &str, id: &str, body_hash: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO webhook_deliveries (shop, id, body_hash, at) VALUES (?1, ?2, ?3, ?4)",
        params![shop, id, body_hash, at],
    )
    .map(|_| ())
}
