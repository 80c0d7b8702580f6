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

/// A key's text after the lenient reading rules: the prefix, and the body's symbols in the
/// canonical alphabet with each one's position in the text as given.
struct Symbols {
    product: String,
    major: u8,
    symbols: Vec<u8>,
    positions: Vec<usize>,
}

/// Reads a key's text: prefix, characters, length, padding, checksum, then the payload and
/// the prefix's agreement with it. Every failure is `malformed`.
pub fn decode(text: &str) -> Result<DecodedKey, DecodeError> {
    let read = read_symbols(text)?;
    decode_symbols(&read.product, read.major, &read.symbols, &read.positions)
}

fn read_symbols(text: &str) -> Result<Symbols, DecodeError> {
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
    Ok(Symbols { product, major, symbols, positions })
}

fn decode_symbols(
    product: &str,
    major: u8,
    symbols: &[u8],
    positions: &[usize],
) -> Result<DecodedKey, DecodeError> {
    let blob = CROCKFORD.decode(symbols).map_err(|e| match e.kind {
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

/// A likely typo in a key whose checksum does not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typo {
    /// One character is wrong.
    Substitution {
        /// Its position in the text as given, from 1.
        position: usize,
        /// What the text has.
        found: char,
        /// What makes the checksum match.
        likely: char,
    },
    /// Two neighbouring characters are swapped.
    Transposition {
        /// Position of the first of the two, from 1.
        position: usize,
    },
}

/// For a key that fails its checksum: the single substitution or swap of neighbours that
/// makes the checksum match and the payload parse, if there is exactly one. Only a hint for
/// a person: the key stays malformed, and nothing is corrected silently.
pub fn locate_typo(text: &str) -> Option<Typo> {
    let read = read_symbols(text).ok()?;
    let judge = |symbols: &[u8]| decode_symbols(&read.product, read.major, symbols, &read.positions);
    if !matches!(judge(&read.symbols), Err(DecodeError::Checksum)) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut found = None;
    let mut symbols = read.symbols.clone();
    for i in 0..symbols.len() {
        let original = symbols[i];
        for &candidate in ALPHABET.as_bytes() {
            if candidate == original {
                continue;
            }
            symbols[i] = candidate;
            if judge(&symbols).is_ok() {
                if found.is_some() {
                    return None;
                }
                let position = read.positions[i];
                let typed = chars.get(position - 1).copied().unwrap_or(' ');
                found = Some(Typo::Substitution { position, found: typed, likely: char::from(candidate) });
            }
        }
        symbols[i] = original;
    }
    for i in 1..symbols.len() {
        if symbols[i - 1] == symbols[i] {
            continue;
        }
        symbols.swap(i - 1, i);
        if judge(&symbols).is_ok() {
            if found.is_some() {
                return None;
            }
            found = Some(Typo::Transposition { position: read.positions[i - 1] });
        }
        symbols.swap(i - 1, i);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";

    #[test]
    fn finds_one_wrong_character() {
        let mut typo: Vec<char> = KEY.chars().collect();
        assert_eq!(typo[101], 'C');
        typo[101] = 'G';
        let typo: String = typo.into_iter().collect();
        assert_eq!(decode(&typo).err(), Some(DecodeError::Checksum));
        assert_eq!(locate_typo(&typo), Some(Typo::Substitution { position: 102, found: 'G', likely: 'C' }));
    }

    #[test]
    fn finds_swapped_neighbours() {
        let typo = KEY.replacen("3H6GB", "3HG6B", 1);
        assert_eq!(locate_typo(&typo), Some(Typo::Transposition { position: 68 }));
    }

    #[test]
    fn says_nothing_of_sound_keys_or_of_damage_it_cannot_place() {
        assert_eq!(locate_typo(KEY), None);
        assert_eq!(locate_typo(&KEY.replacen("3H6GB", "XXXXX", 1)), None);
    }
}
