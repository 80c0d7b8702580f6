//! Sessions: 256-bit random ids in an HttpOnly, SameSite=Strict cookie (Secure under TLS),
//! kept in memory (a restart signs everyone out, as the signing key's passphrase is asked
//! again anyway); idle and absolute timeouts; a new id at sign-in; a CSRF token per session.
//! Sign-in answers the same, in about the same time, for an unknown name, a wrong password
//! and a locked account: a password is always checked against an Argon2id hash (a dummy one
//! for an unknown name).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::pages;
use crate::db::people::{self, Role};
use crate::db::{Db, people::verify_password};
use crate::error::Error;
use crate::record::now_rfc3339;

/// The cookie's name.
pub const COOKIE: &str = "desk_session";

/// A person signed in.
#[derive(Clone, Debug)]
pub struct Person {
    /// Their name, recorded with what they do.
    pub name: String,
    /// Their role.
    pub role: Role,
}

struct Session {
    person: Option<Person>,
    csrf: String,
    created: Instant,
    last: Instant,
}

/// The sessions, by id.
#[derive(Default)]
pub struct Store {
    map: Mutex<HashMap<String, Session>>,
}

/// A visitor's session as a handler sees it.
#[derive(Clone, Debug)]
pub struct Visit {
    /// The session id (the cookie's value).
    pub id: String,
    /// The person, once signed in.
    pub person: Option<Person>,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
}

/// 256 random bits as 64 hex digits.
pub fn random_token() -> Result<String, Error> {
    use rand::TryRng;
    let mut bytes = [0u8; 32];
    rand::rngs::SysRng.try_fill_bytes(&mut bytes).map_err(|e| Error::input(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

impl Store {
    /// A new session (a visitor about to sign in has one too, for the sign-in form's token).
    pub fn open(&self, person: Option<Person>) -> Result<Visit, Error> {
        let id = random_token()?;
        let csrf = random_token()?;
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.insert(
            id.clone(),
            Session { person: person.clone(), csrf: csrf.clone(), created: now, last: now },
        );
        Ok(Visit { id, person, csrf })
    }

    /// The live session of `id`, its idle time restarted; an expired one is dropped.
    pub fn get(&self, id: &str, limits: &super::Limits) -> Option<Visit> {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Expired sessions are dropped as they are met, and all of them now and then.
        if map.len() > 10_000 {
            map.retain(|_, s| live(s, now, limits));
        }
        let s = map.get_mut(id)?;
        if !live(s, now, limits) {
            map.remove(id);
            return None;
        }
        s.last = now;
        Some(Visit { id: id.to_owned(), person: s.person.clone(), csrf: s.csrf.clone() })
    }

    /// Whether `id` is a live session (its idle time not restarted).
    pub fn is_live(&self, id: &str, limits: &super::Limits) -> bool {
        let map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(id).is_some_and(|s| live(s, Instant::now(), limits))
    }

    /// Ends a session.
    pub fn close(&self, id: &str) {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(id);
    }

    /// Ends every session of a person (removed, or given a new password).
    pub fn close_person(&self, name: &str) {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, s| s.person.as_ref().is_none_or(|p| p.name != name));
    }
}

fn live(s: &Session, now: Instant, limits: &super::Limits) -> bool {
    now.duration_since(s.last) < limits.idle && now.duration_since(s.created) < limits.absolute
}

/// The session id in the request's cookie, if any.
pub fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE && v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|(_, v)| v.to_owned())
}

/// The `Set-Cookie` of a session.
pub fn set_cookie(id: &str, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("desk_session=; Path=/"))
}

/// The `Set-Cookie` that ends it in the browser.
pub fn clear_cookie(tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("desk_session=; Path=/"))
}

/// The signed-in person of this request, who must have at least `role`: otherwise the
/// answer (to the sign-in page, or 403).
// The refusal is the handler's whole answer, returned once per request: not worth a box.
#[allow(clippy::result_large_err)]
pub fn require(desk: &super::Desk, headers: &HeaderMap, role: Role) -> Result<(Visit, Person), Response> {
    let visit = cookie_id(headers).and_then(|id| desk.sessions.get(&id, &desk.limits));
    match visit {
        Some(v) => match v.person.clone() {
            Some(p) if p.role >= role => Ok((v, p)),
            Some(p) => Err(forbidden(&v, &p, role)),
            None => Err(Redirect::to("/signin").into_response()),
        },
        None => Err(Redirect::to("/signin").into_response()),
    }
}

/// 403: the role does not allow it (nothing was done).
pub fn forbidden(visit: &Visit, person: &Person, needed: Role) -> Response {
    let body = pages::layout(
        "Not allowed",
        Some((visit, person)),
        maud::html! {
            h1 { "Not allowed" }
            p { "This needs the role " strong { (needed.name()) } " or above; you are " (person.role.name()) ". Nothing was done." }
        },
    );
    (StatusCode::FORBIDDEN, body).into_response()
}

/// Checks a form's CSRF token against the session's (in constant time).
#[allow(clippy::result_large_err)]
pub fn check_csrf(visit: &Visit, token: &str) -> Result<(), Response> {
    use subtle::ConstantTimeEq;
    if bool::from(visit.csrf.as_bytes().ct_eq(token.as_bytes())) {
        Ok(())
    } else {
        Err((
            StatusCode::FORBIDDEN,
            "The form's security token is missing or stale: reload the page and try again.",
        )
            .into_response())
    }
}

/// `GET /signin`.
pub async fn signin_page(State(desk): State<super::State>, headers: HeaderMap) -> Response {
    // An anonymous session carries the sign-in form's token.
    let existing = cookie_id(&headers).and_then(|id| desk.sessions.get(&id, &desk.limits));
    let visit = match existing {
        Some(v) if v.person.is_some() => return Redirect::to("/find").into_response(),
        Some(v) => v,
        None => match desk.sessions.open(None) {
            Ok(v) => v,
            Err(e) => return pages::error(&e.to_string()),
        },
    };
    let mut response = pages::signin(&visit.csrf, None).into_response();
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(&visit.id, desk.tls));
    response
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignIn {
    user: String,
    password: Zeroizing<String>,
    csrf: String,
}

/// What sign-in answers for every refusal.
pub const REFUSED: &str =
    "Wrong user or password, or the account is locked for a while after repeated failures.";

/// `POST /signin`.
pub async fn signin(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let Some(visit) = cookie_id(&headers).and_then(|id| desk.sessions.get(&id, &desk.limits)) else {
        return Redirect::to("/signin").into_response();
    };
    if let Err(r) = check_csrf(&visit, &form.csrf) {
        return r;
    }
    let d = desk.clone();
    let user = form.user.clone();
    // Each check holds Argon2's 19 MiB for tens of milliseconds: a few at a time, so a crowd
    // of sign-ins waits instead of exhausting the memory.
    static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
    let Ok(_permit) = CHECKS.acquire().await else {
        return pages::error("the desk is stopping");
    };
    let outcome = super::blocking(move || authenticate(&d, &user, &form.password)).await;
    match outcome {
        Ok(Some(person)) => {
            // A new id at sign-in: the anonymous session's id is never a signed-in one.
            desk.sessions.close(&visit.id);
            let fresh = match desk.sessions.open(Some(person)) {
                Ok(v) => v,
                Err(e) => return pages::error(&e.to_string()),
            };
            let mut r = Redirect::to("/find").into_response();
            r.headers_mut().insert(header::SET_COOKIE, set_cookie(&fresh.id, desk.tls));
            r
        }
        Ok(None) => (StatusCode::UNAUTHORIZED, pages::signin(&visit.csrf, Some(REFUSED))).into_response(),
        Err(e) => pages::error(&e.to_string()),
    }
}

/// A hash that no password matches in practice, checked for an unknown name so that it
/// takes as long as a known one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = random_token().unwrap_or_else(|_| "x".repeat(64));
        people::hash_password(&password).unwrap_or_default()
    })
}

/// Checks a name and password; records failures (and the lock) and sign-ins in the ledger.
pub fn authenticate(desk: &super::Desk, user: &str, password: &str) -> Result<Option<Person>, Error> {
    let mut db = Db::open_write(&desk.ledger, false)?
        .ok_or_else(|| Error::input(format!("no ledger at {}", desk.ledger.display())))?;
    let what = || Error::db(format!("cannot read the ledger {}", desk.ledger.display()));
    let found = people::get(db.conn(), user).map_err(what())?;
    let (hash, person) = match &found {
        Some((p, hash)) => (hash.as_str(), Some(p)),
        None => (dummy_hash(), None),
    };
    let matches = verify_password(password, hash);
    let now = now_rfc3339();
    let tx = db.begin_write(&desk.key_path)?;
    let outcome = match person {
        Some(p) if p.locked_until.as_deref().is_some_and(|t| t > now.as_str()) => {
            people::event(tx.conn(), &now, &p.name, "sign-in refused", "account locked").map_err(what())?;
            None
        }
        Some(p) if matches => {
            people::succeeded(tx.conn(), &p.name).map_err(what())?;
            people::event(tx.conn(), &now, &p.name, "signed in", "").map_err(what())?;
            Some(Person { name: p.name.clone(), role: p.role })
        }
        Some(p) => {
            let until = rfc3339_after(desk.limits.lockout_for);
            people::failed(tx.conn(), &p.name, desk.limits.lockout_after, &until).map_err(what())?;
            people::event(tx.conn(), &now, &p.name, "sign-in refused", "wrong password").map_err(what())?;
            None
        }
        None => None,
    };
    tx.commit(&desk.signer)?;
    Ok(outcome)
}

/// Now plus `d`, as RFC 3339 UTC (the form `now_rfc3339` writes, so they compare as text).
fn rfc3339_after(d: Duration) -> String {
    let secs =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|n| n.as_secs()).unwrap_or_default()
            + d.as_secs();
    let day = product_key::Day::from_days(u16::try_from(secs / 86_400).unwrap_or(u16::MAX));
    let s = secs % 86_400;
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// The sign-out form.
#[derive(Deserialize)]
pub struct Token {
    csrf: String,
}

/// `POST /signout`.
pub async fn signout(
    State(desk): State<super::State>,
    headers: HeaderMap,
    Form(form): Form<Token>,
) -> Response {
    if let Some(visit) = cookie_id(&headers).and_then(|id| desk.sessions.get(&id, &desk.limits)) {
        if let Err(r) = check_csrf(&visit, &form.csrf) {
            return r;
        }
        desk.sessions.close(&visit.id);
    }
    let mut r = Redirect::to("/signin").into_response();
    r.headers_mut().insert(header::SET_COOKIE, clear_cookie(desk.tls));
    r
}
