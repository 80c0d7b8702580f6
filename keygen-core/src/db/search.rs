//! Finding keys: a batch's orders and serials a chunk at a time (one statement each), and
//! organizations as people type them: by the product's match form (case, spacing,
//! punctuation and accents do not matter), and also by the usual transliterations (`Mueller`
//! for `Müller`, `Strasse` for `Straße`, `Aalborg` for `Ålborg`). Each key row stores both
//! forms in `org_search` (`MATCH|FOLDED`); a search text matches when either of its forms is
//! part of it. `|` is never in a match form, so no match spans both.

use unicode_normalization::UnicodeNormalization;

/// The letters written as two in ASCII, each with its usual transliteration.
const TRANSLITERATIONS: &[(char, &str)] = &[
    ('ä', "ae"),
    ('ö', "oe"),
    ('ü', "ue"),
    ('ß', "ss"),
    ('ẞ', "ss"),
    ('å', "aa"),
    ('æ', "ae"),
    ('ø', "oe"),
    ('œ', "oe"),
    ('þ', "th"),
    ('ð', "d"),
    ('Ä', "ae"),
    ('Ö', "oe"),
    ('Ü', "ue"),
    ('Å', "aa"),
    ('Æ', "ae"),
    ('Ø', "oe"),
    ('Œ', "oe"),
    ('Þ', "th"),
    ('Ð', "d"),
];

/// The match form of `text` with those letters transliterated first.
pub fn folded(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.nfc() {
        match TRANSLITERATIONS.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    product_key::match_form(&out)
}

/// What `org_search` holds for an organization.
pub fn column(organization: &str) -> String {
    let matched = product_key::match_form(organization);
    // ASCII has nothing to compose or transliterate: its folded form is its match form (a
    // batch computes this for every row, so the second pass is worth skipping).
    let folded = if organization.is_ascii() { matched.clone() } else { folded(organization) };
    format!("{matched}|{folded}")
}

/// The two forms a search text is looked for in (equal for plain ASCII).
pub fn needles(text: &str) -> (String, String) {
    (product_key::match_form(text), folded(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(org: &str, typed: &str) -> bool {
        let (a, b) = needles(typed);
        let col = column(org);
        !a.is_empty() && (col.contains(&a) || col.contains(&b))
    }

    #[test]
    fn transliterations_find_the_letters_they_stand_for() {
        assert!(finds("Müller Logistik GmbH", "Mueller"));
        assert!(finds("Müller Logistik GmbH", "muller"));
        assert!(finds("Müller Logistik GmbH", "Müller"));
        assert!(finds("Mueller AG", "Müller"));
        assert!(finds("Hauptstraße 5 KG", "Strasse"));
        assert!(finds("Ålborg Havn A/S", "Aalborg"));
        assert!(finds("Ålborg Havn A/S", "alborg"));
        assert!(finds("Søren Æble ApS", "soeren aeble"));
        assert!(!finds("Müller Logistik GmbH", "Mueler"));
    }

    #[test]
    fn the_ascii_shortcut_gives_the_folded_form() {
        for org in ["Customer 7 Analytics GmbH", "  A.B.C. & Sons, Ltd ", "x-Y_z 09", "", "Aa  Bb"] {
            assert_eq!(column(org), format!("{}|{}", product_key::match_form(org), folded(org)));
        }
    }
}
