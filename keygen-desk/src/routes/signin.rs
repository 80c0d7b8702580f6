//! Signing in and out: the sign-in form (its token signed by the desk, no session yet), the
//! sign-in itself, and sign-out (the session's token).

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Form, FromRequest, Request, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::extract::{ChecksCsrf, same_token, signed_in, stale};
use crate::pages;
use crate::session::{authenticate, clear_cookie, cookie_id, set_cookie};
use crate::visit::Visit;
use keygen_core::db::people::Role;

/// `GET /signin`: the form, with a signed token; nothing is stored. Someone signed in goes
/// on to the desk.
pub async fn page(State(desk): State<crate::State>, headers: HeaderMap) -> Response {
    if cookie_id(&headers).is_some() && signed_in(&desk, &headers, Role::Support).is_ok() {
        return Redirect::to("/find").into_response();
    }
    pages::signin(&desk.signin_key.token(), None).into_response()
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: Zeroizing<String>,
    #[serde(default)]
    csrf: String,
}

/// The sign-in form, its token checked: one the desk signed, and not too old.
pub struct SignInForm(SignIn);

impl FromRequest<crate::State> for SignInForm {
    type Rejection = Response;

    async fn from_request(request: Request, desk: &crate::State) -> Result<Self, Response> {
        let Form(form) =
            Form::<SignIn>::from_request(request, desk).await.map_err(IntoResponse::into_response)?;
        if !desk.signin_key.valid(&form.csrf) {
            return Err(stale());
        }
        Ok(SignInForm(form))
    }
}

impl ChecksCsrf for SignInForm {
    const MULTIPART: bool = false;
}

/// What sign-in answers for every refusal.
pub const REFUSED: &str =
    "Wrong user or password, or the account is locked for a while after repeated failures.";

/// `POST /signin`.
pub async fn sign_in(
    State(desk): State<crate::State>,
    extensions: Extensions,
    headers: HeaderMap,
    SignInForm(form): SignInForm,
) -> Response {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let address = crate::auth::client(peer, &headers, &desk.site);
    // Each check holds Argon2's 19 MiB for tens of milliseconds: a few at a time, so a crowd
    // of sign-ins waits instead of exhausting the memory.
    static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
    let Ok(_permit) = CHECKS.acquire().await else {
        return pages::error("the desk is stopping");
    };
    let d = desk.clone();
    let outcome = crate::blocking(move || authenticate(&d, &form.user, &form.password, address)).await;
    match outcome {
        Ok(Some(person)) => {
            let fresh = match desk.sessions.open(person) {
                Ok(v) => v,
                Err(e) => return pages::error(&e.to_string()),
            };
            let mut r = Redirect::to("/find").into_response();
            r.headers_mut().insert(header::SET_COOKIE, set_cookie(&fresh.id, desk.site.https));
            r
        }
        Ok(None) => {
            (StatusCode::UNAUTHORIZED, pages::signin(&desk.signin_key.token(), Some(REFUSED))).into_response()
        }
        Err(e) => pages::error(&e.to_string()),
    }
}

/// The sign-out form.
#[derive(Deserialize)]
struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

/// A sign-out: the session of the request, if it has one, whose token the form carries.
/// Without a session there is nothing to end (and no token to check).
pub struct SignOut(Option<Visit>);

impl FromRequest<crate::State> for SignOut {
    type Rejection = Response;

    async fn from_request(request: Request, desk: &crate::State) -> Result<Self, Response> {
        let visit = cookie_id(request.headers()).and_then(|id| desk.sessions.get(&id, &desk.limits));
        let Form(form) =
            Form::<TokenOnly>::from_request(request, desk).await.map_err(IntoResponse::into_response)?;
        if let Some(v) = &visit {
            same_token(v, &form.csrf)?;
        }
        Ok(SignOut(visit))
    }
}

impl ChecksCsrf for SignOut {
    const MULTIPART: bool = false;
}

/// `POST /signout`.
pub async fn sign_out(State(desk): State<crate::State>, SignOut(visit): SignOut) -> Response {
    if let Some(visit) = visit {
        desk.sessions.close(&visit.id);
        crate::batch::discard_session(&desk, &visit.id);
    }
    let mut r = Redirect::to("/signin").into_response();
    r.headers_mut().insert(header::SET_COOKIE, clear_cookie(desk.site.https));
    r
}
