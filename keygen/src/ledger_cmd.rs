//! `keygen ledger verify` and `keygen ledger find`.

use std::process::ExitCode;

use product_key::{Organization, TrustedKeys};

use crate::cli::{LedgerFindArgs, LedgerRepairArgs, LedgerVerifyArgs};
use crate::error::Error;
use crate::ledger;
use crate::output::{print, warn};
use crate::record::KeyRecord;

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
        let decoded =
            product_key::text::decode(&record.key).map_err(|e| format!("the key is malformed: {e}"))?;
        let p = &decoded.payload;
        trusted
            .check_signature(
                p.key_id,
                &product_key::signed_message(&decoded.payload_bytes),
                &decoded.signature,
            )
            .map_err(|_| {
                format!("key {} does not verify with the public key (key_id {})", record.serial, p.key_id)
            })?;
        if p.serial.to_string() != record.serial || p.organization.as_str() != record.organization {
            return Err(format!("the record's serial or organization differs from its key {}", p.serial));
        }
        if !issued.insert(record.serial.clone()) {
            return Err(format!("serial {} was already issued on an earlier line", record.serial));
        }
        keys += 1;
        Ok(())
    });
    match walked {
        Ok(lines) => {
            print(&format!(
                "{}: {lines} records, {keys} keys, chain intact, every key verifies\n",
                path.display()
            ))?;
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
        Some(text) => Some(
            Organization::canonicalize(text).map_err(|e| Error::input(format!("--org: {e}")))?.caseless_key(),
        ),
        None => None,
    };
    let file = std::fs::File::open(&path)
        .map_err(|e| Error::input(format!("cannot open the ledger {}: {e}", path.display())))?;
    let mut out = String::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(file)) {
        let line = line.map_err(Error::io(format!("cannot read {}", path.display())))?;
        let Ok(record) = serde_json::from_str::<KeyRecord>(&line) else { continue };
        let hit = serial.is_none_or(|s| record.serial() == Some(s))
            && args.order_id.as_ref().is_none_or(|o| record.order_id.as_ref() == Some(o))
            && org.as_ref().is_none_or(|o| {
                Organization::canonicalize(&record.organization)
                    .is_ok_and(|r| r.caseless_key().contains(o.as_str()))
            });
        if hit {
            out.push_str(&line);
            out.push('\n');
        }
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Cuts an incomplete last line (a crash mid-write). Every complete line stays: a record
/// whose line was never finished belongs to a key that was never shown or published.
pub fn repair(args: &LedgerRepairArgs) -> Result<ExitCode, Error> {
    let path = args.at.path();
    match ledger::cut_incomplete_tail(&path)? {
        0 => print(&format!("{}: the last line is complete; nothing to repair\n", path.display()))?,
        n => print(&format!("{}: removed an incomplete last line of {n} bytes\n", path.display()))?,
    }
    Ok(ExitCode::SUCCESS)
}
