//! The key operations of the API: issue (idempotent by order id), read, find, renew, amend,
//! revoke, and the renewal report. Issues go through the desk's group-commit queue, as the
//! form's do; the rest call the same `keygen_core::ops` as the pages, with the token as the actor.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use product_key::Day;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::require;
use super::problem::{self, FieldProblem, Problem};
use keygen_core::db::Db;
use keygen_core::db::keys::History;
use keygen_core::db::people::Role;
use keygen_core::error::Error;
use keygen_core::ops;

/// Seats: a number, or `unlimited`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Seats {
    /// A count.
    Count(u32),
    /// `unlimited` (or a count as text).
    Text(String),
}

/// Features: a list of names, or names separated by commas, or `all`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Features {
    /// Names.
    List(Vec<String>),
    /// Names separated by commas.
    Text(String),
}

impl Seats {
    fn text(&self) -> String {
        match self {
            Seats::Count(n) => n.to_string(),
            Seats::Text(t) => t.clone(),
        }
    }
}

impl Features {
    fn text(&self) -> String {
        match self {
            Features::List(l) => l.join(","),
            Features::Text(t) => t.clone(),
        }
    }
}

/// A key to issue. Missing terms are the edition's.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// The customer's organization, as the key will hold it.
    pub organization: String,
    /// The edition (a template id of the desk's templates folder).
    pub edition: String,
    /// Seats (default: the edition's).
    #[serde(default)]
    pub seats: Option<Seats>,
    /// Features (default: the edition's).
    #[serde(default)]
    pub features: Option<Features>,
    /// The last day (`YYYY-MM-DD`) or `never` (default: the edition's term).
    #[serde(default, alias = "expires")]
    pub expiry: Option<String>,
    /// The order: the same order with the same terms answers the key it has (200), with other
    /// terms a 409 naming it.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The customer's contact.
    #[serde(default)]
    pub contact: Option<String>,
}

/// A key as the ledger holds it, with where its story stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// Its serial.
    pub serial: String,
    /// The product key.
    pub key: String,
    /// The organization it names.
    pub organization: String,
    /// The edition (template id) it was issued from.
    pub edition: Option<String>,
    /// Seats; null: unlimited.
    pub seats: Option<u16>,
    /// Features.
    pub features: Vec<String>,
    /// Day of issue.
    pub issued: String,
    /// Last day; null: perpetual.
    pub expires: Option<String>,
    /// Its order.
    pub order_id: Option<String>,
    /// Its contact.
    pub contact: Option<String>,
    /// `current`, `replaced` or `revoked`.
    pub state: String,
    /// The revocation list that names it.
    pub revoked_in_list: Option<u32>,
    /// The key that replaced it.
    pub replaced_by: Option<String>,
    /// The key it replaced.
    pub supersedes: Option<String>,
    /// Who recorded it (`api:NAME` for a token, `shop:NAME` for a shop's webhook).
    pub actor: Option<String>,
    /// When it was recorded.
    pub recorded_at: Option<String>,
    /// Whether its signature and its row check out.
    pub genuine: bool,
}

impl KeyView {
    fn of(h: &History, not_genuine: Option<&str>) -> KeyView {
        let r = h.record();
        KeyView {
            serial: r.serial.clone(),
            key: r.key.clone(),
            organization: r.organization.clone(),
            edition: r.template.clone(),
            seats: r.seats,
            features: r.features.clone(),
            issued: r.issued.clone(),
            expires: r.expires.clone(),
            order_id: r.order_id.clone(),
            contact: r.contact.clone(),
            state: match (&h.revoked, &h.replaced_by) {
                (Some(_), _) => "revoked",
                (None, Some(_)) => "replaced",
                (None, None) => "current",
            }
            .to_owned(),
            revoked_in_list: h.revoked.as_ref().map(|r| r.sequence),
            replaced_by: h.replaced_by.as_ref().map(|r| r.serial.clone()),
            supersedes: r.supersedes.clone(),
            actor: r.actor.clone(),
            recorded_at: r.issued_at.clone(),
            genuine: not_genuine.is_none(),
        }
    }

    fn fresh(r: &keygen_core::key_record::KeyRecord) -> KeyView {
        let h = History {
            stored: keygen_core::db::keys::Stored { position: 0, hash: String::new(), record: r.clone() },
            replaced_by: None,
            revoked: None,
        };
        KeyView::of(&h, None)
    }
}

/// A key issued (or the one an order has), with the customer's e-mail block as `keygen issue
/// --format text` prints it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Issued {
    /// The key.
    pub key: KeyView,
    /// The text to send the customer.
    pub email: String,
}

/// Keys found.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Found {
    /// In the ledger's order.
    pub keys: Vec<KeyView>,
}

fn respond<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let mut r = (status, serde_json::to_string(value).unwrap_or_default()).into_response();
    r.headers_mut()
        .insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    r
}

/// The answer of an issue: a new key (201), or the key the order has (200).
pub struct Outcome {
    /// 201 or 200.
    pub status: StatusCode,
    /// The key and its e-mail block.
    pub issued: Issued,
}

/// Issues `body` for `actor`, or answers the key its order has: the route of the API and of
/// the shops' webhooks.
pub async fn issue_for(desk: &crate::State, body: IssueBody, actor: String) -> Result<Outcome, Problem> {
    use keygen_core::text_rules::{Field, check, check_given};
    let trimmed =
        |o: &Option<String>| o.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let order_id = trimmed(&body.order_id);
    let contact = trimmed(&body.contact);
    let mut problems: Vec<FieldProblem> = Vec::new();
    let mut at = |field: &str, detail: String| problems.push(FieldProblem { field: field.into(), detail });
    if let Err(e) = check(Field::Organization, &body.organization) {
        at("organization", e.to_string());
    }
    if let Err(e) = check_given(Field::OrderId, order_id.as_deref()) {
        at("order_id", e.to_string());
    }
    if let Err(e) = check_given(Field::Contact, contact.as_deref()) {
        at("contact", e.to_string());
    }
    if !problems.is_empty() {
        return Err(Problem::fields(problems));
    }
    let d = desk.clone();
    let b = body.clone();
    let (o, c) = (order_id.clone(), contact.clone());
    let a = actor.clone();
    // The terms, and the key the order has (if it has one).
    let checked = crate::blocking(move || Ok(terms_and_existing(&d, &b, o, c, a))).await;
    let checked = match checked {
        Ok(c) => c?,
        Err(e) => return Err(Problem::of(desk, &e, None)),
    };
    let (request, edition) = match checked {
        Checked::Existing(outcome) => return Ok(*outcome),
        Checked::New(request, edition) => (request, edition),
    };
    match desk.queue.issue(desk, request).await {
        Ok(done) => {
            let email =
                keygen_core::email_block::block(&done.record, &done.payload, &edition, Day::today(), None);
            Ok(Outcome {
                status: StatusCode::CREATED,
                issued: Issued { key: KeyView::fresh(&done.record), email },
            })
        }
        // Another request of the same order was recorded meanwhile: answer as for a retry.
        Err(e @ Error::OrderIssued { .. }) if order_id.is_some() => {
            let d = desk.clone();
            let again =
                crate::blocking(move || Ok(terms_and_existing(&d, &body, order_id, contact, actor))).await;
            match again {
                Ok(Ok(Checked::Existing(outcome))) => Ok(*outcome),
                Ok(Err(p)) => Err(p),
                _ => Err(Problem::of(desk, &e, None)),
            }
        }
        Err(e) => Err(Problem::of(desk, &crate::writer::for_people(e), None)),
    }
}

enum Checked {
    Existing(Box<Outcome>),
    New(ops::issue::Request, String),
}

fn terms_and_existing(
    desk: &crate::Desk,
    body: &IssueBody,
    order_id: Option<String>,
    contact: Option<String>,
    actor: String,
) -> Result<Checked, Problem> {
    let today = Day::today().ok_or_else(|| {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "today is outside the days a key can hold")
    })?;
    let template = keygen_core::template::load_listed(body.edition.trim(), &desk.templates)
        .map_err(|e| Problem::field("edition", crate::failure::said(desk, &e).join(" ")))?;
    let (seats, features) =
        (body.seats.as_ref().map(Seats::text), body.features.as_ref().map(Features::text));
    let build = |issued: Day| {
        let overrides = keygen_core::terms::Overrides {
            organization: &body.organization,
            seats: seats.as_deref(),
            features: features.as_deref(),
            expires: body.expiry.as_deref().map(str::trim),
        };
        keygen_core::terms::build(&template, &overrides, issued, &[',']).map_err(|problems| {
            Problem::fields(
                problems
                    .into_iter()
                    .map(|(f, e)| FieldProblem {
                        field: match f {
                            keygen_core::terms::Field::Expires => "expiry".to_owned(),
                            f => f.column().to_owned(),
                        },
                        detail: e,
                    })
                    .collect(),
            )
        })
    };
    let terms = build(today)?;
    if let Some(o) = &order_id {
        let db = Db::open_read(&desk.ledger).map_err(|e| Problem::of(desk, &e, None))?;
        let filter = keygen_core::db::keys::Filter { order_id: Some(o), ..Default::default() };
        let own = keygen_core::db::keys::matching(db.conn(), &filter)
            .map_err(|e| Problem::of(desk, &Error::db("cannot read the ledger")(e), None))?;
        if let Some(first) = own.first() {
            let r = first.record();
            // The same terms as the order's key was issued with (its day of issue: a retry
            // the next day asks for the same term).
            let issued = r.issued.parse::<Day>().unwrap_or(today);
            let then = build(issued)?;
            let same = r.organization == then.organization.to_string()
                && r.template.as_deref() == Some(then.template.as_str())
                && r.seats == then.seats.limit()
                && r.features == then.features.features().map(|f| f.name().to_owned()).collect::<Vec<_>>()
                && r.expires == then.expires.last_day().map(|d| d.to_string());
            if !same {
                return Err(Problem::new(
                    StatusCode::CONFLICT,
                    format!("order '{o}' already has key {} with other terms; nothing was issued", r.serial),
                )
                .serial(&r.serial));
            }
            let payload = product_key::text::decode(&r.key)
                .map_err(|e| Problem::of(desk, &Error::input(format!("key {}: {e}", r.serial)), None))?
                .payload;
            let email = keygen_core::email_block::block(r, &payload, &template.name, Some(today), None);
            let not_genuine =
                keygen_core::db::verify::trusted_keys(&db.conn().signing_keys().unwrap_or_default(), None)
                    .ok()
                    .and_then(|t| keygen_core::db::verify::genuine(&first.stored, &t).err());
            return Ok(Checked::Existing(Box::new(Outcome {
                status: StatusCode::OK,
                issued: Issued { key: KeyView::of(first, not_genuine.as_deref()), email },
            })));
        }
    }
    let name = template.name.clone();
    Ok(Checked::New(ops::issue::Request { terms, serial: None, order_id, contact, actor }, name))
}

/// The caller (of at least `role`) and the body read as `T`; otherwise the answer.
async fn caller_and<T: serde::de::DeserializeOwned>(
    desk: &crate::State,
    headers: &HeaderMap,
    role: Role,
    body: Result<Bytes, BytesRejection>,
) -> Result<(super::auth::Caller, T), Response> {
    let caller = require(desk, headers, role).await?;
    let parsed =
        problem::body(body).and_then(|b| problem::json::<T>(&b)).map_err(IntoResponse::into_response)?;
    Ok((caller, parsed))
}

/// `POST /api/v1/keys`: issue a key (sales).
#[utoipa::path(post, path = "/api/v1/keys", tag = "keys", request_body = IssueBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Issued", body = Issued),
        (status = 200, description = "The order has this key already (same terms): nothing was recorded", body = Issued),
        (status = 409, description = "The order has a key with other terms (named in `serial`)", body = problem::Details, content_type = "application/problem+json"),
        (status = "4XX", description = "Refused", body = problem::Details, content_type = "application/problem+json"),
    ))]
pub async fn issue(
    State(desk): State<crate::State>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (caller, body) = match caller_and::<IssueBody>(&desk, &headers, Role::Sales, body).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match issue_for(&desk, body, caller.actor).await {
        Ok(o) => respond(o.status, &o.issued),
        Err(p) => p.into_response(),
    }
}

/// `GET /api/v1/keys/{serial}`: one key (support).
#[utoipa::path(get, path = "/api/v1/keys/{serial}", tag = "keys",
    params(("serial" = String, Path, description = "The key's serial")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = "4XX", description = "Refused, or no such key (404)", body = problem::Details, content_type = "application/problem+json"),
    ))]
pub async fn read(
    State(desk): State<crate::State>,
    headers: HeaderMap,
    Path(serial): Path<String>,
) -> Response {
    if let Err(r) = require(&desk, &headers, Role::Support).await {
        return r;
    }
    let s = serial.clone();
    let d = desk.clone();
    let found = crate::blocking(move || {
        let db = Db::open_read(&d.ledger)?;
        ops::find::find(db.conn(), &ops::find::Query { serial: Some(s), ..Default::default() })
    })
    .await;
    match found {
        Ok(mut f) => match f.pop() {
            Some(f) => respond(StatusCode::OK, &KeyView::of(&f.history, f.not_genuine.as_deref())),
            None => Problem::new(StatusCode::NOT_FOUND, format!("serial {serial} is not in the ledger"))
                .into_response(),
        },
        Err(e) => Problem::of(&desk, &e, Some("serial")).into_response(),
    }
}

/// `?order_id=&organization=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindQuery {
    /// An order id (exactly).
    pub order_id: Option<String>,
    /// Part of an organization's name, in any spelling `keygen ledger find --org` reads.
    pub organization: Option<String>,
}

/// `GET /api/v1/keys?order_id=&organization=`: find keys (support).
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys", params(FindQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The keys found (none: an empty list)", body = Found),
        (status = "4XX", description = "Refused", body = problem::Details, content_type = "application/problem+json"),
    ))]
pub async fn find(
    State(desk): State<crate::State>,
    headers: HeaderMap,
    query: Result<Query<FindQuery>, QueryRejection>,
) -> Response {
    if let Err(r) = require(&desk, &headers, Role::Support).await {
        return r;
    }
    let Ok(Query(q)) = query else {
        return Problem::field("order_id", "the query is not order_id=...&organization=...").into_response();
    };
    if q.order_id.is_none() && q.organization.is_none() {
        return Problem::field("order_id", "give order_id or organization (or both)").into_response();
    }
    let d = desk.clone();
    let by_org = q.organization.is_some();
    let found = crate::blocking(move || match Db::open_read(&d.ledger) {
        Ok(db) => ops::find::find(
            db.conn(),
            &ops::find::Query { order_id: q.order_id, org: q.organization, ..Default::default() },
        ),
        Err(Error::Input(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    })
    .await;
    match found {
        Ok(f) => respond(
            StatusCode::OK,
            &Found { keys: f.iter().map(|f| KeyView::of(&f.history, f.not_genuine.as_deref())).collect() },
        ),
        Err(e) => {
            let field = if by_org { "organization" } else { "order_id" };
            let text = e.to_string().replace("--org", "organization");
            Problem::of(&desk, &Error::input(text), Some(field)).into_response()
        }
    }
}

/// A renewal's terms.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewBody {
    /// Days of the new term (default: the key's own term).
    #[serde(default)]
    pub valid_days: Option<u32>,
    /// The new last day (`YYYY-MM-DD`).
    #[serde(default, alias = "expiry")]
    pub expires: Option<String>,
    /// The renewal's own order.
    #[serde(default)]
    pub order_id: Option<String>,
}

/// An amendment: what changes (the rest stays as the key has it).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendBody {
    /// The organization.
    #[serde(default)]
    pub organization: Option<String>,
    /// Seats.
    #[serde(default)]
    pub seats: Option<Seats>,
    /// Features.
    #[serde(default)]
    pub features: Option<Features>,
    /// The last day (`YYYY-MM-DD`) or `never`.
    #[serde(default, alias = "expiry")]
    pub expires: Option<String>,
    /// The amended key's order (default: the key's).
    #[serde(default)]
    pub order_id: Option<String>,
}

/// `POST /api/v1/keys/{serial}/renew` (sales).
#[utoipa::path(post, path = "/api/v1/keys/{serial}/renew", tag = "keys", request_body = RenewBody,
    params(("serial" = String, Path, description = "The key to renew")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new key", body = Issued),
        (status = "4XX", description = "Refused", body = problem::Details, content_type = "application/problem+json"),
    ))]
pub async fn renew(
    State(desk): State<crate::State>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (caller, b) = match caller_and::<RenewBody>(&desk, &headers, Role::Sales, body).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let expires = match b.expires.as_deref().map(|t| keygen_core::dates::day(t.trim())).transpose() {
        Ok(e) => e,
        Err(e) => return Problem::field("expires", e).into_response(),
    };
    let renewal = ops::replace::Renewal { valid_days: b.valid_days, expires };
    replace(desk, caller.actor, serial, ops::replace::Reason::Renewal, b.order_id, move |old, day| {
        renewal.terms(old, day)
    })
    .await
}

/// `POST /api/v1/keys/{serial}/amend` (sales).
#[utoipa::path(post, path = "/api/v1/keys/{serial}/amend", tag = "keys", request_body = AmendBody,
    params(("serial" = String, Path, description = "The key to amend")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new key", body = Issued),
        (status = "4XX", description = "Refused", body = problem::Details, content_type = "application/problem+json"),
    ))]
pub async fn amend(
    State(desk): State<crate::State>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (caller, b) = match caller_and::<AmendBody>(&desk, &headers, Role::Sales, body).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(o) = &b.organization
        && let Err(e) = keygen_core::text_rules::check(keygen_core::text_rules::Field::Organization, o)
    {
        return Problem::field("organization", e.to_string()).into_response();
    }
    let (seats, features) = (b.seats.as_ref().map(Seats::text), b.features.as_ref().map(Features::text));
    let text = ops::replace::AmendmentText {
        org: b.organization.as_deref(),
        seats: seats.as_deref(),
        features: features.as_deref(),
        expires: b.expires.as_deref(),
        ..Default::default()
    };
    let amendment = match text.parse() {
        Ok(a) => a,
        Err(problems) => {
            let fields = problems
                .into_iter()
                .map(|p| {
                    let field = match &p {
                        keygen_core::error::Error::Invalid { field, .. } => field.name(),
                        _ => "body",
                    };
                    FieldProblem { field: field.to_owned(), detail: crate::fields::message(&p) }
                })
                .collect();
            return Problem::fields(fields).into_response();
        }
    };
    replace(desk, caller.actor, serial, ops::replace::Reason::Amendment, b.order_id, move |old, _| {
        amendment.terms(old)
    })
    .await
}

async fn replace(
    desk: crate::State,
    actor: String,
    serial: String,
    reason: ops::replace::Reason,
    order_id: Option<String>,
    terms: impl FnOnce(&product_key::Payload, Day) -> Result<product_key::Payload, Error> + Send + 'static,
) -> Response {
    let order_id = order_id.map(|o| o.trim().to_owned()).filter(|o| !o.is_empty());
    if let Err(e) =
        keygen_core::text_rules::check_given(keygen_core::text_rules::Field::OrderId, order_id.as_deref())
    {
        return Problem::field("order_id", e.to_string()).into_response();
    }
    if serial.trim().parse::<product_key::Serial>().is_err() {
        return Problem::new(StatusCode::NOT_FOUND, format!("serial {serial} is not in the ledger"))
            .into_response();
    }
    let d = desk.clone();
    let done = crate::blocking(move || {
        let issued = Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?;
        let request =
            ops::replace::Request { serial: Some(serial), for_order: None, reason, order_id, issued, actor };
        let signer = crate::writer::signer_now(&d)?;
        let done = ops::replace::replace(&signer, &d.key_path, &d.ledger, request, terms)
            .map_err(crate::writer::for_people)?;
        let email =
            keygen_core::email_block::customer_block(&done.record, &done.payload, &done.old, reason.name());
        Ok(Issued { key: KeyView::fresh(&done.record), email })
    })
    .await;
    match done {
        Ok(issued) => respond(StatusCode::CREATED, &issued),
        Err(e) => Problem::of(&desk, &e, None).into_response(),
    }
}

/// Keys to revoke: by serial, by order, or both.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// Serials.
    #[serde(default)]
    pub serials: Vec<String>,
    /// Orders: each order's own keys.
    #[serde(default)]
    pub order_ids: Vec<String>,
    /// Why (recorded with the list).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A revocation recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    /// The signed list's sequence.
    pub sequence: u32,
    /// The signed list, exactly as published (ship it with the next update).
    pub list: String,
    /// The serials this revocation named for the first time.
    pub revoked: Vec<String>,
}

/// Revokes `serials` and the keys of `order_ids` not revoked yet, as `actor`, in one signed
/// list; `None` when all are revoked already.
pub fn revoke_in(
    desk: &crate::Desk,
    serials: &[String],
    order_ids: &[String],
    reason: Option<&str>,
    actor: &str,
) -> Result<Option<Revoked>, Error> {
    let today = Day::today().ok_or_else(|| Error::input("today is outside the days a list can hold"))?;
    let mut chosen: Vec<String> = serials.to_vec();
    let mut problems = Vec::new();
    let db = Db::open_read(&desk.ledger)?;
    for o in order_ids {
        match ops::revoke::of_order(db.conn(), o)? {
            Some(keys) => chosen.extend(keys.own.iter().map(|h| h.record().serial.clone())),
            None => problems.push(format!("order '{o}' is not in the ledger")),
        }
    }
    drop(db);
    if !problems.is_empty() {
        return Err(Error::Inputs(problems));
    }
    crate::writer::signed_write(desk, |conn| {
        let signer = crate::writer::current_signer(desk, conn)?;
        keygen_core::db::head::ensure_current(conn, &signer, &desk.key_path)
            .map_err(crate::writer::for_people)?;
        // Chosen again inside the transaction: what another caller did meanwhile counts.
        let preview = ops::revoke::preview(conn, &chosen)?;
        let new: Vec<String> =
            preview.iter().filter(|c| c.new).map(|c| c.history.record().serial.clone()).collect();
        if new.is_empty() {
            return Ok(None);
        }
        let recorded = ops::revoke::record(conn, &signer, today, reason, &new, actor)?;
        Ok(Some(Revoked { sequence: recorded.sequence, list: recorded.text, revoked: new }))
    })
}

/// `POST /api/v1/revocations`: revoke keys (admin).
#[utoipa::path(post, path = "/api/v1/revocations", tag = "keys", request_body = RevokeBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Revoked: the next signed list", body = Revoked),
        (status = 409, description = "Every key named is revoked already", body = problem::Details, content_type = "application/problem+json"),
        (status = "4XX", description = "Refused", body = problem::Details, content_type = "application/problem+json"),
    ))]
pub async fn revoke(
    State(desk): State<crate::State>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (caller, b) = match caller_and::<RevokeBody>(&desk, &headers, Role::Admin, body).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if b.serials.is_empty() && b.order_ids.is_empty() {
        return Problem::field("serials", "give serials or order_ids").into_response();
    }
    if b.serials.len() + b.order_ids.len() > 10_000 {
        return Problem::field("serials", "at most 10000 serials and orders at once").into_response();
    }
    let d = desk.clone();
    let reason = b.reason.filter(|r| !r.trim().is_empty());
    let done =
        crate::blocking(move || revoke_in(&d, &b.serials, &b.order_ids, reason.as_deref(), &caller.actor))
            .await;
    match done {
        Ok(Some(r)) => respond(StatusCode::CREATED, &r),
        Ok(None) => {
            Problem::new(StatusCode::CONFLICT, "nothing new to revoke: these keys are revoked already")
                .into_response()
        }
        Err(e) => Problem::of(&desk, &e, Some("serials")).into_response(),
    }
}

/// `?days=&lapsed=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The window in days (default 30, at most 3650).
    pub days: Option<u32>,
    /// Keys that lapsed in the last `days` and were not renewed, instead of those that will.
    pub lapsed: Option<bool>,
}

/// One line of the renewal report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportLine {
    /// The key's organization.
    pub organization: String,
    /// Its order.
    pub order_id: Option<String>,
    /// Its contact.
    pub contact: Option<String>,
    /// Its serial.
    pub serial: String,
    /// Its last day.
    pub last_day: String,
    /// Days from today to the last day (negative: lapsed).
    pub days_left: i64,
    /// Seats, or `unlimited`.
    pub seats: String,
    /// Features.
    pub features: String,
}

/// The renewal report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    /// Soonest first.
    pub lines: Vec<ReportLine>,
}

/// `GET /api/v1/report`: current keys whose last day is in the window (support).
#[utoipa::path(get, path = "/api/v1/report", tag = "keys", params(ReportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = Report),
        (status = "4XX", description = "Refused", body = problem::Details, content_type = "application/problem+json"),
    ))]
pub async fn report(
    State(desk): State<crate::State>,
    headers: HeaderMap,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    if let Err(r) = require(&desk, &headers, Role::Support).await {
        return r;
    }
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return Problem::field("days", e.body_text()).into_response(),
    };
    let days = q.days.unwrap_or(30);
    if days > 3650 {
        return Problem::field("days", "at most 3650 days").into_response();
    }
    let Some(today) = Day::today().map(|d| i64::from(d.days())) else {
        return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "today is outside the days a key can hold")
            .into_response();
    };
    let days = i64::from(days);
    let (from, to) =
        if q.lapsed.unwrap_or(false) { (today - days, today - 1) } else { (today, today + days) };
    let d = desk.clone();
    let lines = crate::blocking(move || match Db::open_read(&d.ledger) {
        Ok(db) => ops::report::lines(db.conn(), today, from, to).map_err(Error::db("cannot read the ledger")),
        Err(Error::Input(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    })
    .await;
    match lines {
        Ok(lines) => respond(
            StatusCode::OK,
            &Report {
                lines: lines
                    .into_iter()
                    .map(|l| ReportLine {
                        organization: l.organization,
                        order_id: l.order_id,
                        contact: l.contact,
                        serial: l.serial,
                        last_day: l.last_day,
                        days_left: l.days_left,
                        seats: l.seats,
                        features: l.features,
                    })
                    .collect(),
            },
        ),
        Err(e) => Problem::of(&desk, &e, None).into_response(),
    }
}
