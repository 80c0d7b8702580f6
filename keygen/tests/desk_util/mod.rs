//! A desk in a temporary vault, driven in-process with tower's `oneshot`.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

/// Every test person's password.
pub const PASSWORD: &str = "correct horse battery staple";
/// The Host the requests name, and the desk's own origin.
pub const HOST: &str = "desk.test";

pub struct Desk {
    pub dir: tempfile::TempDir,
    pub state: keygen_desk::State,
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

    pub fn with_limits(tls: bool, change: impl FnOnce(&mut keygen_desk::Limits)) -> Desk {
        let scheme = if tls { "https" } else { "http" };
        Desk::build(tls, change, "127.0.0.1:8417".parse().unwrap(), &[format!("{scheme}://{HOST}")])
    }

    /// A desk that serves `listen` and `public` (its Site), with `change` made to its limits.
    pub fn build(
        tls: bool,
        change: impl FnOnce(&mut keygen_desk::Limits),
        listen: std::net::SocketAddr,
        public: &[String],
    ) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let made = keygen_core::keyfile::init(dir.path(), false, None, false).unwrap();
        let signer = keygen_core::keyfile::open(&made.signing_key, None).unwrap();
        let ledger = dir.path().join("ledger.sqlite");
        let mut db = keygen_core::db::Db::create(&ledger).unwrap();
        let hash = keygen_core::db::people::hash_password(PASSWORD).unwrap();
        let tx = db.begin_write(&made.signing_key).unwrap();
        for (name, role) in [("sue", "support"), ("sam", "sales"), ("olga", "operations"), ("ada", "admin")] {
            tx.conn().add_person(name, role.parse().unwrap(), &hash, "2026-01-01T00:00:00Z", "test").unwrap();
        }
        tx.commit(&signer).unwrap();
        drop(db);
        let mut limits = keygen_desk::Limits::default();
        change(&mut limits);
        let site = keygen_desk::guard::Site::new(listen, tls, public, &[]).unwrap();
        let state = keygen_desk::Desk::new(
            signer,
            made.signing_key.clone(),
            ledger.clone(),
            keygen_core::template::Folder { dir: dir.path().join("templates"), named: false },
            limits,
            site,
        )
        .unwrap();
        Desk { dir, state, ledger, key: made.signing_key }
    }

    /// A request as if it came over a connection from `peer`.
    pub async fn send_from(&self, peer: &str, mut request: Request<Body>) -> Answer {
        let peer: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        self.send(request).await
    }

    /// The sign-in form posted from the client address `peer`.
    pub async fn sign_in_at(&self, peer: &str, user: &str, password: &str) -> Answer {
        let csrf = csrf_of(&self.get("/signin", None).await.body).unwrap();
        let request = Request::post("/signin")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, self.origin())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form_body(&[("user", user), ("password", password), ("csrf", &csrf)])))
            .unwrap();
        self.send_from(peer, request).await
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = keygen_desk::app(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// The desk's own origin.
    pub fn origin(&self) -> String {
        format!("{}://{HOST}", if self.state.tls { "https" } else { "http" })
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
        let origin = self.origin();
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
            .header(header::ORIGIN, self.origin())
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header(header::COOKIE, format!("desk_session={cookie}"))
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// The sign-in form posted with this name and password: the answer.
    pub async fn sign_in_raw(&self, user: &str, password: &str) -> Answer {
        let r = self.get("/signin", None).await;
        let csrf = csrf_of(&r.body).unwrap();
        self.post("/signin", None, &[("user", user), ("password", password), ("csrf", &csrf)]).await
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

/// One HTTP/1.1 exchange over a new connection from the local address `from` (any of
/// 127.0.0.0/8 on Linux): the whole answer as text.
pub async fn http_from(from: &str, to: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// A raw request: `method path`, with Host, Origin when given, the form body, and
/// `Connection: close`.
pub fn raw_request(
    method_path: &str,
    host: &str,
    origin: Option<&str>,
    cookie: Option<&str>,
    body: &str,
) -> String {
    let mut r = format!("{method_path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(o) = origin {
        r.push_str(&format!("Origin: {o}\r\n"));
    }
    if let Some(c) = cookie {
        r.push_str(&format!("Cookie: desk_session={c}\r\n"));
    }
    if !body.is_empty() {
        r.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

/// The status code of a raw answer.
pub fn status_of(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// The session cookie a raw answer sets.
pub fn raw_cookie(answer: &str) -> Option<String> {
    let at = answer.find("desk_session=")? + "desk_session=".len();
    let value = answer[at..].split(';').next()?;
    (!value.is_empty()).then(|| value.to_owned())
}

/// A self-signed certificate for `name` (and 127.0.0.1) made by openssl: (cert, key).
pub fn self_signed(dir: &std::path::Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let o = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
        ])
        .arg("-subj")
        .arg(format!("/CN={name}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{name},IP:127.0.0.1"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (scripts/install-deps.sh installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (cert, key)
}

/// One HTTPS exchange through `openssl s_client` (no TLS client among the test's crates).
pub fn https(port: u16, servername: &str, request: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(["s_client", "-quiet", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-servername")
        .arg(servername)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl");
    child.stdin.take().unwrap().write_all(request.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Signs in over a raw connection (HTTP from `from`, or HTTPS through openssl when
/// `servername` is given): the sign-in's answer.
pub async fn raw_sign_in(
    to: std::net::SocketAddr,
    from: &str,
    tls: Option<&str>,
    host: &str,
    origin: &str,
    user: &str,
) -> String {
    let exchange = |request: String| async move {
        match tls {
            None => http_from(from, to, &request).await,
            Some(name) => {
                let name = name.to_owned();
                tokio::task::spawn_blocking(move || https(to.port(), &name, &request)).await.unwrap()
            }
        }
    };
    let page = exchange(raw_request("GET /signin", host, None, None, "")).await;
    let csrf = csrf_of(&page).unwrap_or_else(|| panic!("no sign-in form: {page}"));
    let body = form_body(&[("user", user), ("password", PASSWORD), ("csrf", &csrf)]);
    exchange(raw_request("POST /signin", host, Some(origin), None, &body)).await
}
