//! Client seats: how many clients may connect to the server the key unlocks.

use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

use crate::error::SeatsError;

/// The encoded value that means "unlimited".
const UNLIMITED: u16 = u16::MAX;

/// Client connections per server: a count of 1..=65534, or unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Seats {
    /// At most this many clients (1..=65534).
    Count(NonZeroU16),
    /// No limit (encoded as 65535).
    Unlimited,
}

impl Seats {
    /// The largest count that is not "unlimited".
    pub const MAX_COUNT: u16 = UNLIMITED - 1;

    /// A count of seats, or `None` for 0 and 65535.
    pub fn count(n: u16) -> Option<Seats> {
        match n {
            UNLIMITED => None,
            n => NonZeroU16::new(n).map(Seats::Count),
        }
    }

    /// Reads the 16-bit field; 0 is invalid.
    pub fn from_wire(n: u16) -> Option<Seats> {
        match n {
            UNLIMITED => Some(Seats::Unlimited),
            n => NonZeroU16::new(n).map(Seats::Count),
        }
    }

    /// The 16-bit field.
    pub fn to_wire(self) -> u16 {
        match self {
            Seats::Count(n) => n.get(),
            Seats::Unlimited => UNLIMITED,
        }
    }

    /// The count, or `None` when unlimited.
    pub fn limit(self) -> Option<u16> {
        match self {
            Seats::Count(n) => Some(n.get()),
            Seats::Unlimited => None,
        }
    }
}

impl fmt::Display for Seats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` honours width and alignment, so tables line up.
        match self {
            Seats::Count(n) => f.pad(&n.to_string()),
            Seats::Unlimited => f.pad("unlimited"),
        }
    }
}

impl FromStr for Seats {
    type Err = SeatsError;

    /// Reads `1`..=`65534` or `unlimited` (any case).
    fn from_str(s: &str) -> Result<Seats, SeatsError> {
        if s.eq_ignore_ascii_case("unlimited") {
            return Ok(Seats::Unlimited);
        }
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SeatsError(s.to_owned()));
        }
        s.parse::<u16>().ok().and_then(Seats::count).ok_or_else(|| SeatsError(s.to_owned()))
    }
}
