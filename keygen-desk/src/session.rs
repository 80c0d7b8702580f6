//! Sessions: 256-bit random ids in an HttpOnly, SameSite=Strict cookie (Secure when the
//! browser reaches the desk over HTTPS), kept in memory (a restart signs everyone out, as the
//! signing key's passphrase is asked again anyway); idle and absolute timeouts; made at
//! sign-in only, at most `Limits::sessions` of them (the least recently used goes); a CSRF
//! token per session. Every request checks the person again in the ledger: removed, given
//! another role or another password since the session began, the session ends.
//!
//! The sign-in form's token belongs to no session: it is signed with a key made at start
//! (HMAC-SHA-256) and holds its time, so viewing the sign-in page stores nothing.
//! Sign-in answers the same, in the same time, for an unknown name, a wrong password and a
//! locked account: exactly one Argon2id check in each case (a dummy hash when there is no
//! account or the throttle refuses), and the journal's writes are queued, not waited for.

use keygen_core::db::store::LedgerRead;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::lru::Lru;
use super::visit::{Person, Visit};
use keygen_core::db::people::{self, Role};
use keygen_core::db::{Db, people::verify_password};
use keygen_core::error::Error;

/// The cookie's name.
pub const COOKIE: &str = "desk_session";

/// How long a sign-in form stays good.
pub const SIGNIN_FORM_LIFE: Duration = Duration::from_secs(3 * 3600);

struct Session {
    person: Person,
    csrf: String,
    created: Instant,
    last: Instant,
}

/// The sessions, by id.
pub struct Store {
    map: Mutex<Lru<String, Session>>,
}

impl Default for Store {
    fn default() -> Store {
        Store::new(super::Limits::default().sessions)
    }
}

/// 256 random bits as 64 hex digits.
pub fn random_token() -> Result<String, Error> {
    Ok(hex::encode(random_bytes()?))
}

fn random_bytes() -> Result<Zeroizing<[u8; 32]>, Error> {
    use rand::TryRng;
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::SysRng
        .try_fill_bytes(bytes.as_mut())
        .map_err(|e| Error::input(format!("no randomness: {e}")))?;
    Ok(bytes)
}

impl Store {
    /// A store of at most `cap` sessions.
    pub fn new(cap: usize) -> Store {
        Store { map: Mutex::new(Lru::new(cap)) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru<String, Session>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new session of `person` (at the cap, the session used least recently ends).
    pub fn open(&self, person: Person) -> Result<Visit, Error> {
        let id = random_token()?;
        let csrf = random_token()?;
        let now = Instant::now();
        self.lock().insert(
            id.clone(),
            Session { person: person.clone(), csrf: csrf.clone(), created: now, last: now },
        );
        Ok(Visit { id, person: Some(person), csrf })
    }

    /// How many sessions are held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live session of `id`, its idle time restarted; an expired one is dropped.
    pub fn get(&self, id: &str, limits: &super::Limits) -> Option<Visit> {
        let now = Instant::now();
        let mut map = self.lock();
        // The least recently used sessions are the idlest: a few expired ones go with each
        // request (nothing scans them all).
        for _ in 0..4 {
            match map.oldest() {
                Some((_, s)) if now.duration_since(s.last) >= limits.idle => map.pop_oldest(),
                _ => break,
            };
        }
        let key = id.to_owned();
        let s = map.touch(&key)?;
        if !live(s, now, limits) {
            map.remove(&key);
            return None;
        }
        s.last = now;
        Some(Visit { id: key, person: Some(s.person.clone()), csrf: s.csrf.clone() })
    }

    /// Whether `id` is a live session (its idle time not restarted).
    pub fn is_live(&self, id: &str, limits: &super::Limits) -> bool {
        self.lock().peek(&id.to_owned()).is_some_and(|s| live(s, Instant::now(), limits))
    }

    /// Ends a session.
    pub fn close(&self, id: &str) {
        self.lock().remove(&id.to_owned());
    }

    /// Ends every session of a person (removed, or given a new password) but `keep`.
    pub fn close_person(&self, name: &str, keep: Option<&str>) {
        self.lock().retain(|id, s| s.person.name != name || keep == Some(id.as_str()));
    }

    /// Sets the password digest of a session (its person changed their password in it).
    fn renew_digest(&self, id: &str, digest: [u8; 32]) {
        if let Some(s) = self.lock().peek_mut(&id.to_owned()) {
            s.person.signed_in_with = digest;
        }
    }
}

fn live(s: &Session, now: Instant, limits: &super::Limits) -> bool {
    now.duration_since(s.last) < limits.idle && now.duration_since(s.created) < limits.absolute
}

/// The digest of a password hash that a session keeps (not the hash itself).
pub fn digest(hash: &str) -> [u8; 32] {
    Sha256::digest(hash.as_bytes()).into()
}

/// A connection that reads people's rows, kept open: every request checks its person.
pub struct PeopleReader {
    ledger: PathBuf,
    conn: Mutex<Option<Db>>,
}

/// A person's row as sign-in and the session check read it.
pub struct Row {
    /// Their name as stored.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Their password hash.
    pub hash: String,
}

impl PeopleReader {
    /// The reader of `ledger` (opened when first used).
    pub fn new(ledger: PathBuf) -> PeopleReader {
        PeopleReader { ledger, conn: Mutex::new(None) }
    }

    fn with<T>(
        &self,
        f: impl Fn(&dyn LedgerRead) -> keygen_core::db::store::StoreResult<T>,
    ) -> Result<T, Error> {
        // Called from the async handlers (the session's extractor): a PostgreSQL ledger's
        // driver runs a runtime of its own, which cannot be started on a runtime's thread, so
        // on `keygen desk`'s multi-threaded runtime the read leaves it. A current-thread
        // runtime (the tests' in-process desk, on SQLite) cannot do that, and needs not.
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi { tokio::task::block_in_place(|| self.with_here(f)) } else { self.with_here(f) }
    }

    fn with_here<T>(
        &self,
        f: impl Fn(&dyn LedgerRead) -> keygen_core::db::store::StoreResult<T>,
    ) -> Result<T, Error> {
        let mut conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Once more with a new connection if the kept one fails (the file was replaced).
        for _ in 0..2 {
            if conn.is_none() {
                *conn = Some(Db::open_read(&self.ledger)?);
            }
            if let Some(db) = conn.as_ref() {
                match f(db.conn()) {
                    Ok(v) => return Ok(v),
                    Err(_) => *conn = None,
                }
            }
        }
        let db = Db::open_read(&self.ledger)?;
        f(db.conn()).map_err(Error::db(format!("cannot read the ledger {}", self.ledger.display())))
    }

    /// The person `typed` names, compared as [`keygen_core::ops::people::fold`] does (`Ada` is `ada`).
    /// The same queries run whether or not there is one.
    pub fn find(&self, typed: &str) -> Result<Option<Row>, Error> {
        let folded = keygen_core::ops::people::fold(typed);
        self.with(|c| {
            let everyone = c.people()?;
            let name = everyone
                .iter()
                .find(|p| keygen_core::ops::people::fold(&p.name) == folded)
                .map_or(typed, |p| p.name.as_str());
            Ok(c.person(name)?.map(|(p, hash)| Row { name: p.name, role: p.role, hash }))
        })
    }

    /// The role and password digest of the person named exactly `name`, if they are there.
    pub fn current(&self, name: &str) -> Result<Option<(Role, [u8; 32])>, Error> {
        self.with(|c| Ok(c.person(name)?.map(|(p, hash)| (p.role, digest(&hash)))))
    }
}

/// The key that signs the sign-in form's tokens: random, made at start, never stored.
pub struct SigninKey(Zeroizing<[u8; 32]>);

impl SigninKey {
    /// A new key.
    pub fn new() -> Result<SigninKey, Error> {
        Ok(SigninKey(random_bytes()?))
    }

    fn mac(&self, secs: u64) -> [u8; 32] {
        let mut block = Zeroizing::new([0u8; 64]);
        block[..32].copy_from_slice(self.0.as_ref());
        let pad = |byte: u8| -> Zeroizing<[u8; 64]> {
            let mut p = Zeroizing::new([0u8; 64]);
            for (o, k) in p.iter_mut().zip(block.iter()) {
                *o = k ^ byte;
            }
            p
        };
        let inner = Sha256::new()
            .chain_update(pad(0x36).as_ref())
            .chain_update(b"keygen desk sign-in form\0")
            .chain_update(secs.to_be_bytes())
            .finalize();
        Sha256::new().chain_update(pad(0x5c).as_ref()).chain_update(inner).finalize().into()
    }

    /// A token for a sign-in form shown now.
    pub fn token(&self) -> String {
        let secs = unix_now();
        format!("{secs:016x}{}", hex::encode(self.mac(secs)))
    }

    /// Whether `token` is one of ours and not older than [`SIGNIN_FORM_LIFE`].
    pub fn valid(&self, token: &str) -> bool {
        use subtle::ConstantTimeEq;
        if token.len() != 16 + 64 || !token.is_ascii() {
            return false;
        }
        let (secs, mac) = token.split_at(16);
        let Ok(secs) = u64::from_str_radix(secs, 16) else { return false };
        let now = unix_now();
        let fresh = secs <= now + 60 && now - secs.min(now) <= SIGNIN_FORM_LIFE.as_secs();
        fresh && bool::from(hex::encode(self.mac(secs)).as_bytes().ct_eq(mac.as_bytes()))
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
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
pub fn set_cookie(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("desk_session=; Path=/"))
}

/// The `Set-Cookie` that ends it in the browser.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("desk_session=; Path=/"))
}

/// A hash that no password matches in practice, checked when there is no account to check,
/// so that every sign-in takes one Argon2id check.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = random_token().unwrap_or_else(|_| "x".repeat(64));
        people::hash_password(&password).unwrap_or_default()
    })
}

/// Makes what sign-in needs before the first one (the dummy hash).
pub fn prepare() {
    dummy_hash();
}

/// Checks a name and password from `address`: the person, or `None` for every refusal.
/// Failures and sign-ins go to the journal's queue; nothing here waits for the ledger's lock.
pub fn authenticate(
    desk: &super::Desk,
    user: &str,
    password: &str,
    address: std::net::IpAddr,
) -> Result<Option<Person>, Error> {
    let found = desk.people.find(user)?;
    let account = found.as_ref().map(|r| (r.name.as_str(), digest(&r.hash)));
    let ticket = desk.throttle.reserve(account, address, &desk.limits);
    let hash = match &found {
        Some(r) if ticket.check => r.hash.as_str(),
        _ => dummy_hash(),
    };
    let ok = verify_password(password, hash) && ticket.check && found.is_some();
    desk.throttle.finish(&ticket, ok, &desk.limits);
    let Some(row) = found else {
        // Journaled as every refusal is, so that the write that follows a refusal (and slows
        // the next request a little) is no sign of a known name. The typed name is not kept:
        // it is often a password typed in the wrong field.
        desk.journal.record("-", "sign-in refused", "unknown name");
        return Ok(None);
    };
    if ok {
        desk.journal.record(&row.name, "signed in", "");
        return Ok(Some(Person { signed_in_with: digest(&row.hash), name: row.name, role: row.role }));
    }
    let why = if ticket.check { "wrong password" } else { "too many wrong passwords" };
    desk.journal.record(&row.name, "sign-in refused", why);
    Ok(None)
}

/// A person's new password, set by themselves (`keep` is the session they did it in, which
/// goes on) or by an admin: the hash written and journaled, every other session of theirs
/// ended, their wrong passwords forgotten.
pub fn set_password(
    desk: &super::Desk,
    name: &str,
    password: &str,
    by: &str,
    keep: Option<&str>,
) -> Result<(), Error> {
    let hash = people::hash_password(password).map_err(Error::input)?;
    let what = || Error::db("cannot write the ledger");
    super::writer::signed_write(desk, |conn| {
        if !conn.set_password(name, &hash).map_err(what())? {
            return Err(Error::input(format!("{name} is not one of the desk's people")));
        }
        people::event(conn, &keygen_core::key_record::now_rfc3339(), by, "password set", name).map_err(what())
    })?;
    desk.sessions.close_person(name, keep);
    if let Some(id) = keep {
        desk.sessions.renew_digest(id, digest(&hash));
    }
    desk.throttle.unlock(name);
    Ok(())
}
