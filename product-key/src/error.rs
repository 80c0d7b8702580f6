//! Every way the library can refuse input. Each `Display` is a complete sentence fragment
//! that says what is wrong and where, ready to be shown to a person.

use thiserror::Error;

/// A date that is not a `YYYY-MM-DD` day a key can hold.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DateError {
    /// Not of the shape `YYYY-MM-DD`.
    #[error("'{0}' is not a date of the form YYYY-MM-DD")]
    Syntax(String),
    /// Of the right shape but not a day of the calendar (e.g. February 30th).
    #[error("'{0}' is not a day of the calendar")]
    NoSuchDate(String),
    /// A real day outside 1970-01-01..=2149-06-06, which 16 bits of days cannot hold.
    #[error("'{0}' is outside 1970-01-01 to 2149-06-06, the days a key can hold")]
    OutOfRange(String),
}

/// A seat count that is neither 1..=65534 nor `unlimited`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("'{0}' is not a seat count: use 1 to 65534, or 'unlimited'")]
pub struct SeatsError(pub String);

/// A serial that is not 1 to 16 hex digits, or is zero.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SerialError {
    /// Not 1 to 16 hex digits.
    #[error("'{0}' is not a serial: use 1 to 16 hex digits")]
    Syntax(String),
    /// Zero, which no key may carry.
    #[error("a serial cannot be zero")]
    Zero,
}

/// A product code that is not 1 to 8 capital ASCII letters.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("'{0}' is not a product code: use 1 to 8 capital letters A-Z")]
pub struct ProductError(pub String);

/// A feature list that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FeatureError {
    /// A name that is neither a catalog name nor a shown form.
    #[error("unknown feature '{0}' (see the catalog: keygen features)")]
    Unknown(String),
    /// No name at all: a key must grant something.
    #[error("the feature list is empty")]
    Empty,
    /// An empty entry between separators.
    #[error("the feature list has an empty name")]
    EmptyName,
    /// `all` together with other names, which is ambiguous.
    #[error("'all' cannot be combined with other feature names")]
    AllWithOthers,
}

/// An organization name with no canonical form.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum OrgError {
    /// Nothing left after white space is trimmed.
    #[error("the organization is empty")]
    Empty,
    /// A control character (Unicode category Cc) that is not white space.
    #[error("the organization has {} at character {position}", crate::shown::Shown(*character))]
    ControlCharacter {
        /// The character.
        character: char,
        /// Its position in the canonical text, counted in characters from 1.
        position: usize,
    },
    /// More than 255 bytes of UTF-8 in canonical form.
    #[error("the organization is {bytes} bytes of UTF-8; at most 255 fit in a key")]
    TooLong {
        /// Its length in canonical form.
        bytes: usize,
    },
    /// Read from a payload, and not already in canonical form.
    #[error("the organization is not in canonical form")]
    NotCanonical,
}

/// A payload that breaks a rule of the binary layout.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PayloadError {
    /// The `format` byte is not 1: a newer format, or not a key.
    #[error("unknown key format {0} (this release reads format 1)")]
    UnknownFormat(u8),
    /// The payload ends inside a field.
    #[error("the payload ends inside the {field} field (at byte {offset})")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Its byte offset in the payload.
        offset: usize,
    },
    /// `product_len` outside 1..=8.
    #[error("the product code length {0} is outside 1 to 8")]
    ProductLength(u8),
    /// The product code holds something other than `A`-`Z`.
    #[error("the product code is not made of capital letters A-Z")]
    ProductLetters,
    /// Serial 0.
    #[error("the serial is zero")]
    SerialZero,
    /// `expires` is set and earlier than `issued`.
    #[error("the key expires before it was issued")]
    ExpiresBeforeIssued,
    /// A last day of 1970-01-01, which encodes as 0 and would read as perpetual.
    #[error("a last day of 1970-01-01 cannot be encoded (day 0 means perpetual)")]
    LastDayIsEpoch,
    /// A field longer than its one-byte length can say.
    #[error("the {field} is {len} bytes; at most 255 fit")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// Seats 0.
    #[error("the seat count is zero")]
    SeatsZero,
    /// `org_len` 0.
    #[error("the organization is empty")]
    OrganizationEmpty,
    /// The organization bytes are not UTF-8.
    #[error("the organization is not valid UTF-8")]
    OrganizationUtf8,
    /// The organization is not in canonical form.
    #[error("{0}")]
    Organization(OrgError),
    /// An extension with tag 0.
    #[error("an extension has tag 0 (at payload byte {offset})")]
    ExtensionTagZero {
        /// Byte offset of the tag in the payload.
        offset: usize,
    },
    /// Extension tags not strictly ascending.
    #[error("extension tag {tag} follows tag {previous}; tags must ascend")]
    ExtensionOrder {
        /// The out-of-order tag.
        tag: u8,
        /// The tag before it.
        previous: u8,
    },
    /// A `supersedes` value that is not 8 bytes.
    #[error("the supersedes extension is {0} bytes; it holds an 8-byte serial")]
    SupersedesLength(usize),
    /// A `supersedes` value of 0, which no key has.
    #[error("the supersedes extension names serial 0")]
    SupersedesZero,
    /// A key that says it replaces itself.
    #[error("the supersedes extension names the key's own serial")]
    SupersedesItself,
    /// An extension value longer than its one-byte length can say.
    #[error("extension {tag} has a value over 255 bytes")]
    ExtensionTooLong {
        /// The tag.
        tag: u8,
    },
}

/// Why a text is not a key of this format (status `malformed`). Positions count characters
/// of the text as given, from 1.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// No text, or only white space.
    #[error("the key is empty")]
    Empty,
    /// The text stops inside the prefix.
    #[error("the key stops after its prefix: it is incomplete")]
    Truncated,
    /// A character where the prefix needs something else.
    #[error("character {position} is {}, where {expected} should be", crate::shown::Shown(*character))]
    PrefixCharacter {
        /// The character found.
        character: char,
        /// Its position.
        position: usize,
        /// What belongs there.
        expected: &'static str,
    },
    /// A text with no prefix of this product that does not even begin as a key of this
    /// format (letters, a major version, `-`) behind this product's code: another vendor's
    /// key (`Q7KX2-9PLMW-...`) or other text, rather than a mistyped key. Of kind `prefix`.
    #[error(
        "this is not an {product} product key: those start with '{product}{major}-', then groups of five \
         letters and digits",
        product = crate::PRODUCT_CODE,
        major = crate::MAJOR_VERSION
    )]
    NotThisProduct,
    /// A prefix that breaks a rule.
    #[error("bad prefix at character {position}: {what}")]
    Prefix {
        /// Position of the offending part.
        position: usize,
        /// The rule broken.
        what: &'static str,
    },
    /// A character outside the key alphabet (`U` included).
    #[error("character {position} is {}, which never appears in a key", crate::shown::Shown(*character))]
    Character {
        /// The character found.
        character: char,
        /// Its position.
        position: usize,
    },
    /// A body no blob can have: characters missing or extra.
    #[error(
        "the key has {symbols} characters after its prefix, which no key has: characters are missing or extra"
    )]
    Length {
        /// Characters of the body (separators and white space not counted).
        symbols: usize,
    },
    /// Non-zero bits in the last character's padding: that character is wrong, or one
    /// before it is missing or extra (the bits after a deleted character shift by five).
    #[error("the last character (at {position}) cannot end a key: a character is mistyped, missing or extra")]
    Padding {
        /// Position of the last character.
        position: usize,
    },
    /// The CRC does not match: mistyped or damaged.
    #[error("the checksum does not match: the key was mistyped or damaged")]
    Checksum,
    /// The payload breaks a rule of the layout.
    #[error("{0}")]
    Payload(#[from] PayloadError),
    /// Not a key of this format, found behind a prefix that names another major version of
    /// this product (`AST7-`: a key of version 6 or 7, of another design). Its status is
    /// `wrong_product`, not `malformed`: it is no typo, the customer needs a new key.
    #[error("this is a key for version {major}, not a key of this format")]
    OtherVersion {
        /// The major version its prefix names.
        major: u32,
    },
    /// The prefix names another product or version than the payload.
    #[error("the prefix says {prefix} but the key inside is for {payload}")]
    PrefixMismatch {
        /// What the prefix says, e.g. `AST7`.
        prefix: String,
        /// What the payload says.
        payload: String,
    },
}

/// A public key that cannot be trusted.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PublicKeyError {
    /// Not 32 bytes / 64 hex digits.
    #[error("a public key is 64 hex digits (32 bytes); this text has {0} characters")]
    Length(usize),
    /// A character that is not a hex digit.
    #[error("not hex at character {position}: '{character}'")]
    NotHex {
        /// The character.
        character: char,
        /// Its position in the text (surrounding white space removed), from 1.
        position: usize,
    },
    /// The bytes are not a point of the curve.
    #[error("the bytes are not an Ed25519 public key")]
    NotOnCurve,
    /// The encoding is not the canonical one of its point.
    #[error("the public key is not canonically encoded")]
    NotCanonical,
    /// A PEM block of another kind (a private key, a certificate...).
    #[error("the PEM block is a '{0}', not a 'PUBLIC KEY'")]
    PemKind(String),
    /// A `PUBLIC KEY` PEM that is not an Ed25519 SPKI document.
    #[error("not an Ed25519 public key PEM: {0}")]
    Pem(String),
    /// A small-order point, which would let almost any signature verify.
    #[error("the public key is weak (of small order) and cannot be trusted")]
    Weak,
}

/// A revocation list that cannot be used. Never ignored: the check cannot be done.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RevocationError {
    /// No `BEGIN`/`END REVOCATION LIST` lines.
    #[error("no '-----BEGIN REVOCATION LIST-----' ... '-----END REVOCATION LIST-----' block found")]
    NoArmour,
    /// The text inside the armour is not base64.
    #[error("the revocation list is not valid base64 (at character {position} of its body)")]
    Base64 {
        /// Position in the body, white space removed, from 0.
        position: usize,
    },
    /// The list ends inside a field.
    #[error("the revocation list is truncated")]
    Truncated,
    /// An unknown `format` byte.
    #[error("unknown revocation list format {0}")]
    UnknownFormat(u8),
    /// A product code that breaks its rule.
    #[error("the revocation list's product code is not 1 to 8 letters A-Z")]
    Product,
    /// `count` does not match the serials present.
    #[error("the revocation list says {count} serials but holds {bytes} bytes of them")]
    Count {
        /// The stated count.
        count: u32,
        /// Bytes present after it.
        bytes: usize,
    },
    /// A zero serial.
    #[error("the revocation list names serial 0")]
    SerialZero,
    /// Serials not strictly ascending.
    #[error("the revocation list's serials are not strictly ascending")]
    NotAscending,
    /// Signed by a key that is not trusted.
    #[error("the revocation list is signed by unknown key {0}")]
    UnknownSigner(crate::ids::KeyId),
    /// The signature does not verify.
    #[error("the revocation list's signature does not verify: it was altered or forged")]
    BadSignature,
    /// A genuine list older than the newest one the product has accepted.
    #[error("the revocation list is number {sequence}, older than list {highest_seen} already in use")]
    Older {
        /// This list's sequence.
        sequence: u32,
        /// The highest sequence accepted before.
        highest_seen: u32,
    },
    /// A genuine list for another product.
    #[error("the revocation list is for product {0}, not {product}", product = crate::PRODUCT_CODE)]
    OtherProduct(String),
}

impl DecodeError {
    /// A short name for the kind of error, as test vectors state it: `empty`, `prefix`,
    /// `character`, `length`, `padding`, `checksum`, `field` (a payload rule),
    /// `prefix_mismatch`, `other_version`.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Empty => "empty",
            DecodeError::Truncated
            | DecodeError::PrefixCharacter { .. }
            | DecodeError::Prefix { .. }
            | DecodeError::NotThisProduct => "prefix",
            DecodeError::Character { .. } => "character",
            DecodeError::Length { .. } => "length",
            DecodeError::Padding { .. } => "padding",
            DecodeError::Checksum => "checksum",
            DecodeError::Payload(_) => "field",
            DecodeError::PrefixMismatch { .. } => "prefix_mismatch",
            DecodeError::OtherVersion { .. } => "other_version",
        }
    }
}

impl RevocationError {
    /// A short name for the kind of error, as test vectors state it: `malformed` (not well
    /// formed), `unknown_signer`, `bad_signature`, `other_product`, `older`.
    pub fn kind(&self) -> &'static str {
        match self {
            RevocationError::UnknownSigner(_) => "unknown_signer",
            RevocationError::BadSignature => "bad_signature",
            RevocationError::OtherProduct(_) => "other_product",
            RevocationError::Older { .. } => "older",
            _ => "malformed",
        }
    }
}
