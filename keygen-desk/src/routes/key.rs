//! A key's page: its terms, its story (recorded, replaced, revoked, by whom), and the forms
//! of what the person's role may do with it (renew, amend, revoke).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::extract::{Signed, Support};
use crate::failure::{Failure, blocking, read_ledger};
use crate::pages::{self, layout};
use crate::visit::{Person, Visit};
use keygen_core::db::keys::History;
use keygen_core::db::people::Role;
use keygen_core::ops;

/// Where a key stands: current, replaced (by which), or revoked (in which list).
pub fn state(k: &History) -> String {
    match (&k.revoked, &k.replaced_by) {
        (Some(r), _) => format!("revoked (list {})", r.sequence),
        (None, Some(by)) => format!("replaced by {}", by.serial),
        (None, None) => "current".to_owned(),
    }
}

/// `GET /key/{serial}`: the key, its story, and what the role may do with it.
pub async fn page(
    signed: Signed<Support>,
    State(desk): State<crate::State>,
    Path(serial): Path<String>,
) -> Response {
    let s = serial.clone();
    let found = blocking(&desk, move |d| {
        let db = read_ledger(d)?;
        let query = ops::find::Query { serial: Some(s), ..Default::default() };
        let mut found = ops::find::find(db.conn(), &query).map_err(|e| Failure::of(d, &e))?;
        Ok(found.pop())
    })
    .await;
    let Signed { visit, person, .. } = &signed;
    let f = match found {
        Ok(Some(f)) => f,
        Ok(None) => {
            let body = html! { h1 { "No such key" } p { "Serial " (serial) " is not in the ledger." } };
            return (StatusCode::NOT_FOUND, layout("No such key", Some(signed.who()), body)).into_response();
        }
        Err(f) => return f.page(signed.who(), "Key", html! { a href="/find" { "Find" } }),
    };
    let k = &f.history;
    let r = k.record();
    let open = k.revoked.is_none() && k.replaced_by.is_none();
    let body = html! {
        h1 { "Key " (r.serial) }
        dl.terms {
            dt { "Organization" } dd { (r.organization) }
            dt { "Order" } dd { (r.order_id.as_deref().unwrap_or("-")) }
            dt { "Contact" } dd { (r.contact.as_deref().unwrap_or("-")) }
            dt { "Seats" } dd { (r.seats.map_or("unlimited".to_owned(), |n| n.to_string())) }
            dt { "Features" } dd { (r.features.join(", ")) }
            dt { "Issued" } dd { (r.issued) }
            dt { "Expires" } dd { (r.expires.as_deref().unwrap_or("never")) }
            dt { "State" } dd { (state(k)) }
            dt { "Genuine" } dd { (f.not_genuine.as_deref().map_or("yes".to_owned(), |w| format!("NO: {w}"))) }
        }
        pre.key id="product-key" data-product-key=(r.key) { (r.key) }
        button type="button" data-copy="product-key" { "Copy key" }
        h2 { "Story" }
        ol.story {
            li {
                "Recorded " (r.issued_at.as_deref().unwrap_or("")) " by " strong.actor { (r.actor.as_deref().unwrap_or("(not recorded)")) }
                " via " (r.via.as_deref().unwrap_or("?"))
                @if let Some(old) = &r.supersedes {
                    ", replacing " a href={ "/key/" (old) } { (old) } " (" (r.reason.as_deref().unwrap_or("replacement")) ")"
                }
            }
            @if let Some(by) = &k.replaced_by {
                li { "Replaced by " a href={ "/key/" (by.serial) } { (by.serial) } " (" (by.reason.as_deref().unwrap_or("")) ", " (by.issued_at.as_deref().unwrap_or("")) ")" }
            }
            @if let Some(rv) = &k.revoked {
                li {
                    "Revoked in list " (rv.sequence) ", " (rv.revoked_at)
                    @if let Some(who) = &rv.actor { " by " strong.actor { (who) } }
                    @if let Some(why) = &rv.reason { ": " (why) }
                }
            }
        }
        @if open && person.role >= Role::Sales {
            h2 { "Renew" }
            form method="post" action={ "/key/" (r.serial) "/renew" } {
                input type="hidden" name="csrf" value=(visit.csrf);
                label for="valid_days" { "Valid days" }
                input id="valid_days" name="valid_days" inputmode="numeric" placeholder="the key's own term";
                label for="renew_expires" { "Last day" }
                input id="renew_expires" name="expires" placeholder="YYYY-MM-DD";
                label for="renew_order" { "Order" }
                input id="renew_order" name="order" maxlength=(keygen_core::text_rules::MAX_ORDER_ID_CHARS) aria-describedby="renew_order_hint";
                p.hint id="renew_order_hint" { "The renewal's own order (finance finds renewals by it). Left empty, the new key is recorded without an order." }
                button type="submit" { "Renew" }
            }
            h2 { "Amend" }
            form method="post" action={ "/key/" (r.serial) "/amend" } {
                input type="hidden" name="csrf" value=(visit.csrf);
                label for="org" { "Organization" }
                input id="org" name="org" placeholder=(r.organization);
                label for="seats" { "Seats" }
                input id="seats" name="seats" placeholder=(r.seats.map_or("unlimited".to_owned(), |n| n.to_string()));
                label for="features" { "Features" }
                input id="features" name="features" placeholder=(r.features.join(","));
                label for="amend_expires" { "Expires" }
                input id="amend_expires" name="expires" placeholder="YYYY-MM-DD or never";
                label for="amend_order" { "Order" }
                input id="amend_order" name="order" maxlength=(keygen_core::text_rules::MAX_ORDER_ID_CHARS) aria-describedby="amend_order_hint";
                p.hint id="amend_order_hint" {
                    @if let Some(o) = &r.order_id { "Left empty, the amended key keeps order " (o) "." }
                    @else { "Left empty, the amended key is recorded without an order." }
                }
                button type="submit" { "Amend" }
            }
        }
        @if k.revoked.is_none() && person.role >= Role::Admin {
            h2 { "Revoke" }
            form method="post" action={ "/key/" (r.serial) "/revoke" } {
                input type="hidden" name="csrf" value=(visit.csrf);
                label for="reason" { "Reason" }
                input id="reason" name="reason";
                button type="submit" { "Revoke" }
            }
        }
    };
    layout(&format!("Key {}", r.serial), Some(signed.who()), body).into_response()
}

/// The link back to a key's page.
pub fn back_link(serial: &str) -> maud::Markup {
    html! { a href={ "/key/" (serial) } { "Back to key " (serial) } }
}

/// A refused renewal, amendment or revocation: its problems, and the way back to the key.
pub fn back_to_key(who: (&Visit, &Person), serial: &str, title: &str, problems: &[String]) -> Response {
    pages::problems(who, title, problems, back_link(serial))
}
