//! A key as `issue --json` prints it and as the ledger records it.

use product_key::Payload;
use serde::{Deserialize, Serialize};

/// One issued key. Field order is the spec's; absent values are null.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key text.
    pub key: String,
    /// 16 lowercase hex digits.
    pub serial: String,
    /// 8 lowercase hex digits.
    pub key_id: String,
    /// Product code.
    pub product: String,
    /// Major version.
    pub major_version: u8,
    /// Canonical organization.
    pub organization: String,
    /// Null when unlimited.
    pub seats: Option<u16>,
    /// Catalog names in bit order.
    pub features: Vec<String>,
    /// `YYYY-MM-DD`.
    pub issued: String,
    /// `YYYY-MM-DD`, null when perpetual.
    pub expires: Option<String>,
    /// Template file name without `.toml`.
    pub template: Option<String>,
    /// The order, if given.
    pub order_id: Option<String>,
    /// The contact, if given.
    pub contact: Option<String>,
    /// The serial of the key this one replaces (renew, amend); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// Why it replaces that key: `renewal` or `amendment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Ledger only: the command that issued it (`issue`, `batch`, `renew`, `amend`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Ledger only: when it was recorded (RFC 3339 UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// Ledger only: who recorded it (a desk person's name, or `cli:` and the OS user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Ledger only: the hash of the row before in the ledger's chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

impl KeyRecord {
    /// The record of a signed payload.
    pub fn new(
        key: String,
        payload: &Payload,
        template: &str,
        order_id: Option<String>,
        contact: Option<String>,
    ) -> KeyRecord {
        KeyRecord {
            key,
            serial: payload.serial.to_string(),
            key_id: payload.key_id.to_string(),
            product: payload.product.to_string(),
            major_version: payload.major,
            organization: payload.organization.to_string(),
            seats: payload.seats.limit(),
            features: payload.features.features().map(|f| f.name().to_owned()).collect(),
            issued: payload.issued.to_string(),
            expires: payload.expires.last_day().map(|d| d.to_string()),
            template: Some(template.to_owned()),
            order_id,
            contact,
            supersedes: payload.supersedes().map(|s| s.to_string()),
            reason: None,
            via: None,
            issued_at: None,
            actor: None,
            prev: None,
        }
    }
}

/// Now as RFC 3339 UTC with whole seconds, e.g. `2026-11-28T15:04:05Z`.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let day = product_key::Day::from_days(u16::try_from(secs / 86_400).unwrap_or(u16::MAX));
    let s = secs % 86_400;
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}
