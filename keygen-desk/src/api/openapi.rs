//! The API's OpenAPI 3.1 document, generated from the handlers' and bodies' annotations
//! (utoipa), served at `/api/v1/openapi.json` and committed as docs/openapi.json (a test
//! fails when they differ).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{fulfill, keys, problem};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "keygen desk API", version = "1", description = "Keys for programs: issue (idempotent by order id), read, find, renew, amend, revoke, the renewal report; and the shops' fulfillment webhooks (Standard Webhooks). See docs/api.md."),
    paths(keys::issue, keys::find, keys::read, keys::renew, keys::amend, keys::revoke, keys::report, fulfill::fulfill),
    components(schemas(problem::Details, problem::FieldProblem, keys::IssueBody, keys::Seats, keys::Features, keys::KeyView, keys::Issued, keys::Found, keys::RenewBody, keys::AmendBody, keys::RevokeBody, keys::Revoked, keys::Report, keys::ReportLine, fulfill::Event, fulfill::Order)),
    modifiers(&Bearer),
    tags((name = "keys", description = "Keys, with an API token (keygen desk token add)"), (name = "fulfillment", description = "Shops' webhooks, signed with the shop's secret (keygen desk shop add)"))
)]
pub struct Doc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some("An API token of keygen desk token add"))
                        .build(),
                ),
            );
        }
    }
}

/// The document as served and committed (pretty JSON, a final newline).
pub fn text() -> String {
    let mut t = Doc::openapi().to_pretty_json().unwrap_or_default();
    t.push('\n');
    t
}

/// `GET /api/v1/openapi.json` (no token: it holds nothing of the ledger).
pub async fn serve() -> Response {
    let mut r = text().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
