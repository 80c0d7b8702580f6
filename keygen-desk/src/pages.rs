//! The layout every page shares, and the pages used by several handlers. maud escapes every
//! value it is given (`(value)`); nothing here uses `PreEscaped` on anything a person typed.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::visit::{Person, Visit};
use keygen_core::db::people::Role;

/// A page: the title, the navigation by role, sign-out, and `body`.
pub fn layout(title: &str, who: Option<(&Visit, &Person)>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · keygen desk" }
                link rel="stylesheet" href="/static/desk.css";
                script src="/static/desk.js" defer {}
            }
            body {
                @if let Some((visit, person)) = who {
                    nav {
                        a href="/find" { "Find" }
                        @if person.role >= Role::Sales { a href="/issue" { "Issue" } }
                        @if person.role >= Role::Operations { a href="/batch" { "Batch" } }
                        a href="/report" { "Renewals" }
                        a href="/check" { "Check a key" }
                        @if person.role >= Role::Admin { a href="/people" { "People" } }
                        span.who { (person.name) " (" (person.role.name()) ")" }
                        a href="/account" { "Your password" }
                        form method="post" action="/signout" {
                            input type="hidden" name="csrf" value=(visit.csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The sign-in page, with a refusal when there was one.
pub fn signin(csrf: &str, refused: Option<&str>) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            h1 { "keygen desk" }
            @if let Some(r) = refused { p.problem role="alert" { (r) } }
            form method="post" action="/signin" {
                input type="hidden" name="csrf" value=(csrf);
                label for="user" { "User" }
                input id="user" name="user" autocomplete="username" required;
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// A failure of the desk itself (500), said as it is (errors never carry secrets).
pub fn error(message: &str) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        layout("Error", None, html! { h1 { "Error" } pre.problem { (message) } }),
    )
        .into_response()
}

/// A refused input (422): every problem, one a line, on the page it came from.
pub fn problems(who: (&Visit, &Person), title: &str, lines: &[String], back: Markup) -> Response {
    let body = html! {
        h1 { (title) }
        ul.problems role="alert" { @for l in lines { li { (l) } } }
        (back)
    };
    (StatusCode::UNPROCESSABLE_ENTITY, layout(title, Some(who), body)).into_response()
}

/// The lines of an error, for [`problems`].
pub fn lines(e: &keygen_core::error::Error) -> Vec<String> {
    e.to_string().lines().map(str::to_owned).collect()
}

/// A new key, shown once it is recorded: the key (`data-product-key`) and the customer's
/// e-mail block with a copy button.
pub fn issued(who: (&Visit, &Person), title: &str, key: &str, serial: &str, block: &str) -> Markup {
    layout(
        title,
        Some(who),
        html! {
            h1 { (title) }
            p { "Recorded in the ledger as key " a href={ "/key/" (serial) } { (serial) } ", by " (who.1.name) "." }
            h2 { "Product key" }
            pre.key id="product-key" data-product-key=(key) { (key) }
            button type="button" data-copy="product-key" { "Copy key" }
            h2 { "For the customer" }
            pre.block id="customer-block" { (block) }
            button type="button" data-copy="customer-block" { "Copy e-mail text" }
        },
    )
}
