//! The payload: what a key says, and its binary encoding (all integers big-endian).

use std::num::NonZeroU8;

use crate::catalog::FeatureSet;
use crate::day::Day;
use crate::error::PayloadError;
use crate::ids::{KeyId, Product, Serial};
use crate::org::Organization;
use crate::seats::Seats;

/// The `format` byte of this version.
pub const FORMAT_V1: u8 = 0x01;
/// The extension tag of `supersedes`: 8 bytes, the serial of the key this one replaces.
pub const SUPERSEDES: u8 = 0x01;

/// The last day a key may be used, or never ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// No end (encoded as day 0).
    Perpetual,
    /// Valid through this day, inclusive.
    LastDay(Day),
}

impl Expiry {
    fn from_wire(days: u16) -> Expiry {
        match days {
            0 => Expiry::Perpetual,
            d => Expiry::LastDay(Day::from_days(d)),
        }
    }

    fn to_wire(self) -> u16 {
        match self {
            Expiry::Perpetual => 0,
            Expiry::LastDay(day) => day.days(),
        }
    }

    /// The last valid day, or `None` when perpetual.
    pub fn last_day(self) -> Option<Day> {
        match self {
            Expiry::Perpetual => None,
            Expiry::LastDay(day) => Some(day),
        }
    }
}

/// A `tag len value` entry after the organization, room for fields of later releases.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Extension {
    /// 1..=255; 0x80 and above are critical.
    pub tag: NonZeroU8,
    /// At most 255 bytes.
    pub value: Vec<u8>,
}

impl Extension {
    /// A verifier that does not know a critical tag must refuse the key.
    pub fn is_critical(&self) -> bool {
        self.tag.get() & 0x80 != 0
    }
}

/// Everything a key states about the license.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Payload {
    /// Id of the public key whose private half signed the key.
    pub key_id: KeyId,
    /// Product code, e.g. `AST`.
    pub product: Product,
    /// Product major version, e.g. 8.
    pub major: u8,
    /// Random serial, unique per key.
    pub serial: Serial,
    /// Day of issue.
    pub issued: Day,
    /// Last valid day, or perpetual.
    pub expires: Expiry,
    /// Client connections per server.
    pub seats: Seats,
    /// Granted features (unknown bits kept as they are).
    pub features: FeatureSet,
    /// Organization in canonical form.
    pub organization: Organization,
    /// Extensions, in strictly ascending tag order.
    pub extensions: Vec<Extension>,
}

impl Payload {
    /// Checks the rules that span fields (types guard the rest): a last day after
    /// 1970-01-01 and not before `issued`, extension tags strictly ascending, extension
    /// values at most 255 bytes, a `supersedes` of 8 bytes naming another, non-zero serial.
    pub fn check(&self) -> Result<(), PayloadError> {
        if let Expiry::LastDay(day) = self.expires {
            // Day 0 on the wire means perpetual: a key meant to end would never end.
            if day == Day::EPOCH {
                return Err(PayloadError::LastDayIsEpoch);
            }
            if day < self.issued {
                return Err(PayloadError::ExpiresBeforeIssued);
            }
        }
        let mut previous = 0u8;
        for ext in &self.extensions {
            if ext.tag.get() <= previous {
                return Err(PayloadError::ExtensionOrder { tag: ext.tag.get(), previous });
            }
            if ext.value.len() > usize::from(u8::MAX) {
                return Err(PayloadError::ExtensionTooLong { tag: ext.tag.get() });
            }
            if ext.tag.get() == SUPERSEDES {
                let replaced = <[u8; 8]>::try_from(ext.value.as_slice())
                    .map_err(|_| PayloadError::SupersedesLength(ext.value.len()))?;
                match Serial::new(u64::from_be_bytes(replaced)) {
                    None => return Err(PayloadError::SupersedesZero),
                    Some(s) if s == self.serial => return Err(PayloadError::SupersedesItself),
                    Some(_) => {}
                }
            }
            previous = ext.tag.get();
        }
        Ok(())
    }

    /// The serial of the key this one replaces (the `supersedes` extension), if any.
    /// Valid only after [`Payload::check`], which every parsed payload has passed.
    pub fn supersedes(&self) -> Option<Serial> {
        let ext = self.extensions.iter().find(|e| e.tag.get() == SUPERSEDES)?;
        let bytes = <[u8; 8]>::try_from(ext.value.as_slice()).ok()?;
        Serial::new(u64::from_be_bytes(bytes))
    }

    /// Makes this key replace `serial` (a renewal, an upgrade, a correction): sets the
    /// `supersedes` extension, keeping the tags in order.
    pub fn set_supersedes(&mut self, serial: Serial) {
        self.extensions.retain(|e| e.tag.get() != SUPERSEDES);
        let ext = Extension {
            tag: NonZeroU8::new(SUPERSEDES).unwrap_or(NonZeroU8::MIN),
            value: serial.get().to_be_bytes().to_vec(),
        };
        let at = self.extensions.partition_point(|e| e.tag.get() < SUPERSEDES);
        self.extensions.insert(at, ext);
    }

    /// The binary encoding, after [`Payload::check`]: a payload that breaks a rule has none.
    pub fn to_bytes(&self) -> Result<Vec<u8>, PayloadError> {
        self.check()?;
        let product = self.product.as_str().as_bytes();
        let org = self.organization.as_str().as_bytes();
        let mut out = Vec::with_capacity(30 + product.len() + org.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&self.key_id.0);
        out.push(length_byte(product.len(), "product")?);
        out.extend_from_slice(product);
        out.push(self.major);
        out.extend_from_slice(&self.serial.get().to_be_bytes());
        out.extend_from_slice(&self.issued.days().to_be_bytes());
        out.extend_from_slice(&self.expires.to_wire().to_be_bytes());
        out.extend_from_slice(&self.seats.to_wire().to_be_bytes());
        out.extend_from_slice(&self.features.bits().to_be_bytes());
        out.push(length_byte(org.len(), "organization")?);
        out.extend_from_slice(org);
        for ext in &self.extensions {
            out.push(ext.tag.get());
            out.push(length_byte(ext.value.len(), "extension value")?);
            out.extend_from_slice(&ext.value);
        }
        Ok(out)
    }

    /// Parses and checks every field rule of the layout.
    pub fn from_bytes(bytes: &[u8]) -> Result<Payload, PayloadError> {
        let mut r = Reader { bytes, offset: 0 };
        let format = r.u8("format")?;
        if format != FORMAT_V1 {
            return Err(PayloadError::UnknownFormat(format));
        }
        let key_id = KeyId(r.array::<4>("key_id")?);
        let product_len = r.u8("product_len")?;
        if !(1..=Product::MAX_LEN as u8).contains(&product_len) {
            return Err(PayloadError::ProductLength(product_len));
        }
        let product_bytes = r.take(usize::from(product_len), "product")?;
        let product = std::str::from_utf8(product_bytes)
            .ok()
            .and_then(|s| Product::new(s).ok())
            .ok_or(PayloadError::ProductLetters)?;
        let major = r.u8("major")?;
        let serial = Serial::new(u64::from_be_bytes(r.array("serial")?)).ok_or(PayloadError::SerialZero)?;
        let issued = Day::from_days(u16::from_be_bytes(r.array("issued")?));
        let expires = Expiry::from_wire(u16::from_be_bytes(r.array("expires")?));
        let seats = Seats::from_wire(u16::from_be_bytes(r.array("seats")?)).ok_or(PayloadError::SeatsZero)?;
        let features = FeatureSet::from_bits(u64::from_be_bytes(r.array("features")?));
        let org_len = r.u8("org_len")?;
        if org_len == 0 {
            return Err(PayloadError::OrganizationEmpty);
        }
        let org_bytes = r.take(usize::from(org_len), "organization")?;
        let org_text = std::str::from_utf8(org_bytes).map_err(|_| PayloadError::OrganizationUtf8)?;
        let organization = Organization::from_canonical(org_text).map_err(PayloadError::Organization)?;
        let mut extensions = Vec::new();
        let mut previous = 0u8;
        while r.offset < bytes.len() {
            let at = r.offset;
            let tag = NonZeroU8::new(r.u8("extension tag")?)
                .ok_or(PayloadError::ExtensionTagZero { offset: at })?;
            if tag.get() <= previous {
                return Err(PayloadError::ExtensionOrder { tag: tag.get(), previous });
            }
            previous = tag.get();
            let len = r.u8("extension length")?;
            let value = r.take(usize::from(len), "extension value")?.to_vec();
            extensions.push(Extension { tag, value });
        }
        let payload = Payload {
            key_id,
            product,
            major,
            serial,
            issued,
            expires,
            seats,
            features,
            organization,
            extensions,
        };
        payload.check()?;
        Ok(payload)
    }
}

/// A length as its one byte, or the error that it does not fit (never truncated).
fn length_byte(len: usize, field: &'static str) -> Result<u8, PayloadError> {
    u8::try_from(len).map_err(|_| PayloadError::TooLong { field, len })
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], PayloadError> {
        let end = self.offset.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(PayloadError::Truncated { field, offset: self.offset })?;
        let out = &self.bytes[self.offset..end];
        self.offset = end;
        Ok(out)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, PayloadError> {
        Ok(self.take(1, field)?[0])
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], PayloadError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::FeatureSet;

    fn payload() -> Payload {
        Payload {
            key_id: KeyId([1, 2, 3, 4]),
            product: Product::new("AST").expect("product"),
            major: 8,
            serial: Serial::new(1).expect("serial"),
            issued: Day::EPOCH,
            expires: Expiry::Perpetual,
            seats: Seats::Unlimited,
            features: FeatureSet::from_bits(1),
            organization: Organization::canonicalize("Acme").expect("org"),
            extensions: Vec::new(),
        }
    }

    #[test]
    fn a_last_day_of_1970_01_01_is_refused_not_turned_perpetual() {
        let mut p = payload();
        p.expires = Expiry::LastDay(Day::EPOCH);
        assert_eq!(p.to_bytes(), Err(PayloadError::LastDayIsEpoch));
        p.expires = Expiry::LastDay(Day::from_days(1));
        let bytes = p.to_bytes().expect("encodes");
        assert_eq!(Payload::from_bytes(&bytes).expect("parses").expires, Expiry::LastDay(Day::from_days(1)));
    }

    #[test]
    fn supersedes_is_eight_bytes_naming_another_key() {
        let mut p = payload();
        p.extensions = vec![Extension { tag: NonZeroU8::new(5).expect("tag"), value: vec![1] }];
        p.set_supersedes(Serial::new(0xabc).expect("serial"));
        assert_eq!(p.extensions[0].tag.get(), SUPERSEDES, "tags stay ascending");
        let parsed = Payload::from_bytes(&p.to_bytes().expect("encodes")).expect("parses");
        assert_eq!(parsed.supersedes(), Serial::new(0xabc));
        let mut bad = |value: Vec<u8>| {
            p.extensions[0].value = value;
            p.to_bytes()
        };
        assert_eq!(bad(vec![0; 7]), Err(PayloadError::SupersedesLength(7)));
        assert_eq!(bad(vec![0; 8]), Err(PayloadError::SupersedesZero));
        assert_eq!(bad(1u64.to_be_bytes().to_vec()), Err(PayloadError::SupersedesItself));
    }

    #[test]
    fn lengths_are_never_truncated() {
        let mut p = payload();
        p.extensions = vec![Extension { tag: NonZeroU8::new(9).expect("tag"), value: vec![0; 256] }];
        assert_eq!(p.to_bytes(), Err(PayloadError::ExtensionTooLong { tag: 9 }));
        p.extensions[0].value.truncate(255);
        let bytes = p.to_bytes().expect("255 bytes fit");
        assert_eq!(Payload::from_bytes(&bytes).expect("parses"), p);
    }
}
