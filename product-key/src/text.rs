//! The text form: `AST8-` then the blob (payload, signature, CRC-32) in Crockford base32,
//! in groups of five. Reading is lenient where it is safe and names the first bad character.

use std::sync::LazyLock;

use data_encoding::{DecodeKind, Encoding, Specification};

use crate::error::DecodeError;
use crate::payload::Payload;

/// Length of the Ed25519 signature in the blob.
pub const SIGNATURE_LEN: usize = 64;
/// Length of the CRC-32 in the blob.
pub const CRC_LEN: usize = 4;
/// Smallest payload the layout allows: one-letter product, one-byte organization.
pub const MIN_PAYLOAD_LEN: usize = 32;

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const GROUP: usize = 5;

static CROCKFORD: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str(ALPHABET);
    spec.check_trailing_bits = true;
    // The alphabet is a fixed valid specification; failure here is a programming error.
    spec.encoding().unwrap_or_else(|e| panic!("Crockford alphabet: {e}"))
});

/// A key whose text and checksum are sound and whose payload parses. Nothing here is
/// trusted until the signature is verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedKey {
    /// The parsed payload.
    pub payload: Payload,
    /// The payload's bytes exactly as signed.
    pub payload_bytes: Vec<u8>,
    /// The Ed25519 signature over the payload.
    pub signature: [u8; SIGNATURE_LEN],
}

/// CRC-32/ISO-HDLC (zlib's) of the payload and signature.
pub fn checksum(payload_and_signature: &[u8]) -> u32 {
    crc32fast::hash(payload_and_signature)
}

/// Builds the blob from a payload's bytes and its signature, appending the CRC.
pub fn blob(payload: &[u8], signature: &[u8; SIGNATURE_LEN]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(payload.len() + SIGNATURE_LEN + CRC_LEN);
    blob.extend_from_slice(payload);
    blob.extend_from_slice(signature);
    let crc = checksum(&blob);
    blob.extend_from_slice(&crc.to_be_bytes());
    blob
}

/// Writes the text form of a blob for `product` and `major`.
pub fn encode(product: &str, major: u8, blob: &[u8]) -> String {
    let body = CROCKFORD.encode(blob);
    let mut out = String::with_capacity(product.len() + 4 + body.len() + body.len() / GROUP);
    out.push_str(product);
    out.push_str(&major.to_string());
    for (i, c) in body.chars().enumerate() {
        if i % GROUP == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// Reads a key's text: prefix, characters, length, padding, checksum, then the payload and
/// the prefix's agreement with it. Every failure is `malformed`.
pub fn decode(text: &str) -> Result<DecodedKey, DecodeError> {
    let mut chars =
        text.chars().enumerate().map(|(i, c)| (i + 1, c)).filter(|(_, c)| !c.is_whitespace()).peekable();
    if chars.peek().is_none() {
        return Err(DecodeError::Empty);
    }

    let mut product = String::new();
    while let Some(&(position, c)) = chars.peek() {
        if !c.is_ascii_alphabetic() {
            break;
        }
        if product.len() == crate::ids::Product::MAX_LEN {
            return Err(DecodeError::Prefix { position, what: "a product code has at most 8 letters" });
        }
        product.push(c.to_ascii_uppercase());
        chars.next();
    }
    if product.is_empty() {
        let (position, character) = chars.peek().copied().unwrap_or((1, ' '));
        return Err(DecodeError::PrefixCharacter {
            character,
            position,
            expected: "the product code (e.g. AST8-)",
        });
    }
    let mut major_digits = String::new();
    let mut major_start = 0;
    while let Some(&(position, c)) = chars.peek() {
        if !c.is_ascii_digit() {
            break;
        }
        if major_digits.is_empty() {
            major_start = position;
        }
        major_digits.push(c);
        chars.next();
    }
    if major_digits.is_empty() {
        return Err(match chars.peek() {
            Some(&(position, character)) => DecodeError::PrefixCharacter {
                character,
                position,
                expected: "the major version after the product code",
            },
            None => DecodeError::Truncated,
        });
    }
    if major_digits.len() > 1 && major_digits.starts_with('0') {
        return Err(DecodeError::Prefix {
            position: major_start,
            what: "the major version has a leading zero",
        });
    }
    let major: u8 = major_digits
        .parse()
        .map_err(|_| DecodeError::Prefix { position: major_start, what: "the major version is above 255" })?;
    match chars.next() {
        Some((_, '-')) => {}
        Some((position, character)) => {
            return Err(DecodeError::PrefixCharacter {
                character,
                position,
                expected: "'-' after the major version",
            });
        }
        None => return Err(DecodeError::Truncated),
    }

    let mut symbols = Vec::with_capacity(text.len());
    let mut positions = Vec::with_capacity(text.len());
    for (position, c) in chars {
        let symbol = match c.to_ascii_uppercase() {
            '-' => continue,
            'O' => b'0',
            'I' | 'L' => b'1',
            'U' => return Err(DecodeError::Character { character: c, position }),
            s if s.is_ascii_digit() || s.is_ascii_uppercase() => s as u8,
            _ => return Err(DecodeError::Character { character: c, position }),
        };
        symbols.push(symbol);
        positions.push(position);
    }
    let blob = CROCKFORD.decode(&symbols).map_err(|e| match e.kind {
        DecodeKind::Trailing => {
            DecodeError::Padding { position: positions.get(e.position).copied().unwrap_or(0) }
        }
        _ => DecodeError::Length { symbols: symbols.len() },
    })?;
    if blob.len() < MIN_PAYLOAD_LEN + SIGNATURE_LEN + CRC_LEN {
        return Err(DecodeError::Length { symbols: symbols.len() });
    }
    let (signed, crc) = blob.split_at(blob.len() - CRC_LEN);
    let stated = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if checksum(signed) != stated {
        return Err(DecodeError::Checksum);
    }
    let (payload_bytes, signature) = signed.split_at(signed.len() - SIGNATURE_LEN);
    let payload = Payload::from_bytes(payload_bytes)?;
    if payload.product.as_str() != product || payload.major != major {
        return Err(DecodeError::PrefixMismatch {
            prefix: format!("{product}{major}"),
            payload: format!("{}{}", payload.product, payload.major),
        });
    }
    let mut sig = [0u8; SIGNATURE_LEN];
    sig.copy_from_slice(signature);
    Ok(DecodedKey { payload, payload_bytes: payload_bytes.to_vec(), signature: sig })
}

impl DecodedKey {
    /// The blob: payload, signature and CRC.
    pub fn blob(&self) -> Vec<u8> {
        blob(&self.payload_bytes, &self.signature)
    }

    /// The canonical text form (upper case, grouped).
    pub fn to_text(&self) -> String {
        encode(self.payload.product.as_str(), self.payload.major, &self.blob())
    }
}
