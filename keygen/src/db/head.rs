//! The signing keys the ledger knows, and the signed head: the keys' chain and the lists'
//! chain (count and last hash each) and a digest of the signing keys, signed by the current
//! signing key in the same transaction as every write. Deleting or editing the last row, or
//! a signing key, then no longer matches a signature only the signing key can make.

use rusqlite::{Connection, OptionalExtension, params};

use super::{keys, lists, sha256_hex};
use crate::error::Error;
use crate::record::now_rfc3339;

/// A signing key the ledger knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningKey {
    /// 8 hex digits.
    pub key_id: String,
    /// 64 hex digits.
    pub public_key: String,
    /// `current` or `retired`.
    pub status: String,
    /// When it was first used.
    pub added_at: String,
    /// When a rotation retired it.
    pub retired_at: Option<String>,
}

/// Every signing key, oldest first.
pub fn signing_keys(conn: &Connection) -> rusqlite::Result<Vec<SigningKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key_id, public_key, status, added_at, retired_at FROM signing_keys ORDER BY position",
    )?;
    stmt.query_map([], |r| {
        Ok(SigningKey {
            key_id: r.get(0)?,
            public_key: r.get(1)?,
            status: r.get(2)?,
            added_at: r.get(3)?,
            retired_at: r.get(4)?,
        })
    })?
    .collect()
}

/// The digest of the signing keys that the head signs.
pub fn signers_hash(keys: &[SigningKey]) -> String {
    let rows: Vec<_> =
        keys.iter().map(|k| (&k.key_id, &k.public_key, &k.status, &k.added_at, &k.retired_at)).collect();
    sha256_hex(&serde_json::to_vec(&rows).unwrap_or_default())
}

/// Makes sure `signer` is the ledger's current signing key: the first key to write a new
/// ledger becomes it; another key is refused (a retired one, or one the ledger never knew:
/// signing keys change only by `keygen rotate`).
pub fn ensure_current(
    conn: &Connection,
    signer: &product_key::Signer,
    key_path: &std::path::Path,
) -> Result<(), Error> {
    let read = || Error::db("cannot read the ledger's signing keys");
    let id = signer.key_id().to_string();
    let public = hex::encode(signer.public_key());
    let known: Option<(String, String)> = conn
        .query_row("SELECT public_key, status FROM signing_keys WHERE key_id = ?1", [&id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(read())?;
    match known {
        Some((p, status)) if p == public && status == "current" => Ok(()),
        Some((p, _)) if p == public => Err(Error::input(format!(
            "the signing key {} (key_id {id}) was retired by a rotation: sign with the vault's current signing-key.pem",
            key_path.display()
        ))),
        Some(_) => Err(Error::input(format!(
            "the signing key {} has key_id {id}, which the ledger holds for another public key",
            key_path.display()
        ))),
        None => {
            let current: Option<String> = conn
                .query_row("SELECT key_id FROM signing_keys WHERE status = 'current'", [], |r| r.get(0))
                .optional()
                .map_err(read())?;
            if let Some(current) = current {
                return Err(Error::input(format!(
                    "the signing key {} (key_id {id}) is not this ledger's: its current signing key is {current}. \
                     Give that key, or change signing keys with: keygen rotate",
                    key_path.display()
                )));
            }
            add(conn, &id, &public, "current").map_err(Error::db("cannot record the signing key"))
        }
    }
}

/// Records a signing key.
pub fn add(conn: &Connection, key_id: &str, public_hex: &str, status: &str) -> rusqlite::Result<()> {
    let retired = (status == "retired").then(now_rfc3339);
    conn.execute(
        "INSERT INTO signing_keys (key_id, public_key, position, status, added_at, retired_at) \
         VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM signing_keys), ?3, ?4, ?5)",
        params![key_id, public_hex, status, now_rfc3339(), retired],
    )?;
    Ok(())
}

/// The head as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Key rows.
    pub key_count: u64,
    /// The last key row's hash.
    pub key_hash: String,
    /// Revocation lists.
    pub list_count: u64,
    /// The last list's hash.
    pub list_hash: String,
    /// [`signers_hash`] of the signing keys.
    pub signers_hash: String,
}

impl Head {
    /// The bytes the signature covers (after the context `ledger-head-v1\0`).
    pub fn message(&self) -> Vec<u8> {
        format!(
            "keys {} {}\nlists {} {}\nsigners {}\n",
            self.key_count, self.key_hash, self.list_count, self.list_hash, self.signers_hash
        )
        .into_bytes()
    }
}

/// The head as the tables are now.
pub fn compute(conn: &Connection) -> rusqlite::Result<Head> {
    let k = keys::chain(conn)?;
    let l = lists::chain(conn)?;
    Ok(Head {
        key_count: k.count,
        key_hash: k.last,
        list_count: l.count,
        list_hash: l.last,
        signers_hash: signers_hash(&signing_keys(conn)?),
    })
}

/// Signs the head of the tables as they are now and stores it (in the caller's transaction).
pub fn sign(conn: &Connection, signer: &product_key::Signer) -> Result<(), Error> {
    let what = || Error::db("cannot sign the ledger's head");
    let head = compute(conn).map_err(what())?;
    let signature = signer.sign_ledger_head(&head.message());
    conn.execute("DELETE FROM ledger_head", []).map_err(what())?;
    conn.execute(
        "INSERT INTO ledger_head (id, key_count, key_hash, list_count, list_hash, signers_hash, signed_by, signature) \
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            i64::try_from(head.key_count).unwrap_or(i64::MAX),
            head.key_hash,
            i64::try_from(head.list_count).unwrap_or(i64::MAX),
            head.list_hash,
            head.signers_hash,
            signer.key_id().to_string(),
            hex::encode(signature),
        ],
    )
    .map_err(what())?;
    Ok(())
}

/// The stored head with its signer and signature (hex), if there is one.
pub fn stored(conn: &Connection) -> rusqlite::Result<Option<(Head, String, String)>> {
    conn.query_row(
        "SELECT key_count, key_hash, list_count, list_hash, signers_hash, signed_by, signature FROM ledger_head WHERE id = 1",
        [],
        |r| {
            Ok((
                Head {
                    key_count: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    key_hash: r.get(1)?,
                    list_count: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    list_hash: r.get(3)?,
                    signers_hash: r.get(4)?,
                },
                r.get(5)?,
                r.get(6)?,
            ))
        },
    )
    .optional()
}
