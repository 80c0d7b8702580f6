//! The sales desk in the browser (issue 22): one server holds the signing key, people sign
//! in, and every action is recorded with the person's name. Pages are rendered on the server
//! (maud escapes every value) and work without JavaScript; the operations are `crate::ops`,
//! the same the command line calls.
//!
//! Files: `cli` (flags, `desk user ...`), `serve` (listening, TLS), `session` (sign-in,
//! sessions, CSRF tokens), `guard` (headers, the Origin check, limits), `pages` (the layout),
//! and one file of handlers per page.

pub mod batch;
pub mod cli;
pub mod guard;
pub mod handlers;
pub mod keys;
pub mod pages;
pub mod people;
pub mod serve;
pub mod session;
pub mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use product_key::Signer;

use crate::template::Folder;

/// How long things last at the desk.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A session ends after this long without a request...
    pub idle: Duration,
    /// ...and this long after sign-in in any case.
    pub absolute: Duration,
    /// Wrong passwords in a row that lock an account...
    pub lockout_after: u32,
    /// ...for this long.
    pub lockout_for: Duration,
    /// The largest request body (a batch upload is the largest).
    pub body_bytes: usize,
    /// The longest a request may take.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(10 * 3600),
            lockout_after: 5,
            lockout_for: Duration::from_secs(15 * 60),
            body_bytes: 8 << 20,
            request_timeout: Duration::from_secs(120),
        }
    }
}

/// The desk: the signing key (in memory only; `Signer` wipes it when dropped), where the
/// ledger is, and the sessions.
pub struct Desk {
    /// The signing key.
    pub signer: Signer,
    /// Its file, named in messages.
    pub key_path: PathBuf,
    /// The ledger.
    pub ledger: PathBuf,
    /// The templates.
    pub templates: Folder,
    /// Served over TLS (cookies are `Secure` then).
    pub tls: bool,
    /// Timeouts and limits.
    pub limits: Limits,
    /// Signed-in and signing-in visitors.
    pub sessions: session::Store,
    /// Batch uploads waiting for confirmation or download.
    pub uploads: batch::Uploads,
    /// The issuing queue (group commit).
    pub queue: writer::Queue,
}

/// The shared state of every handler.
pub type State = Arc<Desk>;

/// The desk's routes, with the guards of `guard` around them.
pub fn app(desk: State) -> Router {
    let limits = desk.limits;
    Router::new()
        .route("/", get(handlers::home))
        .route("/static/desk.js", get(handlers::script))
        .route("/static/desk.css", get(handlers::style))
        .route("/signin", get(session::signin_page).post(session::signin))
        .route("/signout", post(session::signout))
        .route("/find", get(keys::find))
        .route("/key/{serial}", get(keys::key_page))
        .route("/issue", get(keys::issue_page).post(keys::issue))
        .route("/key/{serial}/renew", post(keys::renew))
        .route("/key/{serial}/amend", post(keys::amend))
        .route("/key/{serial}/revoke", post(keys::revoke_preview))
        .route("/revoke", post(keys::revoke_confirm))
        .route("/revoke/list/{sequence}", get(keys::revoke_list))
        .route("/batch", get(batch::page).post(batch::check))
        .route("/batch/confirm", post(batch::confirm))
        .route("/batch/{token}/keys.csv", get(batch::download))
        .route("/report", get(handlers::report))
        .route("/report.csv", get(handlers::report_csv))
        .route("/check", get(handlers::check_page).post(handlers::check))
        .route("/people", get(people::page).post(people::add))
        .route("/people/remove", post(people::remove))
        .layer(axum::middleware::from_fn_with_state(desk.clone(), guard::guard))
        .layer(axum::extract::DefaultBodyLimit::max(limits.body_bytes))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limits.body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .with_state(desk)
}

/// Runs blocking ledger work off the async threads; a panic there is an error, not a crash.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::error::Error> + Send + 'static,
) -> Result<T, crate::error::Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| crate::error::Error::input(format!("the desk's worker failed: {e}")))?
}
