//! `keygen renew` and `keygen amend`: the flags read into an operation of `ops::replace`,
//! and the new key printed.

use std::process::ExitCode;

use product_key::{Day, Payload};

use crate::cli::{AmendArgs, RenewArgs, ReplaceArgs};
use keygen_core::db;
use keygen_core::error::Error;
use keygen_core::keyfile;
use keygen_core::ops::replace::{AmendmentText, Reason, Renewal, Request};

pub use keygen_core::ops::replace::current;

/// Runs `keygen renew`: the same terms for another term.
pub fn renew(args: &RenewArgs) -> Result<ExitCode, Error> {
    let expires = match &args.expires {
        Some(text) => {
            Some(keygen_core::dates::day(text).map_err(|e| Error::input(format!("--expires: {e}")))?)
        }
        None => None,
    };
    let renewal = Renewal { valid_days: args.valid_days, expires };
    if renewal.valid_days == Some(0) {
        return Err(Error::input("--valid-days: a renewal is at least 1 day"));
    }
    let order_id = match given_order(&args.common)? {
        Some(o) => Some(o),
        None if args.no_order_id => None,
        None => ask_order()?,
    };
    replace(&args.common, order_id, Reason::Renewal, |old, issued| renewal.terms(old, issued))
}

/// A renewal is a sale, and finance finds sales by their order: asked for on a terminal
/// (Enter for none), refused without one otherwise, so that none is ever left out unsaid.
fn ask_order() -> Result<Option<String>, Error> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::input(
            "--order-id: a renewal is a sale; give its order id (--order-id ID), \
             or --no-order-id to record it with none",
        ));
    }
    let line = crate::prompt::ask_line("Order id of this renewal (Enter for none): ")
        .map_err(|e| Error::input(format!("--order-id: cannot read it from the terminal: {e}")))?;
    Ok(Some(line.trim().to_owned()).filter(|o| !o.is_empty()))
}

/// `--order-id` as given, trimmed; an empty one is refused.
fn given_order(args: &ReplaceArgs) -> Result<Option<String>, Error> {
    match args.order_id.as_deref().map(str::trim) {
        Some("") => Err(Error::input("--order-id is empty")),
        o => Ok(o.map(str::to_owned)),
    }
}

/// Runs `keygen amend`: the old key's terms with these changes.
pub fn amend(args: &AmendArgs) -> Result<ExitCode, Error> {
    let text = AmendmentText {
        org: args.org.as_deref(),
        seats: args.seats.as_deref(),
        features: args.features.as_deref(),
        add: args.add_features.iter().map(String::as_str).collect(),
        remove: args.remove_features.iter().map(String::as_str).collect(),
        expires: args.expires.as_deref(),
    };
    let amendment = text
        .parse()
        .map_err(|problems| Error::Inputs(problems.iter().map(crate::messages::message).collect()))?;
    replace(&args.common, given_order(&args.common)?, Reason::Amendment, |old, _| amendment.terms(old))
}

/// The common part: read the flags, replace, print.
fn replace(
    args: &ReplaceArgs,
    order_id: Option<String>,
    reason: Reason,
    terms: impl FnOnce(&Payload, Day) -> Result<Payload, Error>,
) -> Result<ExitCode, Error> {
    let issued = match &args.issued {
        Some(text) => {
            keygen_core::terms::issue_day(text).map_err(|e| Error::input(format!("--issued: {e}")))?
        }
        None => Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?,
    };
    if !["key", "json", "text"].contains(&args.format.as_str()) {
        return Err(Error::input(format!("--format: '{}' is not key, json or text", args.format)));
    }
    let signer = keyfile::open(&args.key.key, args.key.passphrase_file.as_deref())?;
    let path = db::path_for(args.ledger.as_deref(), &args.key.key);
    let request = Request {
        serial: args.serial.clone(),
        for_order: args.for_order.clone(),
        reason,
        order_id,
        issued,
        actor: keygen_core::ops::cli_actor(),
    };
    let done = keygen_core::ops::replace::replace(&signer, &args.key.key, &path, request, terms)?;
    let (record, old) = (&done.record, &done.old);
    let text = match if args.json { "json" } else { args.format.as_str() } {
        "json" => Some(done.json.clone()),
        "text" => Some(keygen_core::email_block::customer_block(record, &done.payload, old, reason.name())),
        _ => None,
    };
    crate::commands::issue::show_recorded(record, text.as_deref(), &path)?;
    if let Some(warning) = keygen_core::email_block::future_warning(issued, Day::today()) {
        cli_support::warn(&warning);
    }
    cli_support::warn(&format!(
        "Key {} replaces key {} ({}, {}); the old key stays valid until it is revoked (keygen revoke --superseded).",
        record.serial,
        old.serial,
        old.organization,
        old.order_id.as_deref().map_or("no order".to_owned(), |o| format!("order {o}"))
    ));
    if reason == Reason::Renewal && record.order_id.is_none() {
        cli_support::warn(&format!(
            "Key {} records no order id: finance will not find this renewal by its order \
             (give --order-id ID to record one).",
            record.serial
        ));
    }
    Ok(ExitCode::SUCCESS)
}
