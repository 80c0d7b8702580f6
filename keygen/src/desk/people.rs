//! The people page (admin): who may sign in, with which role; add (a generated password
//! shown once) and remove. Every change is journaled with the admin's name.

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::pages::{self, layout};
use super::session::{Person, Visit, check_csrf, require};
use crate::db::Db;
use crate::db::people::{self, Role};
use crate::error::Error;
use crate::record::now_rfc3339;

fn list_page(desk: &super::Desk, who: (&Visit, &Person), notice: Option<maud::Markup>) -> Response {
    let everyone = Db::open_read(&desk.ledger)
        .and_then(|db| people::list(db.conn()).map_err(Error::db("cannot read the ledger")));
    let body = html! {
        h1 { "People" }
        @if let Some(n) = notice { (n) }
        @match &everyone {
            Err(e) => { ul.problems { @for l in pages::lines(e) { li { (l) } } } }
            Ok(all) => {
                table.people {
                    thead { tr { th { "Name" } th { "Role" } th { "Added" } th { "By" } th { "Locked until" } th {} } }
                    tbody {
                        @for p in all {
                            tr {
                                td { (p.name) } td { (p.role.name()) } td { (p.added_at) } td { (p.added_by) }
                                td { (p.locked_until.as_deref().unwrap_or("")) }
                                td {
                                    @if p.name != who.1.name {
                                        form method="post" action="/people/remove" {
                                            input type="hidden" name="csrf" value=(who.0.csrf);
                                            input type="hidden" name="name" value=(p.name);
                                            button type="submit" { "Remove" }
                                        }
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
            input type="hidden" name="csrf" value=(who.0.csrf);
            label for="name" { "Name" }
            input id="name" name="name" required;
            label for="role" { "Role" }
            select id="role" name="role" { @for r in Role::ALL { option value=(r.name()) { (r.name()) } } }
            button type="submit" { "Add" }
        }
    };
    layout("People", Some(who), body).into_response()
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
        let added = (|| -> Result<(String, zeroize::Zeroizing<String>), Error> {
            let name = form.name.trim().to_owned();
            super::cli::check_name(&name)?;
            let role: Role = form.role.parse().map_err(Error::Input)?;
            let password = super::cli::generate()?;
            let hash = people::hash_password(&password).map_err(Error::input)?;
            let mut db = Db::open_write(&d.ledger, false)?.ok_or_else(|| Error::input("no ledger"))?;
            let tx = db.begin_write(&d.key_path)?;
            let what = || Error::db("cannot write the ledger");
            if people::get(tx.conn(), &name).map_err(what())?.is_some() {
                return Err(Error::input(format!("{name} is already one of the desk's people")));
            }
            people::add(tx.conn(), &name, role, &hash, &now_rfc3339(), &admin).map_err(what())?;
            people::event(tx.conn(), &now_rfc3339(), &admin, "person added", &format!("{name} ({role})"))
                .map_err(what())?;
            tx.commit(&d.signer)?;
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
            Err(e) => {
                let notice = html! { ul.problems role="alert" { @for l in pages::lines(&e) { li { (l) } } } };
                list_page(&d, who, Some(notice))
            }
        }
    })
    .await
    .unwrap_or_else(|e| pages::error(&e.to_string()))
}

/// The remove form.
#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /people/remove`: they cannot sign in any more, and their sessions end.
pub async fn remove(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
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
        let removed = (|| -> Result<bool, Error> {
            if form.name == admin {
                return Err(Error::input("you cannot remove yourself"));
            }
            let mut db = Db::open_write(&d.ledger, false)?.ok_or_else(|| Error::input("no ledger"))?;
            let tx = db.begin_write(&d.key_path)?;
            let what = || Error::db("cannot write the ledger");
            let gone = people::remove(tx.conn(), &form.name).map_err(what())?;
            if gone {
                people::event(tx.conn(), &now_rfc3339(), &admin, "person removed", &form.name)
                    .map_err(what())?;
            }
            tx.commit(&d.signer)?;
            Ok(gone)
        })();
        let notice = match removed {
            Ok(true) => {
                d.sessions.close_person(&form.name);
                html! { p.notice role="status" { "Removed " (form.name) "." } }
            }
            Ok(false) => html! { p.problem { (form.name) " is not one of the desk's people." } },
            Err(e) => html! { ul.problems role="alert" { @for l in pages::lines(&e) { li { (l) } } } },
        };
        list_page(&d, who, Some(notice))
    })
    .await
    .unwrap_or_else(|e| pages::error(&e.to_string()))
}
