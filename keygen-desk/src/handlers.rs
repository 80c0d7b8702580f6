//! The other pages: home, the static files, the renewal report (and its CSV), checking a
//! pasted key as the verifier does.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use product_key::Day;
use serde::Deserialize;

use super::pages::{self, layout};
use super::session::{check_csrf, require};
use keygen_core::db::Db;
use keygen_core::db::people::Role;
use keygen_core::error::Error;

/// An error's lines as a page shows them: the server's paths (the ledger, the signing key,
/// the templates folder, the temporary folder) named by what they are, never shown.
pub fn said(desk: &super::Desk, e: &Error) -> Vec<String> {
    said_text(desk, &e.to_string())
}

/// [`said`], of a text.
pub fn said_text(desk: &super::Desk, text: &str) -> Vec<String> {
    let mut text = text.to_owned();
    let named = [
        (desk.ledger.display().to_string(), "the ledger"),
        (desk.key_path.display().to_string(), "the desk's signing key"),
        (desk.templates.dir.display().to_string(), "the templates folder"),
        (std::env::temp_dir().display().to_string(), "a temporary folder"),
    ];
    for (path, name) in named {
        // A bare word ("templates", the unnamed default folder) is no path to hide, and
        // replacing it would change ordinary words of a message.
        if path.contains('/') || path.contains('.') {
            text = text.replace(&path, name);
        }
    }
    text.lines().map(str::to_owned).collect()
}

/// `GET /`.
pub async fn home() -> Redirect {
    Redirect::to("/find")
}

/// `GET /static/desk.js`: copy buttons (the pages work without it).
pub async fn script() -> Response {
    let mut r = include_str!("static/desk.js").into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    r
}

/// `GET /static/desk.css`.
pub async fn style() -> Response {
    let mut r = include_str!("static/desk.css").into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    r
}

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

async fn lines(desk: &super::State, w: &Window) -> Result<Vec<keygen_core::ops::report::Line>, Error> {
    let today = i64::from(
        Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?.days(),
    );
    let days = i64::from(w.days());
    let (from, to) = if w.lapsed() { (today - days, today - 1) } else { (today, today + days) };
    let d = desk.clone();
    super::blocking(move || match Db::open_read(&d.ledger) {
        Ok(db) => keygen_core::ops::report::lines(db.conn(), today, from, to)
            .map_err(Error::db("cannot read the ledger")),
        Err(Error::Input(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    })
    .await
}

/// `GET /report`: the renewal report.
pub async fn report(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Query(w): Query<Window>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Support) {
        Ok(v) => v,
        Err(r) => return r,
    };
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
            Err(e) => { ul.problems role="alert" { @for l in said(&desk, e) { li { (l) } } } }
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
    layout("Renewals", Some((&visit, &person)), body).into_response()
}

/// `GET /report.csv`: the same, as `keygen ledger report --format csv` writes it.
pub async fn report_csv(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Query(w): Query<Window>,
) -> Response {
    if let Err(r) = require(&desk, &headers, Role::Support) {
        return r;
    }
    // report::csv_text writes a cell that a spreadsheet would run as a formula as text
    // (OWASP's CSV injection rule): the organization, order and contact came from people.
    match lines(&desk, &w).await.and_then(|l| keygen_core::ops::report::csv_text(&l, b',')) {
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
        Err(e) => pages::error(&said(&desk, &e).join("\n")),
    }
}

/// `GET /check`.
pub async fn check_page(State(desk): State<super::State>, headers: HeaderMap) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Support) {
        Ok(v) => v,
        Err(r) => return r,
    };
    layout("Check a key", Some((&visit, &person)), check_form(&visit.csrf, "", "")).into_response()
}

fn check_form(csrf: &str, key: &str, org: &str) -> maud::Markup {
    html! {
        h1 { "Check a key" }
        form method="post" action="/check" {
            input type="hidden" name="csrf" value=(csrf);
            label for="key" { "Product key" }
            textarea id="key" name="key" rows="4" { (key) }
            label for="org_check" { "Organization" }
            input id="org_check" name="organization" value=(org) placeholder="as the customer entered it";
            button type="submit" { "Check" }
        }
    }
}

/// The check form.
#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    organization: String,
}

/// `POST /check`: the verifier's words (`product-key-report`), with the ledger's signing keys
/// and its latest revocation list.
pub async fn check(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<CheckForm>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Support) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    let d = desk.clone();
    let (key, org) = (form.key.clone(), form.organization.trim().to_owned());
    let words = super::blocking(move || {
        let at = Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?;
        let db = Db::open_read(&d.ledger)?;
        let signers =
            keygen_core::db::head::signing_keys(db.conn()).map_err(Error::db("cannot read the ledger"))?;
        let trusted =
            keygen_core::db::verify::trusted_keys(&signers, None).map_err(|b| Error::input(b.what))?;
        let last = keygen_core::db::lists::all(db.conn()).map_err(Error::db("cannot read the ledger"))?.pop();
        let list = last.and_then(|l| {
            product_key::RevocationList::open(&l.text, &trusted, product_key::PRODUCT_CODE).ok()
        });
        let check = product_key::Check {
            at,
            organization: (!org.is_empty()).then_some(org.as_str()),
            revocations: list.as_ref(),
        };
        let verdict = product_key::verify(&key, &trusted, &check);
        let headline = product_key_report::headline(&verdict, &key, at);
        let details = product_key_report::details(&verdict, at, list.as_ref(), "");
        Ok((verdict.is_valid(), headline, details))
    })
    .await;
    let body = html! {
        (check_form(&visit.csrf, &form.key, &form.organization))
        @match &words {
            Ok((valid, headline, details)) => {
                p.verdict.valid[*valid].invalid[!*valid] role="status" { (headline) }
                pre.details { (details) }
            }
            Err(e) => { ul.problems role="alert" { @for l in said(&desk, e) { li { (l) } } } }
        }
    };
    layout("Check a key", Some((&visit, &person)), body).into_response()
}
