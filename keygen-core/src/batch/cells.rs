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

/// An expires cell. Besides `YYYY-MM-DD` and `never`: `31.12.2027` (day first with dots, as
/// German and most European exports write dates; `1.2.2027` too), and slash forms where only
/// one reading is a date: `13/02/2027` is 13 February (13 cannot be a month), `02/13/2027`
/// likewise; `01/02/2027` could be 1 February or 2 January, so it is refused with both
/// readings named. `2027/12/31` (year first) is read as written. Years have four digits.
pub fn date(text: &str) -> Result<Cow<'_, str>, String> {
    crate::dates::normalize(text)
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

    #[test]
    fn dates_as_people_write_them_and_ambiguous_slashes_refused_with_both_readings() {
        for (cell, read) in [
            ("2027-12-31", "2027-12-31"),
            ("never", "never"),
            ("31.12.2027", "2027-12-31"),
            ("1.2.2027", "2027-02-01"),
            ("13/02/2027", "2027-02-13"),
            ("02/13/2027", "2027-02-13"),
            ("05/05/2027", "2027-05-05"),
            ("2027/12/31", "2027-12-31"),
        ] {
            assert_eq!(date(cell).as_deref(), Ok(read), "{cell}");
        }
        assert_eq!(
            date("01/02/2027"),
            Err("'01/02/2027' can be read two ways: 2027-02-01 (day first) or 2027-01-02 (month first); write it as YYYY-MM-DD or DD.MM.YYYY".into())
        );
        assert!(date("31.12.27").is_err_and(|e| e.contains("four digits")));
        assert!(date("13/13/2027").is_err());
    }
}
