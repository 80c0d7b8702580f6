//! Organization names: the canonical form a key carries and the caseless match the
//! product applies to what a customer types.

use std::fmt;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::error::OrgError;
use crate::shown::quoted;

/// The most UTF-8 bytes an organization may have (its length is one byte in the key).
pub const MAX_ORG_BYTES: usize = 255;
/// The most UTF-8 bytes of entered text that can match anything.
pub const MAX_ENTERED_BYTES: usize = 1024;

/// An organization name in canonical form: NFC, trimmed, inner white space runs collapsed
/// to one space, no control character, 1..=255 UTF-8 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Organization(String);

impl Organization {
    /// Puts `text` in canonical form, or says why it has none.
    pub fn canonicalize(text: &str) -> Result<Organization, OrgError> {
        // Most names (all ASCII ones) pass NFC's quick check: then NFC is the text itself,
        // and rebuilding it char by char was the most costly step of planning a batch row.
        let nfc: std::borrow::Cow<'_, str> = if is_nfc_quick(text.chars()) == IsNormalized::Yes {
            std::borrow::Cow::Borrowed(text)
        } else {
            std::borrow::Cow::Owned(text.nfc().collect())
        };
        let mut out = String::with_capacity(nfc.len());
        // `char::is_whitespace` is exactly Unicode's White_Space property.
        for word in nfc.split(char::is_whitespace).filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        if let Some((index, c)) = out.chars().enumerate().find(|(_, c)| c.is_control()) {
            return Err(OrgError::ControlCharacter { character: c, position: index + 1 });
        }
        if out.is_empty() {
            return Err(OrgError::Empty);
        }
        if out.len() > MAX_ORG_BYTES {
            return Err(OrgError::TooLong { bytes: out.len() });
        }
        Ok(Organization(out))
    }

    /// Accepts `text` only if it is already canonical, as a key's payload must be.
    pub fn from_canonical(text: &str) -> Result<Organization, OrgError> {
        let org = Organization::canonicalize(text)?;
        if org.0 == text { Ok(org) } else { Err(OrgError::NotCanonical) }
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two names are compared in: compatibility caseless (Unicode D146), dotless ı
    /// as i, letters and numbers only. See [`match_form`].
    pub fn match_form(&self) -> String {
        match_form(&self.0)
    }

    /// The form a transliterated spelling is compared in (format revision 3): `Müller` as
    /// `mueller`. See [`transliterated_form`].
    pub fn transliterated_form(&self) -> String {
        transliterated_form(&self.0)
    }

    /// Whether `entered` matches this name: its match form is this name's and not empty, or
    /// its transliterated form is this name's and not empty (`Mueller` for `Müller`). Entered
    /// text over [`MAX_ENTERED_BYTES`] matches nothing.
    pub fn matches(&self, entered: &str) -> bool {
        if entered.len() > MAX_ENTERED_BYTES {
            return false;
        }
        let form = match_form(entered);
        if !form.is_empty() && form == self.match_form() {
            return true;
        }
        // For ASCII text both forms are the match form, compared above.
        if entered.is_ascii() && self.0.is_ascii() {
            return false;
        }
        let form = transliterated_form(entered);
        !form.is_empty() && form == self.transliterated_form()
    }

    /// What differs between this name and `entered`, for a person, or `None` when they match.
    pub fn difference(&self, entered: &str) -> Option<OrgDifference> {
        if self.matches(entered) {
            return None;
        }
        if entered.len() > MAX_ENTERED_BYTES {
            return Some(OrgDifference::TooLong { bytes: entered.len() });
        }
        let theirs = pieces(entered);
        if theirs.iter().all(|(_, p)| p.is_empty()) {
            return Some(OrgDifference::NoLettersOrDigits);
        }
        let ours = pieces(&self.0);
        let flat = |pieces: &[(usize, String)]| -> Vec<(usize, char)> {
            pieces.iter().flat_map(|(i, p)| p.chars().map(move |c| (*i, c))).collect()
        };
        let (a, b) = (flat(&ours), flat(&theirs));
        let same = a.iter().zip(&b).take_while(|(x, y)| x.1 == y.1).count();
        let word = |text: &str, at: Option<usize>| at.map(|i| word_at(text, i));
        Some(match (a.get(same).map(|x| x.0), b.get(same).map(|x| x.0)) {
            (Some(k), Some(e)) => OrgDifference::Differs {
                key: word(&self.0, Some(k)).unwrap_or_default(),
                entered: word(entered, Some(e)).unwrap_or_default(),
            },
            (Some(k), None) => OrgDifference::KeyHasMore { rest: rest_from(&self.0, k) },
            (None, Some(e)) => OrgDifference::EnteredHasMore { rest: rest_from(entered, e) },
            (None, None) => OrgDifference::NoLettersOrDigits,
        })
    }
}

/// What differs between a key's organization and what was entered, in a person's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgDifference {
    /// A word differs: the key's word and the entered word where the first difference is.
    Differs {
        /// The key's word.
        key: String,
        /// The entered word.
        entered: String,
    },
    /// What was entered stops early; the key's name goes on with `rest`.
    KeyHasMore {
        /// The key's name from the first word not entered.
        rest: String,
    },
    /// What was entered goes on after the key's name, with `rest`.
    EnteredHasMore {
        /// The entered text from the first word the key does not have.
        rest: String,
    },
    /// What was entered has no letter or digit (only those are compared).
    NoLettersOrDigits,
    /// What was entered is over [`MAX_ENTERED_BYTES`].
    TooLong {
        /// Its length in UTF-8 bytes.
        bytes: usize,
    },
}

impl fmt::Display for OrgDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrgDifference::Differs { key, entered } => {
                write!(f, "the key says {}, you entered {}", quoted(key), quoted(entered))
            }
            OrgDifference::KeyHasMore { rest } => write!(f, "the key's name goes on with {}", quoted(rest)),
            OrgDifference::EnteredHasMore { rest } => {
                write!(f, "the key's name has nothing where you entered {}", quoted(rest))
            }
            OrgDifference::NoLettersOrDigits => {
                f.write_str("what was entered has no letter or digit, and only those are compared")
            }
            OrgDifference::TooLong { bytes } => {
                write!(f, "what was entered is {bytes} bytes long; over {MAX_ENTERED_BYTES} matches nothing")
            }
        }
    }
}

/// The match form of a text (format revision 2): `NFKD(casefold(NFKD(casefold(NFD(x)))))`
/// (Unicode's compatibility caseless form, D146, with full case folding), then U+0131 as
/// `i`, then only the characters whose General_Category is a letter (L*) or a number (N*).
pub fn match_form(text: &str) -> String {
    // ASCII needs no normalization: case folding is lower-casing, and only letters and
    // digits are kept. Most organizations take this path.
    if text.is_ascii() {
        return text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    }
    let nfd: String = text.nfd().collect();
    let once: String = caseless::default_case_fold_str(&nfd).nfkd().collect();
    let twice: String = caseless::default_case_fold_str(&once).nfkd().collect();
    twice.chars().map(|c| if c == '\u{131}' { 'i' } else { c }).filter(|c| is_letter_or_number(*c)).collect()
}

/// The transliterated form of a text (format revision 3): the [`match_form`] of
/// `T(NFC(casefold(x)))`, where casefold is full case folding and `T` writes `ä` as `ae`, `ö`
/// as `oe`, `ü` as `ue`, `å` as `aa`, `æ` as `ae`, `ø` as `oe` and `œ` as `oe` (`ß` folds to
/// `ss` already). So `Mueller` matches `Müller`, `Aalborg` `Ålborg`, `Soerensen` `Sørensen`.
/// Keygen's ledger search finds names by this form too.
pub fn transliterated_form(text: &str) -> String {
    if text.is_ascii() {
        return match_form(text);
    }
    let folded: String = caseless::default_case_fold_str(text).nfc().collect();
    let mut out = String::with_capacity(folded.len() + 8);
    for c in folded.chars() {
        match c {
            'ä' | 'æ' => out.push_str("ae"),
            'ö' | 'ø' | 'œ' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'å' => out.push_str("aa"),
            c => out.push(c),
        }
    }
    match_form(&out)
}

fn is_letter_or_number(c: char) -> bool {
    matches!(c.general_category_group(), GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number)
}

/// Each character's index (in chars) with its share of the match form. Folding and
/// decomposition work character by character, and the marks that reordering would move are
/// removed, so the shares add up to the match form; used only to point at a difference.
fn pieces(text: &str) -> Vec<(usize, String)> {
    let mut buf = [0u8; 4];
    text.chars().enumerate().map(|(i, c)| (i, match_form(c.encode_utf8(&mut buf)))).collect()
}

/// The white-space separated word that holds character `index`.
fn word_at(text: &str, index: usize) -> String {
    let rest = rest_from(text, index);
    rest.split(char::is_whitespace).next().unwrap_or_default().to_owned()
}

/// The text from the word that holds character `index`.
fn rest_from(text: &str, index: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let start = chars[..index].iter().rposition(|c| c.is_whitespace()).map_or(0, |p| p + 1);
    chars[start..].iter().collect::<String>().trim_end().to_owned()
}

impl fmt::Display for Organization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Organization::canonicalize(s).map(|o| o.0).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn canonical_form() {
        assert_eq!(canon("  Acme \t\n Analytics\u{00a0}GmbH\u{3000}"), "Acme Analytics GmbH");
        assert_eq!(canon("Cafe\u{301}"), "Caf\u{e9}");
        assert!(canon("Acme\u{7}Inc").starts_with("error"));
        assert!(canon(" \u{2003} ").starts_with("error"));
        assert!(canon(&"é".repeat(128)).starts_with("error"));
        assert_eq!(canon(&"a".repeat(255)).len(), 255);
    }

    #[test]
    fn the_match_form_ignores_case_spacing_punctuation_accents_and_width() {
        let org = |s: &str| Organization::canonicalize(s).expect("canonical");
        let matches = [
            ("Acme Analytics GmbH", "ACME analytics, gmbh"),
            ("Acme Analytics GmbH", "Acme-Analytics GmbH."),
            ("Straße AG", "STRASSE AG"),
            ("Müller", "Muller"),
            ("Yıldız Bilişim A.Ş.", "YILDIZ BİLİŞİM A.Ş."),
            ("サクラデータ", "ｻｸﾗﾃﾞｰﾀ"),
            ("株式会社サクラデータ", "株式会社 サクラデータ"),
            ("Acme Inc", "Acme, Inc."),
            ("ΟΔΟΣ", "οδος"),
            ("Café", "CAFE\u{301}"),
        ];
        for (key, entered) in matches {
            assert!(org(key).matches(entered), "{key} / {entered}");
            assert_eq!(org(key).difference(entered), None);
        }
        assert!(!org("Acme AG").matches("Acme GmbH"));
        // Revision 3: the German and Nordic transliterations.
        for (key, entered) in [
            ("Müller", "Mueller"),
            ("Müller", "MUELLER"),
            ("Ålborg", "Aalborg"),
            ("Ålborg", "AALBORG"),
            ("Sørensen", "Soerensen"),
            ("Bæk", "Baek"),
            ("Cœur", "Coeur"),
            ("Schön Möbel", "Schoen moebel"),
            ("Grüße", "GRUESSE"),
            ("Müller", "MÜLLER"),
            ("Mueller", "Müller"),
            ("Müller", "Mu\u{308}ller"),
        ] {
            assert!(org(key).matches(entered), "{key} / {entered}");
            assert_eq!(org(key).difference(entered), None, "{key} / {entered}");
        }
        assert!(!org("Muller").matches("Mueller"));
        assert!(!org("Mueller").matches("Muller"));
        assert!(!org("Müller").matches("Moeller"));
        assert!(!org("Sørensen").matches("Saerensen"));
        assert!(!org("Acme").matches(""));
        assert!(!org("Acme").matches("..."));
        assert!(!org("Acme").matches(&format!("Acme{}", " ".repeat(1021))));
    }

    #[test]
    fn a_difference_is_pointed_at_in_the_words_people_typed() {
        let org = |s: &str| Organization::canonicalize(s).expect("canonical");
        let said = |key: &str, entered: &str| org(key).difference(entered).map(|d| d.to_string());
        assert_eq!(said("Acme AG", "ACME gmbh").as_deref(), Some("the key says 'AG', you entered 'gmbh'"));
        assert_eq!(
            said("Yıldız Bilişim A.Ş.", "Yilmaz Bilisim").as_deref(),
            Some("the key says 'Yıldız', you entered 'Yilmaz'")
        );
        assert_eq!(
            said("Acme Analytics GmbH", "acme").as_deref(),
            Some("the key's name goes on with 'Analytics GmbH'")
        );
        assert_eq!(
            said("Acme", "Acme Corp").as_deref(),
            Some("the key's name has nothing where you entered 'Corp'")
        );
        assert_eq!(
            said("Acme", " - ").as_deref(),
            Some("what was entered has no letter or digit, and only those are compared")
        );
        assert!(said("Acme", &"x".repeat(1025)).is_some_and(|m| m.contains("1025 bytes")));
    }

    #[test]
    fn only_canonical_text_is_accepted_as_is() {
        assert!(Organization::from_canonical("Acme Inc").is_ok());
        assert_eq!(Organization::from_canonical("Acme  Inc"), Err(OrgError::NotCanonical));
        assert_eq!(Organization::from_canonical("Cafe\u{301}"), Err(OrgError::NotCanonical));
    }
}
