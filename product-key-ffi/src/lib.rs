//! The product key verification as a C ABI, for the product (a .NET application, through
//! P/Invoke) and any other host: one call judges a key exactly as `verifier check` does, into a
//! plain struct or into the JSON of `verifier check --json`.
//!
//! Rules every export keeps, so that no input can harm the host:
//! - a panic never crosses into the host: each export runs inside [`guard`], which turns one
//!   into [`PkError::Panic`];
//! - a null pointer where a value is required, text that is not UTF-8 and a day outside the
//!   days a key can hold are errors with their own codes, never undefined behaviour;
//! - the one-shot calls keep nothing between calls; a verifier handle ([`PkVerifier`]) is
//!   immutable once built: any number of threads may check keys through one handle at once.
//!
//! The header `include/product_key.h` is generated from this crate by cbindgen (build.rs).
//! The same exports, compiled to WebAssembly, run the support page (`support-page/`).

mod convert;
mod handle;
mod hooks;
mod judge;
mod verdict;
#[cfg(target_arch = "wasm32")]
mod wasm;

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use product_key::{RevocationError, RevocationList, Status};

pub use handle::PkVerifier;
pub use judge::PkCheck;
pub use verdict::PkVerdict;

/// The version of this interface: raised whenever a function, struct or code changes meaning,
/// so that a host can refuse a library it was not written for.
pub const PK_ABI_VERSION: u32 = 2;

/// The status of a key: the same eight, in the same order of checks, as `verifier check`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkStatus {
    /// Not a key of this format, or mistyped (exit code 3).
    Malformed = 0,
    /// Signed by an untrusted key, or the signature fails (4).
    NotGenuine = 1,
    /// Genuine, but for another product or version, or needs a newer release (5).
    WrongProduct = 2,
    /// Named by the revocation list given (8).
    Revoked = 3,
    /// Issued more than one day after the checking day (7).
    NotYetValid = 4,
    /// The checking day is after the last valid day (7).
    Expired = 5,
    /// The organization given does not match the key's (6).
    OrgMismatch = 6,
    /// Every check passed (0).
    Valid = 7,
}

impl From<Status> for PkStatus {
    fn from(status: Status) -> PkStatus {
        match status {
            Status::Malformed => PkStatus::Malformed,
            Status::NotGenuine => PkStatus::NotGenuine,
            Status::WrongProduct => PkStatus::WrongProduct,
            Status::Revoked => PkStatus::Revoked,
            Status::NotYetValid => PkStatus::NotYetValid,
            Status::Expired => PkStatus::Expired,
            Status::OrgMismatch => PkStatus::OrgMismatch,
            Status::Valid => PkStatus::Valid,
        }
    }
}

/// Why a call gave no verdict. `PK_ERROR_OK` (0) means it did; a key that is not valid is a
/// verdict, not an error.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkError {
    /// The call succeeded.
    Ok = 0,
    /// A pointer that must not be null was null.
    NullPointer = 1,
    /// A text argument is not valid UTF-8.
    NotUtf8 = 2,
    /// The checking day is outside 0 to 65535 (1970-01-01 to 2149-06-06).
    DayOutOfRange = 3,
    /// No trusted public key was given.
    NoPublicKey = 4,
    /// A trusted public key is not a usable Ed25519 public key.
    BadPublicKey = 5,
    /// The revocation list is not well formed.
    ListMalformed = 6,
    /// The revocation list is signed by a key that is not trusted.
    ListUnknownSigner = 7,
    /// The revocation list's signature does not verify.
    ListBadSignature = 8,
    /// The revocation list is for another product.
    ListOtherProduct = 9,
    /// The revocation list is older than the highest sequence already accepted.
    ListOlder = 10,
    /// The library failed inside (a bug): nothing was decided. Please report it.
    Panic = 11,
}

impl PkError {
    const ALL: [PkError; 12] = [
        PkError::Ok,
        PkError::NullPointer,
        PkError::NotUtf8,
        PkError::DayOutOfRange,
        PkError::NoPublicKey,
        PkError::BadPublicKey,
        PkError::ListMalformed,
        PkError::ListUnknownSigner,
        PkError::ListBadSignature,
        PkError::ListOtherProduct,
        PkError::ListOlder,
        PkError::Panic,
    ];

    /// The name a host logs or matches, e.g. `list_older`.
    const fn name(self) -> &'static CStr {
        match self {
            PkError::Ok => c"ok",
            PkError::NullPointer => c"null_pointer",
            PkError::NotUtf8 => c"not_utf8",
            PkError::DayOutOfRange => c"day_out_of_range",
            PkError::NoPublicKey => c"no_public_key",
            PkError::BadPublicKey => c"bad_public_key",
            PkError::ListMalformed => c"list_malformed",
            PkError::ListUnknownSigner => c"list_unknown_signer",
            PkError::ListBadSignature => c"list_bad_signature",
            PkError::ListOtherProduct => c"list_other_product",
            PkError::ListOlder => c"list_older",
            PkError::Panic => c"panic",
        }
    }

    fn of_list(e: &RevocationError) -> PkError {
        match e {
            RevocationError::UnknownSigner(_) => PkError::ListUnknownSigner,
            RevocationError::BadSignature => PkError::ListBadSignature,
            RevocationError::OtherProduct(_) => PkError::ListOtherProduct,
            RevocationError::Older { .. } => PkError::ListOlder,
            _ => PkError::ListMalformed,
        }
    }
}

/// A failure with the sentence that explains it to a person.
#[derive(Debug)]
struct Failure {
    code: PkError,
    message: String,
}

impl Failure {
    fn new(code: PkError, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into() }
    }
}

/// What to check a key against, as the host gives it.
#[repr(C)]
#[derive(Debug)]
pub struct PkRequest {
    /// The key as the user entered or pasted it (a whole e-mail is fine): UTF-8, ending in NUL.
    pub text: *const c_char,
    /// The organization the user entered (UTF-8, NUL-ended), or NULL for no organization check.
    pub organization: *const c_char,
    /// The checking day, in days since 1970-01-01 (UTC): 0 to 65535.
    pub day: i64,
    /// The trusted public keys: `public_key_count` keys of 32 bytes each, one after another.
    pub public_keys: *const u8,
    /// How many keys `public_keys` holds (at least 1).
    pub public_key_count: usize,
    /// An armoured revocation list (UTF-8, NUL-ended), or NULL for none.
    pub revocation_list: *const c_char,
    /// The highest list sequence the host has accepted before (0 before any): an older list is
    /// refused with `PK_ERROR_LIST_OLDER`, so that an old list cannot bring a key back.
    pub highest_sequence_seen: u32,
}

/// Runs `body`, turning a panic into [`PkError::Panic`]: unwinding into C is undefined
/// behaviour, and a host must never be brought down by a key.
fn guard(body: impl FnOnce() -> PkError) -> PkError {
    guard_or(PkError::Panic, body)
}

/// Runs `body`, giving `fallback` if it panics. Even the exports that cannot panic today go
/// through it, so that a later change cannot make one unwind into the host.
fn guard_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The version of this interface ([`PK_ABI_VERSION`]); compare it with the header's
/// `PK_ABI_VERSION` before the first call.
#[unsafe(no_mangle)]
pub extern "C" fn pk_abi_version() -> u32 {
    guard_or(0, || PK_ABI_VERSION)
}

/// Judges the key in `request` into `*out`: the one-shot form of `pk_verifier_verify`, which
/// reads the trusted keys again on every call. `*out` is first made an empty verdict
/// (`exit_code` -1, every string NULL), before anything can fail. On `PK_ERROR_OK`, `*out`
/// holds the verdict; on any other code (but `PK_ERROR_NULL_POINTER` for `out` itself),
/// `*out` holds no verdict and its `message` says what was wrong (NULL after
/// `PK_ERROR_PANIC`). Either way, release `*out` with `pk_verdict_free`.
///
/// # Safety
/// `request` and `out` must be null or valid pointers; the pointers inside `request` must be
/// null or valid as its fields document, for the duration of the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_verify(request: *const PkRequest, out: *mut PkVerdict) -> PkError {
    // SAFETY: the caller's contract, passed on.
    unsafe { judge::verdict_into(out, || judge::judge_request(request)) }
}

/// Judges the key in `request` and writes the verdict as the JSON of `verifier check --json`
/// (`{"status", "valid", "message", "key", "found", "key_text"}`) to `*out_json`, which is
/// set to NULL first, before anything can fail. On any other code than `PK_ERROR_OK` (but a
/// null `out_json` and `PK_ERROR_PANIC`), `*out_json` is `{"error": NAME, "message": TEXT}`.
/// Release the string with `pk_free_string` (NULL is fine).
///
/// # Safety
/// As [`pk_verify`]; `out_json` must be null or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_verify_json(request: *const PkRequest, out_json: *mut *mut c_char) -> PkError {
    // SAFETY: the caller's contract, passed on.
    unsafe { judge::json_into(out_json, || judge::judge_request(request), judge::verdict_json) }
}

/// Judges the key in `request` and writes what `verifier check` prints, as JSON for a host
/// that lays it out itself: `{"status", "valid", "headline", "found", "key_text", "note",
/// "fields": [{"name", "value"}]}`, in the verifier's words. Errors as [`pk_verify_json`].
///
/// # Safety
/// As [`pk_verify_json`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_explain_json(request: *const PkRequest, out_json: *mut *mut c_char) -> PkError {
    // SAFETY: the caller's contract, passed on.
    unsafe { judge::json_into(out_json, || judge::judge_request(request), judge::explanation_json) }
}

/// Opens an armoured revocation list as `pk_verify` would (signature, product, not older than
/// `highest_sequence_seen`) and writes its sequence to `*out_sequence`: for a host that
/// receives a new list, checks it once and stores the sequence as its new highest.
///
/// # Safety
/// `list` must be null or a NUL-ended string; `public_keys` null or `public_key_count` times
/// 32 readable bytes; `out_sequence` null or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_open_revocation_list(
    list: *const c_char,
    public_keys: *const u8,
    public_key_count: usize,
    highest_sequence_seen: u32,
    out_sequence: *mut u32,
) -> PkError {
    guard(|| {
        if out_sequence.is_null() {
            return PkError::NullPointer;
        }
        // SAFETY: the caller's contract for `public_keys` and `public_key_count`.
        let trusted = match unsafe { convert::trusted_keys(public_keys, public_key_count) } {
            Ok(t) => t,
            Err(f) => return f.code,
        };
        // SAFETY: the caller's contract for `list`.
        let text = match unsafe { convert::optional_text(list, "the revocation list") } {
            Ok(Some(text)) => text,
            Ok(None) => return PkError::NullPointer,
            Err(f) => return f.code,
        };
        match RevocationList::open_not_older(
            &text,
            &trusted,
            product_key::PRODUCT_CODE,
            highest_sequence_seen,
        ) {
            Ok(opened) => {
                // SAFETY: non-null and valid for writes by the caller's contract.
                unsafe { out_sequence.write(opened.sequence) };
                PkError::Ok
            }
            Err(e) => PkError::of_list(&e),
        }
    })
}

/// Reads a public key written as an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or as 64 hex
/// digits into the 32 bytes `pk_verify` takes, refusing keys that cannot be trusted (not on
/// the curve, of small order, not canonical).
///
/// # Safety
/// `text` must be null or a NUL-ended string; `out` null or valid for writing 32 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_public_key_from_text(text: *const c_char, out: *mut u8) -> PkError {
    guard(|| {
        if out.is_null() {
            return PkError::NullPointer;
        }
        // SAFETY: the caller's contract for `text`.
        let text = match unsafe { convert::optional_text(text, "the public key") } {
            Ok(Some(text)) => text,
            Ok(None) => return PkError::NullPointer,
            Err(f) => return f.code,
        };
        match convert::public_key(&text) {
            Ok(bytes) => {
                // SAFETY: `out` is valid for 32 bytes by the caller's contract; `bytes` is a
                // distinct local array, so the two cannot overlap.
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len()) };
                PkError::Ok
            }
            Err(f) => f.code,
        }
    })
}

/// The name of a status (`"valid"`, `"org_mismatch"`, ...) as in the JSON, or NULL when
/// `status` is not one. The string is static: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn pk_status_name(status: i32) -> *const c_char {
    guard_or(std::ptr::null(), || {
        status_of(status).map_or(std::ptr::null(), |s| verdict::status_name(s).as_ptr())
    })
}

/// The exit code `verifier check` gives a status (0 valid, 3 to 8 otherwise), or -1 when
/// `status` is not one.
#[unsafe(no_mangle)]
pub extern "C" fn pk_status_exit_code(status: i32) -> i32 {
    guard_or(-1, || status_of(status).map_or(-1, |s| i32::from(s.exit_code())))
}

/// The name of an error code (`"list_older"`, ...), or NULL when `error` is not one. Static.
#[unsafe(no_mangle)]
pub extern "C" fn pk_error_name(error: i32) -> *const c_char {
    guard_or(std::ptr::null(), || {
        PkError::ALL.iter().find(|e| **e as i32 == error).map_or(std::ptr::null(), |e| e.name().as_ptr())
    })
}

fn status_of(status: i32) -> Option<Status> {
    usize::try_from(status).ok().and_then(|i| Status::ALL.get(i).copied())
}

/// Releases a string this library returned. NULL is ignored.
///
/// # Safety
/// `s` must be null or a string returned by this library and not yet released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_free_string(s: *mut c_char) {
    guard_or((), || {
        if !s.is_null() {
            // SAFETY: `s` came from `CString::into_raw` in this library and is released once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// Releases the strings a verdict holds and sets them to NULL; the struct itself is the
/// caller's. Calling it twice, or on a zeroed struct or one a call of this library wrote
/// (whatever it returned), is harmless.
///
/// # Safety
/// `verdict` must be null, or point to a `PkVerdict` whose three string fields are each NULL
/// or a string of this library not yet released (true of any verdict an export wrote, and of
/// a zeroed one). Only those three fields are read: the others may hold anything.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_verdict_free(verdict: *mut PkVerdict) {
    guard_or((), || {
        if verdict.is_null() {
            return;
        }
        // Each field is reached through raw pointers, never through a `&mut PkVerdict`: the
        // struct may hold values no Rust `PkVerdict` may (a `bool` of 2, an unknown status),
        // which a reference to it would make undefined behaviour.
        // SAFETY: `verdict` is non-null and points to a PkVerdict by the caller's contract,
        // so each field's place is in bounds and aligned.
        let fields = unsafe {
            [&raw mut (*verdict).organization, &raw mut (*verdict).message, &raw mut (*verdict).key_text]
        };
        for field in fields {
            // SAFETY: the field is in bounds and aligned (above); any bit pattern is a valid
            // pointer value, and by the caller's contract it is NULL or this library's string.
            unsafe {
                pk_free_string(field.read());
                field.write(std::ptr::null_mut());
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_in_the_library_order() {
        for (i, status) in Status::ALL.iter().enumerate() {
            assert_eq!(PkStatus::from(*status) as usize, i, "{}", status.name());
        }
    }

    #[test]
    fn a_panic_becomes_a_code() {
        assert_eq!(guard(|| panic!("a bug")), PkError::Panic);
        assert_eq!(guard(|| PkError::Ok), PkError::Ok);
    }

    #[test]
    fn every_error_has_its_place_and_name() {
        for (i, e) in PkError::ALL.iter().enumerate() {
            assert_eq!(*e as usize, i);
            assert!(!e.name().is_empty());
        }
    }
}
