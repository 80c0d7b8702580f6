//! `keygen ledger verify` and `keygen ledger find`.

use std::io::Write;
use std::process::ExitCode;

use product_key::{Check, Day, TrustedKeys};

use crate::cli::{LedgerFindArgs, LedgerRepairArgs, LedgerVerifyArgs};
use crate::error::Error;
use crate::index::Kind;
use crate::record::KeyRecord;
use crate::{history, ledger};
use cli_support::warn;

/// Checks the chain and that every key verifies with the public key.
pub fn verify(args: &LedgerVerifyArgs) -> Result<ExitCode, Error> {
    let mut trusted = TrustedKeys::new();
    match &args.public_key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::input(format!("cannot read the public key {}: {e}", path.display())))?;
            trusted.add_text(&text).map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        }
        None => {
            let signer = crate::keyfile::load(&args.at.key, args.passphrase_file.as_deref())?;
            trusted.add(&signer.public_key()).map_err(|e| Error::input(e.to_string()))?;
        }
    }
    // The ledger lives beside the signing key, even when only its public half is given.
    let path = args.at.path();
    let mut keys = 0usize;
    let mut issued = std::collections::HashSet::new();
    let mut replaced = std::collections::HashSet::new();
    let mut sequence = 0u32;
    let walked = ledger::walk(&path, |_, line| {
        let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| e.to_string())?;
        if value.get("revoked").is_some() {
            let record: crate::record::RevocationRecord =
                serde_json::from_value(value).map_err(|e| format!("not a revocation record: {e}"))?;
            if record.sequence != sequence + 1 {
                return Err(format!("revocation list {} follows list {sequence}", record.sequence));
            }
            sequence = record.sequence;
            if let Some(s) = record.revoked.iter().find(|s| !issued.contains(s.as_str())) {
                return Err(format!("it revokes serial {s}, which no earlier record issued"));
            }
            return Ok(());
        }
        let record: KeyRecord =
            serde_json::from_value(value).map_err(|e| format!("not a key record: {e}"))?;
        // The library's one verification, on the day of issue: a key that was genuine when
        // it was recorded passes; only malformed or not genuine ones are broken records.
        let verdict = product_key::verify(&record.key, &trusted, &Check::on(Day::MAX));
        let Some(decoded) = &verdict.key else {
            return Err(format!("the key is malformed: {}", verdict.finding));
        };
        let p = &decoded.payload;
        if !verdict.trusted {
            return Err(format!(
                "key {} does not verify with the public key (key_id {})",
                record.serial, p.key_id
            ));
        }
        if p.serial.to_string() != record.serial || p.organization.as_str() != record.organization {
            return Err(format!("the record's serial or organization differs from its key {}", p.serial));
        }
        if p.supersedes().map(|s| s.to_string()) != record.supersedes {
            return Err(format!("the record's supersedes differs from its key {}", p.serial));
        }
        if let Some(old) = &record.supersedes {
            if !issued.contains(old.as_str()) {
                return Err(format!(
                    "key {} replaces key {old}, which no earlier record issued",
                    record.serial
                ));
            }
            if !replaced.insert(old.clone()) {
                return Err(format!("key {old} is replaced a second time, by key {}", record.serial));
            }
        }
        if !issued.insert(record.serial.clone()) {
            return Err(format!("serial {} was already issued on an earlier line", record.serial));
        }
        keys += 1;
        Ok(())
    });
    match walked {
        Ok(lines) => {
            cli_support::print(&format!(
                "{}: {lines} records, {keys} keys, chain intact, every key verifies\n",
                path.display()
            ))
            .map_err(Error::stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(Ok(broken)) => {
            warn(&format!("keygen: {}:{}: {}", path.display(), broken.line, broken.what));
            Ok(ExitCode::from(3))
        }
        Err(Err(e)) => Err(e),
    }
}

/// Prints the matching key records as JSON Lines.
pub fn find(args: &LedgerFindArgs) -> Result<ExitCode, Error> {
    let path = args.at.path();
    let serial = match &args.serial {
        Some(s) => {
            Some(s.parse::<product_key::Serial>().map_err(|e| Error::input(format!("--serial: {e}")))?)
        }
        None => None,
    };
    let org = match &args.org {
        // Found by the organization match form (format revision 2), as the product matches.
        Some(text) => match product_key::match_form(text) {
            form if form.is_empty() => return Err(Error::input("--org: the text has no letter or digit")),
            form => Some(form),
        },
        None => None,
    };
    let wanted = |record: &KeyRecord| {
        serial.is_none_or(|s| record.serial() == Some(s))
            && args.order_id.as_ref().is_none_or(|o| record.order_id.as_ref() == Some(o))
            && org.as_ref().is_none_or(|o| product_key::match_form(&record.organization).contains(o.as_str()))
    };
    let found = if org.is_none() && (serial.is_some() || args.order_id.is_some()) {
        // By serial or order: through the index, at a cost that does not grow with the ledger.
        std::fs::metadata(&path)
            .map_err(|e| Error::input(format!("cannot open the ledger {}: {e}", path.display())))?;
        let key = match (serial, &args.order_id) {
            (Some(s), _) => history::indexed(&path, Kind::Serial, &s.to_string())?,
            (None, Some(o)) => history::indexed(&path, Kind::Order, o)?,
            (None, None) => None,
        };
        key.into_iter().filter(|k| wanted(&k.record)).collect()
    } else {
        // One pass; only the matching keys are kept, each with what later records say of it.
        history::scan(&path, |record, _| wanted(record))?
    };
    if found.is_empty() {
        cli_support::warn(&format!("keygen: no key in {} matches", path.display()));
        return Ok(ExitCode::from(1));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for key in &found {
        // The record as the ledger holds it, with its story as one more field.
        let story = serde_json::json!({
            "line": key.line,
            "issued_by": key.record.via,
            "replaces": key.record.supersedes,
            "replaced_by": key.replaced_by,
            "revoked": key.revoked,
        });
        let record = key.raw.strip_suffix('}').unwrap_or(&key.raw);
        if let Err(e) = writeln!(out, "{record},\"story\":{story}}}") {
            return closed_pipe_is_success(e);
        }
    }
    if let Err(e) = out.flush() {
        return closed_pipe_is_success(e);
    }
    Ok(ExitCode::SUCCESS)
}

/// The reader of stdout went away (`keygen ledger find ... | head -1`): a normal end.
fn closed_pipe_is_success(e: std::io::Error) -> Result<ExitCode, Error> {
    if e.kind() == std::io::ErrorKind::BrokenPipe { Ok(ExitCode::SUCCESS) } else { Err(Error::stdout(e)) }
}

/// Cuts an incomplete last line (a crash mid-write). Every complete line stays: a record
/// whose line was never finished belongs to a key that was never shown or published.
pub fn repair(args: &LedgerRepairArgs) -> Result<ExitCode, Error> {
    let path = args.at.path();
    match ledger::cut_incomplete_tail(&path)? {
        0 => {
            cli_support::print(&format!("{}: the last line is complete; nothing to repair\n", path.display()))
                .map_err(Error::stdout)?
        }
        n => {
            cli_support::print(&format!("{}: removed an incomplete last line of {n} bytes\n", path.display()))
                .map_err(Error::stdout)?
        }
    }
    Ok(ExitCode::SUCCESS)
}
