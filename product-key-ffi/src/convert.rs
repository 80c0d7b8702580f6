//! From the host's pointers and numbers to the library's types, with each refusal named.

use std::ffi::{CStr, CString, c_char};

use product_key::{Day, TrustedKeys};

use crate::{Failure, PkError};

/// The NUL-ended UTF-8 text at `ptr`, or `None` for a null pointer.
///
/// # Safety
/// `ptr` must be null or point to a NUL-ended string that stays valid during the call.
pub unsafe fn optional_text(ptr: *const c_char, what: &str) -> Result<Option<String>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null and NUL-ended by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Some(text.to_owned())),
        Err(e) => Err(Failure::new(
            PkError::NotUtf8,
            format!("{what} is not UTF-8 (at byte {} of {})", e.valid_up_to(), bytes.len()),
        )),
    }
}

/// The trusted keys: `count` raw Ed25519 public keys of 32 bytes at `ptr`.
///
/// # Safety
/// `ptr` must be null or point to `count * 32` readable bytes.
pub unsafe fn trusted_keys(ptr: *const u8, count: usize) -> Result<TrustedKeys, Failure> {
    if count == 0 {
        return Err(Failure::new(PkError::NoPublicKey, "no trusted public key was given"));
    }
    if ptr.is_null() {
        return Err(Failure::new(PkError::NullPointer, "the trusted public keys are a null pointer"));
    }
    let len = count.checked_mul(32).filter(|len| isize::try_from(*len).is_ok()).ok_or_else(|| {
        Failure::new(PkError::BadPublicKey, format!("{count} public keys cannot be in memory"))
    })?;
    // SAFETY: `ptr` is non-null and points to `len` readable bytes by the caller's contract;
    // `len` fits in isize, as a slice requires.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    let mut trusted = TrustedKeys::new();
    for (i, key) in bytes.chunks_exact(32).enumerate() {
        let mut raw = [0u8; 32];
        raw.copy_from_slice(key);
        trusted
            .add(&raw)
            .map_err(|e| Failure::new(PkError::BadPublicKey, format!("trusted public key {}: {e}", i + 1)))?;
    }
    Ok(trusted)
}

/// The checking day, in days since 1970-01-01.
pub fn day(days: i64) -> Result<Day, Failure> {
    u16::try_from(days).map(Day::from_days).map_err(|_| {
        Failure::new(
            PkError::DayOutOfRange,
            format!("day {days} is outside 0 to 65535 (1970-01-01 to {})", Day::MAX),
        )
    })
}

/// A public key from its PEM or hex text, checked as a trusted key is.
pub fn public_key(text: &str) -> Result<[u8; 32], Failure> {
    let mut trusted = TrustedKeys::new();
    trusted.add_text(text).map_err(|e| Failure::new(PkError::BadPublicKey, e.to_string()))?;
    let id = trusted.key_ids().next();
    id.and_then(|id| trusted.with_id(id).next().map(|k| k.to_bytes()))
        .ok_or_else(|| Failure::new(PkError::Panic, "a key that was added is not in the set"))
}

/// `text` as a C string, still owned here (so dropped if a later step fails). A NUL inside
/// (which no text given through this interface can hold) is shown as U+FFFD rather than
/// cutting the text.
pub fn c_string(text: String) -> CString {
    let text = if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text };
    CString::new(text).unwrap_or_default()
}
