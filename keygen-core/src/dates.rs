//! Dates as people write them: one reader for every command's date flag (`issue --expires`,
//! `--issued`, `renew`, `amend`, `revoke --before`, `ledger report --at`), the desk's forms and
//! batch's cells, so that a date one of them reads is read by all, the same way.

use std::borrow::Cow;

use product_key::{DateError, Day};

/// A date into the `YYYY-MM-DD` form [`Day`] reads (other text, `never` included, is
/// returned as it is). Besides `YYYY-MM-DD`: `31.12.2027` (day first with dots, as German and
/// most European exports write dates; `1.2.2027` too), and slash forms where only one reading
/// is a date: `13/02/2027` is 13 February (13 cannot be a month), `02/13/2027` likewise;
/// `01/02/2027` could be 1 February or 2 January, so it is refused with both readings named.
/// `2027/12/31` (year first) is read as written. Years have four digits.
pub fn normalize(text: &str) -> Result<Cow<'_, str>, String> {
    let numbers = |sep: char| -> Option<Vec<u32>> {
        let parts: Vec<&str> = text.split(sep).collect();
        let digits =
            parts.iter().all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()));
        (parts.len() == 3 && digits).then(|| parts.iter().filter_map(|p| p.parse().ok()).collect())
    };
    let iso = |y: u32, m: u32, d: u32| format!("{y:04}-{m:02}-{d:02}");
    let four_digit_year = |y: &str| {
        if y.len() == 4 {
            Ok(())
        } else {
            Err(format!("'{text}': write the year with four digits (e.g. 31.12.2027 or 2027-12-31)"))
        }
    };
    if let Some(n) = numbers('.') {
        four_digit_year(text.rsplit('.').next().unwrap_or_default())?;
        return Ok(Cow::Owned(iso(n[2], n[1], n[0])));
    }
    if let Some(n) = numbers('/') {
        if text.split('/').next().is_some_and(|y| y.len() == 4) {
            return Ok(Cow::Owned(iso(n[0], n[1], n[2])));
        }
        four_digit_year(text.rsplit('/').next().unwrap_or_default())?;
        let day_first = (n[1] <= 12).then(|| iso(n[2], n[1], n[0]));
        let month_first = (n[0] <= 12).then(|| iso(n[2], n[0], n[1]));
        return match (day_first, month_first) {
            (Some(a), Some(b)) if a != b => Err(format!(
                "'{text}' can be read two ways: {a} (day first) or {b} (month first); write it as YYYY-MM-DD or DD.MM.YYYY"
            )),
            (Some(a), _) | (None, Some(a)) => Ok(Cow::Owned(a)),
            (None, None) => {
                Err(format!("'{text}' is not a date: neither of its first two numbers is a month"))
            }
        };
    }
    Ok(Cow::Borrowed(text))
}

/// A day in any form [`normalize`] reads (surrounding spaces ignored). A problem names the
/// text as typed, and how it was read when that differs.
pub fn day(text: &str) -> Result<Day, String> {
    let text = text.trim();
    let read = normalize(text)?;
    read.parse::<Day>().map_err(|e| match e {
        _ if read == text => e.to_string(),
        DateError::Syntax(_) => format!("'{text}' is not a date: write YYYY-MM-DD or DD.MM.YYYY"),
        DateError::NoSuchDate(_) => format!("'{text}' (read as {read}) is not a day of the calendar"),
        DateError::OutOfRange(_) => {
            format!("'{text}' (read as {read}) is outside 1970-01-01 to 2149-06-06, the days a key can hold")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_the_same_day() {
        for text in ["2027-12-31", "31.12.2027", " 31.12.2027 ", "12/31/2027", "31/12/2027", "2027/12/31"] {
            assert_eq!(day(text).map(|d| d.to_string()).as_deref(), Ok("2027-12-31"), "{text}");
        }
        assert_eq!(day("1.2.2027").map(|d| d.to_string()).as_deref(), Ok("2027-02-01"));
    }

    #[test]
    fn problems_name_the_text_as_typed() {
        assert_eq!(
            day("01/02/2027"),
            Err("'01/02/2027' can be read two ways: 2027-02-01 (day first) or 2027-01-02 (month first); write it as YYYY-MM-DD or DD.MM.YYYY".into())
        );
        assert_eq!(
            day("30.02.2027"),
            Err("'30.02.2027' (read as 2027-02-30) is not a day of the calendar".into())
        );
        assert_eq!(day("2026-02-30"), Err("'2026-02-30' is not a day of the calendar".into()));
        assert!(day("31.12.27").is_err_and(|e| e.contains("four digits")));
        assert!(day("13/13/2027").is_err_and(|e| e.contains("neither")));
        assert!(day("never").is_err_and(|e| e.contains("'never'")));
        assert!(day("31.12.2150").is_err_and(|e| e.contains("read as 2150-12-31")));
    }
}
