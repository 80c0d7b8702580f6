//! `keygen renew` and `keygen amend`: a new key that replaces an old one (its `supersedes`
//! extension names the old serial), with the old key's terms carried over, renewed or
//! changed. The old key's story is read in the transaction that records the new key, so two
//! desks cannot replace the same key twice.

use std::process::ExitCode;

use product_key::{Day, Expiry, Feature, FeatureSet, Organization, Payload, Seats};

use crate::cli::{AmendArgs, RenewArgs, ReplaceArgs};
use crate::db::keys::{self, History};
use crate::db::{self, Db};
use crate::error::Error;
use crate::issue::fresh_serial;
use crate::keyfile;
use crate::record::{KeyRecord, now_rfc3339};

/// Runs `keygen renew`: the same terms for another term.
pub fn renew(args: &RenewArgs) -> Result<ExitCode, Error> {
    if args.valid_days == Some(0) {
        return Err(Error::input("--valid-days: a renewal is at least 1 day"));
    }
    let expires = match &args.expires {
        Some(text) => Some(text.parse::<Day>().map_err(|e| Error::input(format!("--expires: {e}")))?),
        None => None,
    };
    replace(&args.common, "renewal", |old, issued| {
        let Expiry::LastDay(last) = old.expires else {
            return Err(Error::input(format!(
                "key {} is perpetual: there is nothing to renew; to change its terms, use keygen amend",
                old.serial
            )));
        };
        let last_day = match expires {
            Some(day) => day,
            None => {
                let term =
                    args.valid_days.unwrap_or(u32::from(last.days() - old.issued.days().min(last.days())));
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
    })
}

/// Runs `keygen amend`: the old key's terms with these changes.
pub fn amend(args: &AmendArgs) -> Result<ExitCode, Error> {
    let mut problems = Vec::new();
    let org = parsed("--org", args.org.as_deref(), Organization::canonicalize, &mut problems);
    let seats = parsed("--seats", args.seats.as_deref(), str::parse::<Seats>, &mut problems);
    let features = parsed(
        "--features",
        args.features.as_deref(),
        |f| FeatureSet::from_names(f.split(',')),
        &mut problems,
    );
    let mut names = |flag: &str, names: &[String]| -> Vec<Feature> {
        names
            .iter()
            .filter_map(|n| parsed(&format!("{flag} {n}"), Some(n), Feature::from_name, &mut problems))
            .collect()
    };
    let add = names("--add-feature", &args.add_features);
    let remove = names("--remove-feature", &args.remove_features);
    let expires = parsed(
        "--expires",
        args.expires.as_deref(),
        |t| {
            if t.eq_ignore_ascii_case("never") {
                Ok(Expiry::Perpetual)
            } else {
                t.parse::<Day>().map(Expiry::LastDay)
            }
        },
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(Error::Inputs(problems));
    }
    if org.is_none()
        && seats.is_none()
        && features.is_none()
        && add.is_empty()
        && remove.is_empty()
        && expires.is_none()
    {
        return Err(Error::input(
            "nothing to change: give --org, --seats, --features, --add-feature, --remove-feature or --expires",
        ));
    }
    replace(&args.common, "amendment", |old, _| {
        let mut new = old.clone();
        if let Some(o) = &org {
            new.organization = o.clone();
        }
        if let Some(s) = seats {
            new.seats = s;
        }
        if let Some(f) = features {
            new.features = f;
        }
        let mut bits = new.features.bits();
        for f in &add {
            bits |= 1 << f.bit();
        }
        for f in &remove {
            bits &= !(1 << f.bit());
        }
        new.features = FeatureSet::from_bits(bits);
        if new.features.is_empty() {
            return Err(Error::input("the key would grant no feature; a key must grant at least one"));
        }
        if let Some(e) = expires {
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
    })
}

/// A flag's value read by `parse`, or its problem kept in `problems` (every flag is read, so
/// every problem is told at once).
fn parsed<T, E: std::fmt::Display>(
    flag: &str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
    problems: &mut Vec<String>,
) -> Option<T> {
    match value.map(parse)? {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!("{flag}: {e}"));
            None
        }
    }
}

/// The common part: find the old key, refuse one that was revoked or replaced, let `terms`
/// make the new payload's terms, sign, record and print.
fn replace(
    args: &ReplaceArgs,
    reason: &str,
    terms: impl FnOnce(&Payload, Day) -> Result<Payload, Error>,
) -> Result<ExitCode, Error> {
    let issued = match &args.issued {
        Some(text) => crate::order::issue_day(text).map_err(|e| Error::input(format!("--issued: {e}")))?,
        None => Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?,
    };
    if !["key", "json", "text"].contains(&args.format.as_str()) {
        return Err(Error::input(format!("--format: '{}' is not key, json or text", args.format)));
    }
    let order_id = match args.order_id.as_deref().map(str::trim) {
        Some("") => return Err(Error::input("--order-id is empty")),
        o => o.map(str::to_owned),
    };
    let signer = keyfile::load(&args.key.key, args.key.passphrase_file.as_deref())?;
    let path = db::path_for(args.ledger.as_deref(), &args.key.key);
    let mut ledger = Db::open_write(&path, false)?.ok_or_else(|| {
        Error::input(format!("no ledger at {}: it has issued no key to replace", path.display()))
    })?;
    // One transaction from the old key's story to the new key's record: two desks cannot
    // replace the same key twice (and the database refuses it: `supersedes` is unique).
    let tx = ledger.begin()?;
    db::head::ensure_current(tx.conn(), &signer, &args.key.key)?;
    let old = current(tx.conn(), &path, args.serial.as_deref(), args.for_order.as_deref())?;
    refuse_replaced(&old)?;
    let read = || Error::db(format!("cannot read the ledger {}", path.display()));
    // An amendment corrects a key: it keeps the order unless told another.
    let order_id = match order_id {
        None if reason == "amendment" => old.record().order_id.clone(),
        o => o,
    };
    if let Some(o) = &order_id
        && old.record().order_id.as_ref() != Some(o)
        && keys::order_exists(tx.conn(), o).map_err(read())?
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
    if let Expiry::LastDay(day) = payload.expires
        && day < issued
    {
        return Err(Error::input(format!("--expires: {day} is before the day of issue {issued}")));
    }
    payload.serial = fresh_serial(tx.conn())?;
    payload.issued = issued;
    payload.extensions.clear();
    payload.set_supersedes(old_payload.serial);
    let key = signer.issue(&mut payload).map_err(|e| Error::input(e.to_string()))?;
    let template = old.record().template.clone().unwrap_or_default();
    let mut record = KeyRecord::new(key, &payload, &template, order_id, old.record().contact.clone());
    record.template = old.record().template.clone();
    let shown = serde_json::to_string(&record).map_err(|e| Error::input(e.to_string()))?;
    record.reason = Some(reason.to_owned());
    record.via = Some(if reason == "renewal" { "renew" } else { "amend" }.to_owned());
    record.issued_at = Some(now_rfc3339());
    crate::issue::record_key(&tx, &signer, &record)?;
    tx.commit()?;
    drop(ledger);
    let old = old.stored.record;
    let text = match if args.json { "json" } else { args.format.as_str() } {
        "json" => Some(shown),
        "text" => Some(customer_block(&record, &payload, &old, reason)),
        _ => None,
    };
    crate::issue::show_recorded(&record, text.as_deref(), &path)?;
    if let Some(warning) = crate::customer::future_warning(issued, Day::today()) {
        cli_support::warn(&warning);
    }
    cli_support::warn(&format!(
        "Key {} replaces key {} ({}, {}); the old key stays valid until it is revoked (keygen revoke --superseded).",
        record.serial,
        old.serial,
        old.organization,
        old.order_id.as_deref().map_or("no order".to_owned(), |o| format!("order {o}"))
    ));
    Ok(ExitCode::SUCCESS)
}

/// The key a command acts on: given by serial, or the current key of an order (the end of
/// the chain of keys that replaced the order's first key).
pub fn current(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
    serial: Option<&str>,
    order: Option<&str>,
) -> Result<History, Error> {
    let read = || Error::db(format!("cannot read the ledger {}", path.display()));
    let stored = match (serial, order) {
        (Some(s), _) => {
            let s = s
                .parse::<product_key::Serial>()
                .map_err(|e| Error::input(format!("--serial: {e}")))?
                .to_string();
            keys::by_serial(conn, &s)
                .map_err(read())?
                .ok_or_else(|| Error::input(format!("serial {s} is not in the ledger {}", path.display())))?
        }
        (None, Some(o)) => keys::current_of_order(conn, o)
            .map_err(read())?
            .ok_or_else(|| Error::input(format!("order '{o}' is not in the ledger {}", path.display())))?,
        (None, None) => return Err(Error::input("give --serial S or --for-order O")),
    };
    keys::story(conn, stored).map_err(read())
}

/// The customer's e-mail block of a replacing key: the edition by its template's name (the
/// built-in or ./templates one; its id if that cannot be read), and the key it replaces.
fn customer_block(record: &KeyRecord, payload: &Payload, old: &KeyRecord, reason: &str) -> String {
    let id = record.template.clone().unwrap_or_default();
    let folder = crate::template::Folder { dir: std::path::PathBuf::from("templates"), named: false };
    let edition = crate::template::load(&id, &folder).map_or(id, |t| t.name);
    let replaces = crate::customer::Replaces { old, reason };
    crate::customer::block(record, payload, &edition, Day::today(), Some(&replaces))
}

/// A revoked key, or one already replaced, is not replaced (again).
fn refuse_replaced(old: &History) -> Result<(), Error> {
    if let Some(r) = &old.revoked {
        return Err(Error::input(format!(
            "key {} was revoked (revocation list {}, {}): it cannot be renewed or amended; issue a new key",
            old.record().serial,
            r.sequence,
            r.revoked_at
        )));
    }
    if let Some(by) = &old.replaced_by {
        return Err(Error::input(format!(
            "key {} was already replaced by key {} ({}{}); renew or amend that one",
            old.record().serial,
            by.serial,
            by.reason.as_deref().unwrap_or("replacement"),
            by.issued_at.as_deref().map(|t| format!(", {t}")).unwrap_or_default()
        )));
    }
    Ok(())
}
