//! Cells as spreadsheets write them, turned into the forms `order::build` reads (the same
//! forms `keygen issue` takes as flags).

use std::borrow::Cow;

/// A seats cell. A count may be written with a thousands separator, as a German (`1.000`),
/// English (`1,000`) or Swiss (`1'000`) export writes it, or with a space (`1 000`): every
/// group after the first holds exactly three digits. Seats are whole numbers, so `1.000` is
/// one thousand, never one; `1.5` or `1.00` is refused.
pub fn seats(text: &str) -> Result<Cow<'_, str>, String> {
    let Some(sep) = text.chars().find(|c| matches!(c, '.' | ',' | '\'' | ' ' | '\u{a0}' | '\u{202f}')) else {
        return Ok(Cow::Borrowed(text));
    };
    let groups: Vec<&str> = text.split(sep).collect();
    let grouped = groups.iter().all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()))
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3);
    if grouped {
        Ok(Cow::Owned(groups.concat()))
    } else {
        Err(format!(
            "'{text}' is not a whole number of seats (write 1000, 1.000 or 1,000 for one thousand; or unlimited)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_with_thousands_separators_are_whole_counts() {
        for (cell, read) in [
            ("12", "12"),
            ("1.000", "1000"),
            ("1,000", "1000"),
            ("12'500", "12500"),
            ("1 000", "1000"),
            ("unlimited", "unlimited"),
        ] {
            assert_eq!(seats(cell).as_deref(), Ok(read), "{cell}");
        }
        for cell in ["1.5", "1.00", "1.0000", ".100", "1.000,5", "1,000.000.0"] {
            assert!(seats(cell).is_err(), "{cell}");
        }
    }
}
