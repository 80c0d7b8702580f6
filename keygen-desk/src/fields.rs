//! The desk's words for the core's errors: a field by its label on the form, and the HTTP
//! status a kind of failure answers with.

use axum::http::StatusCode;
use keygen_core::error::{Error, Field};

/// The form's label of `field`.
pub fn label(field: Field) -> &'static str {
    match field {
        Field::Serial => "Serial",
        Field::OrderId => "Order",
        Field::ForOrder => "Order",
        Field::Organization => "Organization",
        Field::Seats => "Seats",
        Field::Features => "Features",
        Field::AddFeature => "Add feature",
        Field::RemoveFeature => "Remove feature",
        Field::Expires => "Expires",
        Field::ValidDays => "Days",
        Field::Issued => "Issued",
        Field::Template => "Edition",
        Field::Delimiter => "Delimiter",
        Field::Encoding => "Encoding",
        Field::All => "All",
    }
}

/// What a person reads for `e`: fields by their labels.
pub fn message(e: &Error) -> String {
    match e {
        Error::Invalid { field, what } => format!("{}: {what}", label(*field)),
        Error::Missing { context, any_of } => {
            let labels: Vec<&str> = any_of.iter().map(|f| label(*f)).collect();
            let fill = format!("fill in {}", keygen_core::error::one_of(&labels));
            match context {
                Some(c) => format!("{c}: {fill}"),
                None => fill,
            }
        }
        other => other.to_string(),
    }
}

/// The status a failure answers with: the request's fault (422), what it names is absent
/// (404) or clashes with the ledger (409), the ledger refuses writes (503: an operator must
/// look), the desk's own fault (500).
pub fn status(e: &Error) -> StatusCode {
    match e {
        Error::Invalid { .. }
        | Error::Missing { .. }
        | Error::Input(_)
        | Error::Inputs(_)
        | Error::Rows(_)
        | Error::Checked { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Integrity(_) | Error::Key(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Interrupted(_) | Error::AfterRecording { .. } | Error::Db { .. } | Error::Io { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
