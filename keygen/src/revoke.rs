//! `keygen revoke`: says what it revokes (serial, organization, order, why), records the
//! revocation in the ledger, then writes the next signed list. `--dry-run` only says.

use std::collections::{BTreeMap, HashSet};
use std::process::ExitCode;

use product_key::{Day, KeyId, Product, RevocationList, Serial};

use crate::cli::RevokeArgs;
use crate::error::Error;
use crate::history::{self, History};
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
    let path = ledger::path_for(args.ledger.as_deref(), &args.key.key);
    // Locked while the keys are chosen and until the revocation is recorded.
    let mut ledger = Ledger::open(&path, false)?.ok_or_else(|| {
        Error::input(format!("no ledger at {}: it has issued no key to revoke", path.display()))
    })?;

    // Each key chosen, with why (by serial, by order, or replaced).
    let mut chosen: BTreeMap<String, (History, String)> = BTreeMap::new();
    if !serials.is_empty() {
        let wanted: HashSet<&String> = serials.iter().collect();
        let found = history::scan(&path, |r, _| wanted.contains(&r.serial))?;
        let unknown: Vec<String> = serials
            .iter()
            .filter(|s| !found.iter().any(|k| &k.record.serial == *s))
            .map(|s| format!("serial {s} was never issued in the ledger {} (a typo?)", path.display()))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::Inputs(unknown));
        }
        for k in found {
            chosen.insert(k.record.serial.clone(), (k, "named by --serial".into()));
        }
    }
    for order in &args.order_ids {
        let k = history::target(&path, None, Some(order))?;
        chosen.entry(k.record.serial.clone()).or_insert((k, format!("the current key of order {order}")));
    }
    if args.superseded {
        let replaced = history::replacements(&path)?;
        let wanted: HashSet<&String> = replaced
            .iter()
            .filter(|(_, (_, day))| before.is_none_or(|b| day.parse::<Day>().is_ok_and(|d| d <= b)))
            .map(|(old, _)| old)
            .collect();
        for k in history::scan(&path, |r, _| wanted.contains(&r.serial))? {
            if k.revoked.is_none()
                && let Some((new, day)) = replaced.get(&k.record.serial)
            {
                let why = format!("replaced by key {new} issued {day}");
                chosen.entry(k.record.serial.clone()).or_insert((k, why));
            }
        }
    }

    let mut out = String::new();
    let mut new_serials = Vec::new();
    for (serial, (k, why)) in &chosen {
        let order = k.record.order_id.as_deref().unwrap_or("-");
        let state = match &k.revoked {
            Some(r) => format!("already revoked (list {}, {})", r.sequence, r.revoked_at),
            None => {
                new_serials.push(serial.clone());
                why.clone()
            }
        };
        out.push_str(&format!("{serial}  {}  order {order}  {state}\n", k.record.organization));
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
    // Checked before the ledger changes, so a refused --out leaves everything as it was.
    let mut file = Pending::create(target, true)?;

    let sequence = ledger.last_sequence + 1;
    let mut all: Vec<Serial> = ledger.revoked.iter().filter_map(|s| Serial::new(*s)).collect();
    all.extend(new_serials.iter().filter_map(|s| s.parse::<Serial>().ok()));
    let product = Product::new(product_key::PRODUCT_CODE).map_err(|e| Error::input(e.to_string()))?;
    let mut list = RevocationList::new(KeyId([0; 4]), product, sequence, today, all);
    let text = signer.sign_revocations(&mut list);

    let record = RevocationRecord {
        revoked: new_serials.clone(),
        reason: args.reason.clone(),
        revoked_at: now_rfc3339(),
        sequence,
        prev: None,
    };
    ledger.append([&record])?;
    drop(ledger);
    std::io::Write::write_all(file.writer(), text.as_bytes())
        .map_err(Error::io(format!("cannot write {}", target.display())))?;
    file.publish()?;
    warn(&format!(
        "Revoked {} key(s). Wrote revocation list {sequence} ({} serials) to {}. Ship it with the next update, or give it to support.",
        new_serials.len(),
        list.serials().len(),
        target.display()
    ));
    Ok(ExitCode::SUCCESS)
}
