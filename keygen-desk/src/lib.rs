//! The sales desk in the browser (issue 22): one server holds the signing key, people sign
//! in, and every action is recorded with the person's name. Pages are rendered on the server
//! (maud escapes every value) and work without JavaScript; the operations are `keygen_core::ops`,
//! the same the command line calls.
//!
//! Files: `cli` (flags, `desk user ...`), `serve` (listening, TLS, connection limits),
//! `session` (sessions, sign-in's checks, CSRF tokens), `visit` (who is asking), `extract`
//! (the session, role and CSRF checks as extractors), `failure` (errors as HTTP answers),
//! `auth` (the sign-in throttle and the journal's queue), `guard` (headers, the Host and
//! Origin checks, limits), `names` (how people's names compare), `pages` (the layout),
//! `writer` (the issuing queue), and the pages: `routes` (one file per resource, and the
//! table of every route), `people` and `batch`.

pub mod api;
pub mod auth;
pub mod batch;
pub mod extract;
pub mod failure;
pub mod fields;
pub mod guard;
pub mod lru;
pub mod pages;
pub mod people;
pub mod routes;
pub mod serve;
pub mod session;
pub mod visit;
pub mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use keygen_core::template::Folder;

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
    /// The longest a client may take to send a request's headers, and the longest an open
    /// connection may wait for its next request.
    pub header_read: Duration,
    /// Connections open at once...
    pub connections: usize,
    /// ...and from one client address (a trusted proxy's are not counted).
    pub connections_per_address: usize,
    /// Sessions held at once; a new one beyond this ends the one used least recently.
    pub sessions: usize,
    /// Wrong passwords from one client address that stop its sign-ins for `lockout_for`.
    pub address_failures: u32,
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
            header_read: Duration::from_secs(10),
            connections: 2048,
            connections_per_address: 256,
            sessions: 10_000,
            address_failures: 20,
        }
    }
}

/// The desk: the signing key (in memory only, wiped when dropped; or a session to the token
/// that holds it), where the
/// ledger is, and the sessions.
pub struct Desk {
    /// The signing key.
    pub signer: keygen_core::token::AnySigner,
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
    /// Signed-in people.
    pub sessions: session::Store,
    /// Batch uploads waiting for confirmation or download.
    pub uploads: batch::Uploads,
    /// The issuing queue (group commit).
    pub queue: writer::Queue,
    /// The names and origins the desk answers to, and the proxies it trusts.
    pub site: guard::Site,
    /// Wrong passwords counted, per account and per client address.
    pub throttle: auth::Throttle,
    /// Sign-ins and refusals, on their way to the ledger's journal.
    pub journal: auth::Journal,
    /// The key of the sign-in form's tokens (made at start, never stored).
    pub signin_key: session::SigninKey,
    /// A connection that reads people's rows for every request's session check.
    pub people: session::PeopleReader,
    /// The JSON API's rate limits (issue 32).
    pub api: api::Api,
}

impl Desk {
    /// A desk with no one signed in.
    pub fn new(
        signer: keygen_core::token::AnySigner,
        key_path: PathBuf,
        ledger: PathBuf,
        templates: Folder,
        limits: Limits,
        site: guard::Site,
    ) -> Result<State, keygen_core::error::Error> {
        // The dummy hash that sign-in checks for unknown names is made now, not by the first
        // such sign-in (which would take twice as long as the others).
        session::prepare();
        let signin_key = session::SigninKey::new()?;
        Ok(Arc::new_cyclic(|me| Desk {
            signer,
            key_path,
            journal: auth::Journal::new(me.clone()),
            people: session::PeopleReader::new(ledger.clone()),
            ledger,
            templates,
            tls: site.tls,
            limits,
            sessions: session::Store::new(limits.sessions),
            uploads: batch::Uploads::default(),
            queue: writer::Queue::default(),
            site,
            throttle: auth::Throttle::default(),
            signin_key,
            api: api::Api::default(),
        }))
    }
}

/// The shared state of every handler.
pub type State = Arc<Desk>;

/// The desk's routes, with the guards of `guard` around them.
pub fn app(desk: State) -> Router {
    let limits = desk.limits;
    Router::new()
        .merge(routes::table().router())
        .layer(axum::middleware::from_fn_with_state(desk.clone(), guard::guard))
        // The API (issue 32) has its own guard: a Bearer token, no cookie, so no Origin check.
        .merge(api::router(desk.clone()))
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
    f: impl FnOnce() -> Result<T, keygen_core::error::Error> + Send + 'static,
) -> Result<T, keygen_core::error::Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| keygen_core::error::Error::input(format!("the desk's worker failed: {e}")))?
}
