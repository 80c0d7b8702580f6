//! A desk in a temporary vault, driven in-process with tower's `oneshot`.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

/// Every test person's password.
pub const PASSWORD: &str = "correct horse battery staple";
/// The Host the requests name, and the desk's own origin.
pub const HOST: &str = "desk.test";

pub struct Desk {
    pub dir: tempfile::TempDir,
    pub state: keygen::desk::State,
    pub ledger: PathBuf,
    pub key: PathBuf,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> String {
        self.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join("\n")
    }
}

impl Desk {
    pub fn new(tls: bool) -> Desk {
        Desk::with_limits(tls, |_| {})
    }

    pub fn with_limits(tls: bool, change: impl FnOnce(&mut keygen::desk::Limits)) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let made = keygen::keyfile::init(dir.path(), false, None, false).unwrap();
        let signer = keygen::keyfile::load(&made.signing_key, None).unwrap();
        let ledger = dir.path().join("ledger.sqlite");
        let db = keygen::db::Db::create(&ledger).unwrap();
        let hash = keygen::db::people::hash_password(PASSWORD).unwrap();
        for (name, role) in [("sue", "support"), ("sam", "sales"), ("olga", "operations"), ("ada", "admin")] {
            keygen::db::people::add(
                db.conn(),
                name,
                role.parse().unwrap(),
                &hash,
                "2026-01-01T00:00:00Z",
                "test",
            )
            .unwrap();
        }
        drop(db);
        let mut limits = keygen::desk::Limits::default();
        change(&mut limits);
        let state = Arc::new(keygen::desk::Desk {
            signer,
            key_path: made.signing_key.clone(),
            ledger: ledger.clone(),
            templates: keygen::template::Folder { dir: dir.path().join("templates"), named: false },
            tls,
            limits,
            sessions: Default::default(),
            uploads: Default::default(),
            queue: Default::default(),
        });
        Desk { dir, state, ledger, key: made.signing_key }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = keygen::desk::app(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut b = Request::get(path).header(header::HOST, HOST);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, format!("desk_session={c}"));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn post<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(K, V)],
    ) -> Answer {
        let origin = format!("http://{HOST}");
        self.post_from(path, cookie, form, Some(&origin)).await
    }

    pub async fn post_from<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(K, V)],
        origin: Option<&str>,
    ) -> Answer {
        let body = form_body(form);
        let mut b = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, format!("desk_session={c}"));
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// A multipart form: text fields, then one file field `file`.
    pub async fn upload(&self, path: &str, cookie: &str, fields: &[(&str, &str)], file: &[u8]) -> Answer {
        let boundary = "----deskboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::ORIGIN, format!("http://{HOST}"))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header(header::COOKIE, format!("desk_session={cookie}"))
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// The sign-in form posted with this name and password: the answer.
    pub async fn sign_in_raw(&self, user: &str, password: &str) -> Answer {
        let r = self.get("/signin", None).await;
        let anon = cookie_of(&r).unwrap();
        let csrf = csrf_of(&r.body).unwrap();
        self.post("/signin", Some(&anon), &[("user", user), ("password", password), ("csrf", &csrf)]).await
    }

    /// Signed in as `user`: the session id and its CSRF token.
    pub async fn sign_in(&self, user: &str) -> Option<(String, String)> {
        let r = self.sign_in_raw(user, PASSWORD).await;
        if r.status != StatusCode::SEE_OTHER || r.header("location") != "/find" {
            return None;
        }
        let cookie = cookie_of(&r)?;
        let page = self.get("/find", Some(&cookie)).await;
        if page.status != StatusCode::OK {
            return None;
        }
        Some((cookie, csrf_of(&page.body)?))
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.ledger).unwrap()
    }

    pub fn keys(&self) -> i64 {
        self.db().query_row("SELECT count(*) FROM keys", [], |r| r.get(0)).unwrap()
    }

    pub fn lists(&self) -> i64 {
        self.db().query_row("SELECT count(*) FROM revocation_lists", [], |r| r.get(0)).unwrap()
    }

    pub fn actors(&self) -> Vec<String> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT coalesce(actor, '-') FROM keys ORDER BY position").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    pub fn key_of(&self, serial: &str) -> String {
        self.db().query_row("SELECT key FROM keys WHERE serial = ?1", [serial], |r| r.get(0)).unwrap()
    }

    /// The base64 body of the signing key's PEM (what must never be shown).
    pub fn secret_pem_body(&self) -> String {
        let pem = std::fs::read_to_string(&self.key).unwrap();
        pem.lines().filter(|l| !l.starts_with("-----")).collect()
    }
}

pub fn form_body<K: AsRef<str>, V: AsRef<str>>(form: &[(K, V)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    form.iter().map(|(k, v)| format!("{}={}", enc(k.as_ref()), enc(v.as_ref()))).collect::<Vec<_>>().join("&")
}

pub fn issue_form(org: &str, csrf: &str) -> Vec<(String, String)> {
    vec![
        ("csrf".into(), csrf.into()),
        ("organization".into(), org.into()),
        ("edition".into(), "standard".into()),
        ("seats".into(), String::new()),
        ("features".into(), String::new()),
        ("order".into(), String::new()),
        ("contact".into(), String::new()),
    ]
}

pub fn cookie_of(a: &Answer) -> Option<String> {
    let set = a.header("set-cookie");
    let value = set.strip_prefix("desk_session=")?.split(';').next()?;
    (!value.is_empty()).then(|| value.to_owned())
}

pub fn csrf_of(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(body[at..].split('"').next()?.to_owned())
}

/// The serial a page names first as a link to a key ("/key/SERIAL").
pub fn serial_of(body: &str) -> Option<String> {
    let at = body.find("href=\"/key/")? + "href=\"/key/".len();
    Some(body[at..].split('"').next()?.to_owned())
}

/// A page without its tokens (they differ between two visits).
pub fn strip_tokens(body: &str) -> String {
    body.split("value=\"").map(|p| p.split_once('"').map_or(p, |(_, rest)| rest)).collect::<Vec<_>>().join("")
}
