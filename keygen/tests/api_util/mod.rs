//! Helpers of the API's tests: tokens and shops made in a desk's ledger (through its write
//! door, signed), JSON requests with a Bearer token, and signed webhooks.

#![allow(dead_code, clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, header};

use crate::desk_util::{Answer, Desk, HOST};

/// A shop's secret (Standard Webhooks' example form: `whsec_` and base64 of 24 bytes).
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A signed write to the desk's ledger, as the command line makes it.
pub fn signed<T>(t: &Desk, write: impl FnOnce(&dyn keygen_core::db::store::LedgerWrite) -> T) -> T {
    let signer = keygen_core::keyfile::open(&t.key, None).unwrap();
    let mut db = keygen_core::db::Db::open_write(&t.ledger).unwrap();
    let tx = db.begin_write(&t.key).unwrap();
    let done = write(tx.conn());
    tx.commit(&signer).unwrap();
    done
}

/// A token of `role` named `name`, made as `desk token add` makes it.
pub fn token(t: &Desk, name: &str, role: &str, expires: Option<&str>) -> String {
    signed(t, |conn| {
        keygen_core::ops::access::add_token(conn, name, role.parse().unwrap(), expires, "cli:test")
            .unwrap()
            .to_string()
    })
}

/// Shop `name`, its secret in its file beside the signing key, `products` mapped.
pub fn shop(t: &Desk, name: &str, products: &[(&str, &str)]) {
    let secret = keygen_core::ops::access::parse_secret(SECRET).unwrap();
    let path = keygen_core::db::shops::secret_path(&t.key, name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("{SECRET}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    signed(t, |conn| {
        conn.put_shop(&keygen_core::db::shops::Shop {
            name: name.into(),
            secret_hash: keygen_core::db::sha256_hex(&secret),
            products: products.iter().map(|(p, e)| ((*p).to_owned(), (*e).to_owned())).collect(),
            added_at: "2026-01-01T00:00:00Z".into(),
            added_by: "cli:test".into(),
        })
        .unwrap();
    });
}

/// A JSON request with `token` (none: no Authorization).
pub async fn call(t: &Desk, method: &str, path: &str, token: Option<&str>, json: Option<&str>) -> Answer {
    let mut b = Request::builder().method(method).uri(path).header(header::HOST, HOST);
    if let Some(tok) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {tok}"));
    }
    let body = match json {
        Some(j) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(j.to_owned())
        }
        None => Body::empty(),
    };
    t.send(b.body(body).unwrap()).await
}

/// Seconds since 1970.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A webhook of `shop` with this id, timestamp and body, signed with `secret`.
pub async fn webhook(t: &Desk, shop: &str, id: &str, timestamp: i64, body: &str, secret: &str) -> Answer {
    let key = keygen_core::ops::access::parse_secret(secret).unwrap();
    let ts = timestamp.to_string();
    let signature = keygen_desk::api::fulfill::sign(&key, id, &ts, body.as_bytes());
    let request = Request::post(format!("/api/v1/fulfill/{shop}"))
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts)
        .header("webhook-signature", signature)
        .body(Body::from(body.to_owned()))
        .unwrap();
    t.send(request).await
}

pub fn json(a: &Answer) -> serde_json::Value {
    serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("{e}: {}", a.body))
}

pub fn count(t: &Desk, sql: &str) -> i64 {
    t.db().query_row(sql, [], |r| r.get(0)).unwrap()
}
