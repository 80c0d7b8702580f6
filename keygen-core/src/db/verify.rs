//! `ledger verify`'s checks, with public keys only: every key verifies with its own signer's
//! public key (from `signing_keys`) and its stored fields equal what the key says; the chain
//! links and every row's hash is its own; serials and orders are unique; replacements point
//! back and happen once; the lists continue one sequence, each genuine, each naming what
//! `revocations` says; and the signed head covers the last row of each chain and the
//! signing keys. The first thing wrong is named.

use std::collections::{HashMap, HashSet};

use product_key::{Check, Day, KeyId, RevocationList, TrustedKeys};
use rayon::prelude::*;

use super::head::{self, SigningKey};
use super::keys::{self, Stored};
use super::store::LedgerRead;
use super::{GENESIS, lists};
use crate::error::Error;

/// What was checked, when nothing is wrong.
pub struct Summary {
    /// Key rows.
    pub keys: u64,
    /// Revocation lists.
    pub lists: u64,
    /// The signing keys.
    pub signers: Vec<SigningKey>,
}

/// The first thing found wrong: where (a table and row) and what.
#[derive(Debug, PartialEq, Eq)]
pub struct Broken {
    /// `keys row 3 (serial ...)`, `revocation list 2`, `the signed head`, ...
    pub at: String,
    /// What is wrong.
    pub what: String,
}

fn broken<T>(at: impl Into<String>, what: impl Into<String>) -> Result<T, Broken> {
    Err(Broken { at: at.into(), what: what.into() })
}

/// Rows read and verified together.
const CHUNK: usize = 8192;

/// Checks the whole ledger. `pinned`: public keys given by the auditor, which every signing
/// key the ledger holds must be one of.
pub fn verify(conn: &dyn LedgerRead, pinned: Option<&TrustedKeys>) -> Result<Result<Summary, Broken>, Error> {
    let read = || Error::db("cannot read the ledger");
    if let Err(b) = check_schema(conn)? {
        return Ok(Err(b));
    }
    let signers = conn.signing_keys().map_err(read())?;
    let trusted = match trusted_keys(&signers, pinned) {
        Ok(t) => t,
        Err(b) => return Ok(Err(b)),
    };
    let mut walk = Walk { last: GENESIS.to_owned(), ..Walk::default() };
    for chunk in keys::pages(conn, CHUNK) {
        if let Err(b) = walk.chunk(&chunk.map_err(read())?, &trusted) {
            return Ok(Err(b));
        }
    }
    let lists = match check_lists(conn, &trusted, &walk.serials)? {
        Ok(n) => n,
        Err(b) => return Ok(Err(b)),
    };
    if let Err(b) = check_head(conn, &signers, walk.count, &walk.last)? {
        return Ok(Err(b));
    }
    for check in [check_derived, check_journal] {
        if let Err(b) = check(conn)? {
            return Ok(Err(b));
        }
    }
    Ok(Ok(Summary { keys: walk.count, lists, signers }))
}

/// The ledger's signing keys as trusted keys, each key_id checked against its public key.
pub fn trusted_keys(signers: &[SigningKey], pinned: Option<&TrustedKeys>) -> Result<TrustedKeys, Broken> {
    let mut trusted = TrustedKeys::new();
    let mut current = 0;
    for k in signers {
        let at = format!("signing_keys row {}", k.key_id);
        let mut raw = [0u8; 32];
        if hex::decode_to_slice(&k.public_key, &mut raw).is_err() {
            return broken(at, "its public_key is not 64 hex digits");
        }
        if KeyId::of_public_key(&raw).to_string() != k.key_id {
            return broken(at, "its key_id is not the id of its public key");
        }
        if let Some(p) = pinned
            && !p.with_id(KeyId::of_public_key(&raw)).any(|v| v.as_bytes() == &raw)
        {
            return broken(at, "this signing key is not one of the public keys given");
        }
        if trusted.add(&raw).is_err() {
            return broken(at, "its public key is not a valid Ed25519 key");
        }
        current += usize::from(k.status == "current");
    }
    if !signers.is_empty() && current != 1 {
        return broken("signing_keys", format!("{current} keys are marked current; one must be"));
    }
    Ok(trusted)
}

/// The keys' chain as walked so far.
#[derive(Default)]
struct Walk {
    count: u64,
    last: String,
    serials: HashSet<String>,
    replaced: HashSet<String>,
    /// Each order with the last key that carried it.
    orders: HashMap<String, String>,
}

impl Walk {
    fn chunk(&mut self, chunk: &[Stored], trusted: &TrustedKeys) -> Result<(), Broken> {
        // The signatures first, on every core; the chain in order, after.
        let bad: Vec<Option<String>> = chunk.par_iter().map(|s| genuine(s, trusted).err()).collect();
        for (s, bad) in chunk.iter().zip(bad) {
            let r = &s.record;
            let at = format!("keys row {} (serial {})", s.position, r.serial);
            if s.position != self.count + 1 {
                return broken(
                    at,
                    format!(
                        "row {} is missing: a row was deleted (the chain goes from {} to {})",
                        self.count + 1,
                        self.count,
                        s.position
                    ),
                );
            }
            if r.prev.as_deref() != Some(self.last.as_str()) {
                return broken(
                    at,
                    "its prev is not the hash of the row before: a row was edited, deleted or reordered",
                );
            }
            if keys::row_hash(s.position, &self.last, r) != s.hash {
                return broken(at, "its fields do not match its hash: the row was edited");
            }
            if let Some(what) = bad {
                return broken(at, what);
            }
            if !self.serials.insert(r.serial.clone()) {
                return broken(at, "its serial is on an earlier row too");
            }
            if let Some(old) = &r.supersedes {
                if !self.serials.contains(old) || old == &r.serial {
                    return broken(at, format!("it replaces key {old}, which no earlier row holds"));
                }
                if !self.replaced.insert(old.clone()) {
                    return broken(at, format!("key {old} is replaced a second time"));
                }
            }
            if let Some(order) = &r.order_id {
                match (self.orders.get(order), &r.supersedes) {
                    (Some(prev), Some(old)) if prev == old => {}
                    (Some(prev), _) => {
                        return broken(
                            at,
                            format!("order '{order}' already has key {prev}: an order gets one key"),
                        );
                    }
                    (None, _) => {}
                }
                self.orders.insert(order.clone(), r.serial.clone());
            }
            self.count = s.position;
            self.last.clone_from(&s.hash);
        }
        Ok(())
    }
}

/// Whether a row's key verifies with its signer and says what the row says.
pub fn genuine(s: &Stored, trusted: &TrustedKeys) -> Result<(), String> {
    let r = &s.record;
    // On the last day a key can hold: a key genuine when recorded passes whatever its dates.
    let verdict = product_key::verify(&r.key, trusted, &Check::on(Day::MAX));
    let Some(decoded) = &verdict.key else {
        return Err(format!("the key is malformed: {}", verdict.finding));
    };
    let p = &decoded.payload;
    if !verdict.trusted {
        return Err(format!(
            "the key does not verify with the public key of its signer (key_id {})",
            p.key_id
        ));
    }
    let mut differs = Vec::new();
    let features: Vec<String> = p.features.features().map(|f| f.name().to_owned()).collect();
    let checks = [
        ("serial", p.serial.to_string() == r.serial),
        ("signed_by", p.key_id.to_string() == r.key_id),
        ("organization", p.organization.as_str() == r.organization),
        ("seats", p.seats.limit() == r.seats),
        ("features", features == r.features),
        ("issued", p.issued.to_string() == r.issued),
        ("expires", p.expires.last_day().map(|d| d.to_string()) == r.expires),
        ("supersedes", p.supersedes().map(|x| x.to_string()) == r.supersedes),
    ];
    for (name, same) in checks {
        if !same {
            differs.push(name);
        }
    }
    if differs.is_empty() {
        Ok(())
    } else {
        Err(format!("its {} differ(s) from what its signed key says", differs.join(", ")))
    }
}

/// The lists: one sequence, chained, each genuine and naming what `revocations` says.
fn check_lists(
    conn: &dyn LedgerRead,
    trusted: &TrustedKeys,
    serials: &HashSet<String>,
) -> Result<Result<u64, Broken>, Error> {
    let read = || Error::db("cannot read the ledger's revocation lists");
    let all = conn.lists().map_err(read())?;
    let mut last = GENESIS.to_owned();
    let mut before: HashSet<String> = HashSet::new();
    for (i, l) in all.iter().enumerate() {
        let at = format!("revocation list {}", l.sequence);
        if u64::from(l.sequence) != i as u64 + 1 {
            return Ok(broken(
                at,
                format!("list {} is missing: the sequence goes from {i} to {}", i + 1, l.sequence),
            ));
        }
        if l.prev != last {
            return Ok(broken(at, "its prev is not the hash of the list before"));
        }
        if lists::row_hash(l) != l.hash {
            return Ok(broken(at, "its fields do not match its hash: the row was edited"));
        }
        let list = match RevocationList::open(&l.text, trusted, product_key::PRODUCT_CODE) {
            Ok(list) => list,
            Err(e) => return Ok(broken(at, format!("its text is not a genuine list: {e}"))),
        };
        if list.sequence != l.sequence || list.key_id.to_string() != l.signed_by {
            return Ok(broken(at, "its text's sequence or signer is not the row's"));
        }
        let named: HashSet<String> = list.serials().iter().map(ToString::to_string).collect();
        if let Some(s) = before.iter().find(|s| !named.contains(*s)) {
            return Ok(broken(at, format!("it leaves out serial {s}, revoked by an earlier list")));
        }
        let new: HashSet<&String> = named.difference(&before).collect();
        let rows = conn.named_by(l.sequence).map_err(read())?;
        let stored: HashSet<&String> = rows.iter().map(|(s, _)| s).collect();
        if new != stored {
            return Ok(broken(at, "the revocations rows of this list are not the serials it revokes first"));
        }
        if let Some((s, _)) = rows.iter().find(|(_, reason)| reason != &l.reason) {
            return Ok(broken(at, format!("the revocation of {s} gives another reason than its list")));
        }
        if let Some(s) = new.iter().find(|s| !serials.contains(s.as_str())) {
            return Ok(broken(at, format!("it revokes serial {s}, which no key row holds")));
        }
        before = named;
        last.clone_from(&l.hash);
    }
    if conn.revocation_count().map_err(read())? != before.len() as u64 {
        return Ok(broken("revocations", "it holds rows that no list names"));
    }
    Ok(Ok(all.len() as u64))
}

/// The signed head covers the end of each chain and the signing keys.
fn check_head(
    conn: &dyn LedgerRead,
    signers: &[SigningKey],
    keys: u64,
    last_key: &str,
) -> Result<Result<(), Broken>, Error> {
    let at = "the signed head";
    let now = head::compute(conn).map_err(Error::db("cannot read the ledger"))?;
    let Some(stored) = conn.stored_head().map_err(Error::db("cannot read the ledger's head"))? else {
        if super::guard::unsigned_is_new(conn, &now).map_err(Error::db("cannot read the ledger"))? {
            return Ok(Ok(()));
        }
        return Ok(broken(at, "there is none: the ledger's rows are not covered by a signature"));
    };
    let (signed, by) = (&stored.head, &stored.by);
    if signed.key_count != keys {
        let what = if signed.key_count > keys {
            format!(
                "it covers {} key rows, the table holds {keys}: the last {} row(s) were deleted",
                signed.key_count,
                signed.key_count - keys
            )
        } else {
            format!(
                "it covers {} key rows, the table holds {keys}: rows were added without the signing key",
                signed.key_count
            )
        };
        return Ok(broken(at, what));
    }
    if signed.key_hash != last_key && keys > 0 {
        return Ok(broken(
            format!("keys row {keys}"),
            "the last row is not the one the signed head covers: it was edited",
        ));
    }
    if signed.list_count != now.list_count || signed.list_hash != now.list_hash {
        return Ok(broken(
            at,
            "it does not cover the revocation lists as stored: a list was deleted or edited",
        ));
    }
    if signed.signers_hash != now.signers_hash {
        return Ok(broken(
            at,
            "it does not cover the signing keys as stored: one was added, removed or edited",
        ));
    }
    if let (Some(sd), Some(nd)) = (&signed.desk, &now.desk) {
        if sd.people_hash != nd.people_hash {
            return Ok(broken(
                "the desk's people",
                "they are not the people the signed head covers: a name, role or password hash, an API token or a shop was added, removed or edited outside keygen",
            ));
        }
        if sd.journal_id != nd.journal_id || sd.journal_hash != nd.journal_hash {
            return Ok(broken(
                "the desk's journal",
                format!(
                    "the signed head covers it to event {}, it ends at event {}: events were deleted, added or edited",
                    sd.journal_id, nd.journal_id
                ),
            ));
        }
    }
    if let Err(what) = head::check_signature(&stored, signers) {
        return Ok(broken(at, what));
    }
    if signers.iter().any(|k| &k.key_id == by && k.status != "current") {
        return Ok(broken(at, format!("it is signed by {by}, a retired key")));
    }
    Ok(Ok(()))
}

/// The schema is the migrations' (no trigger, view or index added, no CHECK changed).
fn check_schema(conn: &dyn LedgerRead) -> Result<Result<(), Broken>, Error> {
    match conn.schema_difference().map_err(Error::db("cannot read the ledger's schema"))? {
        Some(what) => Ok(broken("the schema", what)),
        None => Ok(Ok(())),
    }
}

/// Every derived column holds what it is derived from: `org_search` (what `ledger find --org`
/// and the desk's search read) from the organization.
fn check_derived(conn: &dyn LedgerRead) -> Result<Result<(), Broken>, Error> {
    let mut found = Ok(());
    conn.each_org_search(&mut |position, serial, org, search| {
        if super::search::column(org) == search {
            return true;
        }
        found = broken(
            format!("keys row {position} (serial {serial})"),
            "its org_search is not derived from its organization: a search would not find the key",
        );
        false
    })
    .map_err(Error::db("cannot read the ledger"))?;
    Ok(found)
}

/// The desk's journal: one chain, each event's hash its own.
fn check_journal(conn: &dyn LedgerRead) -> Result<Result<(), Broken>, Error> {
    let events = conn.events_after(0).map_err(Error::db("cannot read the desk's journal"))?;
    // A head of v1, or none yet: a ledger migrated to schema 3 whose next write chains them.
    let v1 = conn
        .stored_head()
        .map_err(Error::db("cannot read the ledger's head"))?
        .is_none_or(|h| h.head.desk.is_none());
    let mut prev = GENESIS.to_owned();
    for e in events {
        let at = format!("the desk's journal event {}", e.id);
        let [when, actor, action, detail] = &e.fields;
        let Some(hash) = e.hash else {
            if v1 {
                return Ok(Ok(()));
            }
            return Ok(broken(at, "it has no hash: it was added outside keygen"));
        };
        if super::people::event_hash(e.id, &prev, when, actor, action, detail) != hash {
            return Ok(broken(
                at,
                "its fields or its place do not match its hash: an event was edited or deleted",
            ));
        }
        prev = hash;
    }
    Ok(Ok(()))
}
