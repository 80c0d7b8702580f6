//! The renewal report: current keys (neither revoked nor replaced) whose last day falls in a
//! window, soonest first. One query through the index on `expires`.

use crate::db::store::LedgerRead;
use crate::db::store::StoreResult;
use product_key::Day;
use serde::Serialize;

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    /// The key's organization.
    pub organization: String,
    /// Its order.
    pub order_id: Option<String>,
    /// Its contact.
    pub contact: Option<String>,
    /// Its serial.
    pub serial: String,
    /// Its last day.
    pub last_day: String,
    /// Days from the report's day to the last day (negative: lapsed).
    pub days_left: i64,
    /// Seats, or `unlimited`.
    pub seats: String,
    /// Features.
    pub features: String,
}

/// The report's columns.
pub const HEADER: [&str; 8] =
    ["organization", "order_id", "contact", "serial", "last_day", "days_left", "seats", "features"];

/// A day number clamped to the days a key can hold.
pub fn clamp(day: i64) -> u16 {
    u16::try_from(day.max(0)).unwrap_or(u16::MAX)
}

/// Current keys whose last day is in `from..=to` (day numbers), seen on day `today`, soonest
/// first, then by organization.
pub fn lines(conn: &dyn LedgerRead, today: i64, from: i64, to: i64) -> StoreResult<Vec<Line>> {
    let day = |d: i64| Day::from_days(clamp(d)).to_string();
    let keys = conn.current_expiring(&day(from), &day(to))?;
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
    Ok(lines.into_iter().map(|(_, l)| l).collect())
}

/// CSV that Excel opens as it is: UTF-8 with a BOM, CRLF, the delimiter asked for.
pub fn csv_text(lines: &[Line], delimiter: u8) -> Result<String, crate::error::Error> {
    let format = tabular::Format { delimiter, bom: true, encoding: tabular::TextEncoding::Utf8, crlf: true };
    let mut out =
        tabular::writer(Vec::new(), format).map_err(crate::error::Error::io("cannot write the report"))?;
    let fail = |e: csv::Error| crate::error::Error::Io {
        what: "cannot write the report".into(),
        source: std::io::Error::other(e),
    };
    out.write_record(HEADER).map_err(fail)?;
    for l in lines {
        let neutral = |cell: &str| cli_support::csv_cell::neutralize(cell).into_owned();
        out.write_record([
            neutral(&l.organization).as_str(),
            &neutral(l.order_id.as_deref().unwrap_or("")),
            &neutral(l.contact.as_deref().unwrap_or("")),
            &l.serial,
            &l.last_day,
            &l.days_left.to_string(),
            &l.seats,
            &l.features,
        ])
        .map_err(fail)?;
    }
    let bytes = out.into_inner().map_err(|e| crate::error::Error::Io {
        what: "cannot write the report".into(),
        source: e.into_error(),
    })?;
    String::from_utf8(bytes.into_inner()).map_err(|e| crate::error::Error::input(e.to_string()))
}
