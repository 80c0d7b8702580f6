//! `keygen ledger report`: the renewal pipeline. Current keys (neither revoked nor replaced)
//! whose last day is near, or that lapsed and were not renewed; soonest first. One query
//! through the index on `expires`, read-only.

use std::process::ExitCode;

use product_key::Day;

use crate::cli::LedgerReportArgs;
use keygen_core::error::Error;

use keygen_core::ops::report::{HEADER, Line};

/// Runs `keygen ledger report`.
pub fn run(args: &LedgerReportArgs) -> Result<ExitCode, Error> {
    let at = match &args.at {
        Some(t) => keygen_core::dates::day(t).map_err(|e| Error::input(format!("--at: {e}")))?,
        None => Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?,
    };
    let format = args.format.to_ascii_lowercase();
    if !["table", "csv", "json"].contains(&format.as_str()) {
        return Err(Error::input(format!("--format: '{}' is not one of table, csv, json", args.format)));
    }
    let delimiter =
        tabular::parse_delimiter(&args.delimiter).map_err(|e| Error::input(format!("--delimiter: {e}")))?;
    let today = i64::from(at.days());
    // The window of last days, both ends included.
    let (from, to) = match (args.expiring_within, args.expired_within) {
        (Some(d), _) => (today, today + i64::from(d)),
        (None, Some(d)) => (today - i64::from(d), today - 1),
        (None, None) => return Err(Error::input("give --expiring-within DAYS or --expired-within DAYS")),
    };
    let path = args.at_ledger.path();
    let ledger = keygen_core::db::Db::open_read(&path)?;
    let lines = keygen_core::ops::report::lines(ledger.conn(), today, from, to)
        .map_err(Error::db(format!("cannot read the ledger {}", path.display())))?;
    let text = match format.as_str() {
        "json" => lines
            .iter()
            .map(|l| serde_json::to_string(l).map(|s| s + "\n"))
            .collect::<Result<String, _>>()
            .map_err(|e| Error::input(e.to_string()))?,
        "csv" => keygen_core::ops::report::csv_text(&lines, delimiter)?,
        _ => table(&lines),
    };
    cli_support::print(&text).map_err(Error::stdout)?;
    let what = if args.expiring_within.is_some() { "expiring" } else { "lapsed and not renewed" };
    cli_support::warn(&format!(
        "{} key(s) {what}, last days {} to {}",
        lines.len(),
        Day::from_days(clamp(from)),
        Day::from_days(clamp(to))
    ));
    Ok(ExitCode::SUCCESS)
}

use keygen_core::ops::report::clamp;

/// Aligned columns for a person (by display width: names in any script line up).
fn table(lines: &[Line]) -> String {
    let mut table = cli_support::Table::new(&[cli_support::Align::Left; 8], 2);
    table.row(&HEADER);
    for l in lines {
        table.row(&[
            l.organization.as_str(),
            l.order_id.as_deref().unwrap_or("-"),
            l.contact.as_deref().unwrap_or("-"),
            &l.serial,
            &l.last_day,
            &l.days_left.to_string(),
            &l.seats,
            &l.features,
        ]);
    }
    table.render()
}
