//! What every request passes: a state-changing request (anything but GET and HEAD) must come
//! from the desk's own pages (its `Origin`, or failing that its `Referer`, is the desk
//! itself); and every answer carries the security headers: a Content-Security-Policy with
//! no inline script and `frame-ancestors 'none'`, and `Cache-Control: no-store` (pages show
//! keys, customers' names and contacts: nothing is kept in a cache).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy: scripts and styles from the desk's own files only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The middleware.
pub async fn guard(State(desk): State<super::State>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = if safe || same_origin(request.headers(), desk.tls) {
        next.run(request).await
    } else {
        (StatusCode::FORBIDDEN, "Refused: this request did not come from the desk's own pages (its Origin).")
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if desk.tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// Whether the request's `Origin` (or, without one, its `Referer`) is the desk: the scheme
/// it is served with and the `Host` the browser asked for.
pub fn same_origin(headers: &HeaderMap, tls: bool) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let own = format!("{}://{host}", if tls { "https" } else { "http" });
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().is_ok_and(|o| o == own);
    }
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .is_some_and(|r| r == own || r.strip_prefix(&own).is_some_and(|rest| rest.starts_with('/')))
}
