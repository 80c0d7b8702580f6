//! The verdict as a plain C struct: numbers and flags in place, three owned strings.

use std::ffi::{CStr, CString, c_char};

use product_key::{Day, Expiry, RevocationList, Status, Verdict};

use crate::PkStatus;
use crate::convert::c_string;

/// A key's verdict and, when the key could be read, its fields. The fields are those of the
/// key as written: trust them only when `trusted` is true. Release with `pk_verdict_free`.
#[repr(C)]
#[derive(Debug)]
pub struct PkVerdict {
    /// The status; `valid` alone unlocks the product.
    pub status: PkStatus,
    /// The exit code `verifier check` gives this status (0, or 3 to 8); -1 when the call
    /// failed and there is no verdict.
    pub exit_code: i32,
    /// Whether the status is `valid`.
    pub valid: bool,
    /// Whether the signature verified with a trusted key: only then are the fields true.
    pub trusted: bool,
    /// Whether the fields below were read from the key (false when malformed).
    pub has_key: bool,
    /// The product code, e.g. "AST", NUL-ended.
    pub product: [c_char; 9],
    /// The major version the key is for, e.g. 8.
    pub major_version: u8,
    /// The key's serial.
    pub serial: u64,
    /// The signing key's id: the first 4 bytes of SHA-256 of its public key.
    pub key_id: [u8; 4],
    /// The organization the key was issued to (UTF-8, NUL-ended), or NULL.
    pub organization: *mut c_char,
    /// The number of client connections allowed, when `seats_unlimited` is false.
    pub seats: u16,
    /// Whether any number of clients may connect.
    pub seats_unlimited: bool,
    /// The features, bit n for catalog bit n (docs/key-format.md), unknown bits included.
    pub features: u64,
    /// The day the key was issued, in days since 1970-01-01.
    pub issued: i32,
    /// Whether the key never expires; `expires` is then 0.
    pub perpetual: bool,
    /// The last valid day, in days since 1970-01-01.
    pub expires: i32,
    /// Whether the key replaces another (the `supersedes` extension).
    pub has_supersedes: bool,
    /// The serial of the key it replaces.
    pub supersedes: u64,
    /// Whether the key was found by its prefix in the text given (false when the text held no
    /// prefix of this product and was read whole, as revision 2 of the format says).
    pub found: bool,
    /// The positions of the key's first and last characters in the text, counting characters
    /// (not bytes) from 1: what "read the key from characters 18 to 252" names.
    pub found_from: usize,
    /// See `found_from`.
    pub found_to: usize,
    /// Whether a revocation list was applied.
    pub revocations_applied: bool,
    /// The applied list's sequence: store the highest one accepted.
    pub revocation_sequence: u32,
    /// The verdict in one sentence with what to do, as `verifier check` says it (UTF-8,
    /// NUL-ended); on an error, what was wrong.
    pub message: *mut c_char,
    /// The key as read, in its canonical text ("AST8-...", upper case, grouped; no quote
    /// markers, no line breaks): what the product stores (UTF-8, NUL-ended). NULL when nothing
    /// could be decoded (`has_key` false).
    pub key_text: *mut c_char,
}

impl PkVerdict {
    /// No verdict and nothing owned: what every out parameter holds before the call does
    /// anything that could fail.
    pub fn none() -> PkVerdict {
        PkVerdict {
            status: PkStatus::Malformed,
            exit_code: -1,
            valid: false,
            trusted: false,
            has_key: false,
            product: [0; 9],
            major_version: 0,
            serial: 0,
            key_id: [0; 4],
            organization: std::ptr::null_mut(),
            seats: 0,
            seats_unlimited: false,
            features: 0,
            issued: 0,
            perpetual: false,
            expires: 0,
            has_supersedes: false,
            supersedes: 0,
            found: false,
            found_from: 0,
            found_to: 0,
            revocations_applied: false,
            revocation_sequence: 0,
            message: std::ptr::null_mut(),
            key_text: std::ptr::null_mut(),
        }
    }

    /// No verdict: only the message, saying why.
    pub fn failed(message: &str) -> PkVerdict {
        let mut v = PkVerdict::none();
        v.message = c_string(message.to_owned()).into_raw();
        v
    }

    /// The verdict on `text`, checked on `at` against `list`. The strings are made first and
    /// handed over last, so that a failure on the way drops them instead of leaking them.
    pub fn of(verdict: &Verdict, text: &str, at: Day, list: Option<&RevocationList>) -> PkVerdict {
        let message = c_string(product_key_report::headline(verdict, text, at));
        let organization: Option<CString> =
            verdict.key.as_ref().map(|k| c_string(k.payload.organization.to_string()));
        let key_text: Option<CString> = verdict.key.as_ref().map(|k| c_string(k.to_text()));
        crate::hooks::panic_point(text);
        let status = verdict.status();
        let mut v = PkVerdict::none();
        v.status = status.into();
        v.exit_code = i32::from(status.exit_code());
        v.valid = verdict.is_valid();
        v.trusted = verdict.trusted;
        if let Some(found) = &verdict.found {
            v.found = true;
            v.found_from = found.from;
            v.found_to = found.to;
        }
        if let Some(list) = list {
            v.revocations_applied = true;
            v.revocation_sequence = list.sequence;
        }
        if let Some(key) = &verdict.key {
            let p = &key.payload;
            v.has_key = true;
            for (slot, byte) in v.product.iter_mut().zip(p.product.as_str().bytes()) {
                *slot = byte as c_char;
            }
            v.major_version = p.major;
            v.serial = p.serial.get();
            v.key_id = p.key_id.0;
            v.seats = p.seats.limit().unwrap_or(0);
            v.seats_unlimited = p.seats.limit().is_none();
            v.features = p.features.bits();
            v.issued = i32::from(p.issued.days());
            match p.expires {
                Expiry::Perpetual => v.perpetual = true,
                Expiry::LastDay(d) => v.expires = i32::from(d.days()),
            }
            if let Some(s) = p.supersedes() {
                v.has_supersedes = true;
                v.supersedes = s.get();
            }
        }
        v.message = message.into_raw();
        v.organization = organization.map_or(std::ptr::null_mut(), CString::into_raw);
        v.key_text = key_text.map_or(std::ptr::null_mut(), CString::into_raw);
        v
    }
}

/// The static, NUL-ended name of `status`.
pub fn status_name(status: Status) -> &'static CStr {
    match status {
        Status::Malformed => c"malformed",
        Status::NotGenuine => c"not_genuine",
        Status::WrongProduct => c"wrong_product",
        Status::Revoked => c"revoked",
        Status::NotYetValid => c"not_yet_valid",
        Status::Expired => c"expired",
        Status::OrgMismatch => c"org_mismatch",
        Status::Valid => c"valid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_library_names() {
        for s in Status::ALL {
            assert_eq!(status_name(s).to_str().ok(), Some(s.name()));
        }
    }
}
