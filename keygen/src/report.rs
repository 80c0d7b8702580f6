//! `keygen ledger report`: the renewal pipeline. Current keys (neither revoked nor replaced)
//! whose last day is near, or that lapsed and were not renewed; soonest first. One query
//! through the index on `expires`, read-only.

use std::process::ExitCode;

use product_key::Day;
use serde::Serialize;

use crate::cli::LedgerReportArgs;
use crate::error::Error;

/// One line of the report.
#[derive(Serialize)]
struct Line {
    organization: String,
    order_id: Option<String>,
    contact: Option<String>,
    serial: String,
    last_day: String,
    days_left: i64,
    seats: String,
    features: String,
}

const HEADER: [&str; 8] =
    ["organization", "order_id", "contact", "serial", "last_day", "days_left", "seats", "features"];

/// Runs `keygen ledger report`.
pub fn run(args: &LedgerReportArgs) -> Result<ExitCode, Error> {
    let at = match &args.at {
        Some(t) => t.parse::<Day>().map_err(|e| Error::input(format!("--at: {e}")))?,
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
    let ledger = crate::db::Db::open_read(&path)?;
    let day = |d: i64| Day::from_days(clamp(d)).to_string();
    // Through the index on expires; current keys only (neither replaced nor revoked).
    let mut stmt = ledger
        .conn()
        .prepare(&format!(
            "SELECT {} FROM keys k WHERE expires >= ?1 AND expires <= ?2 \
             AND NOT EXISTS (SELECT 1 FROM keys n WHERE n.supersedes = k.serial) \
             AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = k.serial)",
            crate::db::keys::COLUMNS
        ))
        .map_err(Error::db(format!("cannot read the ledger {}", path.display())))?;
    let keys: Vec<crate::db::keys::Stored> = stmt
        .query_map([day(from), day(to)], crate::db::keys::from_row)
        .and_then(Iterator::collect)
        .map_err(Error::db(format!("cannot read the ledger {}", path.display())))?;
    let mut lines: Vec<(Day, Line)> = keys
        .into_iter()
        .filter_map(|k| {
            let r = k.record;
            let day = r.expires.as_deref().and_then(|e| e.parse::<Day>().ok())?;
            Some((
                day,
                Line {
                    days_left: i64::from(day.days()) - today,
                    last_day: day.to_string(),
                    seats: r.seats.map_or("unlimited".into(), |n| n.to_string()),
                    features: r.features.join(", "),
                    organization: r.organization,
                    order_id: r.order_id,
                    contact: r.contact,
                    serial: r.serial,
                },
            ))
        })
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.organization.cmp(&b.1.organization)));
    let lines: Vec<Line> = lines.into_iter().map(|(_, l)| l).collect();
    let text = match format.as_str() {
        "json" => lines
            .iter()
            .map(|l| serde_json::to_string(l).map(|s| s + "\n"))
            .collect::<Result<String, _>>()
            .map_err(|e| Error::input(e.to_string()))?,
        "csv" => csv_text(&lines, delimiter)?,
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

fn clamp(day: i64) -> u16 {
    u16::try_from(day.max(0)).unwrap_or(u16::MAX)
}

/// CSV that Excel opens as it is: UTF-8 with a BOM, CRLF, the delimiter asked for.
fn csv_text(lines: &[Line], delimiter: u8) -> Result<String, Error> {
    let format = tabular::Format { delimiter, bom: true, encoding: tabular::TextEncoding::Utf8, crlf: true };
    let mut out = tabular::writer(Vec::new(), format).map_err(Error::io("cannot write the report"))?;
    let fail = |e: csv::Error| Error::Io {
        what: "cannot write the report".into(),
        source: std::io::Error::other(e),
    };
    out.write_record(HEADER).map_err(fail)?;
    for l in lines {
        out.write_record([
            l.organization.as_str(),
            l.order_id.as_deref().unwrap_or(""),
            l.contact.as_deref().unwrap_or(""),
            &l.serial,
            &l.last_day,
            &l.days_left.to_string(),
            &l.seats,
            &l.features,
        ])
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::Io { what: "cannot write the report".into(), source: e.into_error() })?;
    String::from_utf8(bytes.into_inner()).map_err(|e| Error::input(e.to_string()))
}

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
