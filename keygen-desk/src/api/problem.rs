//! RFC 9457 problem details (`application/problem+json`): the status, a title, what is wrong,
//! and the field it is about (`field`, and every field's problem in `errors`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use keygen_core::error::Error;

/// One field's problem.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field (a JSON member, a query parameter or a header).
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

/// A problem (RFC 9457), boxed: it is the error of most of the API's functions.
#[derive(Clone, Debug)]
pub struct Problem(Box<Details>);

/// A problem's members (RFC 9457).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct Details {
    /// Always `about:blank`: the status and the title say what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's own words.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What is wrong, for a person.
    pub detail: String,
    /// The field it is about, when it is about one (the first of `errors`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field's problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// The key an order already has (a 409 of an order issued with other terms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    /// A problem with this status and detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem(Box::new(Details {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            errors: Vec::new(),
            serial: None,
            retry_after: None,
        }))
    }

    /// A 422 about `field`.
    pub fn field(field: &str, detail: impl Into<String>) -> Problem {
        Problem::fields(vec![FieldProblem { field: field.to_owned(), detail: detail.into() }])
    }

    /// A 422 about these fields (at least one).
    pub fn fields(errors: Vec<FieldProblem>) -> Problem {
        let detail =
            errors.iter().map(|e| format!("{}: {}", e.field, e.detail)).collect::<Vec<_>>().join("; ");
        let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail);
        p.0.field = errors.first().map(|e| e.field.clone());
        p.0.errors = errors;
        p
    }

    /// With a status other than the one made.
    pub fn status(mut self, status: StatusCode) -> Problem {
        self.0.status = status.as_u16();
        self.0.title = status.canonical_reason().unwrap_or("Error").to_owned();
        self
    }

    /// Naming the key an order has.
    pub fn serial(mut self, serial: &str) -> Problem {
        self.0.serial = Some(serial.to_owned());
        self
    }

    /// Answered with `Retry-After` (seconds).
    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.0.retry_after = Some(seconds);
        self
    }

    /// A problem of an operation's error: the ledger's or the desk's own failures are 500
    /// (their words kept for the desk's operator, not the caller: they name files), a missing
    /// key 404, a conflict with what is recorded 409, anything else about the input 422
    /// (about `field` when given).
    pub fn of(desk: &crate::Desk, e: &Error, field: Option<&str>) -> Problem {
        let text = crate::failure::said(desk, e).join("\n");
        match e {
            e if e.is_unavailable() => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The desk cannot reach its ledger's database just now: try again in a moment.",
            )
            .retry_after(5),
            Error::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, text),
            Error::Conflict(_) | Error::OrderIssued { .. } => Problem::new(StatusCode::CONFLICT, text),
            Error::Invalid { field: f, .. } => Problem::field(field.unwrap_or(f.name()), text),
            Error::Missing { .. } => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, text),
            // Kinds the core does not tell apart yet: told by their words.
            Error::Input(_) | Error::Inputs(_) | Error::Checked { .. } | Error::Rows(_) => {
                if text.contains("is not in the ledger") || text.contains("was never issued") {
                    Problem::new(StatusCode::NOT_FOUND, text)
                } else if text.contains("already") {
                    Problem::new(StatusCode::CONFLICT, text)
                } else if text.contains("cannot sign keys now") || text.contains("queue has stopped") {
                    Problem::new(StatusCode::SERVICE_UNAVAILABLE, text)
                } else {
                    match field {
                        Some(f) => Problem::field(f, text),
                        None => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, text),
                    }
                }
            }
            _ => {
                cli_support::warn(&format!("keygen desk: API: {e}"));
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The desk could not do it; its operator sees why in its log.",
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.0.retry_after;
        let mut r = (status, serde_json::to_string(&self.0).unwrap_or_default()).into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(s) = retry
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            h.insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// A JSON body read as `T`, or a problem naming the field serde found wrong.
pub fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        // serde names the member in backquotes: "missing field `organization`", "unknown
        // field `x`", or "invalid type: ..." at a line and column (no field then).
        let field = text.split('`').nth(1).filter(|f| !f.is_empty() && f.len() <= 64).unwrap_or("body");
        let p = Problem::field(field, format!("the body is not the JSON this operation reads: {text}"));
        if field == "body" { p.status(StatusCode::BAD_REQUEST) } else { p }
    })
}

/// The body's bytes, or a problem (413 past [`super::BODY_BYTES`]).
pub fn body(
    bytes: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::body::Bytes, Problem> {
    bytes.map_err(|e| Problem::new(e.status(), format!("the body could not be read: {e}")).status(e.status()))
}
