//! The desk's JSON API (issue 32), under `/api/v1/`: keys issued, read, found, renewed,
//! amended and revoked by programs (a CRM, a shop's fulfillment webhook) with the same
//! operations and role rules as the pages.
//!
//! A caller is an API token (`Authorization: Bearer`), never a cookie: no request of another
//! site can carry it, so the API has no CSRF surface and is outside the pages' Origin check
//! (the Host check stays). A token is looked up by its SHA-256 in the ledger at every request
//! (a removed or expired token is refused from its next request on), compared in constant
//! time, and rate limited per token (429 with `Retry-After`). Errors are RFC 9457 problem
//! details naming the field. Work is recorded as `api:NAME` (a shop's as `shop:NAME`).
//!
//! Files: `cli` (`desk token`, `desk shop`), `problem`, `auth` (the token, its role, its
//! rate), `keys` (the key operations), `fulfill` (Standard Webhooks), `openapi` (the document), `page` (the tokens on the People page).

pub mod auth;
pub mod fulfill;
pub mod keys;
pub mod openapi;
pub mod page;
pub mod problem;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use auth::Api;

/// The largest API request body: a key's terms or a shop's order are a few hundred bytes.
pub const BODY_BYTES: usize = 64 << 10;

/// The API's routes, with its own guard (the Host check and the headers, no Origin check).
pub fn router(desk: super::State) -> Router<super::State> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/api/v1/keys", post(keys::issue).get(keys::find))
        .route("/api/v1/keys/{serial}", get(keys::read))
        .route("/api/v1/keys/{serial}/renew", post(keys::renew))
        .route("/api/v1/keys/{serial}/amend", post(keys::amend))
        .route("/api/v1/revocations", post(keys::revoke))
        .route("/api/v1/report", get(keys::report))
        .route("/api/v1/fulfill/{shop}", post(fulfill::fulfill))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(desk, guard))
}

/// What every API request passes: its `Host` must be one the desk serves (as for the pages);
/// every answer is not to be cached and not to be sniffed.
async fn guard(State(desk): State<super::State>, request: Request, next: Next) -> Response {
    let mut response = if desk.site.serves(request.headers()) {
        next.run(request).await
    } else {
        problem::Problem::new(
            StatusCode::MISDIRECTED_REQUEST,
            "This desk does not serve the host this request names (its Host header).",
        )
        .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if desk.tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}
