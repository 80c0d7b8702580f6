//! Renewing and amending: a new key that replaces an old one (its `supersedes` extension
//! names the old serial), with the old key's terms carried over, renewed or changed. The old
//! key's story is read in the transaction that records the new key, so two front ends cannot
//! replace the same key twice.

use crate::db::store::LedgerRead;
use std::path::Path;

use product_key::{Day, Expiry, Feature, FeatureSet, Organization, Payload, Seats};

use crate::db::keys::{self, History};
use crate::db::{self, Db};
use crate::error::{Error, Field};
use crate::key_record::{KeyRecord, now_rfc3339};
use crate::ops::issue::{fresh_serial, record_key};
use crate::token::AnySigner;

/// Why a key is replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The same terms for another term.
    Renewal,
    /// Changed terms.
    Amendment,
}

impl Reason {
    /// As stored in `keys.reason`.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Renewal => "renewal",
            Reason::Amendment => "amendment",
        }
    }
    fn via(self) -> &'static str {
        match self {
            Reason::Renewal => "renew",
            Reason::Amendment => "amend",
        }
    }
}

/// A renewal's new term: a last day, or a number of days (default: the old key's term),
/// counted from the old key's last day or the day of issue, whichever is later.
#[derive(Clone, Copy, Debug, Default)]
pub struct Renewal {
    /// Days of the new term.
    pub valid_days: Option<u32>,
    /// The new last day.
    pub expires: Option<Day>,
}

impl Renewal {
    /// The renewed terms of `old`, issued on `issued`.
    pub fn terms(&self, old: &Payload, issued: Day) -> Result<Payload, Error> {
        if self.valid_days == Some(0) {
            return Err(Error::invalid(Field::ValidDays, "a renewal is at least 1 day"));
        }
        let Expiry::LastDay(last) = old.expires else {
            return Err(Error::input(format!(
                "key {} is perpetual: there is nothing to renew; to change its terms, use keygen amend",
                old.serial
            )));
        };
        let last_day = match self.expires {
            Some(day) => day,
            None => {
                let term =
                    self.valid_days.unwrap_or(u32::from(last.days() - old.issued.days().min(last.days())));
                let from = last.max(issued);
                from.checked_add(term).ok_or_else(|| {
                    Error::input(format!(
                        "{term} days from {from} is past 2149-06-06, the last day a key can hold"
                    ))
                })?
            }
        };
        let mut new = old.clone();
        new.expires = Expiry::LastDay(last_day);
        Ok(new)
    }
}

/// An amendment's changes, each optional (at least one).
#[derive(Clone, Debug, Default)]
pub struct Amendment {
    /// A new organization.
    pub organization: Option<Organization>,
    /// New seats.
    pub seats: Option<Seats>,
    /// The whole new feature set.
    pub features: Option<FeatureSet>,
    /// Features added.
    pub add: Vec<Feature>,
    /// Features removed.
    pub remove: Vec<Feature>,
    /// A new last day, or perpetual.
    pub expires: Option<Expiry>,
}

/// The text of an amendment, as typed (flags or a form): each field read, every problem told.
#[derive(Clone, Debug, Default)]
pub struct AmendmentText<'a> {
    /// The organization.
    pub org: Option<&'a str>,
    /// The seats.
    pub seats: Option<&'a str>,
    /// The features (comma-separated).
    pub features: Option<&'a str>,
    /// Features to add.
    pub add: Vec<&'a str>,
    /// Features to remove.
    pub remove: Vec<&'a str>,
    /// The last day (a day or `never`).
    pub expires: Option<&'a str>,
}

impl AmendmentText<'_> {
    /// The amendment, or every problem (each an [`Error::Invalid`] naming its field, or the
    /// one [`Error::Missing`] when nothing would change).
    pub fn parse(&self) -> Result<Amendment, Vec<Error>> {
        let mut problems = Vec::new();
        let organization = parsed(Field::Organization, self.org, Organization::canonicalize, &mut problems);
        let seats = parsed(Field::Seats, self.seats, str::parse::<Seats>, &mut problems);
        let features =
            parsed(Field::Features, self.features, |f| FeatureSet::from_names(f.split(',')), &mut problems);
        let mut names = |field: Field, names: &[&str]| -> Vec<Feature> {
            names.iter().filter_map(|n| parsed(field, Some(n), Feature::from_name, &mut problems)).collect()
        };
        let add = names(Field::AddFeature, &self.add);
        let remove = names(Field::RemoveFeature, &self.remove);
        let expires = parsed(
            Field::Expires,
            self.expires,
            |t| {
                if t.eq_ignore_ascii_case("never") {
                    Ok(Expiry::Perpetual)
                } else {
                    crate::dates::day(t).map(Expiry::LastDay)
                }
            },
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(problems);
        }
        let a = Amendment { organization, seats, features, add, remove, expires };
        if a.organization.is_none()
            && a.seats.is_none()
            && a.features.is_none()
            && a.add.is_empty()
            && a.remove.is_empty()
            && a.expires.is_none()
        {
            return Err(vec![Error::Missing {
                context: Some("nothing to change"),
                any_of: vec![
                    Field::Organization,
                    Field::Seats,
                    Field::Features,
                    Field::AddFeature,
                    Field::RemoveFeature,
                    Field::Expires,
                ],
            }]);
        }
        Ok(a)
    }
}

impl Amendment {
    /// The amended terms of `old`.
    pub fn terms(&self, old: &Payload) -> Result<Payload, Error> {
        let mut new = old.clone();
        if let Some(o) = &self.organization {
            new.organization = o.clone();
        }
        if let Some(s) = self.seats {
            new.seats = s;
        }
        if let Some(f) = self.features {
            new.features = f;
        }
        let mut bits = new.features.bits();
        for f in &self.add {
            bits |= 1 << f.bit();
        }
        for f in &self.remove {
            bits &= !(1 << f.bit());
        }
        new.features = FeatureSet::from_bits(bits);
        if new.features.is_empty() {
            return Err(Error::input("the key would grant no feature; a key must grant at least one"));
        }
        if let Some(e) = self.expires {
            new.expires = e;
        }
        if new.organization == old.organization
            && new.seats == old.seats
            && new.features == old.features
            && new.expires == old.expires
        {
            return Err(Error::input(format!(
                "these changes leave key {}'s terms as they are: nothing to amend",
                old.serial
            )));
        }
        Ok(new)
    }
}

/// A flag's value read by `parse`, or its problem kept in `problems`.
fn parsed<T, E: std::fmt::Display>(
    field: Field,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
    problems: &mut Vec<Error>,
) -> Option<T> {
    let text = value?;
    match parse(text) {
        Ok(v) => Some(v),
        Err(e) => {
            // A feature to add or remove is one of several values of its field: name it.
            let what = match field {
                Field::AddFeature | Field::RemoveFeature => format!("{text}: {e}"),
                _ => e.to_string(),
            };
            problems.push(Error::Invalid { field, what });
            None
        }
    }
}

/// Which key to replace, and how the new one is recorded.
pub struct Request {
    /// The old key by serial...
    pub serial: Option<String>,
    /// ...or the current key of this order.
    pub for_order: Option<String>,
    /// Renewal or amendment.
    pub reason: Reason,
    /// The new key's order (an amendment keeps the old one's unless told).
    pub order_id: Option<String>,
    /// The day of issue.
    pub issued: Day,
    /// Who replaces it.
    pub actor: String,
}

/// A key that replaced another.
pub struct Replaced {
    /// The new key's record as stored.
    pub record: KeyRecord,
    /// Its payload.
    pub payload: Payload,
    /// The old key's record.
    pub old: KeyRecord,
    /// The new key's JSON as `--json` shows it.
    pub json: String,
}

/// Finds the old key, refuses one revoked or replaced, lets `terms` make the new terms,
/// signs and records the new key, all in one transaction.
pub fn replace(
    signer: &AnySigner,
    key_path: &Path,
    path: &Path,
    req: Request,
    terms: impl FnOnce(&Payload, Day) -> Result<Payload, Error>,
) -> Result<Replaced, Error> {
    crate::text_rules::check_key(None, req.order_id.as_deref(), None)?;
    let issued = req.issued;
    let mut ledger = Db::open_write(path)?;
    // The database refuses a second replacement too: `supersedes` is unique.
    let tx = ledger.begin_write(key_path)?;
    db::head::ensure_current(tx.conn(), signer, key_path)?;
    let old = current(tx.conn(), path, req.serial.as_deref(), req.for_order.as_deref())?;
    refuse_replaced(&old)?;
    let read = || Error::db(format!("cannot read the ledger {}", path.display()));
    let order_id = match req.order_id {
        None if req.reason == Reason::Amendment => old.record().order_id.clone(),
        o => o,
    };
    if let Some(o) = &order_id
        && old.record().order_id.as_ref() != Some(o)
        && tx.conn().order_exists(o).map_err(read())?
    {
        return Err(Error::input(format!("order '{o}' was already issued a key ({})", path.display())));
    }
    let old_payload = product_key::text::decode(&old.record().key)
        .map_err(|e| {
            Error::input(format!(
                "{}: keys row {}: the recorded key cannot be read: {e}",
                path.display(),
                old.stored.position
            ))
        })?
        .payload;
    let mut payload = terms(&old_payload, issued)?;
    crate::text_rules::check_key(Some(payload.organization.as_str()), None, None)?;
    if let Expiry::LastDay(day) = payload.expires
        && day < issued
    {
        return Err(Error::invalid(Field::Expires, format!("{day} is before the day of issue {issued}")));
    }
    payload.serial = fresh_serial(tx.conn())?;
    payload.issued = issued;
    payload.extensions.clear();
    payload.set_supersedes(old_payload.serial);
    let key = signer.issue(&mut payload)?;
    let template = old.record().template.clone().unwrap_or_default();
    let mut record = KeyRecord::new(key, &payload, &template, order_id, old.record().contact.clone());
    record.template = old.record().template.clone();
    let json = serde_json::to_string(&record).map_err(|e| Error::input(e.to_string()))?;
    record.reason = Some(req.reason.name().to_owned());
    record.via = Some(req.reason.via().to_owned());
    record.issued_at = Some(now_rfc3339());
    record.actor = Some(req.actor);
    record_key(&tx, &record)?;
    tx.commit(signer)?;
    Ok(Replaced { record, payload, old: old.stored.record, json })
}

/// The key an operation acts on: given by serial, or the current key of an order (the end
/// of the chain of keys that replaced the order's first key).
pub fn current(
    conn: &dyn LedgerRead,
    path: &Path,
    serial: Option<&str>,
    order: Option<&str>,
) -> Result<History, Error> {
    let read = || Error::db(format!("cannot read the ledger {}", path.display()));
    let stored = match (serial, order) {
        (Some(s), _) => {
            let s = s
                .parse::<product_key::Serial>()
                .map_err(|e| Error::invalid(Field::Serial, e.to_string()))?
                .to_string();
            conn.key_by_serial(&s).map_err(read())?.ok_or_else(|| {
                Error::NotFound(format!("serial {s} is not in the ledger {}", path.display()))
            })?
        }
        (None, Some(o)) => keys::current_of_order(conn, o)
            .map_err(read())?
            .ok_or_else(|| Error::NotFound(format!("order '{o}' is not in the ledger {}", path.display())))?,
        (None, None) => {
            return Err(Error::Missing { context: None, any_of: vec![Field::Serial, Field::ForOrder] });
        }
    };
    keys::story(conn, stored).map_err(read())
}

/// A revoked key, or one already replaced, is not replaced (again).
fn refuse_replaced(old: &History) -> Result<(), Error> {
    if let Some(r) = &old.revoked {
        return Err(Error::Conflict(format!(
            "key {} was revoked (revocation list {}, {}): it cannot be renewed or amended; issue a new key",
            old.record().serial,
            r.sequence,
            r.revoked_at
        )));
    }
    if let Some(by) = &old.replaced_by {
        return Err(Error::Conflict(format!(
            "key {} was already replaced by key {} ({}{}); renew or amend that one",
            old.record().serial,
            by.serial,
            by.reason.as_deref().unwrap_or("replacement"),
            by.issued_at.as_deref().map(|t| format!(", {t}")).unwrap_or_default()
        )));
    }
    Ok(())
}
