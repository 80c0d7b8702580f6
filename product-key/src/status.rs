//! Verdicts: the status of a key, its exit code, and the finding behind it.

use std::fmt;

use crate::day::Day;
use crate::error::DecodeError;
use crate::ids::{KeyId, Product, Serial};

/// The status of a key, in the order the checks are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not a key of this format, or mistyped.
    Malformed,
    /// Signed by an untrusted key, or the signature fails.
    NotGenuine,
    /// Genuine, but for another product or version, or needs a newer release.
    WrongProduct,
    /// Named by the revocation list given.
    Revoked,
    /// Issued more than one day after the checking date.
    NotYetValid,
    /// The checking date is after the last valid day.
    Expired,
    /// The organization given does not match the key's.
    OrgMismatch,
    /// Every check passed.
    Valid,
}

impl Status {
    /// Every status, in check order.
    pub const ALL: [Status; 8] = [
        Status::Malformed,
        Status::NotGenuine,
        Status::WrongProduct,
        Status::Revoked,
        Status::NotYetValid,
        Status::Expired,
        Status::OrgMismatch,
        Status::Valid,
    ];

    /// The name used in JSON and test vectors, e.g. `not_genuine`.
    pub const fn name(self) -> &'static str {
        match self {
            Status::Malformed => "malformed",
            Status::NotGenuine => "not_genuine",
            Status::WrongProduct => "wrong_product",
            Status::Revoked => "revoked",
            Status::NotYetValid => "not_yet_valid",
            Status::Expired => "expired",
            Status::OrgMismatch => "org_mismatch",
            Status::Valid => "valid",
        }
    }

    /// The process exit code a tool reports for this status.
    pub const fn exit_code(self) -> u8 {
        match self {
            Status::Valid => 0,
            Status::Malformed => 3,
            Status::NotGenuine => 4,
            Status::WrongProduct => 5,
            Status::OrgMismatch => 6,
            Status::NotYetValid | Status::Expired => 7,
            Status::Revoked => 8,
        }
    }

    /// The status with this name.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the verification found: the status with the facts that explain it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The text is not a key of this format.
    Malformed(DecodeError),
    /// The key_id names no trusted public key.
    UnknownSigner(KeyId),
    /// The key_id is trusted but the signature does not verify.
    BadSignature(KeyId),
    /// A genuine key for another product code.
    OtherProduct {
        /// The key's product.
        product: Product,
        /// The key's major version.
        major: u8,
    },
    /// A genuine key of this product for another major version.
    OtherVersion {
        /// The key's major version.
        major: u8,
        /// The version this release checks for.
        expected: u8,
    },
    /// Not a key of this format, behind a prefix naming another major version of this
    /// product (a version 6 or 7 key): the customer needs a key for this version.
    KeyOfVersion(u32),
    /// A critical extension this release does not know.
    CriticalExtension(u8),
    /// The serial is on the revocation list given.
    Revoked {
        /// The serial.
        serial: Serial,
        /// The list's sequence number.
        sequence: u32,
    },
    /// Issued more than a day after the checking date.
    NotYetValid {
        /// Day of issue.
        issued: Day,
    },
    /// Past the last valid day.
    Expired {
        /// The last valid day.
        last_day: Day,
    },
    /// The organization given is not the key's.
    OrgMismatch {
        /// The key's organization.
        issued_to: String,
        /// What was given.
        entered: String,
        /// Where the two differ, in a person's words.
        difference: crate::org::OrgDifference,
    },
    /// All checks passed.
    Valid,
}

impl Finding {
    /// The status this finding gives.
    pub fn status(&self) -> Status {
        match self {
            Finding::Malformed(_) => Status::Malformed,
            Finding::UnknownSigner(_) | Finding::BadSignature(_) => Status::NotGenuine,
            Finding::OtherProduct { .. }
            | Finding::OtherVersion { .. }
            | Finding::KeyOfVersion(_)
            | Finding::CriticalExtension(_) => Status::WrongProduct,
            Finding::Revoked { .. } => Status::Revoked,
            Finding::NotYetValid { .. } => Status::NotYetValid,
            Finding::Expired { .. } => Status::Expired,
            Finding::OrgMismatch { .. } => Status::OrgMismatch,
            Finding::Valid => Status::Valid,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Malformed(e) => write!(f, "not a readable key: {e}"),
            Finding::UnknownSigner(id) => write!(f, "signed by unknown key {id}"),
            Finding::BadSignature(id) => write!(
                f,
                "the key was altered or forged: its signature does not verify with trusted key {id}"
            ),
            Finding::OtherProduct { product, major } => write!(
                f,
                "this key is for product {product} {major}, not {} {}",
                crate::PRODUCT_CODE,
                crate::MAJOR_VERSION
            ),
            Finding::OtherVersion { major, expected } => {
                write!(f, "this key is for version {major}; version {expected} needs a new key")
            }
            Finding::KeyOfVersion(major) => {
                write!(f, "this key is for version {major}; version {} needs a new key", crate::MAJOR_VERSION)
            }
            Finding::CriticalExtension(tag) => {
                write!(f, "this key needs a newer release (it carries extension {tag})")
            }
            Finding::Revoked { serial, sequence } => {
                write!(f, "key {serial} was revoked (revocation list {sequence})")
            }
            Finding::NotYetValid { issued } => write!(f, "the key is not valid before {issued}"),
            Finding::Expired { last_day } => write!(f, "the key expired on {last_day}"),
            Finding::OrgMismatch { issued_to, entered, difference } => write!(
                f,
                "the key was issued to {}, not {}: {difference}",
                crate::shown::quoted(issued_to),
                crate::shown::quoted(entered)
            ),
            Finding::Valid => f.write_str("the key is valid"),
        }
    }
}
