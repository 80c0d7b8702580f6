//! The revocation lists: one sequence for the vendor across signing keys, each list stored
//! with its exact text (so it can be written again byte for byte), chained like the keys;
//! and `revocations`, the list that first named each revoked key.

pub use super::rows::StoredList;

use super::sha256_hex;
use super::store::{LedgerWrite, StoreResult};

/// A list row's hash: SHA-256 of the JSON array of its sequence, the hash before it and its
/// fields.
pub fn row_hash(l: &StoredList) -> String {
    let fields = (l.sequence, &l.prev, &l.signed_by, &l.reason, &l.published_at, &l.text);
    // Lists of schema 1 have no actor: their hash is unchanged; an actor is one more element.
    match &l.actor {
        None => sha256_hex(&serde_json::to_vec(&fields).unwrap_or_default()),
        Some(actor) => sha256_hex(&serde_json::to_vec(&(fields, actor)).unwrap_or_default()),
    }
}

/// Records the next list (its sequence must be the chain's count + 1) and the serials it
/// revokes for the first time.
pub fn insert(
    w: &dyn LedgerWrite,
    signed_by: &str,
    reason: Option<&str>,
    published_at: &str,
    text: &str,
    new_serials: &[String],
) -> StoreResult<u32> {
    insert_by(w, signed_by, reason, published_at, text, new_serials, None)
}

/// [`insert`], recording who did it.
pub fn insert_by(
    w: &dyn LedgerWrite,
    signed_by: &str,
    reason: Option<&str>,
    published_at: &str,
    text: &str,
    new_serials: &[String],
    actor: Option<&str>,
) -> StoreResult<u32> {
    let end = w.list_chain()?;
    let mut list = StoredList {
        sequence: u32::try_from(end.count + 1).unwrap_or(u32::MAX),
        signed_by: signed_by.to_owned(),
        reason: reason.map(str::to_owned),
        published_at: published_at.to_owned(),
        text: text.to_owned(),
        prev: end.last,
        hash: String::new(),
        actor: actor.map(str::to_owned),
    };
    list.hash = row_hash(&list);
    w.insert_list(&list, new_serials)?;
    Ok(list.sequence)
}
