//! The product key, format version 1: one definition of what a key says, how it is written,
//! how it is signed, and how it is judged.
//!
//! A key is a payload (product, version, serial, dates, seats, features, organization),
//! signed with Ed25519 under the context `license-key-v1`, followed by a CRC-32 so that a
//! typo is told apart from a forgery, and written in Crockford base32 behind a prefix such
//! as `AST8-`. Verification needs only the vendor's public keys.
//!
//! The default build verifies only; the `sign` feature adds [`Signer`].
//!
//! ```
//! use product_key::{verify, Check, Day, Status, TrustedKeys};
//!
//! // The public key of the RFC 8032 "TEST 1" secret key: for tests only, never trust it.
//! let mut trusted = TrustedKeys::new();
//! trusted.add_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")?;
//!
//! let key = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-\
//!            0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-\
//!            WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";
//! let check = Check {
//!     at: "2027-01-01".parse::<Day>()?,
//!     organization: Some("ACME  analytics gmbh"),
//!     revocations: None,
//! };
//! let verdict = verify(key, &trusted, &check);
//! assert_eq!(verdict.status(), Status::Valid);
//! assert_eq!(verdict.status().exit_code(), 0);
//! let payload = &verdict.key.as_ref().ok_or("no fields")?.payload;
//! assert_eq!(payload.organization.as_str(), "Acme Analytics GmbH");
//! assert_eq!(payload.seats.limit(), Some(25));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod catalog;
mod day;
pub mod error;
mod exact;
#[cfg(feature = "sign")]
mod external;
mod ids;
#[cfg(test)]
mod linear_time;
mod org;
mod payload;
mod revocation;
mod seats;
mod shown;
#[cfg(feature = "sign")]
mod sign;
mod status;
mod textform;
mod trusted;
mod typo;
mod verify;

/// The text form: reading a key out of pasted text, and pointing at a likely typo.
pub mod text {
    pub use crate::textform::{CRC_LEN, DecodedKey, Found, SIGNATURE_LEN, decode, decode_found};
    pub use crate::typo::{MAX_SEARCHED, Typo, locate_typo};
}

/// The raw encoders that test vectors and crafted keys are made with. Not for products: a
/// product verifies with [`verify`] and needs none of this.
#[doc(hidden)]
pub mod raw {
    pub use crate::revocation::{armour, signed_message as list_message};
    pub use crate::textform::{blob, checksum, decode_found_the_long_way, decode_whole_text, encode};
    pub use crate::verify::{KEY_CONTEXT, signed_message};
}

pub use catalog::{Feature, FeatureSet};
pub use day::Day;
pub use error::{
    DateError, DecodeError, FeatureError, OrgError, PayloadError, ProductError, PublicKeyError,
    RevocationError, SeatsError, SerialError,
};
#[cfg(feature = "sign")]
pub use external::{Ed25519Sign, ExternalError, ExternalSigner};
pub use ids::{KeyId, Product, Serial};
pub use org::{
    MAX_ENTERED_BYTES, MAX_ORG_BYTES, OrgDifference, Organization, match_form, transliterated_form,
};
pub use payload::{Expiry, Extension, FORMAT_V1, Payload, SUPERSEDES};
pub use revocation::RevocationList;
pub use seats::Seats;
#[cfg(feature = "sign")]
pub use sign::{LEDGER_HEAD_CONTEXT, Signer, ledger_head_message};
pub use status::{Finding, Status};
pub use textform::DecodedKey;
pub use trusted::{SignatureFailure, TrustedKeys};
pub use verify::{Check, Verdict, verify, verify_decoded, verify_each};

/// The product code this release issues and checks keys for.
pub const PRODUCT_CODE: &str = "AST";
/// The major version this release issues and checks keys for.
pub const MAJOR_VERSION: u8 = 8;
