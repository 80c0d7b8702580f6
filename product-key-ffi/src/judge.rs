//! One check, from the host's pointers to the out parameter: reading the inputs in the order
//! `verifier check` does, judging, and writing the verdict or its JSON. Every export that
//! judges a key goes through here, so that the one-shot calls and the handle behave alike.

use std::ffi::c_char;

use product_key::{Check, Day, RevocationList, TrustedKeys, Verdict};
use serde_json::Value;

use crate::verdict::PkVerdict;
use crate::{Failure, PkError, PkRequest, convert, guard};

/// What to check a key against, besides the trusted keys a `PkVerifier` holds:
/// `PkRequest` without `public_keys` and `public_key_count`, field for field.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PkCheck {
    /// The key as the user entered or pasted it (a whole e-mail is fine): UTF-8, ending in NUL.
    pub text: *const c_char,
    /// The organization the user entered (UTF-8, NUL-ended), or NULL for no organization check.
    pub organization: *const c_char,
    /// The checking day, in days since 1970-01-01 (UTC): 0 to 65535.
    pub day: i64,
    /// An armoured revocation list (UTF-8, NUL-ended), or NULL for none.
    pub revocation_list: *const c_char,
    /// The highest list sequence the host has accepted before (0 before any): an older list is
    /// refused with `PK_ERROR_LIST_OLDER`, so that an old list cannot bring a key back.
    pub highest_sequence_seen: u32,
}

impl PkCheck {
    /// The check part of a one-shot request.
    pub fn of_request(request: &PkRequest) -> PkCheck {
        PkCheck {
            text: request.text,
            organization: request.organization,
            day: request.day,
            revocation_list: request.revocation_list,
            highest_sequence_seen: request.highest_sequence_seen,
        }
    }
}

/// A judged key with the inputs it was judged on, owned on the Rust side.
pub struct Judged {
    text: String,
    at: Day,
    list: Option<RevocationList>,
    verdict: Verdict,
}

impl Judged {
    /// Reads `check` in the order `verifier check` does (the day, the list, then the texts)
    /// and judges its key against `trusted`.
    ///
    /// # Safety
    /// Every non-null pointer of `check` must be valid as its field documents.
    pub unsafe fn of(trusted: &TrustedKeys, check: &PkCheck) -> Result<Judged, Failure> {
        let at = convert::day(check.day)?;
        // SAFETY: the caller's contract for `revocation_list`.
        let list = match unsafe { convert::optional_text(check.revocation_list, "the revocation list") }? {
            None => None,
            Some(text) => Some(
                RevocationList::open_not_older(
                    &text,
                    trusted,
                    product_key::PRODUCT_CODE,
                    check.highest_sequence_seen,
                )
                .map_err(|e| {
                    Failure::new(PkError::of_list(&e), format!("cannot use the revocation list: {e}"))
                })?,
            ),
        };
        // SAFETY: the caller's contract for `text`.
        let text = unsafe { convert::optional_text(check.text, "the key text") }?
            .ok_or_else(|| Failure::new(PkError::NullPointer, "the key text is a null pointer"))?;
        // SAFETY: the caller's contract for `organization`.
        let organization = unsafe { convert::optional_text(check.organization, "the organization") }?;
        let verdict = product_key::verify(
            &text,
            trusted,
            &Check { at, organization: organization.as_deref(), revocations: list.as_ref() },
        );
        Ok(Judged { text, at, list, verdict })
    }
}

/// Judges a one-shot request: its trusted keys first, as `verifier check` reads them.
///
/// # Safety
/// `request` must be null or valid, with its pointers null or valid as its fields document.
pub unsafe fn judge_request(request: *const PkRequest) -> Result<Judged, Failure> {
    // SAFETY: `request` is null or valid, by the caller's contract.
    let request = unsafe { request.as_ref() }
        .ok_or_else(|| Failure::new(PkError::NullPointer, "the request is a null pointer"))?;
    // SAFETY: the caller's contract for `public_keys` and `public_key_count`.
    let trusted = unsafe { convert::trusted_keys(request.public_keys, request.public_key_count) }?;
    // SAFETY: the caller's contract for the request's other pointers.
    unsafe { Judged::of(&trusted, &PkCheck::of_request(request)) }
}

/// Writes an empty verdict to `out` first, then the verdict `judge` gives, or the failure's
/// message: after any return, even `PK_ERROR_PANIC`, `*out` is safe to free.
///
/// # Safety
/// `out` must be null or valid for writing a `PkVerdict`; `judge` must be safe to call.
pub unsafe fn verdict_into(out: *mut PkVerdict, judge: impl FnOnce() -> Result<Judged, Failure>) -> PkError {
    if out.is_null() {
        return PkError::NullPointer;
    }
    // SAFETY: `out` is non-null and valid for writes by the caller's contract; it may be
    // uninitialised, so it is written without reading or dropping what was there. Writing a
    // verdict that owns nothing cannot panic, so this happens whatever follows.
    unsafe { out.write(PkVerdict::none()) };
    guard(|| {
        let (code, verdict) = match judge() {
            Ok(j) => (PkError::Ok, PkVerdict::of(&j.verdict, &j.text, j.at, j.list.as_ref())),
            Err(failure) => (failure.code, PkVerdict::failed(&failure.message)),
        };
        // SAFETY: as above; what is there owns nothing (the empty verdict), so nothing leaks.
        unsafe { out.write(verdict) };
        code
    })
}

/// Sets `*out_json` to NULL first, then to the JSON `shape` makes of what `judge` gives, or
/// to `{"error": NAME, "message": TEXT}`.
///
/// # Safety
/// `out_json` must be null or valid for writing one pointer; `judge` must be safe to call.
pub unsafe fn json_into(
    out_json: *mut *mut c_char,
    judge: impl FnOnce() -> Result<Judged, Failure>,
    shape: fn(&Judged) -> Value,
) -> PkError {
    if out_json.is_null() {
        return PkError::NullPointer;
    }
    // SAFETY: `out_json` is non-null and valid for one pointer write by the caller's contract.
    unsafe { out_json.write(std::ptr::null_mut()) };
    guard(|| {
        let (code, value) = match judge() {
            Ok(judged) => (PkError::Ok, shape(&judged)),
            Err(failure) => (
                failure.code,
                serde_json::json!({"error": failure.code.name().to_str().unwrap_or_default(), "message": failure.message}),
            ),
        };
        let json = convert::c_string(value.to_string());
        // SAFETY: as above; the string is handed to the host, which frees it.
        unsafe { out_json.write(json.into_raw()) };
        code
    })
}

/// The JSON of `verifier check --json`.
pub fn verdict_json(j: &Judged) -> Value {
    let value = product_key_report::verdict_json(&j.verdict, &j.text, j.at);
    crate::hooks::panic_point(&j.text);
    value
}

/// What `verifier check` prints, as JSON.
pub fn explanation_json(j: &Judged) -> Value {
    let value = product_key_report::explanation_json(&j.verdict, &j.text, j.at, j.list.as_ref());
    crate::hooks::panic_point(&j.text);
    value
}
