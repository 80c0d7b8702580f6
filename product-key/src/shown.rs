//! Characters as people see them in a message: a visible character in quotes, an invisible
//! or blank one by its name, never a Rust escape such as `'\u{200b}'`.

use std::fmt;

/// A character quoted for a person: `'x'`, or `a zero-width space (U+200B)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown(pub char);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        let name = match c {
            '\t' => "a tab",
            '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => "a line break",
            ' ' => "a space",
            '\u{a0}' | '\u{202f}' => "a no-break space",
            '\u{200b}' => "a zero-width space",
            '\u{200c}' => "a zero-width non-joiner",
            '\u{200d}' => "a zero-width joiner",
            '\u{2060}' => "a word joiner",
            '\u{feff}' => "a zero-width no-break space (byte order mark)",
            '\u{fffd}' => "a replacement character (the text was not valid UTF-8 there)",
            '\u{ad}' => "a soft hyphen",
            c if c.is_whitespace() => "a space",
            c if c.is_control() => "a control character",
            _ => return write!(f, "'{c}'"),
        };
        write!(f, "{name} (U+{:04X})", u32::from(c))
    }
}

/// Text quoted for a person: `'Acme Inc'`, with invisible characters named in brackets.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if c == ' ' || !(c.is_whitespace() || c.is_control() || is_invisible(c) || c == '\u{ad}') {
            out.push(c);
        } else {
            out.push_str(&format!("[{}]", Shown(c)));
        }
    }
    out.push('\'');
    out
}

/// The invisible characters that a paste may carry inside a key.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_characters_in_quotes_invisible_ones_by_name() {
        assert_eq!(Shown('*').to_string(), "'*'");
        assert_eq!(Shown('"').to_string(), "'\"'");
        assert_eq!(Shown('\u{200b}').to_string(), "a zero-width space (U+200B)");
        assert_eq!(Shown('\t').to_string(), "a tab (U+0009)");
        assert_eq!(quoted("Acme\u{7}Inc"), "'Acme[a control character (U+0007)]Inc'");
        assert_eq!(quoted("Yıldız A.Ş."), "'Yıldız A.Ş.'");
    }
}
