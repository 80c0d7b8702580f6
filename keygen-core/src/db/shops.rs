//! The shops whose fulfillment webhooks the desk accepts (schema 4): a name, the SHA-256 of
//! the shop's webhook secret, its product ids mapped to editions, who added it when (under
//! the signed head with the people); and the webhook deliveries answered (not signed: a
//! replay cache).
//!
//! The secret itself is not in the ledger: it is in a 0600 file beside the signing key
//! ([`secret_path`]), so that a copy of the ledger (a backup, an export for an auditor) does
//! not let anyone sign webhooks, and the signed hash here tells when that file was swapped.

pub use super::rows::Shop;

use std::path::{Path, PathBuf};

/// Where the secret of shop `name` is kept: `shops/NAME.whsec` beside the signing key.
pub fn secret_path(key: &Path, name: &str) -> PathBuf {
    key.parent().unwrap_or(Path::new("")).join("shops").join(format!("{name}.whsec"))
}

/// The actor a shop's work is recorded as.
pub fn actor(name: &str) -> String {
    format!("shop:{name}")
}
