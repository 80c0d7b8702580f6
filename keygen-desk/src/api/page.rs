//! The API tokens on the People page (admin): the list with each token's last use, a form to
//! make one (shown once), and a button to remove one. The same operations as `keygen desk
//! token add | remove`, journaled with the admin's name.

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::extract::{Admin, Posted};
use crate::pages::{self, layout};
use keygen_core::db::Db;
use keygen_core::db::people::Role;
use keygen_core::error::Error;

/// The People page's token section.
pub fn section(desk: &crate::Desk, csrf: &str) -> Markup {
    let all = Db::open_read(&desk.ledger)
        .and_then(|db| db.conn().tokens().map_err(Error::db("cannot read the ledger")));
    html! {
        h2 { "API tokens" }
        p.hint { "For programs (a CRM, a shop's relay): see docs/api.md. A token is shown once, when made." }
        @match &all {
            Err(e) => { ul.problems { @for l in pages::lines(e) { li { (l) } } } }
            Ok(all) if all.is_empty() => { p { "No token." } }
            Ok(all) => {
                table.people {
                    thead { tr { th { "Name" } th { "Role" } th { "Last day" } th { "Added" } th { "By" } th { "Last used" } th {} } }
                    tbody {
                        @for t in all {
                            tr {
                                td { (t.name) } td { (t.role.name()) } td { (t.expires.as_deref().unwrap_or("none")) }
                                td { (t.added_at) } td { (t.added_by) } td { (t.last_used.as_deref().unwrap_or("never")) }
                                td.actions {
                                    form method="post" action="/people/tokens/remove" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="name" value=(t.name);
                                        button type="submit" { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { "Make a token" }
        form method="post" action="/people/tokens" {
            input type="hidden" name="csrf" value=(csrf);
            label for="token_name" { "Name" }
            input id="token_name" name="name" required maxlength="64";
            label for="token_role" { "Role" }
            select id="token_role" name="role" { @for r in Role::ALL { option value=(r.name()) { (r.name()) } } }
            label for="token_expires" { "Last day" }
            input id="token_expires" name="expires" placeholder="YYYY-MM-DD (none: until removed)";
            button type="submit" { "Make token" }
        }
    }
}

/// The token forms.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    expires: String,
}

impl crate::extract::Token for TokenForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /people/tokens`: makes a token, shown once.
pub async fn add(State(desk): State<crate::State>, posted: Posted<Admin, Form<TokenForm>>) -> Response {
    let Posted { visit, person, body: Form(form), .. } = posted;
    let d = desk.clone();
    let admin = person.name.clone();
    let made = crate::blocking(move || {
        let role: Role = form.role.parse().map_err(Error::Input)?;
        let expires = Some(form.expires.trim()).filter(|e| !e.is_empty()).map(str::to_owned);
        let name = form.name.trim().to_owned();
        let token = crate::writer::signed_write(&d, |conn| {
            keygen_core::ops::access::add_token(conn, &name, role, expires.as_deref(), &admin)
        })?;
        Ok((name, token))
    })
    .await;
    let back = html! { a href="/people" { "Back to People" } };
    match made {
        Ok((name, token)) => {
            let body = html! {
                h1 { "Token " (name) }
                p { "Give it to the program now: it is not shown again (the ledger keeps only its hash). Send it as " code { "Authorization: Bearer TOKEN" } "." }
                pre.key id="api-token" { (token.as_str()) }
                button type="button" data-copy="api-token" { "Copy token" }
                p { (back) }
            };
            layout("Token made", Some((&visit, &person)), body).into_response()
        }
        Err(e) => pages::problems((&visit, &person), "Make a token", &pages::lines(&e), back),
    }
}

/// `POST /people/tokens/remove`.
pub async fn remove(State(desk): State<crate::State>, posted: Posted<Admin, Form<TokenForm>>) -> Response {
    let Posted { visit, person, body: Form(form), .. } = posted;
    let d = desk.clone();
    let admin = person.name.clone();
    let name = form.name.clone();
    let done = crate::blocking(move || {
        crate::writer::signed_write(&d, |conn| keygen_core::ops::access::remove_token(conn, &name, &admin))
    })
    .await;
    let back = html! { a href="/people" { "Back to People" } };
    match done {
        Ok(()) => {
            let body = html! { h1 { "Token removed" } p { "Token " (form.name) " is refused from now on." } p { (back) } };
            layout("Token removed", Some((&visit, &person)), body).into_response()
        }
        Err(e) => pages::problems((&visit, &person), "Remove a token", &pages::lines(&e), back),
    }
}
