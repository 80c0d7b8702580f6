//! The key pages: find, a key's story, issue, renew, amend, revoke (preview, confirm, the
//! signed list). Each handler checks the role first, then the form's CSRF token, then calls
//! the operation of `keygen_core::ops` with the person's name as the actor.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use product_key::Day;
use serde::Deserialize;

use super::pages::{self, layout};
use super::session::{Person, Visit, check_csrf, require};
use keygen_core::db::Db;
use keygen_core::db::keys::History;
use keygen_core::db::people::Role;
use keygen_core::error::Error;
use keygen_core::ops;

/// `?q=`.
#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

/// `GET /find?q=`: organization (any spelling `ledger find --org` reads), order or serial.
pub async fn find(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Support) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let q = search.q.trim().to_owned();
    let found = if q.is_empty() {
        Ok(Vec::new())
    } else {
        let d = desk.clone();
        let text = q.clone();
        super::blocking(move || match Db::open_read(&d.ledger) {
            Ok(db) => ops::find::search(db.conn(), &text),
            Err(Error::Input(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
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
            Err(e) => { ul.problems role="alert" { @for l in super::handlers::said(&desk, e) { li { (l) } } } }
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
                                td { (state(&f.history)) @if f.not_genuine.is_some() { strong { " NOT GENUINE" } } }
                                td { (r.actor.as_deref().unwrap_or("-")) }
                            }
                        }
                    }
                }
            }
            Ok(_) => {}
        }
    };
    layout("Find", Some((&visit, &person)), body).into_response()
}

fn state(k: &History) -> String {
    match (&k.revoked, &k.replaced_by) {
        (Some(r), _) => format!("revoked (list {})", r.sequence),
        (None, Some(by)) => format!("replaced by {}", by.serial),
        (None, None) => "current".to_owned(),
    }
}

/// `GET /key/{serial}`: the key, its story, and what the role may do with it.
pub async fn key_page(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Path(serial): Path<String>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Support) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let d = desk.clone();
    let s = serial.clone();
    let found = super::blocking(move || {
        let db = Db::open_read(&d.ledger)?;
        let mut found =
            ops::find::find(db.conn(), &ops::find::Query { serial: Some(s), ..Default::default() })?;
        Ok(found.pop())
    })
    .await;
    let f = match found {
        Ok(Some(f)) => f,
        Ok(None) => {
            let body = html! { h1 { "No such key" } p { "Serial " (serial) " is not in the ledger." } };
            return (StatusCode::NOT_FOUND, layout("No such key", Some((&visit, &person)), body))
                .into_response();
        }
        Err(e) => {
            return pages::problems(
                (&visit, &person),
                "Key",
                &super::handlers::said(&desk, &e),
                html! { a href="/find" { "Find" } },
            );
        }
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
    layout(&format!("Key {}", r.serial), Some((&visit, &person)), body).into_response()
}

/// `GET /issue`: the form.
pub async fn issue_page(State(desk): State<super::State>, headers: HeaderMap) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Sales) {
        Ok(v) => v,
        Err(r) => return r,
    };
    issue_form(&desk, (&visit, &person), &IssueForm::default(), None, &[])
}

/// The issue form.
#[derive(Deserialize, Default)]
pub struct IssueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    edition: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    features: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    contact: String,
}

fn issue_form(
    desk: &super::Desk,
    who: (&Visit, &Person),
    form: &IssueForm,
    problems: Option<&[String]>,
    at_fields: &[keygen_core::text_rules::TextError],
) -> Response {
    use keygen_core::text_rules::Field;
    let at = |field: Field| at_fields.iter().find(|e| e.field() == field).map(ToString::to_string);
    let editions: Vec<(String, String)> = keygen_core::template::load_all(&desk.templates)
        .map(|all| all.into_iter().filter_map(|(_, t)| t.ok()).map(|t| (t.id, t.name)).collect())
        .unwrap_or_default();
    let body = html! {
        h1 { "Issue a key" }
        @if let Some(p) = problems.filter(|p| !p.is_empty()) { ul.problems role="alert" { @for l in p { li { (l) } } } }
        form method="post" action="/issue" {
            input type="hidden" name="csrf" value=(who.0.csrf);
            label for="organization" { "Organization" }
            input id="organization" name="organization" value=(cut(&form.organization, keygen_core::text_rules::MAX_ORGANIZATION_TYPED_BYTES)) required aria-invalid=[at(Field::Organization).map(|_| "true")] aria-describedby=[at(Field::Organization).map(|_| "organization_problem")];
            @if let Some(m) = at(Field::Organization) { p.problem id="organization_problem" role="alert" { (m) } }
            label for="edition" { "Edition" }
            select id="edition" name="edition" {
                @for (id, name) in &editions {
                    option value=(id) selected[*id == form.edition] { (name) }
                }
            }
            label for="seats" { "Seats" }
            input id="seats" name="seats" value=(form.seats) placeholder="the edition's";
            label for="features" { "Features" }
            input id="features" name="features" value=(form.features) placeholder="the edition's (names, comma-separated)";
            label for="order" { "Order" }
            input id="order" name="order" value=(cut(&form.order, keygen_core::text_rules::MAX_ORDER_ID_CHARS)) maxlength=(keygen_core::text_rules::MAX_ORDER_ID_CHARS) aria-invalid=[at(Field::OrderId).map(|_| "true")] aria-describedby=[at(Field::OrderId).map(|_| "order_problem")];
            @if let Some(m) = at(Field::OrderId) { p.problem id="order_problem" role="alert" { (m) } }
            label for="contact" { "Contact" }
            input id="contact" name="contact" value=(cut(&form.contact, keygen_core::text_rules::MAX_CONTACT_CHARS)) maxlength=(keygen_core::text_rules::MAX_CONTACT_CHARS) aria-invalid=[at(Field::Contact).map(|_| "true")] aria-describedby=[at(Field::Contact).map(|_| "contact_problem")];
            @if let Some(m) = at(Field::Contact) { p.problem id="contact_problem" role="alert" { (m) } }
            button type="submit" { "Issue key" }
        }
    };
    let status = if problems.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    (status, layout("Issue", Some(who), body)).into_response()
}

/// At most the first `max` characters of a text shown back in a form: a refused 8 MB
/// contact is not sent back whole.
fn cut(text: &str, max: usize) -> &str {
    text.char_indices().nth(max).map_or(text, |(at, _)| &text[..at])
}

fn given(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// `POST /issue`.
pub async fn issue(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<IssueForm>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Sales) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    use keygen_core::text_rules::{Field, check};
    let at_fields: Vec<keygen_core::text_rules::TextError> = [
        (Field::Organization, form.organization.as_str()),
        (Field::OrderId, form.order.trim()),
        (Field::Contact, form.contact.trim()),
    ]
    .into_iter()
    .filter_map(|(field, text)| check(field, text).err())
    .collect();
    if !at_fields.is_empty() {
        return issue_form(&desk, (&visit, &person), &form, Some(&[]), &at_fields);
    }
    let d = desk.clone();
    let actor = person.name.clone();
    let (org, edition, seats, features, order, contact) = (
        form.organization.clone(),
        form.edition.clone(),
        given(&form.seats),
        given(&form.features),
        given(&form.order),
        given(&form.contact),
    );
    let checked = super::blocking(move || {
        let issued = Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?;
        let template = keygen_core::template::load_listed(&edition, &d.templates)?;
        let overrides = keygen_core::order::Overrides {
            organization: &org,
            seats: seats.as_deref(),
            features: features.as_deref(),
            expires: None,
        };
        let terms = keygen_core::order::build(&template, &overrides, issued, &[',']).map_err(|problems| {
            Error::Inputs(problems.into_iter().map(|(f, e)| format!("{}: {e}", f.column())).collect())
        })?;
        Ok((ops::issue::Request { terms, serial: None, order_id: order, contact, actor }, template.name))
    })
    .await;
    // Recorded through the desk's queue, with the other requests waiting (group commit).
    let done = match checked {
        Ok((request, edition)) => desk.queue.issue(&desk, request).await.map(|done| {
            let block =
                keygen_core::customer::block(&done.record, &done.payload, &edition, Day::today(), None);
            (done.record, block)
        }),
        Err(e) => Err(e),
    };
    match done {
        Ok((record, block)) => {
            pages::issued((&visit, &person), "Key issued", &record.key, &record.serial, &block)
                .into_response()
        }
        Err(e) => issue_form(&desk, (&visit, &person), &form, Some(&super::handlers::said(&desk, &e)), &[]),
    }
}

/// The renew form.
#[derive(Deserialize)]
pub struct RenewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    valid_days: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    order: String,
}

/// `POST /key/{serial}/renew`.
pub async fn renew(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    Form(form): Form<RenewForm>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Sales) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    let mut problems = Vec::new();
    let valid_days = given(&form.valid_days).and_then(|t| {
        t.parse::<u32>().map_err(|_| problems.push(format!("Valid days: '{t}' is not a number of days"))).ok()
    });
    let expires = given(&form.expires)
        .and_then(|t| keygen_core::dates::day(&t).map_err(|e| problems.push(format!("Last day: {e}"))).ok());
    let order = given(&form.order);
    if let Err(e) =
        keygen_core::text_rules::check_given(keygen_core::text_rules::Field::OrderId, order.as_deref())
    {
        problems.push(format!("Order: {e}"));
    }
    if !problems.is_empty() {
        return back_to_key((&visit, &person), &serial, "Renew", &problems);
    }
    let renewal = ops::replace::Renewal { valid_days, expires };
    replace(desk, visit, person, serial, ops::replace::Reason::Renewal, order, move |old, day| {
        renewal.terms(old, day)
    })
    .await
}

/// The amend form.
#[derive(Deserialize)]
pub struct AmendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    features: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    order: String,
}

/// `POST /key/{serial}/amend`.
pub async fn amend(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    Form(form): Form<AmendForm>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Sales) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    let (org, seats, features, expires) =
        (given(&form.org), given(&form.seats), given(&form.features), given(&form.expires));
    let text = ops::replace::AmendmentText {
        org: org.as_deref(),
        seats: seats.as_deref(),
        features: features.as_deref(),
        expires: expires.as_deref(),
        ..Default::default()
    };
    let order = given(&form.order);
    let mut problems = Vec::new();
    if let Some(o) = &org
        && let Err(e) = keygen_core::text_rules::check(keygen_core::text_rules::Field::Organization, o)
    {
        problems.push(format!("Organization: {e}"));
    }
    if let Err(e) =
        keygen_core::text_rules::check_given(keygen_core::text_rules::Field::OrderId, order.as_deref())
    {
        problems.push(format!("Order: {e}"));
    }
    let amendment = match text.parse() {
        Ok(a) if problems.is_empty() => a,
        Ok(_) => return back_to_key((&visit, &person), &serial, "Amend", &problems),
        Err(p) => {
            problems.extend(p.iter().map(super::fields::message));
            return back_to_key((&visit, &person), &serial, "Amend", &problems);
        }
    };
    replace(desk, visit, person, serial, ops::replace::Reason::Amendment, order, move |old, _| {
        amendment.terms(old)
    })
    .await
}

fn back_to_key(who: (&Visit, &Person), serial: &str, title: &str, problems: &[String]) -> Response {
    pages::problems(who, title, problems, html! { a href={ "/key/" (serial) } { "Back to key " (serial) } })
}

async fn replace(
    desk: super::State,
    visit: Visit,
    person: Person,
    serial: String,
    reason: ops::replace::Reason,
    order_id: Option<String>,
    terms: impl FnOnce(&product_key::Payload, Day) -> Result<product_key::Payload, Error> + Send + 'static,
) -> Response {
    let d = desk.clone();
    let actor = person.name.clone();
    let s = serial.clone();
    let done = super::blocking(move || {
        let issued = Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?;
        let request =
            ops::replace::Request { serial: Some(s), for_order: None, reason, order_id, issued, actor };
        let signer = super::writer::signer_now(&d)?;
        let done = ops::replace::replace(&signer, &d.key_path, &d.ledger, request, terms)
            .map_err(super::writer::for_people)?;
        let block =
            keygen_core::customer::customer_block(&done.record, &done.payload, &done.old, reason.name());
        Ok((done.record, block))
    })
    .await;
    let title = match reason {
        ops::replace::Reason::Renewal => "Key renewed",
        ops::replace::Reason::Amendment => "Key amended",
    };
    match done {
        Ok((record, block)) => {
            pages::issued((&visit, &person), title, &record.key, &record.serial, &block).into_response()
        }
        Err(e) => back_to_key((&visit, &person), &serial, title, &super::handlers::said(&desk, &e)),
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

/// `POST /key/{serial}/revoke`: what would be revoked; nothing is written.
pub async fn revoke_preview(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Admin) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    let d = desk.clone();
    let s = vec![serial.clone()];
    let chosen = super::blocking(move || {
        let db = Db::open_read(&d.ledger)?;
        ops::revoke::preview(db.conn(), &s)
    })
    .await;
    let chosen = match chosen {
        Ok(c) => c,
        Err(e) => {
            return back_to_key((&visit, &person), &serial, "Revoke", &super::handlers::said(&desk, &e));
        }
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
pub async fn revoke_confirm(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Admin) {
        Ok(v) => v,
        Err(r) => return r,
    };
    // Several `serial` fields: read as pairs (a struct would keep one of them).
    let field =
        |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(r) = check_csrf(&visit, &field("csrf")) {
        return r;
    }
    let serials: Vec<String> = pairs.iter().filter(|(k, _)| k == "serial").map(|(_, v)| v.clone()).collect();
    let reason = given(&field("reason"));
    let d = desk.clone();
    let actor = person.name.clone();
    let done = super::blocking(move || {
        let today = Day::today().ok_or_else(|| Error::input("today is outside the days a list can hold"))?;
        let mut db = Db::open_write(&d.ledger, false)?
            .ok_or_else(|| Error::input(format!("no ledger at {}", d.ledger.display())))?;
        let tx = db.begin_write(&d.key_path)?;
        let signer = super::writer::current_signer(&d, tx.conn())?;
        keygen_core::db::head::ensure_current(tx.conn(), &signer, &d.key_path)
            .map_err(super::writer::for_people)?;
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
        Err(e) => pages::problems(
            (&visit, &person),
            "Revoke",
            &super::handlers::said(&desk, &e),
            html! { a href="/find" { "Find" } },
        ),
    }
}

/// `GET /revoke/list/{sequence}`: a list exactly as first published (admin).
pub async fn revoke_list(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Path(sequence): Path<u32>,
) -> Response {
    if let Err(r) = require(&desk, &headers, Role::Admin) {
        return r;
    }
    let d = desk.clone();
    let text = super::blocking(move || {
        let db = Db::open_read(&d.ledger)?;
        keygen_core::db::lists::text(db.conn(), sequence).map_err(Error::db("cannot read the ledger"))
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
        Err(e) => pages::error(&e.to_string()),
    }
}
