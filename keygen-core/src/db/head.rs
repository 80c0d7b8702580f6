//! The signing keys the ledger knows, and the signed head: the keys' chain and the lists'
//! chain (count and last hash each) and a digest of the signing keys, signed by the current
//! signing key in the same transaction as every write. Deleting or editing the last row, or
//! a signing key, then no longer matches a signature only the signing key can make.

use rusqlite::{Connection, OptionalExtension, params};

use super::{keys, lists, people, sha256_hex};
use crate::error::Error;
use crate::key_record::now_rfc3339;

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
    signer: &crate::token::AnySigner,
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

/// Marks the signing key `key_id` retired (a rotation), as of `at`.
pub fn retire(conn: &Connection, key_id: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE signing_keys SET status = 'retired', retired_at = ?1 WHERE key_id = ?2",
        params![at, key_id],
    )?;
    Ok(())
}

/// The ledger's current signing key id, if it has one.
pub fn current_key_id(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT key_id FROM signing_keys WHERE status = 'current'", [], |r| r.get(0)).optional()
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
    /// What a v2 head covers besides; `None` on a v1 head (signed before schema 3).
    pub desk: Option<DeskPart>,
}

/// What a `ledger-head-v2` covers besides the chains and the signers: the desk's people and
/// the end of its journal's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeskPart {
    /// [`super::people::digest`] of the people.
    pub people_hash: String,
    /// The id of the journal's last event (0 when none).
    pub journal_id: u64,
    /// Its hash ([`super::GENESIS`] when none).
    pub journal_hash: String,
}

/// The first line of a v2 head's message. A v1 message starts with `keys `, so no message of
/// one form reads as the other (both are signed under `ledger-head-v1\0`).
pub const V2: &str = "ledger-head-v2";

impl Head {
    /// The bytes the signature covers (after the context `ledger-head-v1\0`).
    pub fn message(&self) -> Vec<u8> {
        let v1 = format!(
            "keys {} {}\nlists {} {}\nsigners {}\n",
            self.key_count, self.key_hash, self.list_count, self.list_hash, self.signers_hash
        );
        match &self.desk {
            None => v1.into_bytes(),
            Some(d) => {
                format!("{V2}\n{v1}people {}\njournal {} {}\n", d.people_hash, d.journal_id, d.journal_hash)
                    .into_bytes()
            }
        }
    }
}

/// The head as the tables are now (always v2).
pub fn compute(conn: &Connection) -> rusqlite::Result<Head> {
    let k = keys::chain(conn)?;
    let l = lists::chain(conn)?;
    let j = people::journal_end(conn)?;
    Ok(Head {
        key_count: k.count,
        key_hash: k.last,
        list_count: l.count,
        list_hash: l.last,
        signers_hash: signers_hash(&signing_keys(conn)?),
        desk: Some(DeskPart {
            people_hash: people::digest(conn)?,
            journal_id: j.count,
            journal_hash: j.last,
        }),
    })
}

/// A head with the key_id that signed it and its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The head.
    pub head: Head,
    /// The signer's key_id.
    pub by: String,
    /// The signature, 128 hex digits.
    pub signature: String,
}

impl Signed {
    /// The head in one line of text: what `keygen ledger head` prints and each line of the
    /// checkpoint log holds (docs/operations.md, "The checkpoint log").
    pub fn line(&self) -> String {
        let h = &self.head;
        let mut out = format!(
            "{} keys {} {} lists {} {} signers {}",
            if h.desk.is_some() { V2 } else { "ledger-head-v1" },
            h.key_count,
            h.key_hash,
            h.list_count,
            h.list_hash,
            h.signers_hash
        );
        if let Some(d) = &h.desk {
            out.push_str(&format!(" people {} journal {} {}", d.people_hash, d.journal_id, d.journal_hash));
        }
        out.push_str(&format!(" by {} sig {}", self.by, self.signature));
        out
    }

    /// Reads [`Signed::line`]'s form back; `None` when it is not one.
    pub fn parse(line: &str) -> Option<Signed> {
        let t: Vec<&str> = line.split_ascii_whitespace().collect();
        let hex = |s: &str, n: usize| {
            (s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_owned())
        };
        let num = |s: &str| s.parse::<u64>().ok();
        let (desk, rest) = match *t.first()? {
            "ledger-head-v1" if t.len() == 13 => (None, &t[9..]),
            V2 if t.len() == 18 => {
                if t[9] != "people" || t[11] != "journal" {
                    return None;
                }
                (
                    Some(DeskPart {
                        people_hash: hex(t[10], 64)?,
                        journal_id: num(t[12])?,
                        journal_hash: hex(t[13], 64)?,
                    }),
                    &t[14..],
                )
            }
            _ => return None,
        };
        if t[1] != "keys" || t[4] != "lists" || t[7] != "signers" || rest[0] != "by" || rest[2] != "sig" {
            return None;
        }
        Some(Signed {
            head: Head {
                key_count: num(t[2])?,
                key_hash: hex(t[3], 64)?,
                list_count: num(t[5])?,
                list_hash: hex(t[6], 64)?,
                signers_hash: hex(t[8], 64)?,
                desk,
            },
            by: hex(rest[1], 8)?,
            signature: hex(rest[3], 128)?,
        })
    }
}

/// Signs `head` with `signer`.
pub fn sign_head(head: Head, signer: &crate::token::AnySigner) -> Result<Signed, Error> {
    let signature = hex::encode(signer.sign_ledger_head(&head.message())?);
    Ok(Signed { head, by: signer.key_id().to_string(), signature })
}

/// Signs the head of the tables as they are now and stores it (in the caller's transaction).
/// Called by the write door only ([`super::Writer::commit`]).
pub(crate) fn sign(conn: &Connection, signer: &crate::token::AnySigner) -> Result<Signed, Error> {
    let what = || Error::db("cannot sign the ledger's head");
    let signed = sign_head(compute(conn).map_err(what())?, signer)?;
    let h = &signed.head;
    let d = h.desk.as_ref();
    conn.execute("DELETE FROM ledger_head", []).map_err(what())?;
    conn.execute(
        "INSERT INTO ledger_head (id, key_count, key_hash, list_count, list_hash, signers_hash, signed_by, signature, \
         people_hash, journal_id, journal_hash) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            i64::try_from(h.key_count).unwrap_or(i64::MAX),
            h.key_hash,
            i64::try_from(h.list_count).unwrap_or(i64::MAX),
            h.list_hash,
            h.signers_hash,
            signed.by,
            signed.signature,
            d.map(|d| d.people_hash.clone()),
            d.map(|d| i64::try_from(d.journal_id).unwrap_or(i64::MAX)),
            d.map(|d| d.journal_hash.clone()),
        ],
    )
    .map_err(what())?;
    Ok(signed)
}

/// The stored head with its signer and signature, if there is one.
pub fn stored(conn: &Connection) -> rusqlite::Result<Option<Signed>> {
    conn.query_row(
        "SELECT key_count, key_hash, list_count, list_hash, signers_hash, signed_by, signature, \
         people_hash, journal_id, journal_hash FROM ledger_head WHERE id = 1",
        [],
        |r| {
            let people_hash: Option<String> = r.get(7)?;
            let journal_id: Option<i64> = r.get(8)?;
            let journal_hash: Option<String> = r.get(9)?;
            // A v2 head has all three; any other mix is not a head this keygen signed, and
            // reads as v2 with what is there so that its signature fails.
            let desk = match (people_hash, journal_id, journal_hash) {
                (None, None, None) => None,
                (p, i, h) => Some(DeskPart {
                    people_hash: p.unwrap_or_default(),
                    journal_id: u64::try_from(i.unwrap_or(-1)).unwrap_or(u64::MAX),
                    journal_hash: h.unwrap_or_default(),
                }),
            };
            Ok(Signed {
                head: Head {
                    key_count: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    key_hash: r.get(1)?,
                    list_count: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    list_hash: r.get(3)?,
                    signers_hash: r.get(4)?,
                    desk,
                },
                by: r.get(5)?,
                signature: r.get(6)?,
            })
        },
    )
    .optional()
}

/// Whether `signed`'s signature verifies with the public key `signers` hold for its signer;
/// the reason when not.
pub fn check_signature(signed: &Signed, signers: &[SigningKey]) -> Result<(), String> {
    let mut sig = [0u8; 64];
    if hex::decode_to_slice(&signed.signature, &mut sig).is_err() {
        return Err("its signature is not 128 hex digits".into());
    }
    let Some(k) = signers.iter().find(|k| k.key_id == signed.by) else {
        return Err(format!("it is signed by {}, not a key of the ledger", signed.by));
    };
    let mut raw = [0u8; 32];
    if hex::decode_to_slice(&k.public_key, &mut raw).is_err() {
        return Err(format!("the public key of {} is not 64 hex digits", k.key_id));
    }
    let mut trusted = product_key::TrustedKeys::new();
    if trusted.add(&raw).is_err() {
        return Err(format!("the public key of {} is not a valid Ed25519 key", k.key_id));
    }
    let message = product_key::ledger_head_message(&signed.head.message());
    trusted
        .check_signature(product_key::KeyId::of_public_key(&raw), &message, &sig)
        .map_err(|_| format!("its signature does not verify with {}'s public key", signed.by))
}
