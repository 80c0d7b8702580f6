//! The renewal report: keys whose last day falls in a window (or lapsed and not renewed), as
//! a page and as CSV.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use product_key::Day;
use serde::Deserialize;

use crate::extract::{Signed, Support};
use crate::failure::{Failure, blocking, read_ledger};
use crate::pages::{self, layout};
use keygen_core::error::Error;

/// `?days=&lapsed=`.
#[derive(Deserialize)]
pub struct Window {
    #[serde(default)]
    days: Option<String>,
    #[serde(default)]
    lapsed: Option<String>,
}

impl Window {
    fn days(&self) -> u32 {
        self.days.as_deref().and_then(|d| d.trim().parse().ok()).filter(|d| *d <= 3650).unwrap_or(30)
    }
    fn lapsed(&self) -> bool {
        self.lapsed.as_deref() == Some("1")
    }
}

async fn lines(desk: &crate::State, w: &Window) -> Result<Vec<keygen_core::ops::report::Line>, Failure> {
    let today = Day::today()
        .ok_or_else(|| Failure::Desk(vec!["today is outside the days a key can hold".to_owned()]))?;
    let today = i64::from(today.days());
    let days = i64::from(w.days());
    let (from, to) = if w.lapsed() { (today - days, today - 1) } else { (today, today + days) };
    blocking(desk, move |d| {
        let db = read_ledger(d)?;
        keygen_core::ops::report::lines(db.conn(), today, from, to)
            .map_err(Error::db("cannot read the ledger"))
            .map_err(|e| Failure::of(d, &e))
    })
    .await
}

/// `GET /report`: the renewal report.
pub async fn page(
    signed: Signed<Support>,
    State(desk): State<crate::State>,
    Query(w): Query<Window>,
) -> Response {
    let found = lines(&desk, &w).await;
    let csv = format!("/report.csv?days={}{}", w.days(), if w.lapsed() { "&lapsed=1" } else { "" });
    let body = html! {
        h1 { "Renewals" }
        form method="get" action="/report" {
            label for="days" { "Days" }
            input id="days" name="days" value=(w.days()) inputmode="numeric";
            label { input type="checkbox" name="lapsed" value="1" checked[w.lapsed()]; " lapsed and not renewed" }
            button type="submit" { "Show" }
        }
        a.download href=(csv) download="renewals.csv" { "Download CSV" }
        @match &found {
            Err(f) => { (f.alert()) }
            Ok(lines) if lines.is_empty() => { p { "No key in this window." } }
            Ok(lines) => {
                table.keys {
                    thead { tr { th { "Organization" } th { "Order" } th { "Contact" } th { "Serial" } th { "Last day" } th { "Days left" } th { "Seats" } th { "Features" } } }
                    tbody {
                        @for l in lines {
                            tr {
                                td { (l.organization) } td { (l.order_id.as_deref().unwrap_or("")) } td { (l.contact.as_deref().unwrap_or("")) }
                                td { a href={ "/key/" (l.serial) } { (l.serial) } } td { (l.last_day) } td { (l.days_left) }
                                td { (l.seats) } td { (l.features) }
                            }
                        }
                    }
                }
            }
        }
    };
    let page = layout("Renewals", Some(signed.who()), body);
    match &found {
        Err(f) => f.with(page),
        Ok(_) => page.into_response(),
    }
}

/// `GET /report.csv`: the same, as `keygen ledger report --format csv` writes it.
pub async fn csv(_: Signed<Support>, State(desk): State<crate::State>, Query(w): Query<Window>) -> Response {
    // report::csv_text writes a cell that a spreadsheet would run as a formula as text
    // (OWASP's CSV injection rule): the organization, order and contact came from people.
    let text = lines(&desk, &w)
        .await
        .and_then(|l| keygen_core::ops::report::csv_text(&l, b',').map_err(|e| Failure::of(&desk, &e)));
    match text {
        Ok(text) => {
            let mut r = text.into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"renewals.csv\""),
            );
            r
        }
        Err(f) => {
            let mut r = pages::error(&f.lines().join("\n"));
            *r.status_mut() = f.status();
            r
        }
    }
}
