//! Calendar days as the key stores them: whole days since 1970-01-01 (UTC) in 16 bits.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::DateError;

/// A calendar day, 1970-01-01 (day 0) to 2149-06-06 (day 65535).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(u16);

impl Day {
    /// 1970-01-01, day 0.
    pub const EPOCH: Day = Day(0);
    /// 2149-06-06, the last day 16 bits can hold.
    pub const MAX: Day = Day(u16::MAX);

    /// The day with this number of days since 1970-01-01.
    pub const fn from_days(days: u16) -> Day {
        Day(days)
    }

    /// Days since 1970-01-01.
    pub const fn days(self) -> u16 {
        self.0
    }

    /// Today in UTC, or `None` past 2149-06-06 (or before 1970, on a badly set clock).
    pub fn today() -> Option<Day> {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        u16::try_from(secs / 86_400).ok().map(Day)
    }

    /// The day `n` days later, or `None` past [`Day::MAX`].
    pub fn checked_add(self, n: u32) -> Option<Day> {
        u16::try_from(u32::from(self.0).checked_add(n)?).ok().map(Day)
    }

    /// Builds a day from a proleptic Gregorian date, or `None` when the date does not exist
    /// or lies outside 1970-01-01..=2149-06-06.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        u16::try_from(days_from_civil(year, month, day)).ok().map(Day)
    }

    /// The date as (year, month, day).
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(i64::from(self.0))
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // The ranges above keep every value small: the casts cannot truncate.
    (y as i32, m as u32, d as u32)
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Day {
    type Err = DateError;

    /// Reads exactly `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Day, DateError> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err(DateError::Syntax(s.to_owned()));
        }
        let num = |r: std::ops::Range<usize>| -> u32 {
            b[r].iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0'))
        };
        let (y, m, d) = (num(0..4), num(5..7), num(8..10));
        // y has 4 digits, so it fits in i32.
        let year = y as i32;
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(year, m) {
            return Err(DateError::NoSuchDate(s.to_owned()));
        }
        Day::from_ymd(year, m, d).ok_or_else(|| DateError::OutOfRange(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day() {
        for n in 0..=u16::MAX {
            let day = Day::from_days(n);
            let text = day.to_string();
            assert_eq!(text.parse::<Day>(), Ok(day), "{text}");
        }
        assert_eq!(Day::EPOCH.to_string(), "1970-01-01");
        assert_eq!(Day::MAX.to_string(), "2149-06-06");
    }

    #[test]
    fn refuses_bad_dates() {
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "1969-12-31",
            "2149-06-07",
            "２０２６-01-01",
            "",
        ] {
            assert!(bad.parse::<Day>().is_err(), "{bad}");
        }
        assert!("2024-02-29".parse::<Day>().is_ok());
    }
}
