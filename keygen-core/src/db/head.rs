//! The signing keys the ledger knows, and the signed head: the keys' chain and the lists'
//! chain (count and last hash each) and a digest of the signing keys, signed by the current
//! signing key in the same transaction as every write. Deleting or editing the last row, or
//! a signing key, then no longer matches a signature only the signing key can make.

pub use super::rows::{DeskPart, Head, Signed, SigningKey};

use super::store::{LedgerRead, LedgerWrite, StoreResult};
use super::{people, sha256_hex};
use crate::error::Error;
use crate::key_record::now_rfc3339;

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
    w: &dyn LedgerWrite,
    signer: &crate::token::AnySigner,
    key_path: &std::path::Path,
) -> Result<(), Error> {
    let read = || Error::db("cannot read the ledger's signing keys");
    let id = signer.key_id().to_string();
    let public = hex::encode(signer.public_key());
    let keys = w.signing_keys().map_err(read())?;
    match keys.iter().find(|k| k.key_id == id) {
        Some(k) if k.public_key == public && k.status == "current" => Ok(()),
        Some(k) if k.public_key == public => Err(Error::input(format!(
            "the signing key {} (key_id {id}) was retired by a rotation: sign with the vault's current signing-key.pem",
            key_path.display()
        ))),
        Some(_) => Err(Error::input(format!(
            "the signing key {} has key_id {id}, which the ledger holds for another public key",
            key_path.display()
        ))),
        None => {
            if let Some(current) = keys.iter().find(|k| k.status == "current") {
                return Err(Error::input(format!(
                    "the signing key {} (key_id {id}) is not this ledger's: its current signing key is {}. \
                     Give that key, or change signing keys with: keygen rotate",
                    key_path.display(),
                    current.key_id
                )));
            }
            add(w, &id, &public, "current").map_err(Error::db("cannot record the signing key"))
        }
    }
}

/// Records a signing key.
pub fn add(w: &dyn LedgerWrite, key_id: &str, public_hex: &str, status: &str) -> StoreResult<()> {
    let at = now_rfc3339();
    w.add_signing_key(&SigningKey {
        key_id: key_id.to_owned(),
        public_key: public_hex.to_owned(),
        status: status.to_owned(),
        retired_at: (status == "retired").then(|| at.clone()),
        added_at: at,
    })
}

/// The ledger's current signing key id, if it has one.
pub fn current_key_id(r: &dyn LedgerRead) -> StoreResult<Option<String>> {
    Ok(r.signing_keys()?.into_iter().find(|k| k.status == "current").map(|k| k.key_id))
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
pub fn compute(r: &dyn LedgerRead) -> StoreResult<Head> {
    let k = r.key_chain()?;
    let l = r.list_chain()?;
    let j = people::journal_end(r)?;
    Ok(Head {
        key_count: k.count,
        key_hash: k.last,
        list_count: l.count,
        list_hash: l.last,
        signers_hash: signers_hash(&r.signing_keys()?),
        desk: Some(DeskPart { people_hash: people::digest(r)?, journal_id: j.count, journal_hash: j.last }),
    })
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
pub(crate) fn sign(w: &dyn LedgerWrite, signer: &crate::token::AnySigner) -> Result<Signed, Error> {
    let what = || Error::db("cannot sign the ledger's head");
    let signed = sign_head(compute(w).map_err(what())?, signer)?;
    w.store_head(&signed).map_err(what())?;
    Ok(signed)
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
