use super::*;
use crate::textform::tests::KEY;
use crate::textform::{decode, work};

/// The search as it was: every substitution and every swap decoded in full (31·N + N
/// decodings of N symbols). The oracle of the search through [`bit_effects`].
fn by_decoding_each(text: &str) -> Option<Typo> {
    let (Read::Symbols(read), _) = textform::find(text).ok()? else { return None };
    let judge =
        |symbols: &[u8]| textform::decode_symbols(&read.product, read.major, symbols, &read.positions);
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
        changes in proptest::collection::vec((5usize..300, 0usize..32, proptest::bool::ANY), 1..3),
        pasted in proptest::bool::ANY,
    ) {
        let mut text: Vec<char> = KEY.chars().collect();
        for (at, symbol, swap) in changes {
            if at + 1 >= text.len() {
                continue;
            }
            if swap {
                text.swap(at, at + 1);
            } else {
                text[at] = char::from(ALPHABET.as_bytes()[symbol]);
            }
        }
        let key: String = text.into_iter().collect();
        let text = if pasted { format!("Key:\n> {key}.\n") } else { key };
        proptest::prop_assert_eq!(locate_typo(&text), by_decoding_each(&text));
    }
}
