//! The typo locator: for a key whose checksum does not match, the one wrong character or
//! swap of neighbours that makes it sound, as a hint for a person.

use crate::error::DecodeError;
use crate::textform::{self, ALPHABET, CRC_LEN, MAX_BODY, Read};

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

/// The most key characters the locator searches: 2,048, the most body characters the reader
/// considers after a prefix (key-format.md, "Reading a key out of pasted text", step 3), so
/// the longest key that can be read out of pasted text. The longest key keygen writes (a
/// 255-byte organization and a `supersedes`) has 586. A longer run of characters (a text
/// with no prefix of this product, read whole by the rules of revision 1) is no mistyped key
/// of this format: it gets no hint, and costs no search.
pub const MAX_SEARCHED: usize = MAX_BODY;

/// For a key that fails its checksum: the single substitution or swap of neighbours that
/// makes the checksum match and the payload parse, if there is exactly one. Only a hint for
/// a person: the key stays malformed, and nothing is corrected silently. Linear in the text:
/// see [`MAX_SEARCHED`] and [`bit_effects`].
pub fn locate_typo(text: &str) -> Option<Typo> {
    // With no candidate prefix the whole text is read, and every ASCII letter or digit after
    // a prefix of at most 8 letters and 3 digits is a key character: a text with more than
    // that many over the bound is left without reading it a second time.
    let prefix = crate::ids::Product::MAX_LEN + 3;
    if text.len() > MAX_SEARCHED + prefix
        && !textform::holds_candidate(text)
        && text.bytes().filter(u8::is_ascii_alphanumeric).count() > MAX_SEARCHED + prefix
    {
        return None;
    }
    let (Read::Symbols(read), _) = textform::find(text).ok()? else { return None };
    if read.symbols.len() > MAX_SEARCHED {
        return None;
    }
    let judge =
        |symbols: &[u8]| textform::decode_symbols(&read.product, read.major, symbols, &read.positions);
    if !matches!(judge(&read.symbols), Err(DecodeError::Checksum)) {
        return None;
    }
    // The symbols decode (the checksum was reached): how far their checksum is from matching.
    let blob = textform::base32(&read.symbols).ok()?;
    let (signed, stated) = blob.split_at(blob.len().checked_sub(CRC_LEN)?);
    let miss = textform::checksum(signed) ^ u32::from_be_bytes(stated.try_into().ok()?);
    let effects = bit_effects(blob.len());
    // What changing symbol `i` by the bits `delta` does to `miss` (padding bits do nothing).
    let effect = |i: usize, delta: u8| {
        (0..5)
            .filter(|b| (delta >> (4 - b)) & 1 == 1)
            .filter_map(|b| effects.get(5 * i + b))
            .fold(0, |acc, e| acc ^ e)
    };
    let values: Vec<u8> = read.symbols.iter().map(|&s| textform::value(s)).collect();
    // Only a change that cancels `miss` can make the checksum match: those alone are decoded
    // in full (the payload must parse, the padding be zero), and two that do make no hint.
    let mut found = None;
    let mut symbols = read.symbols.clone();
    for i in 0..symbols.len() {
        for (v, &candidate) in (0u8..).zip(ALPHABET.as_bytes()) {
            let delta = values[i] ^ v;
            if delta == 0 || effect(i, delta) != miss {
                continue;
            }
            symbols[i] = candidate;
            let sound = judge(&symbols).is_ok();
            symbols[i] = read.symbols[i];
            if sound {
                if found.is_some() {
                    return None;
                }
                let position = read.positions[i];
                let typed = text.chars().nth(position - 1).unwrap_or(' ');
                found = Some(Typo::Substitution { position, found: typed, likely: char::from(candidate) });
            }
        }
    }
    for i in 1..symbols.len() {
        let delta = values[i - 1] ^ values[i];
        if delta == 0 || effect(i - 1, delta) ^ effect(i, delta) != miss {
            continue;
        }
        symbols.swap(i - 1, i);
        let sound = judge(&symbols).is_ok();
        symbols.swap(i - 1, i);
        if sound {
            if found.is_some() {
                return None;
            }
            found = Some(Typo::Transposition { position: read.positions[i - 1] });
        }
    }
    found
}

/// What flipping each bit of an `n`-byte blob does to `checksum(signed) ^ stated`, which is
/// zero exactly when the checksum matches; bit 0 is the most significant bit of byte 0, as
/// base32 lays the bits out. CRC-32 is affine over GF(2): flipping several bits changes the
/// checksum by the XOR of what each does alone. So each of the 31·N substitutions (and N
/// swaps) is tried in constant time instead of by decoding the key again, which made the
/// search quadratic (issue 18).
fn bit_effects(n: usize) -> Vec<u32> {
    let signed = n.saturating_sub(CRC_LEN);
    let mut effects = vec![0u32; 8 * n];
    // A byte holding only bit `s` as the last signed byte; each step back puts one more zero
    // byte after it.
    let mut register: [u32; 8] = std::array::from_fn(|s| zero_byte(0x80 >> s));
    for k in (0..signed).rev() {
        for (s, r) in register.iter_mut().enumerate() {
            effects[8 * k + s] = *r;
            *r = zero_byte(*r);
        }
    }
    // The stated CRC is big-endian: bit `s` of its byte `q` is bit 31 - 8q - s of the value.
    for q in 0..n - signed {
        for s in 0..8 {
            effects[8 * (signed + q) + s] = 1 << (31 - 8 * q - s);
        }
    }
    effects
}

/// The register of the reflected CRC-32 (polynomial 0xEDB88320, as crc32fast computes the
/// zlib CRC) after one more byte, zero.
fn zero_byte(mut register: u32) -> u32 {
    for _ in 0..8 {
        register = (register >> 1) ^ (0xEDB8_8320 & (register & 1).wrapping_neg());
    }
    register
}

#[cfg(test)]
mod tests;
