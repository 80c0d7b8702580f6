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

/// Where the key was found in the text given (format revision 2: keys are read out of
/// pasted text). Positions count Unicode code points of the text as given, from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Position of the key's first character.
    pub from: usize,
    /// Position of its last character.
    pub to: usize,
    /// The text from `from` to `to`, as given.
    pub text: String,
}

impl Found {
    /// Whether the text given holds something besides the key (a label, quotes, words).
    pub fn is_part_of(&self, text: &str) -> bool {
        self.text.trim() != text.trim()
    }
}

/// Reads a key out of `text` (pasted text allowed: see [`find`]): prefix, characters,
/// length, padding, checksum, then the payload and the prefix's agreement with it. Every
/// failure is `malformed`, except [`DecodeError::OtherVersion`].
pub fn decode(text: &str) -> Result<DecodedKey, DecodeError> {
    decode_found(text).0
}

/// [`decode`], with where the key was found in the text (`None` when the text held no
/// candidate and was read whole, by the rules of revision 1).
pub fn decode_found(text: &str) -> (Result<DecodedKey, DecodeError>, Option<Found>) {
    match find(text) {
        Ok((Read::Symbols(read), found)) => {
            (decode_symbols(&read.product, read.major, &read.symbols, &read.positions), found)
        }
        Ok((Read::Sound { major, blob }, found)) => (decode_blob(crate::PRODUCT_CODE, major, &blob), found),
        Err((e, found)) => (Err(e), found),
    }
}

/// What was read: symbols still to decode, or the blob of a sound start, decoded already.
enum Read {
    Symbols(Symbols),
    Sound { major: u8, blob: Vec<u8> },
}

/// Reads the whole text by the rules of revision 1, finding nothing: what the bench compares
/// the cost of revision 2's reading with.
#[doc(hidden)]
pub fn decode_whole_text(text: &str) -> Result<DecodedKey, DecodeError> {
    let read = read_symbols(text)?;
    decode_symbols(&read.product, read.major, &read.symbols, &read.positions)
}

/// A dash as a word processor may have written it: `-`, U+2010..U+2015, U+2212, U+FE58,
/// U+FE63, U+FF0D.
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{ff0d}')
}

/// A line break: LF, CR (CR LF counts as one, which changes nothing here), VT, FF, NEL,
/// U+2028, U+2029.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// A body character in the canonical alphabet, or `None` if it does not read (`U`).
fn symbol(c: char) -> Option<u8> {
    match c.to_ascii_uppercase() {
        'O' => Some(b'0'),
        'I' | 'L' => Some(b'1'),
        'U' => None,
        s if s.is_ascii_digit() || s.is_ascii_uppercase() => Some(s as u8),
        _ => None,
    }
}

const MAX_CANDIDATES: usize = 16;
const MAX_BODY: usize = 2048;

/// A prefix in the text: the product code, digits and a dash, at `start`.
struct Candidate {
    start: usize,
    /// Index of the first digit and one past the last.
    digits: (usize, usize),
    /// Index after the dash.
    body: usize,
}

fn candidate_at(chars: &[char], i: usize) -> Option<Candidate> {
    if i > 0 && chars[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    let code = crate::PRODUCT_CODE.as_bytes();
    let letters = chars.get(i..i + code.len())?;
    if !letters.iter().zip(code).all(|(c, k)| c.is_ascii() && c.to_ascii_uppercase() as u32 == u32::from(*k))
    {
        return None;
    }
    let first = i + code.len();
    let last = first + chars[first..].iter().take_while(|c| c.is_ascii_digit()).count();
    (last > first && chars.get(last).copied().is_some_and(is_dash)).then_some(Candidate {
        start: i,
        digits: (first, last),
        body: last + 1,
    })
}

/// The span after a prefix: its body characters (index, symbol or `None`) and, for each,
/// nothing else; plus the index where the span ends.
struct Span {
    body: Vec<(usize, Option<u8>)>,
    end: usize,
}

fn span_from(chars: &[char], start: usize) -> Span {
    let mut body = Vec::with_capacity(200);
    // Whether only white space and `>` stand before this point on its line: the prefix's own
    // line has the prefix before, so the span starts with `false`.
    let mut line_start = false;
    let mut i = start;
    while i < chars.len() && body.len() < MAX_BODY {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            body.push((i, symbol(c)));
            line_start = false;
        } else if is_line_break(c) {
            line_start = true;
        } else if c.is_whitespace() || (c == '>' && line_start) {
        } else if is_dash(c) || crate::shown::is_invisible(c) {
            line_start = false;
        } else {
            break;
        }
        i += 1;
    }
    Span { body, end: i }
}

/// The longest sound start of the span, if any (every character reads, the length is a
/// blob's, the padding is zero, the checksum matches): its count of body characters and its
/// blob.
fn longest_sound(span: &Span) -> Option<(usize, Vec<u8>)> {
    let readable = span.body.iter().position(|(_, s)| s.is_none()).unwrap_or(span.body.len());
    let symbols: Vec<u8> = span.body[..readable].iter().filter_map(|(_, s)| *s).collect();
    let shortest = (MIN_PAYLOAD_LEN + SIGNATURE_LEN + CRC_LEN) * 8 / 5;
    (shortest..=readable)
        .rev()
        .filter(|n| (5 * n) % 8 < 5)
        .find_map(|n| sound_blob(&symbols[..n]).map(|b| (n, b)))
}

fn sound_blob(symbols: &[u8]) -> Option<Vec<u8>> {
    let blob = CROCKFORD.decode(symbols).ok()?;
    if blob.len() < MIN_PAYLOAD_LEN + SIGNATURE_LEN + CRC_LEN {
        return None;
    }
    let (signed, crc) = blob.split_at(blob.len() - CRC_LEN);
    (checksum(signed).to_be_bytes() == crc).then_some(blob)
}

type Reading = Result<(Read, Option<Found>), (DecodeError, Option<Found>)>;

/// Finds the key in pasted text (key-format.md, "Reading a key out of pasted text"): the
/// first candidate prefix with a sound start; else the first candidate, cut at its span's
/// first empty line, refused with the error it has (`wrong_product` for another major
/// version of this product); else, with no candidate at all, the whole text.
fn find(text: &str) -> Reading {
    if let Some(sound) = clean_key(text) {
        return Ok(sound);
    }
    find_in_text(text)
}

/// A shortcut for what batches hold: a text that is one sound key of this product and major
/// version and nothing else (ASCII letters and digits after the prefix, `-` between them, a
/// letter or digit last). For such a text, [`find_in_text`] takes the candidate at 0, whose
/// span is the whole text and whose longest sound start is all of it: this gives the same
/// reading without building the character table. Anything else returns `None` and is read
/// the long way, so the shortcut can only agree (a test holds the two to each other).
fn clean_key(text: &str) -> Option<(Read, Option<Found>)> {
    let major = crate::MAJOR_VERSION.to_string();
    // "AST" "8" "-": the dash right after the digits rules out "AST80-" and the like.
    let body = text
        .as_bytes()
        .strip_prefix(crate::PRODUCT_CODE.as_bytes())?
        .strip_prefix(major.as_bytes())?
        .strip_prefix(b"-")?;
    if !body.last()?.is_ascii_alphanumeric() {
        return None;
    }
    let mut symbols = Vec::with_capacity(body.len());
    for &b in body {
        if b.is_ascii_alphanumeric() {
            symbols.push(symbol(char::from(b))?);
        } else if b != b'-' {
            return None;
        }
    }
    let n = symbols.len();
    let shortest = (MIN_PAYLOAD_LEN + SIGNATURE_LEN + CRC_LEN) * 8 / 5;
    if n >= MAX_BODY || n < shortest || (5 * n) % 8 >= 5 {
        return None;
    }
    let blob = sound_blob(&symbols)?;
    let found = Found { from: 1, to: text.len(), text: text.to_owned() };
    Some((Read::Sound { major: crate::MAJOR_VERSION, blob }, Some(found)))
}

/// [`find`] for any text: candidates, spans, sound starts.
fn find_in_text(text: &str) -> Reading {
    let chars: Vec<char> = text.chars().collect();
    let mut first: Option<(Candidate, Span)> = None;
    let mut seen = 0;
    let mut i = 0;
    while i < chars.len() && seen < MAX_CANDIDATES {
        let Some(candidate) = candidate_at(&chars, i) else {
            i += 1;
            continue;
        };
        seen += 1;
        let span = span_from(&chars, candidate.body);
        if let Some((n, blob)) = longest_sound(&span) {
            let found = found(&chars, candidate.start, span.body[n - 1].0 + 1);
            return match read_major(&chars, &candidate) {
                Ok(major) => Ok((Read::Sound { major, blob }, Some(found))),
                Err(e) => Err((e, Some(found))),
            };
        }
        i = candidate.body;
        if first.is_none() {
            first = Some((candidate, span));
        }
    }
    let Some((candidate, span)) = first else {
        return read_symbols(text).map(|s| (Read::Symbols(s), None)).map_err(|e| (e, None));
    };
    // Cut at the span's first empty line, then drop trailing white space and dashes.
    let mut end = span.end;
    let mut breaks = 0;
    for (i, &c) in chars.iter().enumerate().take(span.end).skip(candidate.body) {
        if is_line_break(c) && !(c == '\n' && i > 0 && chars[i - 1] == '\r') {
            breaks += 1;
            if breaks == 2 {
                end = i;
                break;
            }
        } else if !c.is_whitespace() {
            breaks = 0;
        }
    }
    while end > candidate.body && (chars[end - 1].is_whitespace() || is_dash(chars[end - 1])) {
        end -= 1;
    }
    let body: Vec<(usize, Option<u8>)> = span.body.iter().copied().take_while(|(i, _)| *i < end).collect();
    let found = found(&chars, candidate.start, end);
    let digits: String = chars[candidate.digits.0..candidate.digits.1].iter().collect();
    if !digits.starts_with('0')
        && let Ok(major) = digits.parse::<u32>()
        && major != u32::from(crate::MAJOR_VERSION)
    {
        return Err((DecodeError::OtherVersion { major }, Some(found)));
    }
    read_candidate(&chars, &candidate, &body, end)
}

fn found(chars: &[char], start: usize, end: usize) -> Found {
    Found { from: start + 1, to: end.max(start + 1), text: chars[start..end].iter().collect() }
}

/// The major version of a candidate's prefix: no leading zero, at most 255.
fn read_major(chars: &[char], c: &Candidate) -> Result<u8, DecodeError> {
    let (first, last) = c.digits;
    if last - first > 1 && chars[first] == '0' {
        return Err(DecodeError::Prefix {
            position: first + 1,
            what: "the major version has a leading zero",
        });
    }
    let digits: String = chars[first..last].iter().collect();
    digits
        .parse::<u8>()
        .map_err(|_| DecodeError::Prefix { position: first + 1, what: "the major version is above 255" })
}

/// Reads a candidate's prefix and these body characters (step 4: dashes read as `-`,
/// invisible characters and quote markers dropped like white space).
fn read_candidate(chars: &[char], c: &Candidate, body: &[(usize, Option<u8>)], end: usize) -> Reading {
    let found = found(chars, c.start, end);
    let major = read_major(chars, c).map_err(|e| (e, Some(found.clone())))?;
    let mut symbols = Vec::with_capacity(body.len());
    let mut positions = Vec::with_capacity(body.len());
    for &(i, s) in body {
        match s {
            Some(s) => symbols.push(s),
            None => {
                return Err((DecodeError::Character { character: chars[i], position: i + 1 }, Some(found)));
            }
        }
        positions.push(i + 1);
    }
    let read = Symbols { product: crate::PRODUCT_CODE.to_owned(), major, symbols, positions };
    Ok((Read::Symbols(read), Some(found)))
}

/// Reads a whole text by the rules of revision 1 (white space anywhere, `-` in the body).
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

/// Turns symbols into a key: length, padding, checksum, payload, prefix agreement.
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
    decode_blob(product, major, &blob)
}

/// Checks a blob's checksum, parses its payload, and holds it to the prefix.
fn decode_blob(product: &str, major: u8, blob: &[u8]) -> Result<DecodedKey, DecodeError> {
    let (signed, crc) = blob.split_at(blob.len().saturating_sub(CRC_LEN));
    if crc.len() < CRC_LEN || signed.len() < SIGNATURE_LEN {
        return Err(DecodeError::Length { symbols: blob.len() * 8 / 5 });
    }
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
    let (Read::Symbols(read), _) = find(text).ok()? else { return None };
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

    /// The shortcut gives what the long way gives, whenever it gives anything.
    fn same_reading(text: &str) -> bool {
        let Some((Read::Sound { major, blob }, found)) = clean_key(text) else { return false };
        match find_in_text(text) {
            Ok((Read::Sound { major: m, blob: b }, f)) => {
                assert_eq!((major, &blob, &found), (m, &b, &f), "{text}");
            }
            _ => panic!("the shortcut read {text:?}, the long way did not"),
        }
        true
    }

    #[test]
    fn the_clean_key_shortcut_agrees_with_the_long_way() {
        assert!(same_reading(KEY));
        assert!(same_reading(&KEY.to_lowercase().replacen("ast", "AST", 1)));
        assert!(same_reading(&KEY.replace('-', "").replacen("AST8", "AST8-", 1)));
        assert!(same_reading(&KEY.replace('0', "O")));
        // Each of these is refused by the shortcut and left to the long way.
        for text in [
            format!("{KEY}-"),
            format!(" {KEY}"),
            format!("{KEY} "),
            format!("{KEY}\n"),
            KEY.replacen("AST8", "ast8", 1),
            KEY.replacen("AST8", "AST08", 1),
            KEY.replacen("AST8", "AST9", 1),
            KEY.replacen('-', "\u{2013}", 2),
            KEY.replacen("C", "U", 1),
            KEY.replacen("3H6GB", "3HG6B", 1),
            KEY[..KEY.len() - 1].to_owned(),
            format!("{KEY}A"),
            "AST8-".to_owned(),
            "AST8".to_owned(),
            String::new(),
        ] {
            assert!(!same_reading(&text), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_of_key_characters_reads_alike_both_ways(
            cut in 0usize..300,
            damage in proptest::collection::vec((0usize..300, "[0-9A-Za-z\\- ]"), 0..3),
        ) {
            let mut text: Vec<String> = KEY.chars().map(String::from).collect();
            for (at, what) in damage {
                if at < text.len() {
                    text[at] = what;
                }
            }
            let text: String = text.concat();
            let text = &text[..cut.min(text.len())];
            let _ = same_reading(text);
            let _ = same_reading(&format!("{text}{}", &KEY[text.len().min(KEY.len())..]));
        }
    }

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
