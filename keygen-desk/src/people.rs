//! The people page (admin): who may sign in, with which role; add (a generated password
//! shown once), remove, give a new password (shown once), unlock. Every change is journaled
//! with the admin's name. (Everyone changes their own password on the account page:
//! `routes/account.rs`.)

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::extract::{Admin, Posted, Signed, Token};
use super::pages::{self, layout};
use super::visit::{Person, Visit};
use keygen_core::db::Db;
use keygen_core::db::people::{self, Role};
use keygen_core::error::Error;
use keygen_core::key_record::now_rfc3339;

fn list_page(desk: &super::Desk, who: (&Visit, &Person), notice: Option<maud::Markup>) -> Response {
    let everyone = Db::open_read(&desk.ledger)
        .and_then(|db| db.conn().people().map_err(Error::db("cannot read the ledger")));
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
            Err(e) => { (super::failure::Failure::ledger(desk, e).alert()) }
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

pub fn problems(e: &Error) -> maud::Markup {
    html! { ul.problems role="alert" { @for l in pages::lines(e) { li { (l) } } } }
}

/// `GET /people`.
pub async fn page(signed: Signed<Admin>, State(desk): State<super::State>) -> Response {
    let Signed { visit, person, .. } = signed;
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

impl Token for AddForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /people`: adds a person with a generated password, shown once.
pub async fn add(State(desk): State<super::State>, posted: Posted<Admin, Form<AddForm>>) -> Response {
    let Posted { visit, person, body: Form(form), .. } = posted;
    let d = desk.clone();
    let admin = person.name.clone();
    tokio::task::spawn_blocking(move || {
        let who = (&visit, &person);
        let added = (|| -> Result<(String, Zeroizing<String>), Error> {
            let name = form.name.trim().to_owned();
            keygen_core::ops::people::check_name(&name)?;
            let role: Role = form.role.parse().map_err(Error::Input)?;
            let password = keygen_core::ops::people::generate()?;
            let hash = people::hash_password(&password).map_err(Error::input)?;
            let what = || Error::db("cannot write the ledger");
            super::writer::signed_write(&d, |conn| {
                if let Some(there) = keygen_core::ops::people::taken(conn, &name).map_err(what())? {
                    return Err(Error::input(format!(
                        "{name} is already one of the desk's people (as {there}: names are compared ignoring case)"
                    )));
                }
                conn.add_person(&name, role, &hash, &now_rfc3339(), &admin).map_err(what())?;
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

impl Token for NameForm {
    fn token(&self) -> &str {
        &self.csrf
    }
}

/// The admin of this request and the form's person, on a blocking thread: `act` gives the
/// notice shown above the list.
async fn admin_action(
    desk: super::State,
    posted: Posted<Admin, Form<NameForm>>,
    act: impl FnOnce(&super::Desk, &str, &str) -> Result<maud::Markup, Error> + Send + 'static,
) -> Response {
    let Posted { visit, person, body: Form(form), .. } = posted;
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
pub async fn remove(State(desk): State<super::State>, posted: Posted<Admin, Form<NameForm>>) -> Response {
    admin_action(desk, posted, |d, admin, name| {
        let what = || Error::db("cannot write the ledger");
        let gone = super::writer::signed_write(d, |conn| {
            let gone = conn.remove_person(name).map_err(what())?;
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
    posted: Posted<Admin, Form<NameForm>>,
) -> Response {
    admin_action(desk, posted, |d, admin, name| {
        let password = keygen_core::ops::people::generate()?;
        super::session::set_password(d, name, &password, admin, None)?;
        Ok(html! {
            p.notice role="status" { "A new password for " (name) ", shown this once (their sessions have ended):" }
            pre.password id="new-password" { (password.as_str()) }
        })
    })
    .await
}

/// `POST /people/unlock`: their wrong passwords forgotten, journaled.
pub async fn unlock(State(desk): State<super::State>, posted: Posted<Admin, Form<NameForm>>) -> Response {
    admin_action(desk, posted, |d, admin, name| {
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
