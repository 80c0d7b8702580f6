//! The ledger's rows as the storage interface ([`super::store`]) reads and writes them: plain
//! data, with no rule and no database type, so that the interface and every module above it
//! share them without depending on each other. Each is re-exported where its rules live.

use std::collections::BTreeMap;

use serde::Serialize;

use super::role::Role;
use crate::key_record::KeyRecord;

/// A key row as stored: the record, its place in the chain and its hash.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The record (`prev` set).
    pub record: KeyRecord,
    /// Its place in the chain, from 1.
    pub position: u64,
    /// The hash stored with it.
    pub hash: String,
}

/// The end of the keys' chain: rows so far and the last hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Rows.
    pub count: u64,
    /// The last row's hash ([`GENESIS`] when none).
    pub last: String,
}

/// The key that replaced another.
#[derive(Clone, Debug, Serialize)]
pub struct ReplacedBy {
    /// Its serial.
    pub serial: String,
    /// When it was recorded.
    pub issued_at: Option<String>,
    /// `renewal` or `amendment`.
    pub reason: Option<String>,
}

/// A revocation of a key.
#[derive(Clone, Debug, Serialize)]
pub struct Revoked {
    /// The revocation list that first named it.
    pub sequence: u32,
    /// When.
    pub revoked_at: String,
    /// Why, if said.
    pub reason: Option<String>,
    /// Who revoked it (schema 2; none before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// Which keys [`matching`] selects: every condition given must hold.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'a> {
    /// The key of this serial (canonical form).
    pub serial: Option<&'a str>,
    /// The keys of this order.
    pub order_id: Option<&'a str>,
    /// Keys whose organization's search form holds either needle (`search::needles`).
    pub organization: Option<(&'a str, &'a str)>,
}

/// A published list as stored.
#[derive(Clone, Debug)]
pub struct StoredList {
    /// Its sequence, from 1.
    pub sequence: u32,
    /// The key_id that signed it.
    pub signed_by: String,
    /// Why (as given to `revoke --reason`).
    pub reason: Option<String>,
    /// When (RFC 3339 UTC).
    pub published_at: String,
    /// The armoured text as published.
    pub text: String,
    /// The hash of the list before.
    pub prev: String,
    /// Its hash.
    pub hash: String,
    /// Who recorded it (schema 2; none before).
    pub actor: Option<String>,
}

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

/// A person as stored (the hash stays in the database but for sign-in).
#[derive(Clone, Debug)]
pub struct Person {
    /// Their name (what they sign in with).
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Wrong passwords since the last sign-in.
    pub failed_attempts: u32,
    /// Locked until then (RFC 3339 UTC), if locked.
    pub locked_until: Option<String>,
    /// When added.
    pub added_at: String,
    /// By whom.
    pub added_by: String,
}

/// A journal event as stored.
pub struct Event {
    /// Its id.
    pub id: u64,
    /// When, who, what, about what.
    pub fields: [String; 4],
    /// Its stored hash (`None` before schema 3's first signed write).
    pub hash: Option<String>,
}

/// A token as stored (without its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Its name (what the ledger's `actor` names, after `api:`).
    pub name: String,
    /// What it may do: the desk's roles.
    pub role: Role,
    /// Its last valid day (YYYY-MM-DD, UTC), if it has one.
    pub expires: Option<String>,
    /// When added.
    pub added_at: String,
    /// By whom.
    pub added_by: String,
    /// When last used (RFC 3339 UTC), if ever.
    pub last_used: Option<String>,
}

/// A shop as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shop {
    /// Its name (in the webhook's URL, and the actor `shop:NAME`).
    pub name: String,
    /// The SHA-256 (hex) of its secret's bytes.
    pub secret_hash: String,
    /// Its product ids, each to an edition (template id). Empty: product ids are edition ids.
    pub products: BTreeMap<String, String>,
    /// When added.
    pub added_at: String,
    /// By whom.
    pub added_by: String,
}

impl DeskPart {
    /// The desk's part of a stored head from its three columns: a v2 head has all three; any
    /// other mix is not a head keygen signed, and reads as v2 with what is there so that its
    /// signature fails.
    pub fn from_columns(
        people_hash: Option<String>,
        journal_id: Option<i64>,
        journal_hash: Option<String>,
    ) -> Option<DeskPart> {
        match (people_hash, journal_id, journal_hash) {
            (None, None, None) => None,
            (p, i, h) => Some(DeskPart {
                people_hash: p.unwrap_or_default(),
                journal_id: u64::try_from(i.unwrap_or(-1)).unwrap_or(u64::MAX),
                journal_hash: h.unwrap_or_default(),
            }),
        }
    }
}
