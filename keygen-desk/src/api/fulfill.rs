//! The shops' fulfillment webhooks, as Standard Webhooks defines them: `webhook-id`,
//! `webhook-timestamp` (seconds; refused more than 5 minutes from now) and
//! `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the
//! shop's secret; several may be given, space-separated). A paid order issues its key (or
//! answers the key the order has: a retry, under the same id or a new one) as `text/plain`
//! for the shop to mail; a refund revokes the order's keys. A delivery id seen before with
//! another body, a wrong signature, a stale timestamp or an unknown product records nothing.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use utoipa::ToSchema;

use super::keys::{IssueBody, Seats};
use super::problem::{self, Problem};
use keygen_core::db::{Db, shops};
use keygen_core::error::Error;

/// How far a webhook's timestamp may be from the desk's clock.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// The order a shop sends (`data` of the event, or the event's own members).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct Order {
    /// The shop's order id (recorded as the key's order).
    #[serde(default)]
    pub order_id: Option<String>,
    /// The customer's organization.
    #[serde(default)]
    pub organization: Option<String>,
    /// The shop's product id (mapped to an edition by `keygen desk shop add --product`).
    #[serde(default)]
    pub product: Option<String>,
    /// Seats.
    #[serde(default)]
    pub quantity: Option<u32>,
    /// The customer's contact (e-mail).
    #[serde(default)]
    pub contact: Option<String>,
}

/// A webhook event: `order.paid` (issue) or `order.refunded` (revoke).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct Event {
    /// `order.paid` or `order.refunded` (default: `order.paid`).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// When the shop made the event (not read: `webhook-timestamp` is).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The order.
    #[serde(default)]
    pub data: Option<Order>,
    /// The order's members may stand here instead of in `data`.
    #[serde(flatten)]
    #[schema(inline)]
    pub order: Order,
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Problem> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty()).ok_or_else(
        || {
            Problem::field(name, format!("the {name} header is missing (Standard Webhooks)"))
                .status(StatusCode::BAD_REQUEST)
        },
    )
}

/// Whether one of `signatures` (space-separated `v1,BASE64`) is `id.timestamp.body`'s under
/// `secret`, compared in constant time.
pub fn signed(secret: &[u8], id: &str, timestamp: &str, body: &[u8], signatures: &str) -> bool {
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret) else { return false };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    signatures.split_ascii_whitespace().filter_map(|s| s.strip_prefix("v1,")).any(|b64| {
        data_encoding::BASE64.decode(b64.as_bytes()).is_ok_and(|given| {
            bool::from(subtle::ConstantTimeEq::ct_eq(given.as_slice(), expected.as_slice()))
        })
    })
}

/// The signature header of `body` under `secret` (for tests and the docs' examples).
pub fn sign(secret: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret) else { return String::new() };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", data_encoding::BASE64.encode(&mac.finalize().into_bytes()))
}

fn text(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// `POST /api/v1/fulfill/{shop}`: a shop's webhook.
#[utoipa::path(post, path = "/api/v1/fulfill/{shop}", tag = "fulfillment", request_body = Event,
    params(
        ("shop" = String, Path, description = "The shop's name (keygen desk shop add)"),
        ("webhook-id" = String, Header, description = "The delivery's id"),
        ("webhook-timestamp" = String, Header, description = "Seconds since 1970, within 5 minutes of the desk's clock"),
        ("webhook-signature" = String, Header, description = "v1,BASE64 of HMAC-SHA256(secret, id.timestamp.body); several space-separated"),
    ),
    responses(
        (status = 200, description = "order.paid: the key and the customer's e-mail block, to mail; order.refunded: what was revoked", body = String, content_type = "text/plain"),
        (status = "4XX", description = "Refused; nothing was recorded", body = problem::Details, content_type = "application/problem+json"),
    ))]
pub async fn fulfill(
    State(desk): State<crate::State>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match run(&desk, &shop, &headers, body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn run(
    desk: &crate::State,
    shop: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let id = header_text(headers, "webhook-id")?.to_owned();
    let timestamp = header_text(headers, "webhook-timestamp")?.to_owned();
    let signature = header_text(headers, "webhook-signature")?.to_owned();
    let body = problem::body(body)?;
    if id.len() > 256 {
        return Err(
            Problem::field("webhook-id", "longer than 256 characters").status(StatusCode::BAD_REQUEST)
        );
    }
    let unknown =
        || Problem::new(StatusCode::NOT_FOUND, format!("there is no shop '{shop}' (keygen desk shop add)"));
    if keygen_core::ops::access::check_name("shop", shop).is_err() {
        return Err(unknown());
    }
    let d = desk.clone();
    let (s, i) = (shop.to_owned(), id.clone());
    let found = crate::blocking(move || {
        let db = match Db::open_read(&d.ledger) {
            Ok(db) => db,
            Err(Error::Input(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let read = || Error::db("cannot read the ledger's shops");
        let Some(shop) = db.conn().shop(&s).map_err(read())? else { return Ok(None) };
        let seen = db.conn().delivery(&s, &i).map_err(read())?;
        let secret = keygen_core::ops::access::read_secret_file(&shops::secret_path(&d.key_path, &s))?;
        Ok(Some((shop, seen, secret)))
    })
    .await
    .map_err(|e| Problem::of(desk, &e, None))?;
    let Some((shop_row, seen, secret)) = found else { return Err(unknown()) };
    if keygen_core::db::sha256_hex(&secret) != shop_row.secret_hash {
        cli_support::warn(&format!(
            "keygen desk: the secret file of shop {shop} is not the one its ledger entry names: its webhooks are refused (keygen desk shop add again)"
        ));
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "this shop's secret is not the one the ledger holds; the desk's operator is told",
        ));
    }
    let Ok(ts) = timestamp.parse::<i64>() else {
        return Err(
            Problem::field("webhook-timestamp", "not a number of seconds").status(StatusCode::BAD_REQUEST)
        );
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    // The signature first: nothing of an unsigned request is told but that it is refused.
    if !signed(&secret, &id, &timestamp, &body, &signature) {
        return Err(Problem::field(
            "webhook-signature",
            "no v1 signature of this body verifies with the shop's secret",
        )
        .status(StatusCode::UNAUTHORIZED));
    }
    if (now - ts).abs() > TOLERANCE_SECONDS {
        return Err(Problem::field(
            "webhook-timestamp",
            "more than 5 minutes from the desk's clock: a replay, or a clock to set",
        )
        .status(StatusCode::UNAUTHORIZED));
    }
    let body_hash = keygen_core::db::sha256_hex(&body);
    if seen.as_deref().is_some_and(|h| h != body_hash) {
        return Err(Problem::field("webhook-id", "this delivery id was answered before with another body")
            .status(StatusCode::CONFLICT));
    }
    let actor = shops::actor(shop);
    if let Err(seconds) = desk.api.take(&actor) {
        return Err(
            Problem::new(StatusCode::TOO_MANY_REQUESTS, "too many webhooks at once").retry_after(seconds)
        );
    }
    let event: Event = problem::json(&body)?;
    let order = event.data.clone().unwrap_or(event.order.clone());
    let Some(order_id) = order.order_id.clone().filter(|o| !o.trim().is_empty()) else {
        return Err(Problem::field("order_id", "a webhook's order needs its order_id"));
    };
    let answer = match event.kind.as_deref().unwrap_or("order.paid") {
        "order.paid" | "order.completed" => paid(desk, &shop_row, order, order_id, actor).await?,
        "order.refunded" => refunded(desk, order_id, actor).await?,
        other => {
            return Err(Problem::field(
                "type",
                format!("'{other}' is not an event the desk reads: order.paid or order.refunded"),
            ));
        }
    };
    // Noted once answered (a refused delivery is not: the shop may send it again, fixed).
    let d = desk.clone();
    let s = shop.to_owned();
    let noted = crate::blocking(move || {
        let db = Db::open_write(&d.ledger)?;
        db.note_delivery(&s, &id, &body_hash, &keygen_core::key_record::now_rfc3339())
    })
    .await;
    if let Err(e) = noted {
        cli_support::warn(&format!(
            "keygen desk: a webhook of shop {shop} was answered but its id not noted: {e}"
        ));
    }
    Ok(answer)
}

async fn paid(
    desk: &crate::State,
    shop: &shops::Shop,
    order: Order,
    order_id: String,
    actor: String,
) -> Result<Response, Problem> {
    let product = order.product.clone().unwrap_or_default();
    let edition = if shop.products.is_empty() {
        // Without a mapping the product ids are edition ids: one of the templates folder's.
        let listed = keygen_core::template::load_all(&desk.templates)
            .map(|all| all.into_iter().filter_map(|(_, t)| t.ok()).any(|t| t.id == product))
            .unwrap_or(false);
        listed.then(|| product.clone())
    } else {
        shop.products.get(&product).cloned()
    };
    let Some(edition) = edition else {
        return Err(Problem::field("product", format!("'{product}' is not a product of shop {}", shop.name)));
    };
    let Some(organization) = order.organization.clone().filter(|o| !o.trim().is_empty()) else {
        return Err(Problem::field("organization", "a paid order needs the customer's organization"));
    };
    let body = IssueBody {
        organization,
        edition,
        seats: order.quantity.map(Seats::Count),
        features: None,
        expiry: None,
        order_id: Some(order_id),
        contact: order.contact.clone(),
    };
    let outcome = super::keys::issue_for(desk, body, actor).await?;
    Ok(text(StatusCode::OK, format!("{}\n\n{}", outcome.issued.key.key, outcome.issued.email)))
}

async fn refunded(desk: &crate::State, order_id: String, actor: String) -> Result<Response, Problem> {
    let d = desk.clone();
    let o = order_id.clone();
    let done = crate::blocking(move || {
        super::keys::revoke_in(&d, &[], std::slice::from_ref(&o), Some("refund"), &actor)
    })
    .await
    .map_err(|e| Problem::of(desk, &e, Some("order_id")))?;
    Ok(text(
        StatusCode::OK,
        match done {
            Some(r) => format!(
                "Order {order_id} refunded: key(s) {} revoked in revocation list {}.\n",
                r.revoked.join(", "),
                r.sequence
            ),
            None => format!("Order {order_id} refunded: its keys were revoked already.\n"),
        },
    ))
}
