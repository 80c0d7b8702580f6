//! Judging a text costs time linear in its length, with a prefix (of any form) or without,
//! whatever its checksum (issue 18). Work is counted in symbols decoded
//! (`textform::work`), not timed: the bench times it.

use crate::error::DecodeError;
use crate::textform::{ALPHABET, MAX_BODY, decode, work};
use crate::typo::locate_typo;

/// What every host does with a text: read it, and for a checksum failure, look for the typo.
fn judged(text: &str) -> ((Result<(), DecodeError>, Option<crate::typo::Typo>), usize) {
    work::of(|| (decode(text).map(|_| ()), locate_typo(text)))
}

/// `len` bytes: `prefix`, then key symbols from a fixed pseudo-random sequence, cut to a
/// length a blob can have, ending with a symbol with no padding bits: a text whose checksum
/// fails.
fn symbols(prefix: &str, len: usize) -> String {
    let mut state = 0x2545_f491_u32;
    let mut text = String::with_capacity(len);
    text.push_str(prefix);
    while text.len() < len - 1 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        text.push(char::from(ALPHABET.as_bytes()[(state % 32) as usize]));
    }
    text.push('0');
    while (5 * (text.len() - prefix.len())) % 8 >= 5 {
        text.remove(text.len() - 2);
    }
    text
}

/// The bound: each character read a few times, plus a fixed amount per candidate prefix (at
/// most 16 spans of at most 2,048 body characters, key-format.md) and for the locator.
fn bound(text: &str) -> usize {
    2 * text.chars().count() + 24 * MAX_BODY
}

#[test]
fn a_text_without_a_prefix_is_judged_in_linear_work() {
    for len in [4 << 10, 64 << 10, 1 << 20] {
        let text = symbols("XYZ9-", len);
        let (verdict, decoded) = judged(&text);
        assert_eq!(verdict, (Err(DecodeError::Checksum), None), "{len} bytes");
        assert!(decoded <= bound(&text), "{len} bytes: {decoded} symbols decoded");
    }
}

#[test]
fn a_text_with_a_prefix_is_judged_in_linear_work() {
    for len in [4 << 10, 64 << 10, 1 << 20] {
        // The span stops at 2,048 body characters (key-format.md): a checksum failure there.
        let text = symbols("AST8-", len);
        let (verdict, decoded) = judged(&text);
        assert_eq!(verdict, (Err(DecodeError::Checksum), None), "{len} bytes");
        assert!(decoded <= bound(&text), "{len} bytes: {decoded} symbols decoded");
    }
}

#[test]
fn a_text_of_many_prefixes_is_judged_in_linear_work() {
    // Sixteen candidates, each with a full span, then more text.
    let one = symbols("AST8-", 2 * MAX_BODY);
    let text = format!("{} {}", [one.as_str(); 20].join(" "), symbols("", 1 << 19));
    let (verdict, decoded) = judged(&text);
    assert_eq!(verdict.0, Err(DecodeError::Checksum));
    assert!(decoded <= bound(&text), "{decoded} symbols decoded");
}

/// `symbols` after `prefix`, in groups of five separated by `separator`, as a key pasted with
/// spaces for its dashes (format revision 3).
fn grouped(prefix: &str, len: usize, separator: &str) -> String {
    let plain = symbols("", len);
    let groups: Vec<&str> =
        plain.as_bytes().chunks(5).map(|g| std::str::from_utf8(g).unwrap_or("")).collect();
    format!("{prefix}{}", groups.join(separator))
}

#[test]
fn a_text_without_dashes_or_with_spaces_for_them_is_judged_in_linear_work() {
    for len in [4 << 10, 64 << 10, 1 << 20] {
        // Form (c): "AST8" directly followed by the body; form (b): "AST8" and a space.
        for text in [symbols("AST8", len), grouped("AST8 ", len, " "), grouped("ast8\n", len, "\u{a0}")] {
            let (verdict, decoded) = judged(&text);
            assert_eq!(verdict, (Err(DecodeError::Checksum), None), "{len} bytes");
            assert!(decoded <= bound(&text), "{len} bytes: {decoded} symbols decoded");
        }
    }
}

#[test]
fn a_text_of_many_prefixes_without_dashes_is_judged_in_linear_work() {
    // Sixteen candidates of forms (b) and (c), each with a full span, then 1 MiB more:
    // "AST804 ..." is both at one place.
    for one in [
        symbols("AST8", 2 * MAX_BODY),
        grouped("AST8 ", 2 * MAX_BODY, " "),
        grouped("AST804 ", 2 * MAX_BODY, " "),
    ] {
        let text = format!("{} {}", [one.as_str(); 20].join(" "), grouped("", 1 << 20, " "));
        let (verdict, decoded) = judged(&text);
        assert!(verdict.0.is_err(), "{:?}", verdict.0);
        assert!(decoded <= bound(&text), "{decoded} symbols decoded");
    }
}
