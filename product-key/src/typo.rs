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
    /// One character is missing: the key reads with `likely` put between the key characters
    /// at `after` and `before` (a deletion leaves a key whose length or last character is
    /// wrong, which said nothing of where the damage is).
    Missing {
        /// Position of the key character before the gap, or `None` at the start of the body.
        after: Option<usize>,
        /// Position of the key character after the gap, or `None` at the end of the key.
        before: Option<usize>,
        /// What makes the key sound there.
        likely: char,
    },
}

/// The most key characters the locator searches: 2,048, the most body characters the reader
/// considers after a prefix (key-format.md, "Reading a key out of pasted text", step 3), so
/// the longest key that can be read out of pasted text. The longest key keygen writes (a
/// 255-byte organization and a `supersedes`) has 586. A longer run of characters (a text
/// with no prefix of this product, read whole by the rules of revision 1) is no mistyped key
/// of this format: it gets no hint, and costs no search.
pub const MAX_SEARCHED: usize = MAX_BODY;

/// For a key that fails its checksum, or whose length or last character is wrong: the
/// single substitution, swap of neighbours or missing character that makes the key sound
/// (checksum and payload), if there is exactly one. Only a hint for a person: the key stays
/// malformed, and nothing is corrected silently. Linear in the text: see [`MAX_SEARCHED`] and
/// [`bit_effects`].
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
    let mut found = Vec::new();
    match judge(&read.symbols) {
        Err(DecodeError::Checksum) => changed(text, &read, &judge, &mut found),
        Err(DecodeError::Length { .. } | DecodeError::Padding { .. }) => {}
        _ => return None,
    }
    // A deleted character shifts every bit after it: any of the three errors.
    missing(&read, &judge, &mut found);
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The substitutions and swaps of neighbours that make a key sound whose checksum fails; two
/// or more found are enough to make no hint, and the search stops.
fn changed(
    text: &str,
    read: &textform::Symbols,
    judge: &dyn Fn(&[u8]) -> Result<crate::DecodedKey, DecodeError>,
    found: &mut Vec<Typo>,
) {
    // The symbols decode (the checksum was reached): how far their checksum is from matching.
    let Ok(blob) = textform::base32(&read.symbols) else { return };
    let Some(signed_len) = blob.len().checked_sub(CRC_LEN) else { return };
    let (signed, stated) = blob.split_at(signed_len);
    let Ok(stated) = <[u8; CRC_LEN]>::try_from(stated) else { return };
    let miss = textform::checksum(signed) ^ u32::from_be_bytes(stated);
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
    // in full (the payload must parse, the padding be zero).
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
                let position = read.positions[i];
                let typed = text.chars().nth(position - 1).unwrap_or(' ');
                found.push(Typo::Substitution { position, found: typed, likely: char::from(candidate) });
                if found.len() > 1 {
                    return;
                }
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
            found.push(Typo::Transposition { position: read.positions[i - 1] });
            if found.len() > 1 {
                return;
            }
        }
    }
}

/// The one-character insertions that make the key sound. Inserting a symbol at index `i`
/// shifts the bits of every later symbol by five, so the blob is a new one for each `i`; but
/// the checksum is affine in the blob's bits (see [`bit_effects`]), and the shifted bits'
/// effects are running sums: the 32·(N+1) insertions are tried in constant time each, and
/// only those that make the checksum match are decoded.
fn missing(
    read: &textform::Symbols,
    judge: &dyn Fn(&[u8]) -> Result<crate::DecodedKey, DecodeError>,
    found: &mut Vec<Typo>,
) {
    if found.len() > 1 {
        return;
    }
    let n = read.symbols.len();
    let bits = 5 * (n + 1);
    let len = bits / 8;
    let padding = bits - 8 * len;
    if padding >= 5 || len < textform::MIN_PAYLOAD_LEN + textform::SIGNATURE_LEN + CRC_LEN {
        return;
    }
    let effects = bit_effects(len);
    // The effect of bit `j` of the longer key; its padding bits have none (they must be zero).
    let e = |j: usize| effects.get(j).copied().unwrap_or(0);
    // The checksum's miss for a blob of zeros: the affine part.
    let zeros = vec![0u8; len - CRC_LEN];
    let base = textform::checksum(&zeros);
    let values: Vec<u8> = read.symbols.iter().map(|&s| textform::value(s)).collect();
    let of_symbol = |value: u8, first_bit: usize| {
        (0..5).filter(|b| (value >> (4 - b)) & 1 == 1).fold(0, |acc, b| acc ^ e(first_bit + b))
    };
    // after[i]: the effect of symbols i.. shifted five bits on (they follow the insertion).
    let mut after = vec![0u32; n + 1];
    for i in (0..n).rev() {
        after[i] = after[i + 1] ^ of_symbol(values[i], 5 * i + 5);
    }
    let mut before = 0u32; // the effect of symbols ..i, in place
    let mut symbols = Vec::with_capacity(n + 1);
    for i in 0..=n {
        for (v, &candidate) in (0u8..).zip(ALPHABET.as_bytes()) {
            // Inserting `v` before a `v` is inserting it after that one: tried there.
            if values.get(i) == Some(&v) || base ^ before ^ of_symbol(v, 5 * i) ^ after[i] != 0 {
                continue;
            }
            symbols.clear();
            symbols.extend_from_slice(&read.symbols[..i]);
            symbols.push(candidate);
            symbols.extend_from_slice(&read.symbols[i..]);
            if judge(&symbols).is_ok() {
                found.push(Typo::Missing {
                    after: i.checked_sub(1).map(|p| read.positions[p]),
                    before: read.positions.get(i).copied(),
                    likely: char::from(candidate),
                });
                if found.len() > 1 {
                    return;
                }
            }
        }
        if i < n {
            before ^= of_symbol(values[i], 5 * i);
        }
    }
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
