//! Revoking keys: the preview (nothing written), the confirmation (recorded with the next
//! signed revocation list), and a list as first published.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use product_key::Day;
use serde::Deserialize;

use super::given;
use super::key::back_link;
use crate::extract::{Admin, Posted, Signed, Token};
use crate::failure::{Failure, blocking, read_ledger};
use crate::pages::layout;
use keygen_core::db::Db;
use keygen_core::error::Error;
use keygen_core::ops;

/// The confirmation form's fields, in order: it has several `serial` fields (a struct would
/// keep one of them).
#[derive(Deserialize)]
#[serde(transparent)]
pub struct Fields(Vec<(String, String)>);

impl Token for Fields {
    fn token(&self) -> &str {
        self.0.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str())
    }
}

/// The revoke form.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

impl Token for RevokeForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /key/{serial}/revoke`: what would be revoked; nothing is written.
pub async fn preview(
    State(desk): State<crate::State>,
    Path(serial): Path<String>,
    posted: Posted<Admin, Form<RevokeForm>>,
) -> Response {
    let Posted { visit, person, body: Form(form), .. } = posted;
    let s = vec![serial.clone()];
    let chosen = blocking(&desk, move |d| {
        let db = read_ledger(d)?;
        ops::revoke::preview(db.conn(), &s).map_err(|e| Failure::of(d, &e))
    })
    .await;
    let chosen = match chosen {
        Ok(c) => c,
        Err(f) => return f.page((&visit, &person), "Revoke", back_link(&serial)),
    };
    let new: Vec<&ops::revoke::Chosen> = chosen.iter().filter(|c| c.new).collect();
    let body = html! {
        h1 { "Revoke: preview" }
        p { "Nothing is written until you confirm." }
        table.keys {
            thead { tr { th { "Serial" } th { "Organization" } th { "Order" } th { "Now" } } }
            tbody {
                @for c in &chosen {
                    @let r = c.history.record();
                    tr {
                        td { (r.serial) } td { (r.organization) } td { (r.order_id.as_deref().unwrap_or("-")) }
                        td { @if c.new { (c.why) } @else { "already revoked" } }
                    }
                }
            }
        }
        @if new.is_empty() {
            p { "Nothing new to revoke." }
        } @else {
            form method="post" action="/revoke" {
                input type="hidden" name="csrf" value=(visit.csrf);
                input type="hidden" name="reason" value=(form.reason);
                @for c in &new { input type="hidden" name="serial" value=(c.history.record().serial); }
                button type="submit" { "Revoke " (new.len()) " key" @if new.len() != 1 { "s" } }
            }
        }
    };
    layout("Revoke", Some((&visit, &person)), body).into_response()
}

/// `POST /revoke`: the confirmed revocation, recorded with the next signed list.
pub async fn confirm(State(desk): State<crate::State>, posted: Posted<Admin, Form<Fields>>) -> Response {
    let Posted { visit, person, body: Form(Fields(pairs)), .. } = posted;
    let field =
        |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let serials: Vec<String> = pairs.iter().filter(|(k, _)| k == "serial").map(|(_, v)| v.clone()).collect();
    let reason = given(&field("reason"));
    let d = desk.clone();
    let actor = person.name.clone();
    let done = crate::blocking(move || {
        let today = Day::today().ok_or_else(|| Error::input("today is outside the days a list can hold"))?;
        let mut db = Db::open_write(&d.ledger)?;
        let tx = db.begin_write(&d.key_path)?;
        let signer = crate::writer::current_signer(&d, tx.conn())?;
        keygen_core::db::head::ensure_current(tx.conn(), &signer, &d.key_path)
            .map_err(crate::writer::for_people)?;
        // Chosen again inside the transaction: what another person did meanwhile counts.
        let chosen = ops::revoke::preview(tx.conn(), &serials)?;
        let new: Vec<String> =
            chosen.iter().filter(|c| c.new).map(|c| c.history.record().serial.clone()).collect();
        if new.is_empty() {
            return Err(Error::input("nothing new to revoke: these keys are revoked already"));
        }
        let recorded = ops::revoke::record(tx.conn(), &signer, today, reason.as_deref(), &new, &actor)?;
        tx.commit(&signer)?;
        Ok((recorded, new))
    })
    .await;
    match done {
        Ok((recorded, new)) => {
            let body = html! {
                h1 { "Revoked" }
                p { "Revoked " (new.join(", ")) ", by " (person.name) ". Revocation list " (recorded.sequence) " names " (recorded.serials) " serial(s) in all: ship it with the next update, or give it to support." }
                a.download href={ "/revoke/list/" (recorded.sequence) } download={ "revocations-" (recorded.sequence) ".txt" } { "Download revocation list " (recorded.sequence) }
                pre.list { (recorded.text) }
            };
            layout("Revoked", Some((&visit, &person)), body).into_response()
        }
        Err(e) => {
            Failure::of(&desk, &e).page((&visit, &person), "Revoke", html! { a href="/find" { "Find" } })
        }
    }
}

/// `GET /revoke/list/{sequence}`: a list exactly as first published (admin).
pub async fn list(
    signed: Signed<Admin>,
    State(desk): State<crate::State>,
    Path(sequence): Path<u32>,
) -> Response {
    let text = blocking(&desk, move |d| {
        let db = read_ledger(d)?;
        db.conn()
            .list_text(sequence)
            .map_err(Error::db("cannot read the ledger"))
            .map_err(|e| Failure::of(d, &e))
    })
    .await;
    match text {
        Ok(Some(text)) => {
            let mut r = text.into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"revocations-{sequence}.txt\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Ok(None) => (StatusCode::NOT_FOUND, "no such list").into_response(),
        Err(f) => f.page(signed.who(), "Revocation list", html! { a href="/find" { "Find" } }),
    }
}
