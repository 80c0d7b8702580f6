//! `keygen revoke`: says what it revokes (serial, organization, order, why), records the
//! revocation and the next signed list in the ledger in one transaction, then writes the
//! list. `--dry-run` only says; `--reissue N` writes list N again, byte for byte.

use std::collections::BTreeMap;
use std::process::ExitCode;

use product_key::{Day, Serial};
use rusqlite::params;

use crate::cli::RevokeArgs;
use crate::db::keys::{self, History};
use crate::db::{self, Db, lists};
use crate::error::Error;
use crate::keyfile;
use cli_support::Pending;
use cli_support::warn;

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
        Some(t) => t.parse::<Day>().map(Some).unwrap_or_else(|e| {
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
    let mut ledger = Db::open_write(&path, false)?.ok_or_else(|| {
        Error::input(format!("no ledger at {}: it has issued no key to revoke", path.display()))
    })?;
    // One transaction while the keys are chosen and until the revocation is recorded.
    let tx = ledger.begin_write(&args.key.key)?;
    let conn = tx.conn();
    let read = || Error::db(format!("cannot read the ledger {}", path.display()));

    // Each key chosen, with why (by serial, by order, or replaced).
    let mut chosen: BTreeMap<String, (History, String)> = BTreeMap::new();
    let mut unknown = Vec::new();
    for s in &serials {
        match keys::by_serial(conn, s).map_err(read())? {
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
    for order in &args.order_ids {
        let k = crate::replace::current(conn, &path, None, Some(order))?;
        chosen.entry(k.record().serial.clone()).or_insert((k, format!("the current key of order {order}")));
    }
    if args.superseded {
        // Every replaced key not revoked yet, with its successor.
        let mut stmt = conn
            .prepare(
                "SELECT old.serial, new.serial, new.issued FROM keys new JOIN keys old ON old.serial = new.supersedes \
                 WHERE old.serial NOT IN (SELECT serial FROM revocations) ORDER BY old.position",
            )
            .map_err(read())?;
        let replaced: Vec<(String, String, String)> = stmt
            .query_map(params![], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(read())?
            .collect::<rusqlite::Result<_>>()
            .map_err(read())?;
        for (old, new, day) in replaced {
            if before.is_some_and(|b| day.parse::<Day>().map_or(true, |d| d > b)) {
                continue;
            }
            if let Some(k) = keys::by_serial(conn, &old).map_err(read())? {
                let k = keys::story(conn, k).map_err(read())?;
                chosen.entry(old).or_insert((k, format!("replaced by key {new} issued {day}")));
            }
        }
    }

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
    cli_support::print(&out).map_err(Error::stdout)?;
    if args.dry_run {
        warn(&format!("dry run: {} key(s) would be revoked; nothing was written", new_serials.len()));
        return Ok(ExitCode::SUCCESS);
    }
    if new_serials.is_empty() {
        warn("nothing new to revoke: no revocation list was written");
        return Ok(ExitCode::SUCCESS);
    }
    let target = args.out.as_ref().ok_or_else(|| Error::input("--out: where to write the list"))?;
    let signer = keyfile::load(&args.key.key, args.key.passphrase_file.as_deref())?;
    db::head::ensure_current(conn, &signer, &args.key.key)?;
    // Checked before the ledger changes, so a refused --out leaves everything as it was.
    let mut file = Pending::create(target, true)?;

    let recorded = crate::ops::revoke::record(
        conn,
        &signer,
        today,
        args.reason.as_deref(),
        &new_serials,
        &crate::ops::cli_actor(),
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
    let written = match crate::failpoint::from_env() {
        Some(crate::failpoint::Failpoint::FailPublish) => Err(Error::Io {
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
    let text = lists::text(ledger.conn(), sequence)
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
