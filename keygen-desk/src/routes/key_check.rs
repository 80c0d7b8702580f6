//! Checking a pasted key as the verifier does, with the ledger's signing keys and its latest
//! revocation list.

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use product_key::Day;
use serde::Deserialize;

use crate::extract::{Posted, Signed, Support, Token};
use crate::failure::{Failure, blocking, read_ledger};
use crate::pages::layout;
use keygen_core::error::Error;

/// `GET /check`.
pub async fn page(signed: Signed<Support>) -> Response {
    layout("Check a key", Some(signed.who()), check_form(&signed.visit.csrf, "", "")).into_response()
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

impl Token for CheckForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /check`: the verifier's words (`product-key-report`), with the ledger's signing keys
/// and its latest revocation list.
pub async fn check(State(desk): State<crate::State>, posted: Posted<Support, Form<CheckForm>>) -> Response {
    let Form(form) = &posted.body;
    let (key, org) = (form.key.clone(), form.organization.trim().to_owned());
    let words = blocking(&desk, move |d| {
        let at = Day::today()
            .ok_or_else(|| Failure::Desk(vec!["today is outside the days a key can hold".to_owned()]))?;
        let db = read_ledger(d)?;
        let read = |e| Failure::of(d, &Error::db("cannot read the ledger")(e));
        let signers = db.conn().signing_keys().map_err(read)?;
        let trusted = keygen_core::db::verify::trusted_keys(&signers, None)
            .map_err(|b| Failure::Ledger(crate::failure::said_text(d, &b.what)))?;
        let last = db.conn().lists().map_err(read)?.pop();
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
        (check_form(&posted.visit.csrf, &form.key, &form.organization))
        @match &words {
            Ok((valid, headline, details)) => {
                p.verdict.valid[*valid].invalid[!*valid] role="status" { (headline) }
                pre.details { (details) }
            }
            Err(f) => { (f.alert()) }
        }
    };
    let page = layout("Check a key", Some((&posted.visit, &posted.person)), body);
    match &words {
        Err(f) => f.with(page),
        Ok(_) => page.into_response(),
    }
}
