//! Who calls the API: the token of `Authorization: Bearer`, looked up by its SHA-256 in the
//! ledger at every request (a removed or expired token is refused at once), its role checked
//! as the pages check a person's, and its rate limited (a token bucket per token).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::problem::Problem;
use keygen_core::db::people::Role;
use keygen_core::db::{Db, tokens};
use keygen_core::error::Error;

/// Requests per second a token may make, sustained...
pub const RATE: f64 = 1000.0;
/// ...and at once after a pause.
pub const BURST: f64 = 2000.0;
/// A token's use is written to the ledger at most this often (`desk token list`).
const NOTE_USE_EVERY: Duration = Duration::from_secs(60);
/// Callers remembered by the rate limiter at once (the oldest are forgotten beyond).
const CALLERS: usize = 10_000;

/// The API's memory: each caller's bucket and when its use was last written.
pub struct Api {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    noted: Mutex<HashMap<String, Instant>>,
    /// Requests per second per caller, sustained, and at once.
    pub rate: Mutex<(f64, f64)>,
}

impl Default for Api {
    fn default() -> Api {
        Api { buckets: Mutex::default(), noted: Mutex::default(), rate: Mutex::new((RATE, BURST)) }
    }
}

impl Api {
    /// Takes one request from `caller`'s bucket; the seconds to wait when it is empty.
    pub fn take(&self, caller: &str) -> Result<(), u64> {
        let (rate, burst) = *self.rate.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= CALLERS && !buckets.contains_key(caller) {
            // Full buckets are the same as none: forget those.
            buckets.retain(|_, (level, at)| *level + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (level, at) = buckets.entry(caller.to_owned()).or_insert((burst, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            // Whole seconds, at least one (`Retry-After` has no fractions).
            Err(((1.0 - *level) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Whether `name`'s use should be written now (at most every [`NOTE_USE_EVERY`]).
    fn note(&self, name: &str) -> bool {
        let now = Instant::now();
        let mut noted = self.noted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match noted.get(name) {
            Some(at) if now.duration_since(*at) < NOTE_USE_EVERY => false,
            _ => {
                noted.insert(name.to_owned(), now);
                true
            }
        }
    }
}

/// A caller let in.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// What the ledger records its work as (`api:NAME`).
    pub actor: String,
}

fn unauthorized(detail: &str) -> Response {
    let mut r = Problem::new(StatusCode::UNAUTHORIZED, detail).into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"keygen desk\""));
    r
}

/// The caller of `headers`, if its token is the ledger's, not expired, of at least `need`,
/// and within its rate; otherwise the answer (401, 403 or 429).
pub async fn require(desk: &crate::State, headers: &HeaderMap, need: Role) -> Result<Caller, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "This needs an API token: Authorization: Bearer TOKEN (keygen desk token add).",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty() && t.len() <= 200);
    let Some(token) = token else {
        return Err(unauthorized("The Authorization header is not: Bearer TOKEN."));
    };
    let hash = tokens::hash(token);
    let d = desk.clone();
    let h = hash.clone();
    let found = crate::blocking(move || match Db::open_read(&d.ledger) {
        Ok(db) => db.conn().token_by_hash(&h).map_err(Error::db("cannot read the ledger's API tokens")),
        Err(Error::Input(_)) => Ok(None),
        Err(e) => Err(e),
    })
    .await
    .map_err(|e| Problem::of(desk, &e, None).into_response())?;
    // Looked up by hash (which tells nothing of the token), then compared in constant time.
    let Some((t, _)) = found.filter(|(_, stored)| bool::from(stored.as_bytes().ct_eq(hash.as_bytes())))
    else {
        return Err(unauthorized("This token is not one of the desk's (it was removed, or mistyped)."));
    };
    let today = product_key::Day::today().map(|d| d.to_string()).unwrap_or_default();
    if t.expires.as_deref().is_some_and(|last| last < today.as_str()) {
        return Err(unauthorized("This token has expired."));
    }
    let actor = tokens::actor(&t.name);
    if let Err(seconds) = desk.api.take(&actor) {
        return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("This token made more requests than the desk takes; try again in {seconds} s."),
        )
        .retry_after(seconds)
        .into_response());
    }
    if t.role < need {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            format!("This token's role ({}) may not do this: it needs {need}.", t.role),
        )
        .into_response());
    }
    if desk.api.note(&t.name) {
        let d = desk.clone();
        let name = t.name.clone();
        // Nobody waits for it: the answer does not depend on when the use is written.
        tokio::task::spawn_blocking(move || {
            let written = Db::open_write(&d.ledger)
                .and_then(|db| db.note_token_used(&name, &keygen_core::key_record::now_rfc3339()));
            if let Err(e) = written {
                cli_support::warn(&format!("keygen desk: token {name}'s use not noted: {e}"));
            }
        });
    }
    Ok(Caller { role: t.role, actor, name: t.name })
}
