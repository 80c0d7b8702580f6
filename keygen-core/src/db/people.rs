//! The desk's people (schema 2): a name, a role, an Argon2id password hash, and the count of
//! wrong passwords that locks the account for a while; and the desk's journal of events.
//!
//! Since schema 3 both are under the signed head: [`digest`] covers every person's name, role,
//! password hash and who added them when; the journal is a chain ([`event_hash`]) whose end
//! the head holds. `failed_attempts` and `locked_until` stay outside the signature: they can
//! only lock a person out or let them try again, never let anyone in or raise a role (the
//! desk keeps sign-in throttling in its memory from issue 27 on; nothing in `db/` but
//! [`failed`] and [`succeeded`] touches them).

pub use super::rows::{Event, Person};

use super::store::{LedgerRead, LedgerWrite, StoreResult};

pub use super::role::Role;

/// Appends an event to the desk's journal, chained to the one before.
pub fn event(w: &dyn LedgerWrite, at: &str, actor: &str, action: &str, detail: &str) -> StoreResult<()> {
    chain_journal(w)?;
    let end = journal_end(w)?;
    let id = end.count + 1;
    let hash = event_hash(id, &end.last, at, actor, action, detail);
    w.insert_event(&Event {
        id,
        fields: [at.to_owned(), actor.to_owned(), action.to_owned(), detail.to_owned()],
        hash: Some(hash),
    })
}

/// The hash of a journal event: SHA-256 of the JSON array of its id, the hash of the event
/// before (64 zeros for the first) and its fields.
pub fn event_hash(id: u64, prev: &str, at: &str, actor: &str, action: &str, detail: &str) -> String {
    super::sha256_hex(&serde_json::to_vec(&(id, prev, at, actor, action, detail)).unwrap_or_default())
}

/// The end of the journal's chain: the last event's id (0 when none) and hash
/// ([`super::GENESIS`] when none; an empty string for an event not chained yet).
pub fn journal_end(r: &dyn LedgerRead) -> StoreResult<super::keys::Chain> {
    Ok(match r.journal_last()? {
        Some((id, hash)) => super::keys::Chain { count: id, last: hash.unwrap_or_default() },
        None => super::keys::Chain { count: 0, last: super::GENESIS.to_owned() },
    })
}

/// Chains the events written before schema 3 (their hash is NULL): done by the first signed
/// write after the migration, before it signs (they were never signed, so nothing is lost
/// that a signature held). A no-op once every event has its hash (one indexed read).
pub fn chain_journal(w: &dyn LedgerWrite) -> StoreResult<()> {
    if !w.journal_unchained()? {
        return Ok(());
    }
    let mut prev = super::GENESIS.to_owned();
    for e in w.events_after(0)? {
        let [at, actor, action, detail] = &e.fields;
        let hash = match e.hash {
            Some(h) => h,
            None => {
                let h = event_hash(e.id, &prev, at, actor, action, detail);
                w.set_event_hash(e.id, &h)?;
                h
            }
        };
        prev = hash;
    }
    Ok(())
}

/// The digest of the people that the head signs: SHA-256 of the JSON array of every person
/// (by name) as name, role, password hash, when added, by whom; with API tokens or shops
/// (schema 4), of the JSON array of that array, the tokens' and the shops' signed rows.
pub fn digest(r: &dyn LedgerRead) -> StoreResult<String> {
    let rows = r.desk_signed_rows()?;
    if rows.tokens.is_empty() && rows.shops.is_empty() {
        return Ok(super::sha256_hex(&serde_json::to_vec(&rows.people).unwrap_or_default()));
    }
    Ok(super::sha256_hex(&serde_json::to_vec(&(rows.people, rows.tokens, rows.shops)).unwrap_or_default()))
}

/// An Argon2id PHC string of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches `hash` (in the time Argon2 takes, whatever the answer).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}
