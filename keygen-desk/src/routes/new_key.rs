//! Issuing a key: the form (organization, edition, seats, features, order, contact) and the
//! key issued through the desk's queue (group commit), shown with the customer's e-mail text.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use product_key::Day;
use serde::Deserialize;

use super::given;
use crate::extract::{Posted, Sales, Signed, Token};
use crate::failure::Failure;
use crate::pages::{self, layout};
use crate::visit::{Person, Visit};
use keygen_core::error::Error;
use keygen_core::ops;

/// `GET /issue`: the form.
pub async fn page(signed: Signed<Sales>, State(desk): State<crate::State>) -> Response {
    issue_form(&desk, signed.who(), &IssueForm::default(), None, &[])
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

impl Token for IssueForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

fn issue_form(
    desk: &crate::Desk,
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

/// `POST /issue`.
pub async fn issue(State(desk): State<crate::State>, posted: Posted<Sales, Form<IssueForm>>) -> Response {
    let Posted { visit, person, body: Form(form), .. } = posted;
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
    let checked = crate::blocking(move || {
        let issued = Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?;
        let template = keygen_core::template::load_listed(&edition, &d.templates)?;
        let overrides = keygen_core::terms::Overrides {
            organization: &org,
            seats: seats.as_deref(),
            features: features.as_deref(),
            expires: None,
        };
        let terms = keygen_core::terms::build(&template, &overrides, issued, &[',']).map_err(|problems| {
            Error::Inputs(problems.into_iter().map(|(f, e)| format!("{}: {e}", f.column())).collect())
        })?;
        Ok((ops::issue::Request { terms, serial: None, order_id: order, contact, actor }, template.name))
    })
    .await;
    // Recorded through the desk's queue, with the other requests waiting (group commit).
    let done = match checked {
        Ok((request, edition)) => desk.queue.issue(&desk, request).await.map(|done| {
            let block =
                keygen_core::email_block::block(&done.record, &done.payload, &edition, Day::today(), None);
            (done.record, block)
        }),
        Err(e) => Err(e),
    };
    match done {
        Ok((record, block)) => {
            pages::issued((&visit, &person), "Key issued", &record.key, &record.serial, &block)
                .into_response()
        }
        Err(e) => {
            let failure = Failure::of(&desk, &e);
            let mut r = issue_form(&desk, (&visit, &person), &form, Some(failure.lines()), &[]);
            *r.status_mut() = failure.status();
            r
        }
    }
}
