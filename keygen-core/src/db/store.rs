//! The ledger's storage interface: the few verbs a backend implements, over typed rows. The
//! chain, the signed head, the write door's check, `ledger verify` and the JSON Lines form
//! are written once above these verbs (in [`super`]), so that a ledger hashes and verifies
//! the same in every backend.
//!
//! A backend is one module plus its migrations: it implements the read traits
//! ([`KeysRead`], [`ListsRead`], [`HeadRead`], [`PeopleRead`], [`SchemaRead`]), the write
//! traits ([`KeysWrite`], [`ListsWrite`], [`HeadWrite`], [`PeopleWrite`]) and [`Backend`]
//! (its transactions and copies). [`LedgerRead`] and [`LedgerWrite`] gather them; nothing
//! above this interface names a database type or holds SQL. The backends: SQLite
//! ([`super::sqlite`]) and, with the `postgres` feature, PostgreSQL.
//!
//! The verbs never decide a rule: a hash, a sequence number or the current key of an order
//! is computed above them and handed down. What a backend must enforce is its schema's
//! constraints (a serial once, an order's first key once, a key replaced once), reported as
//! [`StoreErrorKind::Constraint`].

use std::path::Path;

use super::role::Role;
use super::rows::{
    Chain, Event, Filter, Person, ReplacedBy, Revoked, Shop, Signed, SigningKey, Stored, StoredList, Token,
};
use crate::key_record::KeyRecord;

pub use super::store_error::{StoreError, StoreErrorKind};

/// A backend's answer.
pub type StoreResult<T> = Result<T, StoreError>;

/// A key row to append: the record, its place, what the row stores beside the record, and
/// the hashes computed above the interface ([`super::keys::row_hash`]).
#[derive(Clone, Copy, Debug)]
pub struct NewKey<'a> {
    /// The record (its `issued_at` is the row's `recorded_at`).
    pub record: &'a KeyRecord,
    /// Its place in the chain, from 1.
    pub position: u64,
    /// The organization's search form ([`super::search::column`]).
    pub org_search: &'a str,
    /// The features as stored (comma-separated).
    pub features: &'a str,
    /// The hash of the row before.
    pub prev: &'a str,
    /// Its own hash.
    pub hash: &'a str,
}

/// The order's first key and what the ledger says of it: whether another key replaced it
/// and whether it was revoked ([`KeysRead::first_of_orders`]).
#[derive(Clone, Debug)]
pub struct FirstKey {
    /// The order's first key (the lowest position).
    pub stored: Stored,
    /// Whether a key replaced it.
    pub replaced: bool,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// The desk's rows as the signed head hashes them: the stored text of each column, so that
/// any change to one (even to a value no type would read) changes the digest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeskRows {
    /// People: name, role, password hash, added at, added by.
    pub people: Vec<[String; 5]>,
    /// API tokens: name, role, token hash, expires, added at, added by.
    pub tokens: Vec<[Option<String>; 6]>,
    /// Shops: name, secret hash, products (JSON as stored), added at, added by.
    pub shops: Vec<[String; 5]>,
}

/// The key rows: the chain of keys and its questions.
pub trait KeysRead {
    /// The key chain's length and last hash ([`super::GENESIS`] when empty).
    fn key_chain(&self) -> StoreResult<Chain>;
    /// The row of `serial`.
    fn key_by_serial(&self, serial: &str) -> StoreResult<Option<Stored>>;
    /// The row at `position`.
    fn key_at(&self, position: u64) -> StoreResult<Option<Stored>>;
    /// The rows after `position`, in chain order, at most `limit` of them (a walk in pages).
    fn keys_after(&self, position: u64, limit: usize) -> StoreResult<Vec<Stored>>;
    /// Whether any key carries `order`.
    fn order_exists(&self, order: &str) -> StoreResult<bool>;
    /// The serial of the first key (lowest position) of `order`.
    fn first_of_order(&self, order: &str) -> StoreResult<Option<String>>;
    /// The key that replaced `serial`, if one did.
    fn successor(&self, serial: &str) -> StoreResult<Option<ReplacedBy>>;
    /// The revocation of `serial`, if it was revoked.
    fn revocation(&self, serial: &str) -> StoreResult<Option<Revoked>>;
    /// Every key (in chain order) that `filter` selects; an empty filter selects every key.
    fn keys_matching(&self, filter: &Filter<'_>) -> StoreResult<Vec<Stored>>;
    /// Keys neither replaced nor revoked whose last day is from `from` to `to` (inclusive).
    fn current_expiring(&self, from: &str, to: &str) -> StoreResult<Vec<Stored>>;
    /// Every replaced key not revoked yet: (its serial, its successor's, the successor's day
    /// of issue), in chain order.
    fn replaced_unrevoked(&self) -> StoreResult<Vec<(String, String, String)>>;
    /// For each of `orders`, its first key (a batch's chunk: one look-up for thousands).
    fn first_of_orders(&self, orders: &[&str]) -> StoreResult<Vec<Option<FirstKey>>>;
    /// The rows of `serials`, in their order (`None` for a serial not held).
    fn keys_by_serials(&self, serials: &[&str]) -> StoreResult<Vec<Option<Stored>>>;
    /// Each key's (position, serial, organization, org_search) in chain order, handed to
    /// `each` until it answers `false`: the derived column's audit.
    fn each_org_search(&self, each: &mut dyn FnMut(u64, &str, &str, &str) -> bool) -> StoreResult<()>;
}

/// Appending key rows.
pub trait KeysWrite {
    /// Appends a key row. A serial already recorded, a second first key of an order or a key
    /// replaced twice is refused by the schema ([`StoreErrorKind::Constraint`]).
    fn insert_key(&self, row: &NewKey<'_>) -> StoreResult<()>;
    /// Appends `rows`, in their order, as [`KeysWrite::insert_key`] does each (a batch's
    /// chunk: a backend may send them in one statement; all or none recorded is the
    /// transaction's, not this verb's).
    fn insert_keys(&self, rows: &[NewKey<'_>]) -> StoreResult<()> {
        rows.iter().try_for_each(|row| self.insert_key(row))
    }
}

/// The revocation lists.
pub trait ListsRead {
    /// The lists' chain: count and last hash.
    fn list_chain(&self) -> StoreResult<Chain>;
    /// Every list, by sequence.
    fn lists(&self) -> StoreResult<Vec<StoredList>>;
    /// The last list.
    fn last_list(&self) -> StoreResult<Option<StoredList>>;
    /// The list `sequence`'s hash.
    fn list_hash_at(&self, sequence: u64) -> StoreResult<Option<String>>;
    /// The text of list `sequence`.
    fn list_text(&self, sequence: u32) -> StoreResult<Option<String>>;
    /// Every revoked serial, sorted.
    fn revoked(&self) -> StoreResult<Vec<String>>;
    /// The serials list `sequence` revoked first, with their reasons, by serial.
    fn named_by(&self, sequence: u32) -> StoreResult<Vec<(String, Option<String>)>>;
    /// How many revocations the ledger holds.
    fn revocation_count(&self) -> StoreResult<u64>;
}

/// Appending revocation lists.
pub trait ListsWrite {
    /// Appends `list` (its hash computed above) and a revocation row for each of `serials`
    /// with the list's reason.
    fn insert_list(&self, list: &StoredList, serials: &[String]) -> StoreResult<()>;
}

/// The signing keys and the stored head.
pub trait HeadRead {
    /// Every signing key, oldest first.
    fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// The stored head with its signer and signature.
    fn stored_head(&self) -> StoreResult<Option<Signed>>;
}

/// Changing the signing keys and the head.
pub trait HeadWrite {
    /// Records a signing key after the others.
    fn add_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
    /// Marks `key_id` retired as of `at`.
    fn retire_signing_key(&self, key_id: &str, at: &str) -> StoreResult<()>;
    /// Stores `signed` as the head, in place of the one before.
    fn store_head(&self, signed: &Signed) -> StoreResult<()>;
}

/// The desk's people, API tokens, shops and journal.
pub trait PeopleRead {
    /// Everyone, by name.
    fn people(&self) -> StoreResult<Vec<Person>>;
    /// Everyone with their password hash, by name in byte order (what the head signs).
    fn people_with_hashes(&self) -> StoreResult<Vec<(Person, String)>>;
    /// `name` and their password hash.
    fn person(&self, name: &str) -> StoreResult<Option<(Person, String)>>;
    /// The desk's rows the signed head covers, as stored, each table by name in byte order.
    fn desk_signed_rows(&self) -> StoreResult<DeskRows>;
    /// Every token, by name.
    fn tokens(&self) -> StoreResult<Vec<Token>>;
    /// Every token with its hash, by name in byte order (what the head signs).
    fn tokens_with_hashes(&self) -> StoreResult<Vec<(Token, String)>>;
    /// The token whose SHA-256 is `hash`, with it.
    fn token_by_hash(&self, hash: &str) -> StoreResult<Option<(Token, String)>>;
    /// The token whose name is `name` in any case, as stored.
    fn token_named(&self, name: &str) -> StoreResult<Option<String>>;
    /// Every shop, by name in byte order.
    fn shops(&self) -> StoreResult<Vec<Shop>>;
    /// The shop `name`.
    fn shop(&self, name: &str) -> StoreResult<Option<Shop>>;
    /// The body hash delivery `id` of `shop` was answered with.
    fn delivery(&self, shop: &str, id: &str) -> StoreResult<Option<String>>;
    /// The journal's end: the last event's id and hash (`None` hash: not chained yet).
    fn journal_last(&self) -> StoreResult<Option<(u64, Option<String>)>>;
    /// The events after `after`, by id.
    fn events_after(&self, after: u64) -> StoreResult<Vec<Event>>;
    /// The last `n` events, newest first.
    fn last_events(&self, n: u32) -> StoreResult<Vec<Event>>;
    /// The hash of event `id`.
    fn event_hash_at(&self, id: u64) -> StoreResult<Option<Option<String>>>;
    /// Whether an event has no hash yet (written before schema 3).
    fn journal_unchained(&self) -> StoreResult<bool>;
    /// Whether an event has a hash.
    fn journal_chained(&self) -> StoreResult<bool>;
}

/// Changing the desk's people, tokens, shops and journal.
pub trait PeopleWrite {
    /// Adds a person (their password hash `hash`), added at `at` by `by`.
    fn add_person(&self, name: &str, role: Role, hash: &str, at: &str, by: &str) -> StoreResult<()>;
    /// Removes `name`; whether they were there.
    fn remove_person(&self, name: &str) -> StoreResult<bool>;
    /// Sets `name`'s password hash; whether they are there.
    fn set_password(&self, name: &str, hash: &str) -> StoreResult<bool>;
    /// Adds a token.
    fn add_token(&self, token: &Token, hash: &str) -> StoreResult<()>;
    /// Removes the token `name`; whether it was there.
    fn remove_token(&self, name: &str) -> StoreResult<bool>;
    /// Adds or replaces a shop.
    fn put_shop(&self, shop: &Shop) -> StoreResult<()>;
    /// Removes the shop `name`; whether it was there.
    fn remove_shop(&self, name: &str) -> StoreResult<bool>;
    /// Appends an event with its id and hash (computed above).
    fn insert_event(&self, event: &Event) -> StoreResult<()>;
    /// Sets the hash of event `id` (chaining events written before schema 3).
    fn set_event_hash(&self, id: u64, hash: &str) -> StoreResult<()>;
}

/// The schema as the backend holds it.
pub trait SchemaRead {
    /// What differs from the schema the migrations make, if anything.
    fn schema_difference(&self) -> StoreResult<Option<String>>;
}

/// Every read of the ledger.
pub trait LedgerRead: KeysRead + ListsRead + HeadRead + PeopleRead + SchemaRead {}
impl<T: KeysRead + ListsRead + HeadRead + PeopleRead + SchemaRead + ?Sized> LedgerRead for T {}

/// Every write of the ledger (and its reads, inside the write's transaction). Only the write
/// door ([`super::Db::begin_write`]) hands one out.
pub trait LedgerWrite: LedgerRead + KeysWrite + ListsWrite + HeadWrite + PeopleWrite {}
impl<T: LedgerRead + KeysWrite + ListsWrite + HeadWrite + PeopleWrite + ?Sized> LedgerWrite for T {}

/// A backend: its transactions and the few things outside them. Only [`super::Db`] and
/// [`super::Writer`] call these.
pub trait Backend: LedgerWrite + Send {
    /// Where the ledger is, as people name it (a path, or a URL without its password).
    fn location(&self) -> &Path;
    /// Starts a write transaction, waiting for any other writer of the ledger (on any
    /// machine) to finish first.
    fn begin_write(&mut self) -> StoreResult<()>;
    /// Commits the write transaction, durably.
    fn commit(&mut self) -> StoreResult<()>;
    /// Drops the write transaction.
    fn rollback(&mut self);
    /// Marks the place a failed part of a write goes back to ([`super::Writer::savepoint`]).
    fn mark(&self) -> StoreResult<()>;
    /// Undoes what was written since the mark (the transaction goes on).
    fn undo_to_mark(&self) -> StoreResult<()>;
    /// Forgets the mark.
    fn forget_mark(&self) -> StoreResult<()>;
    /// Starts a read: what is read until [`Backend::end_read`] is one committed state.
    fn begin_read(&self) -> StoreResult<()>;
    /// Ends the read.
    fn end_read(&self);
    /// Housekeeping after a commit, never failing the write (SQLite folds its WAL).
    fn after_commit(&mut self) {}
    /// Copies the ledger, one committed state, into the new, empty SQLite file at `to` in a
    /// way of the backend's own (SQLite's page by page); `false` when it has none, and
    /// [`super::Db::copy_to`] copies it row by row ([`super::transfer`]).
    fn copy_to_sqlite(&self, to: &Path) -> StoreResult<bool>;
    /// Notes that the API token `name` was used at `at`: outside the door, as the desk's
    /// bookkeeping is (no head covers it).
    fn note_token_used(&self, name: &str, at: &str) -> StoreResult<()>;
    /// Notes a webhook delivery answered (a second note of the same id keeps the first);
    /// outside the door like [`Backend::note_token_used`].
    fn note_delivery(&self, shop: &str, id: &str, body_hash: &str, at: &str) -> StoreResult<()>;
}
