//! What went wrong, as the desk answers it: a field or input that is not good (422, shown on
//! the page it came from), something asked for that is not there (404), a ledger the desk
//! cannot open or read or that is not as its signed head says (500: never "no results"), or
//! a failure of the desk itself (500). The words are the error's, with the server's paths
//! named by what they are, never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::pages::layout;
use super::visit::{Person, Visit};
use keygen_core::db::Db;
use keygen_core::error::Error;

/// Why a page could not give what was asked.
#[derive(Debug)]
pub enum Failure {
    /// An input is not good; nothing was done.
    Invalid(Vec<String>),
    /// What was asked for is not there.
    NotFound(Vec<String>),
    /// The request clashes with what the ledger holds (an order issued already, a key
    /// replaced or revoked already).
    Conflict(Vec<String>),
    /// The ledger cannot be opened or read, or is not as its signed head says.
    Ledger(Vec<String>),
    /// The ledger's database cannot be reached now (a server restarting): try again.
    Unavailable(Vec<String>),
    /// Anything else (a signing key, a file, the desk's own threads).
    Desk(Vec<String>),
}

impl Failure {
    /// `e`, sorted by what it says about the request.
    pub fn of(desk: &super::Desk, e: &Error) -> Failure {
        let lines = said(desk, e);
        match e {
            Error::Input(_)
            | Error::Inputs(_)
            | Error::Rows(_)
            | Error::Checked { .. }
            | Error::Invalid { .. }
            | Error::Missing { .. } => Failure::Invalid(lines),
            Error::NotFound(_) => Failure::NotFound(lines),
            Error::Conflict(_) | Error::OrderIssued { .. } => Failure::Conflict(lines),
            e if e.is_unavailable() => Failure::Unavailable(lines),
            Error::Integrity(_) | Error::Db { .. } => Failure::Ledger(lines),
            Error::Key(_) | Error::Io { .. } | Error::Interrupted(_) | Error::AfterRecording { .. } => {
                Failure::Desk(lines)
            }
        }
    }

    /// `e`, met while opening the ledger: whatever it says (a missing file, a file that is
    /// no ledger, a newer schema), the desk's ledger is not usable.
    pub fn ledger(desk: &super::Desk, e: &Error) -> Failure {
        if e.is_unavailable() {
            return Failure::Unavailable(said(desk, e));
        }
        Failure::Ledger(said(desk, e))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::NotFound(_) => StatusCode::NOT_FOUND,
            Failure::Conflict(_) => StatusCode::CONFLICT,
            Failure::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Ledger(_) | Failure::Desk(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The lines a person reads.
    pub fn lines(&self) -> &[String] {
        match self {
            Failure::Invalid(l)
            | Failure::NotFound(l)
            | Failure::Conflict(l)
            | Failure::Ledger(l)
            | Failure::Unavailable(l)
            | Failure::Desk(l) => l,
        }
    }

    /// The lines as a page's alert, with a first line that says which kind of failure it is
    /// when it is not the person's input.
    pub fn alert(&self) -> Markup {
        let lead = match self {
            Failure::Ledger(_) => {
                Some("The desk cannot read its ledger: tell its operator (keygen ledger verify).")
            }
            Failure::Unavailable(_) => {
                Some("The desk cannot reach its ledger's database just now: try again in a moment.")
            }
            Failure::Desk(_) => Some("The desk failed: tell its operator."),
            Failure::Invalid(_) | Failure::NotFound(_) | Failure::Conflict(_) => None,
        };
        html! {
            ul.problems role="alert" {
                @if let Some(l) = lead { li { (l) } }
                @for l in self.lines() { li { (l) } }
            }
        }
    }

    /// A whole page: `title`, the alert, and `back`, with this failure's status.
    pub fn page(&self, who: (&Visit, &Person), title: &str, back: Markup) -> Response {
        let body = html! { h1 { (title) } (self.alert()) (back) };
        (self.status(), layout(title, Some(who), body)).into_response()
    }

    /// `body` (a page that shows the failure in its place) with this failure's status.
    pub fn with(&self, page: Markup) -> Response {
        (self.status(), page).into_response()
    }
}

/// The ledger opened for reading, or why it cannot be.
pub fn read_ledger(desk: &super::Desk) -> Result<Db, Failure> {
    Db::open_read(&desk.ledger).map_err(|e| Failure::ledger(desk, &e))
}

/// Blocking ledger work off the async threads, its error sorted (a panic there is the
/// desk's failure, not a crash).
pub async fn blocking<T: Send + 'static>(
    desk: &super::State,
    f: impl FnOnce(&super::Desk) -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    let d = desk.clone();
    match tokio::task::spawn_blocking(move || f(&d)).await {
        Ok(r) => r,
        Err(e) => Err(Failure::Desk(vec![format!("the desk's worker failed: {e}")])),
    }
}

/// An error's lines as a page shows them: fields by their labels on the form, the server's paths (the ledger, the signing key,
/// the templates folder, the temporary folder) named by what they are, never shown.
pub fn said(desk: &super::Desk, e: &Error) -> Vec<String> {
    said_text(desk, &super::fields::message(e))
}

/// [`said`], of a text.
pub fn said_text(desk: &super::Desk, text: &str) -> Vec<String> {
    let mut text = text.to_owned();
    let named = [
        (desk.ledger.display().to_string(), "the ledger"),
        (desk.key_path.display().to_string(), "the desk's signing key"),
        (desk.templates.dir.display().to_string(), "the templates folder"),
        (std::env::temp_dir().display().to_string(), "a temporary folder"),
    ];
    for (path, name) in named {
        // A bare word ("templates", the unnamed default folder) is no path to hide, and
        // replacing it would change ordinary words of a message.
        if path.contains('/') || path.contains('.') {
            text = text.replace(&path, name);
        }
    }
    text.lines().map(str::to_owned).collect()
}
