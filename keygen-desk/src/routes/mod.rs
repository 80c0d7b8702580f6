//! The desk's pages, one file per resource, and [`table`]: every route, in one place.
//!
//! The people page and the batch upload keep their own files beside this folder
//! (`desk/people.rs`, `desk/batch.rs`); they are routes like these.

pub mod account;
pub mod assets;
pub mod find;
pub mod key;
pub mod key_check;
pub mod new_key;
pub mod reissue;
pub mod renewals;
pub mod revocation;
pub mod signin;

use axum::Router;
use axum::handler::Handler;

use super::extract::EndsChecked;
use super::{batch, people};

/// Every route of the desk's pages.
pub fn table() -> Table {
    Table::default()
        .get("/", assets::home)
        .get("/static/desk.js", assets::script)
        .get("/static/desk.css", assets::style)
        .get("/signin", signin::page)
        .post("/signin", signin::sign_in)
        .post("/signout", signin::sign_out)
        .get("/find", find::page)
        .get("/key/{serial}", key::page)
        .get("/issue", new_key::page)
        .post("/issue", new_key::issue)
        .post("/key/{serial}/renew", reissue::renew)
        .post("/key/{serial}/amend", reissue::amend)
        .post("/key/{serial}/revoke", revocation::preview)
        .post("/revoke", revocation::confirm)
        .get("/revoke/list/{sequence}", revocation::list)
        .get("/batch", batch::page)
        .post("/batch", batch::check)
        .post("/batch/confirm", batch::confirm)
        .get("/batch/{token}/keys.csv", batch::download)
        .get("/report", renewals::page)
        .get("/report.csv", renewals::csv)
        .get("/check", key_check::page)
        .post("/check", key_check::check)
        .get("/people", people::page)
        .post("/people", people::add)
        .post("/people/remove", people::remove)
        .post("/people/password", people::reset_password)
        .post("/people/unlock", people::unlock)
        .post("/people/tokens", crate::api::page::add)
        .post("/people/tokens/remove", crate::api::page::remove)
        .get("/account", account::page)
        .post("/account", account::change_password)
}

/// A POST route, as [`Table`] recorded it.
#[derive(Clone, Copy, Debug)]
pub struct PostRoute {
    /// Its path (with `{name}` where a value goes).
    pub path: &'static str,
    /// It takes an upload (`multipart/form-data`), not a URL-encoded form.
    pub multipart: bool,
}

/// The routes, and the POST ones among them (every one checks a CSRF token).
#[derive(Default)]
pub struct Table {
    router: Router<super::State>,
    posts: Vec<PostRoute>,
}

impl Table {
    /// A page read with GET (and HEAD).
    pub fn get<H, T>(mut self, path: &'static str, handler: H) -> Table
    where
        H: Handler<T, super::State>,
        T: 'static,
    {
        self.router = self.router.route(path, axum::routing::get(handler));
        self
    }

    /// A form posted to `path`: `handler`'s last extractor must check the form's CSRF token
    /// ([`super::extract::ChecksCsrf`]), or this does not compile:
    ///
    /// ```
    /// use axum::extract::Form;
    /// use keygen_desk::extract::{Posted, Sales, Token};
    /// #[derive(serde::Deserialize)]
    /// struct Note { csrf: String }
    /// impl Token for Note { fn token(&self) -> &str { &self.csrf } }
    /// async fn note(_: Posted<Sales, Form<Note>>) {}
    /// let _ = keygen_desk::routes::Table::default().post("/note", note);
    /// ```
    ///
    /// ```compile_fail,E0277
    /// use axum::extract::Form;
    /// use keygen_desk::extract::{Signed, Sales};
    /// #[derive(serde::Deserialize)]
    /// struct Note { csrf: String }
    /// // Signed in, with the role, but the form's token is never checked.
    /// async fn note(_: Signed<Sales>, _: Form<Note>) {}
    /// let _ = keygen_desk::routes::Table::default().post("/note", note);
    /// ```
    pub fn post<H, T>(mut self, path: &'static str, handler: H) -> Table
    where
        H: Handler<T, super::State>,
        T: EndsChecked + 'static,
    {
        self.router = self.router.route(path, axum::routing::post(handler));
        self.posts.push(PostRoute { path, multipart: T::MULTIPART });
        self
    }

    /// The POST routes.
    pub fn posts(&self) -> &[PostRoute] {
        &self.posts
    }

    /// The router.
    pub fn router(self) -> Router<super::State> {
        self.router
    }
}

pub use crate::fields::given;
