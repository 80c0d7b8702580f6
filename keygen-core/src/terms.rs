//! One key's terms: a template with the overrides of a command line or a CSV row. `issue`
//! and `batch` both build payloads here, so a row means exactly what the flags mean.

use product_key::{Day, Expiry, FeatureSet, KeyId, Organization, Payload, Product, Seats, Serial};

use crate::template::Template;

/// The overrides given for one key, as text.
#[derive(Clone, Copy, Debug, Default)]
pub struct Overrides<'a> {
    /// The organization (required).
    pub organization: &'a str,
    /// Seats: a count or `unlimited`.
    pub seats: Option<&'a str>,
    /// Feature names separated by any of `separators`, or `all`.
    pub features: Option<&'a str>,
    /// A `YYYY-MM-DD` last day, or `never`.
    pub expires: Option<&'a str>,
}

/// Where an override's problem lies, for `issue`'s fields and `batch`'s columns alike.
pub use crate::error::Field;

/// The checked terms of one key, before it has a serial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Template id (file name without `.toml`).
    pub template: String,
    /// Canonical organization.
    pub organization: Organization,
    /// Client seats.
    pub seats: Seats,
    /// Granted features.
    pub features: FeatureSet,
    /// Day of issue.
    pub issued: Day,
    /// Last valid day or perpetual.
    pub expires: Expiry,
}

/// Applies `overrides` to `template` for a key issued on `issued`. Every problem is
/// reported, each with its field.
pub fn build(
    template: &Template,
    overrides: &Overrides<'_>,
    issued: Day,
    separators: &[char],
) -> Result<Terms, Vec<(Field, String)>> {
    let mut problems = Vec::new();
    let organization = Organization::canonicalize(overrides.organization)
        .map_err(|e| problems.push((Field::Organization, e.to_string())))
        .ok();
    let seats = match overrides.seats {
        None => Some(template.seats),
        Some(text) => text.parse::<Seats>().map_err(|e| problems.push((Field::Seats, e.to_string()))).ok(),
    };
    let features = match overrides.features {
        None => Some(template.features),
        Some(text) => FeatureSet::from_names(text.split(separators))
            .map_err(|e| problems.push((Field::Features, e.to_string())))
            .ok(),
    };
    let expires = match overrides.expires {
        Some(text) if text.eq_ignore_ascii_case("never") => Ok(Expiry::Perpetual),
        Some(text) => crate::dates::day(text).map(Expiry::LastDay),
        None => match template.valid_days {
            None => Ok(Expiry::Perpetual),
            Some(n) => issued.checked_add(n).map(Expiry::LastDay).ok_or_else(|| {
                format!("{n} days from {issued} is past 2149-06-06, the last day a key can hold")
            }),
        },
    }
    .and_then(|e| match e {
        Expiry::LastDay(day) if day < issued => Err(format!("{day} is before the day of issue {issued}")),
        e => Ok(e),
    })
    .map_err(|e| problems.push((Field::Expires, e)))
    .ok();
    match (organization, seats, features, expires) {
        (Some(organization), Some(seats), Some(features), Some(expires)) if problems.is_empty() => {
            Ok(Terms { template: template.id.clone(), organization, seats, features, issued, expires })
        }
        _ => Err(problems),
    }
}

impl Terms {
    /// The payload of these terms with `serial` (the signer stamps the key_id).
    pub fn payload(&self, serial: Serial) -> Payload {
        Payload {
            key_id: KeyId([0; 4]),
            product: Product::new(product_key::PRODUCT_CODE).unwrap_or_else(|e| unreachable!("{e}")),
            major: product_key::MAJOR_VERSION,
            serial,
            issued: self.issued,
            expires: self.expires,
            seats: self.seats,
            features: self.features,
            organization: self.organization.clone(),
            extensions: Vec::new(),
        }
    }
}

/// Reads an issue date (in any form [`crate::dates::day`] reads): from 1970-01-02 (day 0
/// would collide with "perpetual" rules) to 2149-06-06.
pub fn issue_day(text: &str) -> Result<Day, String> {
    let day = crate::dates::day(text)?;
    if day == Day::EPOCH {
        return Err(format!("'{text}' is before 1970-01-02, the first day of issue"));
    }
    Ok(day)
}
