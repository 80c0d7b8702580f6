//! `keygen revoke`: says what it revokes (serial, organization, order, why), records the
//! revocation and the next signed list in the ledger in one transaction, then writes the
//! list. `--dry-run` only says; `--reissue N` writes list N again, byte for byte.

use std::collections::BTreeMap;
use std::process::ExitCode;

use product_key::{Day, Serial};

use crate::cli::RevokeArgs;
use cli_support::Pending;
use cli_support::warn;
use keygen_core::db::keys::{self, History};
use keygen_core::db::{self, Db};
use keygen_core::error::Error;
use keygen_core::keyfile;

/// Runs `keygen revoke`.
pub fn run(args: &RevokeArgs) -> Result<ExitCode, Error> {
    if let Some(n) = args.reissue {
        return reissue(args, n);
    }
    let mut serials = Vec::new();
    let mut bad = Vec::new();
    for text in &args.serials {
        match text.parse::<Serial>() {
            Ok(s) => serials.push(s.to_string()),
            Err(e) => bad.push(format!("--serial {text}: {e}")),
        }
    }
    let before = match &args.before {
        Some(t) => keygen_core::dates::day(t).map(Some).unwrap_or_else(|e| {
            bad.push(format!("--before: {e}"));
            None
        }),
        None => None,
    };
    if !bad.is_empty() {
        return Err(Error::Inputs(bad));
    }
    let today = Day::today().ok_or_else(|| Error::input("today is outside the days a list can hold"))?;
    let path = db::path_for(args.ledger.as_deref(), &args.key.key);
    let mut ledger = Db::open_write(&path)?;
    // One transaction while the keys are chosen and until the revocation is recorded.
    let tx = ledger.begin_write(&args.key.key)?;
    let conn = tx.conn();
    let read = || Error::db(format!("cannot read the ledger {}", path.display()));

    // Each key chosen, with why (by serial, by order, or replaced).
    let mut chosen: BTreeMap<String, (History, String)> = BTreeMap::new();
    let mut unknown = Vec::new();
    for s in &serials {
        match conn.key_by_serial(s).map_err(read())? {
            Some(k) => {
                let k = keys::story(conn, k).map_err(read())?;
                chosen.insert(s.clone(), (k, "named by --serial".into()));
            }
            None => unknown
                .push(format!("serial {s} was never issued in the ledger {} (a typo?)", path.display())),
        }
    }
    if !unknown.is_empty() {
        return Err(Error::Inputs(unknown));
    }
    // Later keys of an order's chain under another order: named, revoked only when asked.
    let mut left: Vec<(String, (History, String))> = Vec::new();
    for order in &args.order_ids {
        let Some(of) = keygen_core::ops::revoke::of_order(conn, order).map_err(|e| in_ledger(&path, e))?
        else {
            return Err(Error::input(format!("order '{order}' is not in the ledger {}", path.display())));
        };
        for k in of.own {
            let why = match &k.stored.record.supersedes {
                Some(old) => format!("order {order}: replaced key {old} under the same order"),
                None => format!("order {order}'s key"),
            };
            chosen.entry(k.record().serial.clone()).or_insert((k, why));
        }
        for k in of.later {
            let why = format!("a later key of order {order}'s chain, {}", sold_as(&k));
            if args.with_later_orders {
                chosen
                    .entry(k.record().serial.clone())
                    .or_insert((k, format!("{why} (--with-later-orders)")));
            } else if !left.iter().any(|(s, _)| *s == k.record().serial) {
                left.push((k.record().serial.clone(), (k, why)));
            }
        }
    }
    if args.superseded {
        // Every replaced key not revoked yet, with its successor.
        let replaced = conn.replaced_unrevoked().map_err(read())?;
        for (old, new, day) in replaced {
            if before.is_some_and(|b| day.parse::<Day>().map_or(true, |d| d > b)) {
                continue;
            }
            if let Some(k) = conn.key_by_serial(&old).map_err(read())? {
                let k = keys::story(conn, k).map_err(read())?;
                chosen.entry(old).or_insert((k, format!("replaced by key {new} issued {day}")));
            }
        }
    }

    left.retain(|(serial, _)| !chosen.contains_key(serial));
    let mut out = String::new();
    let mut new_serials = Vec::new();
    for (serial, (k, why)) in &chosen {
        let order = k.record().order_id.as_deref().unwrap_or("-");
        let state = match &k.revoked {
            Some(r) => format!("already revoked (list {}, {})", r.sequence, r.revoked_at),
            None => {
                new_serials.push(serial.clone());
                why.clone()
            }
        };
        out.push_str(&format!("{serial}  {}  order {order}  {state}\n", k.record().organization));
    }
    if chosen.is_empty() {
        out.push_str("no key to revoke\n");
    }
    for (serial, (k, why)) in &left {
        let order = k.record().order_id.as_deref().unwrap_or("-");
        let state = match &k.revoked {
            Some(r) => format!("already revoked (list {}, {})", r.sequence, r.revoked_at),
            None => format!("stays valid: {why}"),
        };
        out.push_str(&format!("{serial}  {}  order {order}  {state}\n", k.record().organization));
    }
    cli_support::print(&out).map_err(Error::stdout)?;
    let valid: Vec<&str> =
        left.iter().filter(|(_, (k, _))| k.revoked.is_none()).map(|(s, _)| s.as_str()).collect();
    if !valid.is_empty() {
        warn(&format!(
            "{} later key(s) of the chain carry another order (or none) and stay valid: {}; \
             to revoke them too, add --with-later-orders",
            valid.len(),
            valid.join(", ")
        ));
    }
    if args.dry_run {
        warn(&format!("dry run: {} key(s) would be revoked; nothing was written", new_serials.len()));
        return Ok(ExitCode::SUCCESS);
    }
    if new_serials.is_empty() {
        warn("nothing new to revoke: no revocation list was written");
        return Ok(ExitCode::SUCCESS);
    }
    let target = args.out.as_ref().ok_or_else(|| Error::input("--out: where to write the list"))?;
    let signer = keyfile::open(&args.key.key, args.key.passphrase_file.as_deref())?;
    db::head::ensure_current(conn, &signer, &args.key.key)?;
    // Checked before the ledger changes, so a refused --out leaves everything as it was.
    let mut file = Pending::create(target, true)?;

    let recorded = keygen_core::ops::revoke::record(
        conn,
        &signer,
        today,
        args.reason.as_deref(),
        &new_serials,
        &keygen_core::ops::cli_actor(),
    )
    .map_err(|e| match e {
        Error::Db { what, source } => Error::Db { what: format!("{what} {}", path.display()), source },
        e => e,
    })?;
    let (sequence, text) = (recorded.sequence, recorded.text);
    tx.commit(&signer)?;
    drop(ledger);

    let again = |e: Error| {
        e.after_recording(format!(
            "revocation list {sequence} is recorded in {} but was not written to {}; write it with: \
             keygen revoke --ledger {} --reissue {sequence} --out {}",
            path.display(),
            target.display(),
            path.display(),
            target.display()
        ))
    };
    let written = match keygen_core::failpoint::from_env() {
        Some(keygen_core::failpoint::Failpoint::FailPublish) => Err(Error::Io {
            what: format!("cannot write {}", target.display()),
            source: std::io::Error::from_raw_os_error(28),
        }),
        _ => std::io::Write::write_all(file.writer(), text.as_bytes())
            .map_err(Error::io(format!("cannot write {}", target.display())))
            .and_then(|()| file.publish().map_err(Error::from)),
    };
    written.map_err(again)?;
    warn(&format!(
        "Revoked {} key(s). Wrote revocation list {sequence} ({} serials) to {}. Ship it with the next update, or give it to support.",
        new_serials.len(),
        recorded.serials,
        target.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `keygen revoke --reissue N --out FILE`: list N exactly as first published (read-only).
fn reissue(args: &RevokeArgs, sequence: u32) -> Result<ExitCode, Error> {
    let target = args.out.as_ref().ok_or_else(|| Error::input("--out: where to write the list"))?;
    let path = db::path_for(args.ledger.as_deref(), &args.key.key);
    let ledger = Db::open_read(&path)?;
    let text = ledger
        .conn()
        .list_text(sequence)
        .map_err(Error::db(format!("cannot read the ledger {}", path.display())))?
        .ok_or_else(|| {
            Error::input(format!("the ledger {} holds no revocation list {sequence}", path.display()))
        })?;
    let mut file = Pending::create(target, true)?;
    std::io::Write::write_all(file.writer(), text.as_bytes())
        .map_err(Error::io(format!("cannot write {}", target.display())))?;
    file.publish()?;
    warn(&format!("Wrote revocation list {sequence} to {}, as first published.", target.display()));
    Ok(ExitCode::SUCCESS)
}

/// How a later key of a chain was sold: its order (or none), and whether it renewed or
/// amended the key before it.
fn sold_as(k: &History) -> String {
    let how = k.record().reason.as_deref().unwrap_or("replacement");
    match k.record().order_id.as_deref() {
        Some(o) => format!("a {how} under order {o}"),
        None => format!("a {how} recorded with no order"),
    }
}

/// A ledger error with the ledger's path.
fn in_ledger(path: &std::path::Path, e: Error) -> Error {
    match e {
        Error::Db { what, source } => Error::Db { what: format!("{what} {}", path.display()), source },
        e => e,
    }
}
