//! `keygen issue`: one key from a template and overrides, recorded before it is shown.

use std::process::ExitCode;

use product_key::{Day, Serial};

use crate::cli::IssueArgs;
use keygen_core::db;
use keygen_core::error::Error;
use keygen_core::key_record::KeyRecord;
use keygen_core::terms::{self, Overrides};
use keygen_core::{keyfile, template};

/// Runs `keygen issue`.
pub fn run(args: &IssueArgs) -> Result<ExitCode, Error> {
    // Every value is checked before the signing key is opened or the ledger touched.
    let issued = match &args.issued {
        Some(text) => terms::issue_day(text).map_err(|e| Error::input(format!("--issued: {e}")))?,
        None => Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?,
    };
    let template = template::load(&args.template, &args.templates.folder())?;
    if !["key", "json", "text"].contains(&args.format.as_str()) {
        return Err(Error::input(format!("--format: '{}' is not key, json or text", args.format)));
    }
    let overrides = Overrides {
        organization: &args.org,
        seats: args.seats.as_deref(),
        features: args.features.as_deref(),
        expires: args.expires.as_deref(),
    };
    let terms = terms::build(&template, &overrides, issued, &[',']).map_err(|problems| {
        Error::Inputs(
            problems.into_iter().map(|(f, e)| format!("{}: {e}", crate::messages::flag(f))).collect(),
        )
    })?;
    let serial = match &args.serial {
        Some(text) => Some(text.parse::<Serial>().map_err(|e| Error::input(format!("--serial: {e}")))?),
        None => None,
    };
    let order_id = non_empty(args.order_id.as_deref(), "--order-id")?;
    let contact = args.contact.clone();

    let signer = keyfile::open(&args.key.key, args.key.passphrase_file.as_deref())?;
    let ledger_path = db::path_for(args.ledger.as_deref(), &args.key.key);
    let request = keygen_core::ops::issue::Request {
        terms,
        serial,
        order_id,
        contact,
        actor: keygen_core::ops::cli_actor(),
    };
    let keygen_core::ops::issue::Issued { record, payload, json: shown, .. } =
        keygen_core::ops::issue::issue(&signer, &args.key.key, &ledger_path, request)?;

    let format = if args.json { "json" } else { args.format.as_str() };
    let text = match format {
        "json" => Some(shown),
        "text" => {
            Some(keygen_core::email_block::block(&record, &payload, &template.name, Day::today(), None))
        }
        _ => None,
    };
    show_recorded(&record, text.as_deref(), &ledger_path)?;
    if let Some(warning) = keygen_core::email_block::future_warning(issued, Day::today()) {
        cli_support::warn(&warning);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a key that is recorded already: the key alone, or its JSON. If stdout fails, the
/// error says that the key is recorded and how to print it again (exit 1, never 3).
pub fn show_recorded(record: &KeyRecord, json: Option<&str>, ledger: &std::path::Path) -> Result<(), Error> {
    let text = match json {
        Some(json) => format!("{json}\n"),
        None => format!("{}\n", record.key),
    };
    cli_support::print(&text).map_err(|e| {
        Error::stdout(e).after_recording(format!(
            "key {serial} is recorded in {} but was not shown; print it with: keygen ledger find --serial {serial}",
            ledger.display(),
            serial = record.serial,
        ))
    })
}

fn non_empty(value: Option<&str>, flag: &str) -> Result<Option<String>, Error> {
    match value.map(str::trim) {
        Some("") => Err(Error::input(format!("{flag} is empty"))),
        v => Ok(v.map(str::to_owned)),
    }
}
