//! `keygen revoke`: record the revocation in the ledger, then write the next signed list.

use std::process::ExitCode;

use product_key::{Day, KeyId, Product, RevocationList, Serial};

use crate::cli::RevokeArgs;
use crate::error::Error;
use crate::keyfile;
use crate::ledger::{self, Ledger};
use crate::record::{RevocationRecord, now_rfc3339};
use cli_support::Pending;
use cli_support::warn;

/// Runs `keygen revoke`.
pub fn run(args: &RevokeArgs) -> Result<ExitCode, Error> {
    let mut serials = Vec::new();
    let mut bad = Vec::new();
    for text in &args.serials {
        match text.parse::<Serial>() {
            Ok(s) => serials.push(s),
            Err(e) => bad.push(format!("--serial {text}: {e}")),
        }
    }
    if !bad.is_empty() {
        return Err(Error::Inputs(bad));
    }
    let today = Day::today().ok_or_else(|| Error::input("today is outside the days a list can hold"))?;
    let signer = keyfile::load(&args.key.key, args.key.passphrase_file.as_deref())?;
    let path = ledger::path_for(args.ledger.as_deref(), &args.key.key);
    let mut ledger = Ledger::open(&path, false)?.ok_or_else(|| {
        Error::input(format!("no ledger at {}: it has issued no key to revoke", path.display()))
    })?;
    let unknown: Vec<String> = serials
        .iter()
        .filter(|s| !ledger.serials.contains(&s.get()))
        .map(|s| format!("serial {s} was never issued in the ledger {} (a typo?)", path.display()))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Inputs(unknown));
    }
    // Checked before the ledger changes, so a refused --out leaves everything as it was.
    let mut out = Pending::create(&args.out, true)?;

    let sequence = ledger.last_sequence + 1;
    let mut all: Vec<Serial> = ledger.revoked.iter().filter_map(|s| Serial::new(*s)).collect();
    all.extend(&serials);
    let product = Product::new(product_key::PRODUCT_CODE).map_err(|e| Error::input(e.to_string()))?;
    let mut list = RevocationList::new(KeyId([0; 4]), product, sequence, today, all);
    let text = signer.sign_revocations(&mut list);

    let record = RevocationRecord {
        revoked: serials.iter().map(Serial::to_string).collect(),
        reason: args.reason.clone(),
        revoked_at: now_rfc3339(),
        sequence,
        prev: None,
    };
    ledger.append([&record])?;
    drop(ledger);
    std::io::Write::write_all(out.writer(), text.as_bytes())
        .map_err(Error::io(format!("cannot write {}", args.out.display())))?;
    out.publish()?;
    warn(&format!(
        "Wrote revocation list {sequence} ({} serials) to {}. Ship it with the next update, or give it to support.",
        list.serials().len(),
        args.out.display()
    ));
    Ok(ExitCode::SUCCESS)
}
