//! Copying a ledger from one backend into another (SQLite to PostgreSQL, back, or between
//! two of a kind), above the storage interface: every row as stored, with its stored hashes,
//! so that the copy's chains, lists and signed head are the source's byte for byte.
//!
//! The caller checks the source first (`ledger verify`) and gives both ends inside their
//! transactions (a read of one committed state, a write): a copy is all or nothing by the
//! write's transaction. Nothing is recomputed but the key rows' `org_search` (derived from
//! the organization, [`super::search::column`], and audited by `ledger verify`) and their
//! features as stored (the list joined by commas, as every writer stores it).
//!
//! Not copied: the webhook deliveries answered (a replay cache outside the signed head, which
//! the interface does not list) and the people's failed attempts and locks (bookkeeping
//! outside the head; a copied person starts unlocked).

use super::store::{LedgerRead, LedgerWrite, NewKey, StoreError};
use crate::error::Error;

/// How many rows of each kind were copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Signing keys.
    pub signing_keys: u64,
    /// Key rows.
    pub keys: u64,
    /// Revocation lists.
    pub lists: u64,
    /// Revocations (the keys the lists named first).
    pub revocations: u64,
    /// The desk's people.
    pub people: u64,
    /// API tokens.
    pub tokens: u64,
    /// Shops.
    pub shops: u64,
    /// Journal events.
    pub events: u64,
    /// Whether a signed head was stored (and copied).
    pub head: bool,
}

/// Key rows read and written at a time.
const PAGE: usize = 5000;

fn failed(what: &str) -> impl FnOnce(StoreError) -> Error + '_ {
    move |e| Error::Db { what: format!("cannot copy the ledger: {what}"), source: e }
}

/// Copies every row of `from` into `to` (an empty ledger): the signing keys in order, the key
/// rows in chain order, the lists with the revocations each named first, the people, tokens
/// and shops with their hashes, the journal's events with theirs, and the stored head as it
/// is. A revocation whose reason is not its list's is refused: the interface records a
/// list's revocations with the list's reason, so it could not be copied as it is.
pub fn copy(from: &dyn LedgerRead, to: &dyn LedgerWrite) -> Result<Counts, Error> {
    let mut n = Counts::default();
    if to.key_chain().map_err(failed("reading the target"))?.count > 0
        || to.stored_head().map_err(failed("reading the target"))?.is_some()
    {
        return Err(Error::input("cannot copy the ledger: the target ledger is not empty"));
    }
    for key in from.signing_keys().map_err(failed("reading the signing keys"))? {
        to.add_signing_key(&key).map_err(failed("writing a signing key"))?;
        n.signing_keys += 1;
    }
    let mut after = 0;
    loop {
        let page = from.keys_after(after, PAGE).map_err(failed("reading the keys"))?;
        let Some(last) = page.last() else { break };
        after = last.position;
        let derived: Vec<(String, String)> = page
            .iter()
            .map(|s| (super::search::column(&s.record.organization), s.record.features.join(",")))
            .collect();
        let rows: Vec<NewKey<'_>> = page
            .iter()
            .zip(&derived)
            .map(|(s, (org_search, features))| NewKey {
                record: &s.record,
                position: s.position,
                org_search,
                features,
                prev: s.record.prev.as_deref().unwrap_or(""),
                hash: &s.hash,
            })
            .collect();
        to.insert_keys(&rows).map_err(failed("writing the keys"))?;
        n.keys += rows.len() as u64;
    }
    for list in from.lists().map_err(failed("reading the revocation lists"))? {
        let named = from.named_by(list.sequence).map_err(failed("reading the revocations"))?;
        if let Some((serial, _)) = named.iter().find(|(_, reason)| *reason != list.reason) {
            return Err(Error::input(format!(
                "cannot copy the ledger: the revocation of {serial} has another reason than its list {} \
                 (run keygen ledger verify)",
                list.sequence
            )));
        }
        let serials: Vec<String> = named.into_iter().map(|(s, _)| s).collect();
        to.insert_list(&list, &serials).map_err(failed("writing a revocation list"))?;
        n.lists += 1;
        n.revocations += serials.len() as u64;
    }
    for (person, hash) in from.people_with_hashes().map_err(failed("reading the people"))? {
        to.add_person(&person.name, person.role, &hash, &person.added_at, &person.added_by)
            .map_err(failed("writing a person"))?;
        n.people += 1;
    }
    for (token, hash) in from.tokens_with_hashes().map_err(failed("reading the API tokens"))? {
        to.add_token(&token, &hash).map_err(failed("writing an API token"))?;
        n.tokens += 1;
    }
    for shop in from.shops().map_err(failed("reading the shops"))? {
        to.put_shop(&shop).map_err(failed("writing a shop"))?;
        n.shops += 1;
    }
    for event in from.events_after(0).map_err(failed("reading the journal"))? {
        to.insert_event(&event).map_err(failed("writing the journal"))?;
        n.events += 1;
    }
    if let Some(head) = from.stored_head().map_err(failed("reading the signed head"))? {
        to.store_head(&head).map_err(failed("writing the signed head"))?;
        n.head = true;
    }
    Ok(n)
}
