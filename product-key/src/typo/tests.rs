use super::*;
use crate::textform::tests::KEY;
use crate::textform::{decode, work};

/// The search as it was: every substitution and every swap decoded in full (31·N + N
/// decodings of N symbols). The oracle of the search through [`bit_effects`].
fn by_decoding_each(text: &str) -> Option<Typo> {
    let (Read::Symbols(read), _) = textform::find(text).ok()? else { return None };
    let judge =
        |symbols: &[u8]| textform::decode_symbols(&read.product, read.major, symbols, &read.positions);
    let mut found = None;
    // Every one-character insertion, each decoded in full (a run of one symbol takes it once,
    // after its last).
    let checksum = match judge(&read.symbols) {
        Err(DecodeError::Checksum) => true,
        Err(DecodeError::Length { .. } | DecodeError::Padding { .. }) => false,
        _ => return None,
    };
    for i in 0..=read.symbols.len() {
        for &candidate in ALPHABET.as_bytes() {
            if read.symbols.get(i) == Some(&candidate) {
                continue;
            }
            let mut longer = read.symbols.clone();
            longer.insert(i, candidate);
            if judge(&longer).is_ok() {
                if found.is_some() {
                    return None;
                }
                found = Some(Typo::Missing {
                    after: i.checked_sub(1).map(|p| read.positions[p]),
                    before: read.positions.get(i).copied(),
                    likely: char::from(candidate),
                });
            }
        }
    }
    if !checksum {
        return found;
    }
    let chars: Vec<char> = text.chars().collect();
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

/// Issue 28, item 14: a character deleted from the middle of a key was reported as "the last
/// character is wrong"; the locator says which one is missing, and where.
#[test]
fn finds_a_missing_character() {
    // Character 102 ('C', in "-C943B-") deleted: 191 symbols, a length a key can have, whose
    // last character then carries padding bits.
    let short = format!("{}{}", &KEY[..101], &KEY[102..]);
    assert!(matches!(decode(&short), Err(DecodeError::Padding { .. })), "{:?}", decode(&short));
    assert_eq!(locate_typo(&short), Some(Typo::Missing { after: Some(100), before: Some(102), likely: 'C' }));
    // Other places: the first and last characters of the body, and one in the middle whose
    // deletion leaves a length no key has, in an e-mail.
    let first = format!("AST8-{}", &KEY[6..]);
    assert_eq!(locate_typo(&first), Some(Typo::Missing { after: None, before: Some(6), likely: '0' }));
    let last = &KEY[..KEY.len() - 1];
    assert_eq!(locate_typo(last), Some(Typo::Missing { after: Some(234), before: None, likely: 'A' }));
    let text = format!("Key: {}{}.\n", &KEY[..41], &KEY[42..]);
    assert_eq!(KEY.as_bytes()[41], b'9');
    assert_eq!(
        locate_typo(&text),
        Some(Typo::Missing { after: Some(5 + 40), before: Some(5 + 42), likely: '9' })
    );
    // Two characters missing leave a length no key has, and no hint.
    let two = format!("{}{}", &KEY[..101], &KEY[103..]);
    assert!(matches!(decode(&two), Err(DecodeError::Length { .. })), "{:?}", decode(&two));
    assert_eq!(locate_typo(&two), None);
    // One of a run of equal characters ("-00680-00000-00000-"): the key reads with it put
    // after the run, before the '3' that ends it.
    let d = KEY.find("-00000-00000-").expect("run");
    let run = format!("{}{}", &KEY[..d + 1], &KEY[d + 2..]);
    assert_eq!(
        locate_typo(&run),
        Some(Typo::Missing { after: Some(d + 11), before: Some(d + 13), likely: '0' })
    );
}

#[test]
fn says_nothing_of_sound_keys_or_of_damage_it_cannot_place() {
    assert_eq!(locate_typo(KEY), None);
    assert_eq!(locate_typo(&KEY.replacen("3H6GB", "XXXXX", 1)), None);
}

/// Each bit's effect is what flipping it does to the checksum as crc32fast computes it.
#[test]
fn each_bit_changes_the_checksum_as_its_effect_says() {
    let blob: Vec<u8> = (0u32..150).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let miss = |blob: &[u8]| {
        let (signed, stated) = blob.split_at(blob.len() - CRC_LEN);
        textform::checksum(signed) ^ u32::from_be_bytes([stated[0], stated[1], stated[2], stated[3]])
    };
    let effects = bit_effects(blob.len());
    for (bit, effect) in effects.iter().enumerate() {
        let mut flipped = blob.clone();
        flipped[bit / 8] ^= 0x80 >> (bit % 8);
        assert_eq!(miss(&flipped) ^ miss(&blob), *effect, "bit {bit}");
    }
}

/// The search decodes the key once, then only the changes that make the checksum match:
/// never each of the 31·N substitutions (the quadratic search of issue 18).
#[test]
fn the_search_decodes_a_handful_of_changes_not_every_one() {
    let typo = KEY.replacen("3H6GB", "3HG6B", 1);
    let symbols = KEY[5..].chars().filter(|c| *c != '-').count();
    let (found, decoded) = work::of(|| locate_typo(&typo));
    assert_eq!(found, Some(Typo::Transposition { position: 68 }));
    // Its decodings: the reading's (the clean-key shortcut, the search for a sound start),
    // the check, the blob, and each change that makes the checksum match; the search through
    // every change decoded 32 times the key.
    assert!(decoded <= 8 * symbols, "{decoded} symbols decoded for a key of {symbols}");
    // A missing character: each of the 32·(N+1) insertions is tried without decoding.
    let short = format!("{}{}", &KEY[..101], &KEY[102..]);
    let (found, decoded) = work::of(|| locate_typo(&short));
    assert_eq!(found, Some(Typo::Missing { after: Some(100), before: Some(102), likely: 'C' }));
    assert!(decoded <= 8 * symbols, "{decoded} symbols decoded for a key of {symbols}");
}

#[test]
fn a_run_of_characters_longer_than_any_key_is_not_searched() {
    // The worked example's characters, over and over, behind another product's prefix: no
    // candidate, so the whole text is read by the rules of revision 1; the checksum fails.
    let body: String = KEY[5..].chars().filter(|c| *c != '-').collect();
    let mut text = format!("XYZ9-{}", body.repeat(16));
    while !matches!(decode(&text), Err(DecodeError::Checksum)) {
        text.pop();
    }
    assert!(text.len() - 5 > MAX_SEARCHED);
    let (found, decoded) = work::of(|| locate_typo(&text));
    assert_eq!((found, decoded), (None, 0));
}

proptest::proptest! {
    #[test]
    fn finds_what_decoding_each_change_finds(
        changes in proptest::collection::vec((5usize..300, 0usize..32, 0u8..3), 1..3),
        pasted in proptest::bool::ANY,
    ) {
        let mut text: Vec<char> = KEY.chars().collect();
        for (at, symbol, kind) in changes {
            if at + 1 >= text.len() {
                continue;
            }
            match kind {
                0 => text.swap(at, at + 1),
                1 => text[at] = char::from(ALPHABET.as_bytes()[symbol]),
                _ => {
                    text.remove(at);
                }
            }
        }
        let key: String = text.into_iter().collect();
        let text = if pasted { format!("Key:\n> {key}.\n") } else { key };
        proptest::prop_assert_eq!(locate_typo(&text), by_decoding_each(&text));
    }
}
