//! The account page, where everyone signed in changes their own password: the current one
//! checked (counted as sign-ins are), then the new one set; their other sessions end.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::extract::{Posted, Signed, Support, Token};
use crate::pages::{self, layout};
use crate::people::problems;
use crate::visit::{Person, Visit};
use keygen_core::db::people;
use keygen_core::error::Error;

fn account_form(who: (&Visit, &Person), notice: Option<maud::Markup>) -> maud::Markup {
    layout(
        "Your password",
        Some(who),
        html! {
            h1 { "Your password" }
            @if let Some(n) = notice { (n) }
            form method="post" action="/account" {
                input type="hidden" name="csrf" value=(who.0.csrf);
                input type="text" name="user" value=(who.1.name) autocomplete="username" hidden;
                label for="current" { "Current password" }
                input id="current" name="current" type="password" autocomplete="current-password" required;
                label for="new" { "New password (at least " (keygen_core::ops::people::MIN_PASSWORD) " characters)" }
                input id="new" name="new" type="password" autocomplete="new-password" required;
                label for="again" { "New password again" }
                input id="again" name="again" type="password" autocomplete="new-password" required;
                button type="submit" { "Change password" }
            }
        },
    )
}

/// `GET /account`.
pub async fn page(signed: Signed<Support>) -> Response {
    account_form(signed.who(), None).into_response()
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: Zeroizing<String>,
    #[serde(default)]
    new: Zeroizing<String>,
    #[serde(default)]
    again: Zeroizing<String>,
}

impl Token for PasswordForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /account`: the current password checked, then the new one set; every other session
/// of theirs ends, this one goes on.
pub async fn change_password(
    State(desk): State<crate::State>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    posted: Posted<Support, Form<PasswordForm>>,
) -> Response {
    let peer = extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let address = crate::auth::client(peer, &headers, &desk.site);
    let Posted { visit, person, body: Form(form), .. } = posted;
    let d = desk.clone();
    tokio::task::spawn_blocking(move || {
        let changed = (|| -> Result<(), Error> {
            if *form.new != *form.again {
                return Err(Error::input("the two new passwords differ"));
            }
            if form.new.chars().count() < keygen_core::ops::people::MIN_PASSWORD {
                return Err(Error::input(format!(
                    "the new password is under {} characters",
                    keygen_core::ops::people::MIN_PASSWORD
                )));
            }
            let row = d.people.find(&person.name)?.ok_or_else(|| Error::input("you are not one of the desk's people"))?;
            // Counted as sign-ins are: a session left open is not a way to guess the password.
            let ticket = d.throttle.reserve(Some((&row.name, crate::session::digest(&row.hash))), address, &d.limits);
            let right = ticket.check && people::verify_password(&form.current, &row.hash);
            d.throttle.finish(&ticket, right, &d.limits);
            if !ticket.check {
                return Err(Error::input("too many wrong passwords: wait 15 minutes, or ask an admin to unlock you"));
            }
            if !right {
                d.journal.record(&person.name, "password change refused", "wrong current password");
                return Err(Error::input("the current password is wrong"));
            }
            crate::session::set_password(&d, &person.name, &form.new, &person.name, Some(&visit.id))
        })();
        let who = (&visit, &person);
        match changed {
            Ok(()) => account_form(
                who,
                Some(html! { p.notice role="status" { "Your password is changed; your other sessions have ended." } }),
            )
            .into_response(),
            Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, account_form(who, Some(problems(&e)))).into_response(),
        }
    })
    .await
    .unwrap_or_else(|e| pages::error(&e.to_string()))
}
