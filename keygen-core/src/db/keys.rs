//! The `keys` table: one row per key, each in its place in the SHA-256 chain, and the
//! questions commands ask of it (a serial, an order's current key, a key's story).

pub use super::rows::{Chain, Filter, ReplacedBy, Revoked, Stored};

use super::sha256_hex;
use super::store::{LedgerRead, LedgerWrite, NewKey, StoreResult};
use crate::key_record::KeyRecord;

/// The hash of a key row: SHA-256 of the JSON array of its place, the hash before it and its
/// stored fields, in this order (documented in docs/operations.md for auditors).
pub fn row_hash(position: u64, prev: &str, r: &KeyRecord) -> String {
    let fields = (
        position,
        prev,
        &r.serial,
        &r.order_id,
        &r.organization,
        r.seats,
        r.features.join(","),
        &r.issued,
        &r.expires,
        &r.key,
        &r.key_id,
        &r.supersedes,
        &r.reason,
        &r.via,
        &r.template,
        (&r.contact, &r.issued_at),
    );
    // Rows of schema 1 have no actor: their hash is unchanged; an actor is one more element.
    match &r.actor {
        None => sha256_hex(&serde_json::to_vec(&fields).unwrap_or_default()),
        Some(actor) => sha256_hex(&serde_json::to_vec(&(fields, actor)).unwrap_or_default()),
    }
}

/// Appends `r` to the chain (its `via`, `issued_at` set by the caller). A serial already
/// recorded, a second key for an order, or a key replaced twice is refused by the schema's
/// constraints ([`super::store::StoreErrorKind::Constraint`]).
pub fn insert(w: &dyn LedgerWrite, chain: &mut Chain, r: &KeyRecord) -> StoreResult<()> {
    let position = chain.count + 1;
    let hash = row_hash(position, &chain.last, r);
    w.insert_key(&NewKey {
        record: r,
        position,
        org_search: &super::search::column(&r.organization),
        features: &r.features.join(","),
        prev: &chain.last,
        hash: &hash,
    })?;
    chain.count = position;
    chain.last = hash;
    Ok(())
}

/// The current key of an order: its first key, then each key that replaced the one before.
pub fn current_of_order(r: &dyn LedgerRead, order: &str) -> StoreResult<Option<Stored>> {
    let Some(mut serial) = r.first_of_order(order)? else { return Ok(None) };
    // A chain cannot loop: each key replaces an earlier row, and only once.
    while let Some(next) = r.successor(&serial)? {
        serial = next.serial;
    }
    r.key_by_serial(&serial)
}

/// One key and its story.
#[derive(Clone, Debug)]
pub struct History {
    /// The stored row.
    pub stored: Stored,
    /// The key that replaced it, if any.
    pub replaced_by: Option<ReplacedBy>,
    /// Its revocation, if any.
    pub revoked: Option<Revoked>,
}

impl History {
    /// The record.
    pub fn record(&self) -> &KeyRecord {
        &self.stored.record
    }
}

/// A stored key with its story.
pub fn story(r: &dyn LedgerRead, stored: Stored) -> StoreResult<History> {
    let serial = stored.record.serial.as_str();
    let replaced_by = r.successor(serial)?;
    let revoked = r.revocation(serial)?;
    Ok(History { stored, replaced_by, revoked })
}

/// Every key (in chain order) that `filter` selects, with its story; an empty filter selects
/// every key.
pub fn matching(r: &dyn LedgerRead, filter: &Filter<'_>) -> StoreResult<Vec<History>> {
    r.keys_matching(filter)?.into_iter().map(|s| story(r, s)).collect()
}

/// Every key row in chain order, `page` rows at a time (a walk of millions of rows in a
/// bounded memory).
pub fn pages(r: &dyn LedgerRead, page: usize) -> Pages<'_> {
    Pages { r, after: 0, page: page.max(1), done: false }
}

/// The pages of [`pages`].
pub struct Pages<'a> {
    r: &'a dyn LedgerRead,
    after: u64,
    page: usize,
    done: bool,
}

impl Iterator for Pages<'_> {
    type Item = StoreResult<Vec<Stored>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.r.keys_after(self.after, self.page) {
            Ok(rows) if rows.is_empty() => {
                self.done = true;
                None
            }
            Ok(rows) => {
                self.done = rows.len() < self.page;
                self.after = rows.last().map_or(self.after, |s| s.position);
                Some(Ok(rows))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
