//! The home address and the static files (the pages work without the script).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// `GET /`.
pub async fn home() -> Redirect {
    Redirect::to("/find")
}

/// `GET /static/desk.js`: copy buttons.
pub async fn script() -> Response {
    let mut r = include_str!("../static/desk.js").into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    r
}

/// `GET /static/desk.css`.
pub async fn style() -> Response {
    let mut r = include_str!("../static/desk.css").into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    r
}
