//! Renewing and amending a key: both record a new key that replaces the old one (its terms
//! renewed, or changed), under the person's name.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use product_key::Day;
use serde::Deserialize;

use super::given;
use crate::extract::{Posted, Sales, Token};
use crate::failure::Failure;
use crate::pages;
use crate::visit::{Person, Visit};
use keygen_core::error::Error;
use keygen_core::ops;

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

impl Token for RenewForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /key/{serial}/renew`.
pub async fn renew(
    State(desk): State<crate::State>,
    Path(serial): Path<String>,
    posted: Posted<Sales, Form<RenewForm>>,
) -> Response {
    let Posted { visit, person, body: Form(form), .. } = posted;
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
        return super::key::back_to_key((&visit, &person), &serial, "Renew", &problems);
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

impl Token for AmendForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /key/{serial}/amend`.
pub async fn amend(
    State(desk): State<crate::State>,
    Path(serial): Path<String>,
    posted: Posted<Sales, Form<AmendForm>>,
) -> Response {
    let Posted { visit, person, body: Form(form), .. } = posted;
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
        Ok(_) => return super::key::back_to_key((&visit, &person), &serial, "Amend", &problems),
        Err(p) => {
            problems.extend(p.iter().map(crate::fields::message));
            return super::key::back_to_key((&visit, &person), &serial, "Amend", &problems);
        }
    };
    replace(desk, visit, person, serial, ops::replace::Reason::Amendment, order, move |old, _| {
        amendment.terms(old)
    })
    .await
}

async fn replace(
    desk: crate::State,
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
    let done = crate::blocking(move || {
        let issued = Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?;
        let request =
            ops::replace::Request { serial: Some(s), for_order: None, reason, order_id, issued, actor };
        let signer = crate::writer::signer_now(&d)?;
        let done = ops::replace::replace(&signer, &d.key_path, &d.ledger, request, terms)
            .map_err(crate::writer::for_people)?;
        let block =
            keygen_core::email_block::customer_block(&done.record, &done.payload, &done.old, reason.name());
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
        Err(e) => Failure::of(&desk, &e).page((&visit, &person), title, super::key::back_link(&serial)),
    }
}
