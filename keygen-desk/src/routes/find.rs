//! Finding keys: by organization (any spelling `ledger find --org` reads), order or serial.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use crate::extract::{Signed, Support};
use crate::failure::{Failure, blocking, read_ledger};
use crate::pages::layout;
use keygen_core::ops;

/// `?q=`.
#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

/// `GET /find?q=`: organization (any spelling `ledger find --org` reads), order or serial.
pub async fn page(
    signed: Signed<Support>,
    State(desk): State<crate::State>,
    Query(search): Query<Search>,
) -> Response {
    let q = search.q.trim().to_owned();
    let found = if q.is_empty() {
        Ok(Vec::new())
    } else {
        let text = q.clone();
        blocking(&desk, move |d| {
            let db = read_ledger(d)?;
            ops::find::search(db.conn(), &text).map_err(|e| Failure::of(d, &e))
        })
        .await
    };
    let body = html! {
        h1 { "Find a key" }
        form method="get" action="/find" role="search" {
            label for="q" { "Search" }
            input id="q" name="q" type="search" value=(q) placeholder="organization, order or serial" autofocus;
            button type="submit" { "Find" }
        }
        @match &found {
            Err(f) => { (f.alert()) }
            Ok(keys) if keys.is_empty() && !q.is_empty() => { p { "No key matches." } }
            Ok(keys) if !keys.is_empty() => {
                table.keys {
                    thead { tr { th { "Serial" } th { "Organization" } th { "Order" } th { "Issued" } th { "Expires" } th { "State" } th { "By" } } }
                    tbody {
                        @for f in keys {
                            @let r = f.history.record();
                            tr {
                                td { a href={ "/key/" (r.serial) } { (r.serial) } }
                                td { (r.organization) }
                                td { (r.order_id.as_deref().unwrap_or("")) }
                                td { (r.issued) }
                                td { (r.expires.as_deref().unwrap_or("never")) }
                                td { (super::key::state(&f.history)) @if f.not_genuine.is_some() { strong { " NOT GENUINE" } } }
                                td { (r.actor.as_deref().unwrap_or("-")) }
                            }
                        }
                    }
                }
            }
            Ok(_) => {}
        }
    };
    let page = layout("Find", Some(signed.who()), body);
    match &found {
        Err(f) => f.with(page),
        Ok(_) => page.into_response(),
    }
}
