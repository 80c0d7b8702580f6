//! What a handler is given only once the desk has checked it: the signed-in person with the
//! role a page needs ([`Signed`]), and a posted form whose CSRF token is the session's
//! ([`Posted`]). Both are extractors, run before the handler: a handler that asks for them
//! cannot run without the check, and the route table's `post` takes no handler for a
//! POST route whose last extractor has not checked a token (see [`ChecksCsrf`]).
//!
//! The answers are the desk's own: no session (or one that ended) goes to the sign-in page,
//! a role below the page's gets 403 with the role it needs, a form without the session's
//! token gets 403 and nothing is done.

use std::marker::PhantomData;

use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages;
use super::session::cookie_id;
use super::visit::{Person, Visit};
use keygen_core::db::people::Role;

/// A role a page needs, as a type: [`Support`], [`Sales`], [`Operations`], [`Admin`].
pub trait Rank: Send + Sync + 'static {
    /// The least role that may.
    const ROLE: Role;
}

macro_rules! ranks {
    ($($(#[$doc:meta])* $name:ident => $role:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $name {}
        impl Rank for $name {
            const ROLE: Role = $role;
        }
    )*};
}

ranks! {
    /// Anyone signed in (support is the least role).
    Support => Role::Support;
    /// Sales or above.
    Sales => Role::Sales;
    /// Operations or above.
    Operations => Role::Operations;
    /// Admins only.
    Admin => Role::Admin;
}

/// The signed-in person of this request, who has at least the role `R`.
pub struct Signed<R> {
    /// Their session.
    pub visit: Visit,
    /// Who they are, as read again from the ledger for this request.
    pub person: Person,
    rank: PhantomData<fn() -> R>,
}

impl<R> Signed<R> {
    /// The session and the person, as the pages take them.
    pub fn who(&self) -> (&Visit, &Person) {
        (&self.visit, &self.person)
    }
}

impl<R: Rank> FromRequestParts<super::State> for Signed<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, desk: &super::State) -> Result<Self, Response> {
        let (visit, person) = signed_in(desk, &parts.headers, R::ROLE)?;
        Ok(Signed { visit, person, rank: PhantomData })
    }
}

/// The signed-in person of this request, who must have at least `role`: otherwise the
/// answer (to the sign-in page, or 403). The person is read again from the ledger: removed,
/// or given another role or password since sign-in, the session ends here.
// The refusal is the handler's whole answer, returned once per request: not worth a box.
#[allow(clippy::result_large_err)]
pub fn signed_in(desk: &super::Desk, headers: &HeaderMap, role: Role) -> Result<(Visit, Person), Response> {
    let visit = cookie_id(headers).and_then(|id| desk.sessions.get(&id, &desk.limits));
    let Some((v, p)) = visit.and_then(|v| v.person.clone().map(|p| (v, p))) else {
        return Err(Redirect::to("/signin").into_response());
    };
    match desk.people.current(&p.name) {
        Ok(Some((now_role, now_digest))) if now_role == p.role && now_digest == p.signed_in_with => {}
        Ok(_) => {
            desk.sessions.close(&v.id);
            return Err(Redirect::to("/signin").into_response());
        }
        Err(e) => {
            // The operator's log gets the why (it names the ledger's path); the page does not.
            cli_support::warn(&format!("keygen desk: cannot check a session: {e}"));
            return Err(pages::error(
                "The desk cannot read its ledger just now: try again, or tell its operator.",
            ));
        }
    }
    if p.role >= role { Ok((v, p)) } else { Err(forbidden(&v, &p, role)) }
}

/// 403: the role does not allow it (nothing was done).
fn forbidden(visit: &Visit, person: &Person, needed: Role) -> Response {
    let body = pages::layout(
        "Not allowed",
        Some((visit, person)),
        maud::html! {
            h1 { "Not allowed" }
            p { "This needs the role " strong { (needed.name()) } " or above; you are " (person.role.name()) ". Nothing was done." }
        },
    );
    (StatusCode::FORBIDDEN, body).into_response()
}

/// 403: the form's token is not the one the desk gave (nothing was done).
pub fn stale() -> Response {
    (StatusCode::FORBIDDEN, "The form's security token is missing or stale: reload the page and try again.")
        .into_response()
}

/// Whether a form's CSRF token is the session's (compared in constant time).
#[allow(clippy::result_large_err)]
pub fn same_token(visit: &Visit, token: &str) -> Result<(), Response> {
    use subtle::ConstantTimeEq;
    if bool::from(visit.csrf.as_bytes().ct_eq(token.as_bytes())) { Ok(()) } else { Err(stale()) }
}

/// A posted body that carries a CSRF token.
pub trait Token {
    /// Sent as `multipart/form-data` (an upload), not as a URL-encoded form.
    const MULTIPART: bool = false;
    /// The token sent (empty when there was none).
    fn token(&self) -> &str;
}

impl<T: Token> Token for Form<T> {
    const MULTIPART: bool = T::MULTIPART;
    fn token(&self) -> &str {
        self.0.token()
    }
}

/// A form posted by the signed-in person of this request (role `R` or above), whose CSRF
/// token is the session's: the role is checked before the body is read, the token before the
/// handler runs.
pub struct Posted<R, B> {
    /// Their session.
    pub visit: Visit,
    /// Who they are.
    pub person: Person,
    /// The body, as `B` reads it (`Form<T>`, or an upload).
    pub body: B,
    rank: PhantomData<fn() -> R>,
}

impl<R: Rank, B> FromRequest<super::State> for Posted<R, B>
where
    B: FromRequest<super::State> + Token,
    B::Rejection: IntoResponse,
{
    type Rejection = Response;

    async fn from_request(request: Request, desk: &super::State) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Signed { visit, person, .. } = Signed::<R>::from_request_parts(&mut parts, desk).await?;
        let body = B::from_request(Request::from_parts(parts, body), desk)
            .await
            .map_err(IntoResponse::into_response)?;
        same_token(&visit, body.token())?;
        Ok(Posted { visit, person, body, rank: PhantomData })
    }
}

/// An extractor that refuses a request whose CSRF token is not good, before the handler
/// runs. Only [`Posted`] and the sign-in and sign-out forms (whose tokens are checked
/// their own ways) are.
pub trait ChecksCsrf {
    /// Its body is an upload.
    const MULTIPART: bool;
}

impl<R, B: Token> ChecksCsrf for Posted<R, B> {
    const MULTIPART: bool = B::MULTIPART;
}

/// A handler's extractors (as axum's `Handler<T, _>` names them: `(M, T1, ..., Tn)`) whose
/// last one (the one that reads the body) checks a CSRF token.
pub trait EndsChecked {
    /// The body is an upload.
    const MULTIPART: bool;
}

macro_rules! ends_checked {
    ($($t:ident),*) => {
        impl<M, $($t,)* L: ChecksCsrf> EndsChecked for (M, $($t,)* L,) {
            const MULTIPART: bool = L::MULTIPART;
        }
    };
}

ends_checked!();
ends_checked!(T1);
ends_checked!(T1, T2);
ends_checked!(T1, T2, T3);
ends_checked!(T1, T2, T3, T4);
ends_checked!(T1, T2, T3, T4, T5);
ends_checked!(T1, T2, T3, T4, T5, T6);
