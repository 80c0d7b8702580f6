//! What people type that is recorded with a key (organization, order id, contact) or names
//! a person at the desk: no invisible characters and a bounded length (issue 27, items 10
//! and 11). A right-to-left override makes "Acme \u{202E}HbmG\u{202C} Ltd" show as "Acme GmbH
//! Ltd" and a zero-width space makes "sales-user\u{200B}" look like "sales-user"; the ledger
//! would keep a name that reads as another one. Every front end calls [`check`]: the desk's
//! forms, and `ops::issue` / `ops::replace` at their entry (`check_key`) (so the command line gets it too).

use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// The field a text is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The organization a key is issued to.
    Organization,
    /// The order id recorded with a key.
    OrderId,
    /// The contact recorded with a key.
    Contact,
    /// A person's name at the desk.
    PersonName,
}

/// The most UTF-8 bytes of an organization as typed: generous above what a key carries
/// ([`product_key::MAX_ORG_BYTES`], checked on the canonical form), so that spaces collapsed
/// by canonicalization still fit, while a megabyte is refused before any work on it.
pub const MAX_ORGANIZATION_TYPED_BYTES: usize = 4 * product_key::MAX_ORG_BYTES;
/// The most characters of an order id.
pub const MAX_ORDER_ID_CHARS: usize = 128;
/// The most characters of a contact.
pub const MAX_CONTACT_CHARS: usize = 1000;
/// The most characters of a person's name at the desk.
pub const MAX_PERSON_NAME_CHARS: usize = 64;

impl Field {
    /// The field's name in messages (the desk's label, lower case).
    pub fn name(self) -> &'static str {
        match self {
            Field::Organization => "organization",
            Field::OrderId => "order id",
            Field::Contact => "contact",
            Field::PersonName => "name",
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// An invisible or control character.
    #[error(
        "{field}: U+{code:04X} ({what}) at character {position}: invisible and control characters are refused \
         (they make a text read as another one)",
        code = u32::from(*character)
    )]
    Invisible {
        /// The field.
        field: Field,
        /// The character.
        character: char,
        /// Its name, or its kind.
        what: &'static str,
        /// Its position, from 1, in characters.
        position: usize,
    },
    /// Longer than the field's limit.
    #[error("{field}: {length} {unit}, at most {limit} are kept")]
    TooLong {
        /// The field.
        field: Field,
        /// Its length.
        length: usize,
        /// The limit.
        limit: usize,
        /// "characters" or "bytes".
        unit: &'static str,
    },
}

impl TextError {
    /// The field refused.
    pub fn field(&self) -> Field {
        match self {
            TextError::Invisible { field, .. } | TextError::TooLong { field, .. } => *field,
        }
    }

    /// What is wrong, without the field's name: for a message that names the field (or
    /// the CSV column) itself.
    pub fn detail(&self) -> String {
        let text = self.to_string();
        if let Some(rest) = text.strip_prefix(&format!("{}: ", self.field())) {
            return rest.to_owned();
        }
        text
    }
}

impl From<TextError> for crate::error::Error {
    fn from(e: TextError) -> crate::error::Error {
        crate::error::Error::Input(e.to_string())
    }
}

/// Checks `text` for `field`: its length first (so a huge text costs nothing more), then
/// every character.
pub fn check(field: Field, text: &str) -> Result<(), TextError> {
    let (limit, unit, length) = match field {
        Field::Organization => (MAX_ORGANIZATION_TYPED_BYTES, "bytes", text.len()),
        Field::OrderId => (MAX_ORDER_ID_CHARS, "characters", text.chars().count()),
        Field::Contact => (MAX_CONTACT_CHARS, "characters", text.chars().count()),
        Field::PersonName => (MAX_PERSON_NAME_CHARS, "characters", text.chars().count()),
    };
    if length > limit {
        return Err(TextError::TooLong { field, length, limit, unit });
    }
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(what) = invisible(c) {
            let joiner = matches!(c, '\u{200C}' | '\u{200D}');
            let between_letters = i > 0
                && chars.get(i + 1).is_some_and(|n| is_letter(*n))
                && (is_letter(chars[i - 1]) || is_mark(chars[i - 1]));
            // ZWJ and ZWNJ shape letters in Indic and Arabic scripts (and Persian words):
            // between two letters (a letter with its marks) they are part of the writing.
            if joiner && between_letters {
                continue;
            }
            return Err(TextError::Invisible { field, character: c, what, position: i + 1 });
        }
    }
    Ok(())
}

/// Checks an optional text.
pub fn check_given(field: Field, text: Option<&str>) -> Result<(), TextError> {
    text.map_or(Ok(()), |t| check(field, t))
}

/// The fields recorded with a key, checked: what `ops::issue` and `ops::replace` call at
/// their entry.
pub fn check_key(
    organization: Option<&str>,
    order_id: Option<&str>,
    contact: Option<&str>,
) -> Result<(), crate::error::Error> {
    check_given(Field::Organization, organization)?;
    check_given(Field::OrderId, order_id)?;
    check_given(Field::Contact, contact)?;
    Ok(())
}

fn is_letter(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Letter
}

fn is_mark(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Mark
}

/// The name (or kind) of a character that is invisible or a control: Unicode's format
/// characters (Cf), controls (Cc), and the line and paragraph separators.
fn invisible(c: char) -> Option<&'static str> {
    let named = match c {
        '\u{00AD}' => "soft hyphen",
        '\u{061C}' => "Arabic letter mark",
        '\u{180E}' => "Mongolian vowel separator",
        '\u{200B}' => "zero width space",
        '\u{200C}' => "zero width non-joiner",
        '\u{200D}' => "zero width joiner",
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        '\u{202A}' => "left-to-right embedding",
        '\u{202B}' => "right-to-left embedding",
        '\u{202C}' => "pop directional formatting",
        '\u{202D}' => "left-to-right override",
        '\u{202E}' => "right-to-left override",
        '\u{2060}' => "word joiner",
        '\u{2066}' => "left-to-right isolate",
        '\u{2067}' => "right-to-left isolate",
        '\u{2068}' => "first strong isolate",
        '\u{2069}' => "pop directional isolate",
        '\u{FEFF}' => "zero width no-break space",
        '\t' => "tab",
        '\n' => "line feed",
        '\r' => "carriage return",
        _ => "",
    };
    if !named.is_empty() {
        return Some(named);
    }
    match c.general_category() {
        GeneralCategory::Format => Some("an invisible format character"),
        GeneralCategory::Control => Some("a control character"),
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => Some("a line break"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(field: Field, text: &str) -> String {
        check(field, text).map_or_else(|e| e.to_string(), |()| "ok".to_owned())
    }

    #[test]
    fn bidi_and_zero_width_characters_are_named_with_their_position() {
        assert_eq!(
            said(Field::Organization, "Acme \u{202E}HbmG\u{202C} Ltd"),
            "organization: U+202E (right-to-left override) at character 6: invisible and control characters \
             are refused (they make a text read as another one)"
        );
        assert!(
            said(Field::PersonName, "sales-user\u{200B}")
                .starts_with("name: U+200B (zero width space) at character 11")
        );
        assert!(
            said(Field::OrderId, "SO\u{2066}1")
                .starts_with("order id: U+2066 (left-to-right isolate) at character 3")
        );
        assert!(said(Field::Contact, "a\u{E0041}").contains("U+E0041 (an invisible format character)"));
        assert!(said(Field::Contact, "a\u{7}b").contains("U+0007 (a control character)"));
        assert!(said(Field::Contact, "a\u{FEFF}").contains("zero width no-break space"));
        let e = check(Field::OrderId, "SO\u{202E}1").expect_err("refused");
        assert_eq!(
            (e.field(), e.detail().starts_with("U+202E (right-to-left override) at character 3")),
            (Field::OrderId, true)
        );
    }

    #[test]
    fn joiners_between_letters_are_writing() {
        // Persian "mi-khaham" with ZWNJ, Devanagari "ksha" with virama + ZWJ.
        assert_eq!(said(Field::Organization, "می\u{200C}خواهم"), "ok");
        assert_eq!(said(Field::Organization, "क्\u{200D}ष"), "ok");
        assert!(
            said(Field::Organization, "\u{200D}Acme").contains("U+200D (zero width joiner) at character 1")
        );
        assert!(said(Field::Organization, "Acme\u{200C}").contains("U+200C"));
        assert!(said(Field::Organization, "Acme \u{200D} Ltd").contains("U+200D"));
        assert_eq!(said(Field::Organization, "Müller & Søn AG"), "ok");
    }

    #[test]
    fn lengths_are_bounded() {
        assert_eq!(said(Field::OrderId, &"1".repeat(128)), "ok");
        assert_eq!(said(Field::OrderId, &"1".repeat(129)), "order id: 129 characters, at most 128 are kept");
        assert_eq!(said(Field::OrderId, &"ü".repeat(128)), "ok");
        assert_eq!(
            said(Field::Contact, &"x".repeat(1001)),
            "contact: 1001 characters, at most 1000 are kept"
        );
        assert_eq!(said(Field::PersonName, &"x".repeat(65)), "name: 65 characters, at most 64 are kept");
        assert_eq!(
            said(Field::Organization, &"x".repeat(1021)),
            "organization: 1021 bytes, at most 1020 are kept"
        );
        assert_eq!(
            said(Field::OrderId, &"1".repeat(100_000)),
            "order id: 100000 characters, at most 128 are kept"
        );
    }
}
