//! The people page (admin): who may sign in, with which role; add (a generated password
//! shown once), remove, give a new password (shown once), unlock. Every change is journaled
//! with the admin's name. And the account page, where everyone changes their own password.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::pages::{self, layout};
use super::session::{Person, Visit, check_csrf, require};
use crate::db::Db;
use crate::db::people::{self, Role};
use crate::error::Error;
use crate::record::now_rfc3339;

/// A name as compared: `Ada`, `ada` and `ADA` are one person (and `é` typed as one
/// character or as `e` and an accent).
pub fn fold(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).collect()
}

/// The person already there under another case of `name`, if any.
pub fn taken(conn: &rusqlite::Connection, name: &str) -> rusqlite::Result<Option<String>> {
    let folded = fold(name);
    Ok(people::list(conn)?.into_iter().map(|p| p.name).find(|n| fold(n) == folded))
}

fn list_page(desk: &super::Desk, who: (&Visit, &Person), notice: Option<maud::Markup>) -> Response {
    let everyone = Db::open_read(&desk.ledger)
        .and_then(|db| people::list(db.conn()).map_err(Error::db("cannot read the ledger")));
    let csrf = who.0.csrf.as_str();
    let button = |action: &str, name: &str, label: &str| {
        html! {
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="name" value=(name);
                button type="submit" { (label) }
            }
        }
    };
    let body = html! {
        h1 { "People" }
        @if let Some(n) = notice { (n) }
        @match &everyone {
            Err(e) => { ul.problems { @for l in pages::lines(e) { li { (l) } } } }
            Ok(all) => {
                table.people {
                    thead { tr { th { "Name" } th { "Role" } th { "Added" } th { "By" } th { "Locked" } th {} } }
                    tbody {
                        @for p in all {
                            @let locked = desk.throttle.locked(&p.name);
                            tr {
                                td { (p.name) } td { (p.role.name()) } td { (p.added_at) } td { (p.added_by) }
                                td {
                                    @if let Some(left) = locked {
                                        "for " (left.as_secs() / 60 + 1) " min (from new addresses)"
                                        (button("/people/unlock", &p.name, "Unlock"))
                                    }
                                }
                                td.actions {
                                    @if p.name != who.1.name {
                                        (button("/people/password", &p.name, "New password"))
                                        (button("/people/remove", &p.name, "Remove"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Add a person" }
        form method="post" action="/people" {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { "Name" }
            input id="name" name="name" required;
            label for="role" { "Role" }
            select id="role" name="role" { @for r in Role::ALL { option value=(r.name()) { (r.name()) } } }
            button type="submit" { "Add" }
        }
        (super::api::page::section(desk, csrf))
    };
    layout("People", Some(who), body).into_response()
}

fn problems(e: &Error) -> maud::Markup {
    html! { ul.problems role="alert" { @for l in pages::lines(e) { li { (l) } } } }
}

/// `GET /people`.
pub async fn page(State(desk): State<super::State>, headers: HeaderMap) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Admin) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let d = desk.clone();
    tokio::task::spawn_blocking(move || list_page(&d, (&visit, &person), None))
        .await
        .unwrap_or_else(|e| pages::error(&e.to_string()))
}

/// The add form.
#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// `POST /people`: adds a person with a generated password, shown once.
pub async fn add(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Admin) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    let d = desk.clone();
    let admin = person.name.clone();
    tokio::task::spawn_blocking(move || {
        let who = (&visit, &person);
        let added = (|| -> Result<(String, Zeroizing<String>), Error> {
            let name = form.name.trim().to_owned();
            super::cli::check_name(&name)?;
            let role: Role = form.role.parse().map_err(Error::Input)?;
            let password = super::cli::generate()?;
            let hash = people::hash_password(&password).map_err(Error::input)?;
            let what = || Error::db("cannot write the ledger");
            super::writer::signed_write(&d, |conn| {
                if let Some(there) = taken(conn, &name).map_err(what())? {
                    return Err(Error::input(format!(
                        "{name} is already one of the desk's people (as {there}: names are compared ignoring case)"
                    )));
                }
                people::add(conn, &name, role, &hash, &now_rfc3339(), &admin).map_err(what())?;
                people::event(conn, &now_rfc3339(), &admin, "person added", &format!("{name} ({role})"))
                    .map_err(what())
            })?;
            Ok((name, password))
        })();
        match added {
            Ok((name, password)) => {
                let notice = html! {
                    p.notice role="status" { "Added " (name) ". Their password, shown this once:" }
                    pre.password id="new-password" { (password.as_str()) }
                };
                list_page(&d, who, Some(notice))
            }
            Err(e) => list_page(&d, who, Some(problems(&e))),
        }
    })
    .await
    .unwrap_or_else(|e| pages::error(&e.to_string()))
}

/// A form that names a person.
#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// The admin of this request and the form's person, on a blocking thread: `act` gives the
/// notice shown above the list.
async fn admin_action(
    desk: super::State,
    headers: HeaderMap,
    form: NameForm,
    act: impl FnOnce(&super::Desk, &str, &str) -> Result<maud::Markup, Error> + Send + 'static,
) -> Response {
    let (visit, person) = match require(&desk, &headers, Role::Admin) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    let d = desk.clone();
    tokio::task::spawn_blocking(move || {
        let notice = if form.name == person.name {
            problems(&Error::input("not for yourself here: your own password is changed on Your password"))
        } else {
            act(&d, &person.name, &form.name).unwrap_or_else(|e| problems(&e))
        };
        list_page(&d, (&visit, &person), Some(notice))
    })
    .await
    .unwrap_or_else(|e| pages::error(&e.to_string()))
}

/// `POST /people/remove`: they cannot sign in any more, and their sessions end.
pub async fn remove(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<NameForm>,
) -> Response {
    admin_action(desk, headers, form, |d, admin, name| {
        let what = || Error::db("cannot write the ledger");
        let gone = super::writer::signed_write(d, |conn| {
            let gone = people::remove(conn, name).map_err(what())?;
            if gone {
                people::event(conn, &now_rfc3339(), admin, "person removed", name).map_err(what())?;
            }
            Ok(gone)
        })?;
        if !gone {
            return Err(Error::input(format!("{name} is not one of the desk's people.")));
        }
        d.sessions.close_person(name, None);
        d.throttle.unlock(name);
        Ok(html! { p.notice role="status" { "Removed " (name) "." } })
    })
    .await
}

/// `POST /people/password`: a new generated password, shown once; their sessions end and
/// their wrong passwords are forgotten.
pub async fn reset_password(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<NameForm>,
) -> Response {
    admin_action(desk, headers, form, |d, admin, name| {
        let password = super::cli::generate()?;
        super::session::set_password(d, name, &password, admin, None)?;
        Ok(html! {
            p.notice role="status" { "A new password for " (name) ", shown this once (their sessions have ended):" }
            pre.password id="new-password" { (password.as_str()) }
        })
    })
    .await
}

/// `POST /people/unlock`: their wrong passwords forgotten, journaled.
pub async fn unlock(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<NameForm>,
) -> Response {
    admin_action(desk, headers, form, |d, admin, name| {
        let was = d.throttle.unlock(name);
        d.journal.record(admin, "person unlocked", name);
        Ok(if was {
            html! { p.notice role="status" { "Unlocked " (name) "." } }
        } else {
            html! { p.notice role="status" { (name) " was not locked." } }
        })
    })
    .await
}

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
                label for="new" { "New password (at least " (super::cli::MIN_PASSWORD) " characters)" }
                input id="new" name="new" type="password" autocomplete="new-password" required;
                label for="again" { "New password again" }
                input id="again" name="again" type="password" autocomplete="new-password" required;
                button type="submit" { "Change password" }
            }
        },
    )
}

/// `GET /account`.
pub async fn account_page(State(desk): State<super::State>, headers: HeaderMap) -> Response {
    match require(&desk, &headers, Role::Support) {
        Ok((visit, person)) => account_form((&visit, &person), None).into_response(),
        Err(r) => r,
    }
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

/// `POST /account`: the current password checked, then the new one set; every other session
/// of theirs ends, this one goes on.
pub async fn change_password(
    State(desk): State<super::State>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let peer = extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let address = super::auth::client(peer, &headers, &desk.site);
    let (visit, person) = match require(&desk, &headers, Role::Support) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    let d = desk.clone();
    tokio::task::spawn_blocking(move || {
        let changed = (|| -> Result<(), Error> {
            if *form.new != *form.again {
                return Err(Error::input("the two new passwords differ"));
            }
            if form.new.chars().count() < super::cli::MIN_PASSWORD {
                return Err(Error::input(format!(
                    "the new password is under {} characters",
                    super::cli::MIN_PASSWORD
                )));
            }
            let row = d.people.find(&person.name)?.ok_or_else(|| Error::input("you are not one of the desk's people"))?;
            // Counted as sign-ins are: a session left open is not a way to guess the password.
            let ticket = d.throttle.reserve(Some((&row.name, super::session::digest(&row.hash))), address, &d.limits);
            let right = ticket.check && people::verify_password(&form.current, &row.hash);
            d.throttle.finish(&ticket, right, &d.limits);
            if !ticket.check {
                return Err(Error::input("too many wrong passwords: wait 15 minutes, or ask an admin to unlock you"));
            }
            if !right {
                d.journal.record(&person.name, "password change refused", "wrong current password");
                return Err(Error::input("the current password is wrong"));
            }
            super::session::set_password(&d, &person.name, &form.new, &person.name, Some(&visit.id))
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
