//! Organization names: the canonical form a key carries and the caseless match the
//! product applies to what a customer types.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::error::OrgError;

/// The most UTF-8 bytes an organization may have (its length is one byte in the key).
pub const MAX_ORG_BYTES: usize = 255;

/// An organization name in canonical form: NFC, trimmed, inner white space runs collapsed
/// to one space, no control character, 1..=255 UTF-8 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Organization(String);

impl Organization {
    /// Puts `text` in canonical form, or says why it has none.
    pub fn canonicalize(text: &str) -> Result<Organization, OrgError> {
        let nfc: String = text.nfc().collect();
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

    /// The form two names are compared in: `NFD(casefold(NFD(x)))` (Unicode D145).
    pub fn caseless_key(&self) -> String {
        caseless_key(&self.0)
    }

    /// Whether `entered`, put in canonical form, is a canonical caseless match of this name.
    /// Text without a canonical form (empty, a control character, too long) matches nothing.
    pub fn matches(&self, entered: &str) -> bool {
        match Organization::canonicalize(entered) {
            Ok(other) => other.caseless_key() == self.caseless_key(),
            Err(_) => false,
        }
    }
}

fn caseless_key(text: &str) -> String {
    let nfd: String = text.nfd().collect();
    caseless::default_case_fold_str(&nfd).nfd().collect()
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
    fn caseless_matching() {
        let org = Organization::canonicalize("Straße AG").expect("canonical");
        assert!(org.matches("STRASSE AG"));
        assert!(org.matches("  strasse   ag "));
        assert!(!org.matches("Strasse-AG"));
        let cafe = Organization::canonicalize("Café").expect("canonical");
        assert!(cafe.matches("CAFE\u{301}"));
        assert!(!cafe.matches("CAFE"));
        assert!(!cafe.matches(""));
        let sigma = Organization::canonicalize("ΟΔΟΣ").expect("canonical");
        assert!(sigma.matches("οδος"));
        assert!(sigma.matches("οδοσ"));
    }

    #[test]
    fn only_canonical_text_is_accepted_as_is() {
        assert!(Organization::from_canonical("Acme Inc").is_ok());
        assert_eq!(Organization::from_canonical("Acme  Inc"), Err(OrgError::NotCanonical));
        assert_eq!(Organization::from_canonical("Cafe\u{301}"), Err(OrgError::NotCanonical));
    }
}
