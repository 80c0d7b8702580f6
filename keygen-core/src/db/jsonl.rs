//! The ledger as JSON Lines, the format of keygen before the database: one record a line,
//! each carrying `prev`, the SHA-256 of the line before. `export` writes it (for people and
//! audits; `import` reads it back); `import` brings such a ledger into a new database after
//! checking its chain and every key.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};

use product_key::{Check, Day, KeyId, Product, RevocationList, Serial, TrustedKeys};
use serde::{Deserialize, Serialize};

use super::keys::{self, Chain};
use super::store::{LedgerRead, LedgerWrite};
use super::{GENESIS, lists, sha256_hex};
use crate::error::Error;
use crate::key_record::{KeyRecord, now_rfc3339};

/// A revocation as a JSON Lines ledger holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevocationLine {
    /// Serials revoked by this list for the first time.
    pub revoked: Vec<String>,
    /// Why.
    pub reason: Option<String>,
    /// When (RFC 3339 UTC).
    pub revoked_at: String,
    /// The list's sequence.
    pub sequence: u32,
}

/// Appends `json` (an object) to `out` as a chained line, and returns the line's hash.
fn chained(json: &[u8], prev: &str, out: &mut Vec<u8>) -> String {
    let start = out.len();
    out.extend_from_slice(json.strip_suffix(b"}").unwrap_or(json));
    out.extend_from_slice(b",\"prev\":\"");
    out.extend_from_slice(prev.as_bytes());
    out.extend_from_slice(b"\"}");
    let hash = sha256_hex(&out[start..]);
    out.push(b'\n');
    hash
}

/// Writes every key and every revocation, in the order they were recorded, as a chained
/// JSON Lines ledger.
pub fn export(conn: &dyn LedgerRead, out: &mut impl Write) -> Result<u64, Error> {
    let read = || Error::db("cannot read the ledger");
    let all_lists = conn.lists().map_err(read())?;
    let mut pending = all_lists.iter().peekable();
    let mut prev = GENESIS.to_owned();
    let mut buf = Vec::with_capacity(1 << 16);
    let mut lines = 0u64;
    let write = |buf: &mut Vec<u8>, out: &mut dyn Write| -> Result<(), Error> {
        out.write_all(buf).map_err(Error::stdout)?;
        buf.clear();
        Ok(())
    };
    let list_line = |l: &lists::StoredList, prev: &mut String, buf: &mut Vec<u8>| -> Result<(), Error> {
        let revoked = conn.named_by(l.sequence).map_err(read())?.into_iter().map(|(s, _)| s).collect();
        let line = RevocationLine {
            revoked,
            reason: l.reason.clone(),
            revoked_at: l.published_at.clone(),
            sequence: l.sequence,
        };
        let json = serde_json::to_vec(&line).map_err(|e| Error::input(e.to_string()))?;
        *prev = chained(&json, prev, buf);
        Ok(())
    };
    for stored in keys::pages(conn, 8192).map(|page| page.map_err(read())) {
        for stored in stored? {
            let mut record = stored.record;
            // A list goes after every key recorded up to its time (keys first within a second).
            while let Some(l) =
                pending.next_if(|l| record.issued_at.as_deref().is_some_and(|t| l.published_at.as_str() < t))
            {
                list_line(l, &mut prev, &mut buf)?;
                lines += 1;
            }
            record.prev = None;
            let json = serde_json::to_vec(&record).map_err(|e| Error::input(e.to_string()))?;
            prev = chained(&json, &prev, &mut buf);
            lines += 1;
            if buf.len() > 1 << 20 {
                write(&mut buf, out)?;
            }
        }
    }
    for l in pending {
        list_line(l, &mut prev, &mut buf)?;
        lines += 1;
    }
    write(&mut buf, out)?;
    Ok(lines)
}

/// What an import brought in.
pub struct Imported {
    /// Keys.
    pub keys: u64,
    /// Revocation lists (signed again by the current signing key).
    pub lists: u64,
}

/// Reads a JSON Lines ledger into `conn` (an empty ledger, in the caller's transaction):
/// each line's `prev` must be the hash of the line before, every key must verify with one of
/// `trusted` and say what its record says. The first broken line is named and nothing is
/// imported. Revocation lists are signed again by `signer` (Ed25519 is deterministic: with
/// the key that signed them first, the same text).
pub fn import(
    conn: &dyn LedgerWrite,
    from: &std::path::Path,
    input: impl BufRead,
    trusted: &TrustedKeys,
    signer: &crate::token::AnySigner,
) -> Result<Imported, Error> {
    let name = from.display();
    let write = || Error::db("cannot write the ledger");
    let mut chain = conn.key_chain().map_err(write())?;
    if chain.count > 0 || conn.list_chain().map_err(write())?.count > 0 {
        return Err(Error::input("the ledger already holds keys: import into a new ledger"));
    }
    let mut prev = GENESIS.to_owned();
    let mut issued: BTreeSet<String> = BTreeSet::new();
    let mut revoked: BTreeSet<Serial> = BTreeSet::new();
    let mut done = Imported { keys: 0, lists: 0 };
    let product = Product::new(product_key::PRODUCT_CODE).map_err(|e| Error::input(e.to_string()))?;
    for (i, line) in input.split(b'\n').enumerate() {
        let number = i + 1;
        let line = line.map_err(Error::io(format!("cannot read {name}")))?;
        let bad = |what: String| Error::input(format!("{name}:{number}: {what}; nothing was imported"));
        if line.is_empty() {
            return Err(bad("an empty line".into()));
        }
        let value: serde_json::Value =
            serde_json::from_slice(&line).map_err(|e| bad(format!("not a JSON record: {e}")))?;
        if value.get("prev").and_then(|p| p.as_str()) != Some(prev.as_str()) {
            return Err(bad(
                "its 'prev' is not the hash of the line before: a record was edited, removed or reordered"
                    .into(),
            ));
        }
        prev = sha256_hex(&line);
        if value.get("revoked").is_some() {
            let r: RevocationLine =
                serde_json::from_value(value).map_err(|e| bad(format!("not a revocation record: {e}")))?;
            if u64::from(r.sequence) != done.lists + 1 {
                return Err(bad(format!("revocation list {} follows list {}", r.sequence, done.lists)));
            }
            let mut new = Vec::new();
            for s in &r.revoked {
                let serial = s.parse::<Serial>().map_err(|e| bad(format!("serial {s}: {e}")))?;
                if !issued.contains(s) {
                    return Err(bad(format!("it revokes serial {s}, which no earlier record issued")));
                }
                if revoked.insert(serial) {
                    new.push(serial.to_string());
                }
            }
            let day = r
                .revoked_at
                .get(..10)
                .and_then(|d| d.parse::<Day>().ok())
                .ok_or_else(|| bad("its revoked_at is not a date".into()))?;
            let mut list = RevocationList::new(
                KeyId([0; 4]),
                product.clone(),
                r.sequence,
                day,
                revoked.iter().copied().collect(),
            );
            let text = signer.sign_revocations(&mut list)?;
            lists::insert(
                conn,
                &signer.key_id().to_string(),
                r.reason.as_deref(),
                &r.revoked_at,
                &text,
                &new,
            )
            .map_err(write())?;
            done.lists += 1;
            continue;
        }
        let mut record: KeyRecord =
            serde_json::from_value(value).map_err(|e| bad(format!("not a key record: {e}")))?;
        check_key(&record, trusted).map_err(bad)?;
        if !issued.insert(record.serial.clone()) {
            return Err(bad(format!("serial {} was already issued on an earlier line", record.serial)));
        }
        if let Some(old) = &record.supersedes
            && !issued.contains(old)
        {
            return Err(bad(format!(
                "key {} replaces key {old}, which no earlier record issued",
                record.serial
            )));
        }
        record.prev = None;
        if !matches!(record.via.as_deref(), Some("issue" | "batch" | "renew" | "amend")) {
            record.via = Some("import".into());
        }
        if record.issued_at.is_none() {
            record.issued_at = Some(now_rfc3339());
        }
        insert_checked(conn, &mut chain, &record).map_err(bad)?;
        done.keys += 1;
    }
    Ok(done)
}

/// A key record's key verifies with `trusted` and says what the record says.
fn check_key(record: &KeyRecord, trusted: &TrustedKeys) -> Result<(), String> {
    let verdict = product_key::verify(&record.key, trusted, &Check::on(Day::MAX));
    let Some(decoded) = &verdict.key else {
        return Err(format!("the key is malformed: {}", verdict.finding));
    };
    let p = &decoded.payload;
    if !verdict.trusted {
        return Err(format!(
            "key {} does not verify with the public keys given (its key_id is {}; give its public key)",
            record.serial, p.key_id
        ));
    }
    let features: Vec<String> = p.features.features().map(|f| f.name().to_owned()).collect();
    let same = p.serial.to_string() == record.serial
        && p.key_id.to_string() == record.key_id
        && p.organization.as_str() == record.organization
        && p.seats.limit() == record.seats
        && features == record.features
        && p.issued.to_string() == record.issued
        && p.expires.last_day().map(|d| d.to_string()) == record.expires
        && p.supersedes().map(|s| s.to_string()) == record.supersedes;
    if same { Ok(()) } else { Err(format!("the record's fields differ from its key {}", p.serial)) }
}

/// Inserts, telling a refused row (a second key for an order) by its rule.
fn insert_checked(conn: &dyn LedgerWrite, chain: &mut Chain, record: &KeyRecord) -> Result<(), String> {
    keys::insert(conn, chain, record).map_err(|e| {
        if e.is_constraint() {
            format!(
                "the ledger's rules refuse key {} ({e}): an order gets one key, a key is replaced once",
                record.serial
            )
        } else {
            format!("cannot record key {}: {e}", record.serial)
        }
    })
}
