//! The check of the write door ([`super::Db::begin_write`]), also run by `ledger verify`:
//! the stored head is signed by the ledger's current signing key and covers the tables as
//! they are (each chain's length and last hash, the last row of each hashing to what is
//! stored, the signing keys, the people, the journal's end), the schema is the migrations',
//! and the ledger extends the last head of the checkpoint log. A few indexed reads and one
//! signature check: the rows before the last are `ledger verify`'s, which finds a change to
//! any of them whatever head is signed after it.

use std::path::Path;

use super::head::{self, Head};
use super::store::{LedgerRead, StoreResult};
use super::{checkpoint, keys, lists, people};
use crate::error::Error;

/// Refuses the write when the ledger is not as its head, its schema and its checkpoint log
/// say: [`Error::Integrity`] (exit 5), naming what differs.
pub fn check(conn: &dyn LedgerRead, path: &Path, log: &Path) -> Result<(), Error> {
    let read = || Error::db(format!("cannot read the ledger {}", path.display()));
    let refuse = |what: String| {
        Err(Error::Integrity(format!(
            "the ledger {} is not as its signed head says: {what}. Nothing was written; \
             keygen ledger verify on it shows everything that differs",
            path.display()
        )))
    };
    if let Some(d) = conn.schema_difference().map_err(read())? {
        return refuse(format!("its schema differs from keygen's: {d}"));
    }
    if let Err(what) = covered(conn).map_err(read())? {
        return refuse(what);
    }
    if let Some(cp) = checkpoint::last(log)?
        && let Some(why) = checkpoint::not_extended(conn, &cp).map_err(read())?
    {
        return refuse(format!("the last checkpoint in {} ({}): {why}", log.display(), short(&cp.head)));
    }
    Ok(())
}

/// A head in a few words, to name a checkpoint.
pub fn short(h: &Head) -> String {
    format!("{} keys, {} lists", h.key_count, h.list_count)
}

/// Whether the stored head is genuine and covers the tables as they are; what differs when not.
pub fn covered(conn: &dyn LedgerRead) -> StoreResult<Result<(), String>> {
    let now = head::compute(conn)?;
    let Some(signed) = conn.stored_head()? else {
        if unsigned_is_new(conn, &now)? {
            return Ok(Ok(()));
        }
        return Ok(Err("there is no signed head, but the ledger holds rows: the head was deleted".into()));
    };
    let signers = conn.signing_keys()?;
    if let Err(what) = head::check_signature(&signed, &signers) {
        return Ok(Err(format!("the signed head: {what}")));
    }
    if signers.iter().any(|k| k.key_id == signed.by && k.status != "current") {
        return Ok(Err(format!("the signed head is signed by {}, a retired key", signed.by)));
    }
    let s = &signed.head;
    if let Some(what) = chain_differs("key rows", s.key_count, &s.key_hash, now.key_count, &now.key_hash) {
        return Ok(Err(format!("the keys: {what}")));
    }
    if let Some(what) =
        chain_differs("revocation lists", s.list_count, &s.list_hash, now.list_count, &now.list_hash)
    {
        return Ok(Err(format!("the revocation lists: {what}")));
    }
    if s.signers_hash != now.signers_hash {
        return Ok(Err("the signing keys were added, removed or edited".into()));
    }
    if let (Some(sd), Some(nd)) = (&s.desk, &now.desk) {
        if sd.people_hash != nd.people_hash {
            return Ok(Err(
                "the desk's people were changed outside keygen (a name, role or password hash, an API token or a shop added, removed or edited)"
                    .into(),
            ));
        }
        if let Some(what) =
            chain_differs("journal events", sd.journal_id, &sd.journal_hash, nd.journal_id, &nd.journal_hash)
        {
            return Ok(Err(format!("the desk's journal: {what}")));
        }
    }
    if let Some(what) = last_rows_edited(conn, s.desk.is_some())? {
        return Ok(Err(what));
    }
    Ok(Ok(()))
}

/// Whether a ledger without a head is one that was never signed: no key, no list, and no
/// journal event chained (a ledger of schema 2 whose desk people were added before any key
/// had no head, its people and journal outside any signature; the first write signs them).
pub fn unsigned_is_new(conn: &dyn LedgerRead, now: &Head) -> StoreResult<bool> {
    let chained = conn.journal_chained()?;
    Ok(now.key_count == 0 && now.list_count == 0 && !chained)
}

fn chain_differs(what: &str, signed: u64, signed_hash: &str, now: u64, now_hash: &str) -> Option<String> {
    if signed > now {
        Some(format!(
            "the head covers {signed} {what}, the ledger holds {now}: the last {} were deleted",
            signed - now
        ))
    } else if signed < now {
        Some(format!(
            "the head covers {signed} {what}, the ledger holds {now}: rows were added without the signing key"
        ))
    } else if signed_hash != now_hash {
        Some(format!("the last of the {signed} {what} is not the one the head covers: it was replaced"))
    } else {
        None
    }
}

/// Whether the last row of a chain has fields that no longer hash to its stored hash (its
/// hash, the one the head covers, left as it was). `journal`: whether the head covers the
/// journal (a v1 head does not, and its events are not chained yet).
fn last_rows_edited(conn: &dyn LedgerRead, journal: bool) -> StoreResult<Option<String>> {
    let chain = conn.key_chain()?;
    if let Some(k) = conn.key_at(chain.count)?
        && keys::row_hash(k.position, k.record.prev.as_deref().unwrap_or(""), &k.record) != k.hash
    {
        return Ok(Some(format!("key row {} (serial {}) was edited", k.position, k.record.serial)));
    }
    if let Some(l) = conn.last_list()?
        && lists::row_hash(&l) != l.hash
    {
        return Ok(Some(format!("revocation list {} was edited", l.sequence)));
    }
    if journal {
        let mut last_two = conn.last_events(2)?.into_iter();
        if let Some(last) = last_two.next() {
            let prev = last_two.next().map_or(super::GENESIS.to_owned(), |e| e.hash.unwrap_or_default());
            let [at, actor, action, detail] = &last.fields;
            if last.hash.as_deref() != Some(&people::event_hash(last.id, &prev, at, actor, action, detail)) {
                return Ok(Some(format!("journal event {} was edited", last.id)));
            }
        }
    }
    Ok(None)
}
