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

pub(crate) const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const GROUP: usize = 5;

static CROCKFORD: LazyLock<Encoding> = LazyLock::new(|| crockford(true));

/// The same alphabet, ignoring the padding bits: the search for a sound start decodes a span
/// once and checks each length's padding itself.
static CROCKFORD_UNCHECKED: LazyLock<Encoding> = LazyLock::new(|| crockford(false));

fn crockford(check_trailing_bits: bool) -> Encoding {
    let mut spec = Specification::new();
    spec.symbols.push_str(ALPHABET);
    spec.check_trailing_bits = check_trailing_bits;
    // The alphabet is a fixed valid specification; failure here is a programming error.
    spec.encoding().unwrap_or_else(|e| panic!("Crockford alphabet: {e}"))
}

/// Decodes canonical symbols (strictly: the padding bits must be zero), counting the work for
/// the tests that hold reading to linear time.
pub(crate) fn base32(symbols: &[u8]) -> Result<Vec<u8>, data_encoding::DecodeError> {
    work::count(symbols.len());
    CROCKFORD.decode(symbols)
}

/// The 5-bit value of a canonical symbol (one of [`ALPHABET`]).
pub(crate) fn value(symbol: u8) -> u8 {
    ALPHABET.bytes().position(|s| s == symbol).map_or(0, |v| v as u8)
}

/// Whether `n` symbols can be a whole number of bytes, the last symbol padded with fewer than
/// five zero bits.
fn is_blob_length(n: usize) -> bool {
    (5 * n) % 8 < 5
}

/// The symbols decoded while reading a text, counted in the library's own unit tests only:
/// they hold reading to time linear in the text without timing it (issue 18).
pub(crate) mod work {
    #[cfg(test)]
    thread_local! {
        static SYMBOLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Counts `n` symbols decoded.
    #[cfg(test)]
    pub fn count(n: usize) {
        SYMBOLS.with(|s| s.set(s.get() + n));
    }

    #[cfg(not(test))]
    pub fn count(_: usize) {}

    /// The symbols `f` decodes, on this thread.
    #[cfg(test)]
    pub fn of<T>(f: impl FnOnce() -> T) -> (T, usize) {
        let before = SYMBOLS.with(std::cell::Cell::get);
        let out = f();
        (out, SYMBOLS.with(std::cell::Cell::get) - before)
    }
}

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
pub(crate) struct Symbols {
    pub(crate) product: String,
    pub(crate) major: u8,
    pub(crate) symbols: Vec<u8>,
    pub(crate) positions: Vec<usize>,
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
    decode_reading(find(text))
}

/// [`decode_found`] without its shortcuts (the clean-key reading, the byte scan for a
/// candidate): the reading of key-format.md step by step, which the fuzz targets hold the
/// shortcuts to.
#[doc(hidden)]
pub fn decode_found_the_long_way(text: &str) -> (Result<DecodedKey, DecodeError>, Option<Found>) {
    decode_reading(find_in_text(text))
}

fn decode_reading(reading: Reading) -> (Result<DecodedKey, DecodeError>, Option<Found>) {
    match reading {
        Ok((Read::Symbols(read), found)) => {
            (decode_symbols(&read.product, read.major, &read.symbols, &read.positions), found)
        }
        Ok((Read::Sound { major, blob }, found)) => (decode_blob(crate::PRODUCT_CODE, major, &blob), found),
        Err((e, found)) => (Err(e), found),
    }
}

/// What was read: symbols still to decode, or the blob of a sound start, decoded already.
pub(crate) enum Read {
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
/// The most body characters of a span that are considered (key-format.md, "Reading a key out
/// of pasted text", step 3): the longest key that can be read out of pasted text.
pub(crate) const MAX_BODY: usize = 2048;

/// The three forms of a candidate prefix (key-format.md, "Reading a key out of pasted text",
/// step 1), in the order they are tried at one position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// The product code, digits and a dash: `AST8-`.
    Dash,
    /// The product code, digits and a white space character: `AST8 ` (revision 3).
    Space,
    /// The product code and this reader's major, directly followed by a body character: a
    /// key whose dashes were removed, `AST804GZW...` (revision 3).
    Joined,
}

/// A prefix in the text at `start`.
struct Candidate {
    start: usize,
    form: Form,
    /// Index of the first digit and one past the last: the major version (for
    /// [`Form::Joined`], this reader's own).
    digits: (usize, usize),
    /// Index where the body starts: after the dash or white space, or right after the major.
    body: usize,
}

/// The candidates that start at `i`, in the order they are tried: [`Form::Dash`] or
/// [`Form::Space`] (never both: the digits end before one character), then [`Form::Joined`].
fn candidates_at(chars: &[char], i: usize) -> impl Iterator<Item = Candidate> {
    let code = crate::PRODUCT_CODE.as_bytes();
    // The letters first: most characters are not the code's first letter.
    let starts = chars.get(i..i + code.len()).is_some_and(|letters| {
        letters.iter().zip(code).all(|(c, k)| c.is_ascii() && c.to_ascii_uppercase() as u32 == u32::from(*k))
    }) && (i == 0 || !chars[i - 1].is_ascii_alphanumeric());
    let mut found = [None, None];
    if starts {
        let first = i + code.len();
        let last = first + chars[first..].iter().take_while(|c| c.is_ascii_digit()).count();
        let after = chars.get(last).copied();
        if last > first {
            let form = match after {
                Some(c) if is_dash(c) => Some(Form::Dash),
                Some(c) if c.is_whitespace() => Some(Form::Space),
                _ => None,
            };
            found[0] = form.map(|form| Candidate { start: i, form, digits: (first, last), body: last + 1 });
        }
        let major = crate::MAJOR_VERSION.to_string();
        let end = first + major.len();
        if chars.get(first..end).is_some_and(|d| d.iter().copied().eq(major.chars()))
            && chars.get(end).is_some_and(char::is_ascii_alphanumeric)
        {
            found[1] = Some(Candidate { start: i, form: Form::Joined, digits: (first, end), body: end });
        }
    }
    found.into_iter().flatten()
}

/// Whether the text holds a candidate prefix (step 1), judged on its bytes as
/// [`candidates_at`] judges characters (an ASCII byte is its own character; any byte of
/// another character is no ASCII letter or digit). A text without one is read whole, with no
/// character table built.
pub(crate) fn holds_candidate(text: &str) -> bool {
    let bytes = text.as_bytes();
    let code = crate::PRODUCT_CODE.as_bytes();
    let major = crate::MAJOR_VERSION.to_string();
    (0..bytes.len()).any(|p| {
        bytes.get(p..p + code.len()).is_some_and(|l| l.eq_ignore_ascii_case(code))
            && (p == 0 || !bytes[p - 1].is_ascii_alphanumeric())
            && {
                let first = p + code.len();
                let last = first + bytes[first..].iter().take_while(|b| b.is_ascii_digit()).count();
                // `last` follows ASCII bytes only: a character boundary.
                let after = text.get(last..).and_then(|t| t.chars().next());
                let joined = bytes[first..].starts_with(major.as_bytes())
                    && bytes.get(first + major.len()).is_some_and(u8::is_ascii_alphanumeric);
                (last > first && after.is_some_and(|c| is_dash(c) || c.is_whitespace())) || joined
            }
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
    // line has the prefix before, unless the prefix ends with a line break (`AST8` then a
    // line break, form (b)).
    let mut line_start = start > 0 && chars.get(start - 1).copied().is_some_and(is_line_break);
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
/// blob. The blob of the first `n` symbols is the first `5n/8` bytes of any longer decoding
/// (bits run most significant first), so one decoding and one running checksum serve every
/// length: linear in the span, where decoding each start would be quadratic (issue 18).
fn longest_sound(span: &Span) -> Option<(usize, Vec<u8>)> {
    let readable = span.body.iter().position(|(_, s)| s.is_none()).unwrap_or(span.body.len());
    let symbols: Vec<u8> = span.body[..readable].iter().filter_map(|(_, s)| *s).collect();
    let usable = (0..=symbols.len()).rev().find(|&n| is_blob_length(n))?;
    work::count(usable);
    let bytes = CROCKFORD_UNCHECKED.decode(&symbols[..usable]).ok()?;
    let shortest = MIN_PAYLOAD_LEN + SIGNATURE_LEN + CRC_LEN;
    let mut crc = crc32fast::Hasher::new();
    crc.update(bytes.get(..shortest - CRC_LEN)?);
    let mut longest = None;
    for len in shortest..=bytes.len() {
        // `crc` holds the checksum of bytes[..len - CRC_LEN], the payload and signature.
        let n = (8 * len).div_ceil(5);
        let padding = 5 * n - 8 * len;
        if value(symbols[n - 1]) & ((1 << padding) - 1) == 0
            && crc.clone().finalize().to_be_bytes() == bytes[len - CRC_LEN..len]
        {
            longest = Some((n, len));
        }
        crc.update(&bytes[len - CRC_LEN..len - CRC_LEN + 1]);
    }
    longest.map(|(n, len)| (n, bytes[..len].to_vec()))
}

fn sound_blob(symbols: &[u8]) -> Option<Vec<u8>> {
    let blob = base32(symbols).ok()?;
    if blob.len() < MIN_PAYLOAD_LEN + SIGNATURE_LEN + CRC_LEN {
        return None;
    }
    let (signed, crc) = blob.split_at(blob.len() - CRC_LEN);
    (checksum(signed).to_be_bytes() == crc).then_some(blob)
}

pub(crate) type Reading = Result<(Read, Option<Found>), (DecodeError, Option<Found>)>;

/// Finds the key in pasted text (key-format.md, "Reading a key out of pasted text"): the
/// first candidate prefix (`AST8-`, `AST8 `, or `AST8` then the body) with a sound start;
/// else the first candidate of form (a) or, with none, the first candidate, cut at its span's
/// first empty line, refused with the error it has (`wrong_product` for another major
/// version of this product); else, with no candidate at all, the whole text.
pub(crate) fn find(text: &str) -> Reading {
    if let Some(sound) = clean_key(text) {
        return Ok(sound);
    }
    if !holds_candidate(text) {
        return read_whole(text);
    }
    find_in_text(text)
}

/// A text with no candidate, read whole by the rules of revision 1. When its prefix cannot
/// be read and it does not begin with this product's code, it is no mistyped key of this
/// product, and the error says so rather than naming a character (issue 20).
fn read_whole(text: &str) -> Reading {
    read_symbols(text).map(|s| (Read::Symbols(s), None)).map_err(|e| match e {
        DecodeError::Truncated | DecodeError::PrefixCharacter { .. } | DecodeError::Prefix { .. }
            if !begins_with_this_product(text) =>
        {
            (DecodeError::NotThisProduct, None)
        }
        e => (e, None),
    })
}

/// Whether the letters a text begins with (white space dropped, as revision 1 reads a
/// prefix) are this product's code, in any case.
fn begins_with_this_product(text: &str) -> bool {
    let code = crate::PRODUCT_CODE;
    let letters: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .take_while(char::is_ascii_alphabetic)
        .take(code.len() + 1)
        .collect();
    letters.eq_ignore_ascii_case(code)
}

/// A shortcut for what batches hold: a text that is one sound key of this product and major
/// version and nothing else (`AST8-` or `AST8` then ASCII letters and digits, `-` between
/// them, a letter or digit last). For such a text, [`find_in_text`] takes the candidate at 0, whose
/// span is the whole text and whose longest sound start is all of it: this gives the same
/// reading without building the character table. Anything else returns `None` and is read
/// the long way, so the shortcut can only agree (a test holds the two to each other).
fn clean_key(text: &str) -> Option<(Read, Option<Found>)> {
    let major = crate::MAJOR_VERSION.to_string();
    let after_code = text.as_bytes().strip_prefix(crate::PRODUCT_CODE.as_bytes())?;
    let digits = after_code.iter().take_while(|b| b.is_ascii_digit()).count();
    let body = if after_code.get(digits) == Some(&b'-') {
        // "AST" "8" "-", form (a): the dash right after the digits rules out "AST80-".
        after_code.strip_prefix(major.as_bytes())?.strip_prefix(b"-")?
    } else {
        // "AST" "8" and a body character, form (c), with no form (a) or (b) candidate before
        // it at the same place (the digits are not followed by a dash; white space is
        // refused below).
        after_code
            .strip_prefix(major.as_bytes())
            .filter(|b| b.first().is_some_and(u8::is_ascii_alphanumeric))?
    };
    if !body.last()?.is_ascii_alphanumeric() {
        return None;
    }
    let mut symbols = Vec::with_capacity(body.len());
    for &b in body {
        if symbols.len() == MAX_BODY {
            return None;
        }
        if b.is_ascii_alphanumeric() {
            symbols.push(symbol(char::from(b))?);
        } else if b != b'-' {
            return None;
        }
    }
    let n = symbols.len();
    let shortest = (MIN_PAYLOAD_LEN + SIGNATURE_LEN + CRC_LEN) * 8 / 5;
    if n >= MAX_BODY || n < shortest || !is_blob_length(n) {
        return None;
    }
    let blob = sound_blob(&symbols)?;
    let found = Found { from: 1, to: text.len(), text: text.to_owned() };
    Some((Read::Sound { major: crate::MAJOR_VERSION, blob }, Some(found)))
}

/// [`find`] for any text: candidates, spans, sound starts.
fn find_in_text(text: &str) -> Reading {
    let chars: Vec<char> = text.chars().collect();
    // The first candidate, and the first of form (a): when no candidate has a sound start,
    // the latter (else the former) is refused with the error it has.
    let mut first: Option<(Candidate, Span)> = None;
    let mut first_dash: Option<(Candidate, Span)> = None;
    let mut seen = 0;
    let mut i = 0;
    while i < chars.len() && seen < MAX_CANDIDATES {
        for candidate in candidates_at(&chars, i) {
            if seen == MAX_CANDIDATES {
                break;
            }
            seen += 1;
            let span = span_from(&chars, candidate.body);
            if let Some((n, blob)) = longest_sound(&span) {
                let found = found(&chars, candidate.start, span.body[n - 1].0 + 1);
                return match read_major(&chars, &candidate) {
                    Ok(major) => Ok((Read::Sound { major, blob }, Some(found))),
                    Err(e) => Err((e, Some(found))),
                };
            }
            // (A candidate of form (a) kept in `first_dash` need not also be `first`: it wins.)
            if first_dash.is_none() && candidate.form == Form::Dash {
                first_dash = Some((candidate, span));
            } else if first.is_none() {
                first = Some((candidate, span));
            }
        }
        i += 1;
    }
    let Some((candidate, span)) = first_dash.or(first) else { return read_whole(text) };
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
    // (position from 1, character, byte offset after it)
    let mut chars = text
        .char_indices()
        .enumerate()
        .map(|(i, (at, c))| (i + 1, c, at + c.len_utf8()))
        .filter(|(_, c, _)| !c.is_whitespace())
        .peekable();
    if chars.peek().is_none() {
        return Err(DecodeError::Empty);
    }

    let mut product = String::new();
    while let Some(&(position, c, _)) = chars.peek() {
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
        let (position, character) = chars.peek().map_or((1, ' '), |&(p, c, _)| (p, c));
        return Err(DecodeError::PrefixCharacter {
            character,
            position,
            expected: "the product code (e.g. AST8-)",
        });
    }
    let mut major_digits = String::new();
    let mut major_start = 0;
    while let Some(&(position, c, _)) = chars.peek() {
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
            Some(&(position, character, _)) => DecodeError::PrefixCharacter {
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
    let (mut position, body) = match chars.next() {
        Some((position, '-', after)) => (position, &text[after..]),
        Some((position, character, _)) => {
            return Err(DecodeError::PrefixCharacter {
                character,
                position,
                expected: "'-' after the major version",
            });
        }
        None => return Err(DecodeError::Truncated),
    };

    // The body, in one plain loop: it may be the whole of a long text.
    let mut symbols = Vec::with_capacity(body.len());
    let mut positions = Vec::with_capacity(body.len());
    for c in body.chars() {
        position += 1;
        let symbol = match c.to_ascii_uppercase() {
            '-' => continue,
            c if c.is_whitespace() => continue,
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
pub(crate) fn decode_symbols(
    product: &str,
    major: u8,
    symbols: &[u8],
    positions: &[usize],
) -> Result<DecodedKey, DecodeError> {
    let blob = base32(symbols).map_err(|e| match e.kind {
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

#[cfg(test)]
pub(crate) mod tests {
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
        // Revision 3, form (c): the dashes removed.
        assert!(same_reading(&KEY.replace('-', "")));
        assert!(same_reading(&KEY.replacen('-', "", 1)));
        // Each of these is refused by the shortcut and left to the long way.
        for text in [
            format!("{KEY}-"),
            format!(" {KEY}"),
            format!("{KEY} "),
            format!("{KEY}\n"),
            KEY.replacen("AST8", "ast8", 1),
            KEY.replace('-', " "),
            KEY.replacen("AST8-04GZW", "AST804-GZW", 1),
            KEY.replacen("AST8-04GZW", "AST8", 1),
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

    /// The search for a sound start as it was, decoding every length anew (quadratic): the
    /// oracle of the linear search.
    fn longest_sound_by_decoding_each(span: &Span) -> Option<(usize, Vec<u8>)> {
        let readable = span.body.iter().position(|(_, s)| s.is_none()).unwrap_or(span.body.len());
        let symbols: Vec<u8> = span.body[..readable].iter().filter_map(|(_, s)| *s).collect();
        let shortest = (MIN_PAYLOAD_LEN + SIGNATURE_LEN + CRC_LEN) * 8 / 5;
        (shortest..=readable)
            .rev()
            .filter(|n| (5 * n) % 8 < 5)
            .find_map(|n| sound_blob(&symbols[..n]).map(|b| (n, b)))
    }

    type SoundStart = Option<(usize, Vec<u8>)>;

    /// The longest sound start after a prefix of five characters: (linear search, oracle).
    fn sound_starts(text: &str) -> (SoundStart, SoundStart) {
        let chars: Vec<char> = text.chars().collect();
        let span = span_from(&chars, 5);
        (longest_sound(&span), longest_sound_by_decoding_each(&span))
    }

    #[test]
    fn the_linear_search_finds_the_sound_start_of_a_key_followed_by_more() {
        let symbols = KEY[5..].chars().filter(|c| *c != '-').count();
        for text in [
            KEY.to_owned(),
            format!("{KEY} Thanks"),
            format!("{KEY}0"),
            format!("{KEY}000000"),
            format!("{KEY}-{}", &KEY[5..]),
            format!("{KEY}U"),
        ] {
            let (linear, oracle) = sound_starts(&text);
            assert_eq!(linear.as_ref().map(|(n, _)| *n), Some(symbols), "{text}");
            assert_eq!(linear, oracle, "{text}");
        }
        // A key whose last character carries padding bits is not sound at its own length.
        let (linear, oracle) = sound_starts(&format!("{}T", &KEY[..KEY.len() - 1]));
        assert_eq!((linear.is_none(), linear), (true, oracle));
    }

    proptest::proptest! {
        #[test]
        fn the_linear_search_for_a_sound_start_finds_what_decoding_each_start_finds(
            damage in proptest::collection::vec((5usize..300, "[0-9A-Z\\-U ]"), 0..3),
            cut in 150usize..300,
            suffix in "[0-9A-Za-z ]{0,12}",
        ) {
            let mut text: Vec<String> = KEY.chars().map(String::from).collect();
            for (at, what) in damage {
                if at < text.len() {
                    text[at] = what;
                }
            }
            let text: String = text.concat();
            let text = format!("{}{suffix}", &text[..cut.min(text.len())]);
            let (linear, oracle) = sound_starts(&text);
            proptest::prop_assert_eq!(linear, oracle);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_byte_scan_for_a_candidate_agrees_with_the_character_scan(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "AST", "ast", "aSt", "AS", "8", "07", "-", "\u{2013}", "\u{fe63}", "\u{2212}", "x", "é",
                    "\u{200b}", " ", "\n", "9-", "Ä", "ß8", ">", "80", "8", "\u{a0}", "\u{3000}", "Z",
                ]),
                0..12,
            ),
        ) {
            let text = parts.concat();
            let chars: Vec<char> = text.chars().collect();
            let by_chars = (0..chars.len()).any(|i| candidates_at(&chars, i).next().is_some());
            proptest::prop_assert_eq!(holds_candidate(&text), by_chars, "{:?}", text);
        }
    }

    /// The spec's worked example.
    pub(crate) const KEY: &str = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";
}
