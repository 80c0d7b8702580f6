//! The verifier handle: the trusted keys read once (their curve points decompressed and
//! checked), then any number of checks through it, from any number of threads at once.

use std::ffi::c_char;

use product_key::TrustedKeys;

use crate::judge::{self, Judged, PkCheck};
use crate::verdict::PkVerdict;
use crate::{Failure, PkError, convert, guard, guard_or};

/// The trusted keys, ready to check keys against. Opaque to the host: made by
/// `pk_verifier_new`, released by `pk_verifier_free`. Never changed once made, so any number
/// of threads may call the `pk_verifier_*` check functions on one handle at the same time.
#[derive(Debug)]
pub struct PkVerifier {
    trusted: TrustedKeys,
}

/// The promise the header makes to the host: one handle, many threads.
const _: fn() = || {
    fn shared_between_threads<T: Send + Sync>() {}
    shared_between_threads::<PkVerifier>();
};

/// Reads `public_key_count` trusted keys of 32 bytes at `public_keys` into a new verifier at
/// `*out`. `*out` is set to NULL first, whatever happens; on `PK_ERROR_OK` it holds the
/// handle, to release with `pk_verifier_free`. Errors: `PK_ERROR_NULL_POINTER`,
/// `PK_ERROR_NO_PUBLIC_KEY`, `PK_ERROR_BAD_PUBLIC_KEY`.
///
/// # Safety
/// `public_keys` must be null or point to `public_key_count * 32` readable bytes; `out` null
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_verifier_new(
    public_keys: *const u8,
    public_key_count: usize,
    out: *mut *mut PkVerifier,
) -> PkError {
    if out.is_null() {
        return PkError::NullPointer;
    }
    // SAFETY: `out` is non-null and valid for one pointer write by the caller's contract.
    unsafe { out.write(std::ptr::null_mut()) };
    guard(|| {
        // SAFETY: the caller's contract for `public_keys` and `public_key_count`.
        match unsafe { convert::trusted_keys(public_keys, public_key_count) } {
            Ok(trusted) => {
                let handle = Box::into_raw(Box::new(PkVerifier { trusted }));
                // SAFETY: as above.
                unsafe { out.write(handle) };
                PkError::Ok
            }
            Err(failure) => failure.code,
        }
    })
}

/// Releases a verifier made by `pk_verifier_new`. NULL is ignored. No check may be running
/// on it, or start after.
///
/// # Safety
/// `verifier` must be null or a handle from `pk_verifier_new`, not yet released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_verifier_free(verifier: *mut PkVerifier) {
    guard_or((), || {
        if !verifier.is_null() {
            // SAFETY: made by `Box::into_raw` in `pk_verifier_new`, released once.
            drop(unsafe { Box::from_raw(verifier) });
        }
    })
}

/// Judges the key in `check` against the verifier's trusted keys into `*out`, as
/// `pk_verify` does (the same verdict, the same out-parameter rules: `*out` is an empty
/// verdict first; release it with `pk_verdict_free` whatever the code).
///
/// # Safety
/// `verifier` must be null or a live handle; `check` and `out` null or valid, the pointers
/// inside `check` null or valid as its fields document, for the duration of the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_verifier_verify(
    verifier: *const PkVerifier,
    check: *const PkCheck,
    out: *mut PkVerdict,
) -> PkError {
    // SAFETY: the caller's contract, passed on.
    unsafe { judge::verdict_into(out, || judge_check(verifier, check)) }
}

/// `pk_verify_json` through the verifier: the JSON of `verifier check --json`.
///
/// # Safety
/// As [`pk_verifier_verify`]; `out_json` must be null or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_verifier_verify_json(
    verifier: *const PkVerifier,
    check: *const PkCheck,
    out_json: *mut *mut c_char,
) -> PkError {
    // SAFETY: the caller's contract, passed on.
    unsafe { judge::json_into(out_json, || judge_check(verifier, check), judge::verdict_json) }
}

/// `pk_explain_json` through the verifier: what `verifier check` prints, as JSON.
///
/// # Safety
/// As [`pk_verifier_verify_json`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_verifier_explain_json(
    verifier: *const PkVerifier,
    check: *const PkCheck,
    out_json: *mut *mut c_char,
) -> PkError {
    // SAFETY: the caller's contract, passed on.
    unsafe { judge::json_into(out_json, || judge_check(verifier, check), judge::explanation_json) }
}

/// # Safety
/// As [`pk_verifier_verify`].
unsafe fn judge_check(verifier: *const PkVerifier, check: *const PkCheck) -> Result<Judged, Failure> {
    // SAFETY: null or a live handle, by the caller's contract; only read (shared) here.
    let verifier = unsafe { verifier.as_ref() }
        .ok_or_else(|| Failure::new(PkError::NullPointer, "the verifier is a null pointer"))?;
    // SAFETY: null or valid, by the caller's contract.
    let check = unsafe { check.as_ref() }
        .ok_or_else(|| Failure::new(PkError::NullPointer, "the check is a null pointer"))?;
    // SAFETY: the caller's contract for the check's pointers.
    unsafe { Judged::of(&verifier.trusted, check) }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ffi::{CStr, CString};
    use std::path::Path;

    use serde_json::Value;

    use super::*;
    use crate::PkRequest;

    /// A vector's inputs as C strings, kept alive for the calls.
    struct Input {
        name: String,
        keys: Vec<u8>,
        text: CString,
        organization: Option<CString>,
        list: Option<CString>,
        day: i64,
    }

    impl Input {
        fn check(&self) -> PkCheck {
            PkCheck {
                text: self.text.as_ptr(),
                organization: self.organization.as_ref().map_or(std::ptr::null(), |o| o.as_ptr()),
                day: self.day,
                revocation_list: self.list.as_ref().map_or(std::ptr::null(), |l| l.as_ptr()),
                highest_sequence_seen: 0,
            }
        }
    }

    fn c(text: &str) -> CString {
        CString::new(text).expect("no NUL in a vector")
    }

    fn inputs() -> Vec<Input> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("tests/vectors")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| {
                let v: Value =
                    serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("JSON");
                let at: product_key::Day = v["at"].as_str().expect("at").parse().expect("date");
                Input {
                    name: v["name"].as_str().expect("name").to_owned(),
                    keys: v["trusted_public_keys"]
                        .as_array()
                        .expect("keys")
                        .iter()
                        .flat_map(|k| hex_bytes(k.as_str().expect("hex")))
                        .collect(),
                    text: c(v["key"].as_str().expect("key")),
                    organization: v["org"].as_str().map(c),
                    list: v["revocations"].as_str().map(c),
                    day: i64::from(at.days()),
                }
            })
            .collect()
    }

    fn hex_bytes(hex: &str) -> Vec<u8> {
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
    }

    fn taken(json: *mut c_char) -> String {
        assert!(!json.is_null());
        // SAFETY: a string this library returned, read then released once.
        let text = unsafe { CStr::from_ptr(json) }.to_string_lossy().into_owned();
        // SAFETY: as above.
        unsafe { crate::pk_free_string(json) };
        text
    }

    fn one_shot_json(input: &Input) -> String {
        let check = input.check();
        let request = PkRequest {
            text: check.text,
            organization: check.organization,
            day: check.day,
            public_keys: input.keys.as_ptr(),
            public_key_count: input.keys.len() / 32,
            revocation_list: check.revocation_list,
            highest_sequence_seen: 0,
        };
        let mut json = std::ptr::null_mut();
        // SAFETY: every pointer is live for the call.
        assert_eq!(unsafe { crate::pk_verify_json(&request, &mut json) }, PkError::Ok, "{}", input.name);
        taken(json)
    }

    #[test]
    fn many_threads_share_one_handle_and_each_gets_the_one_shot_verdict() {
        let inputs = inputs();
        let expected: Vec<String> = inputs.iter().map(one_shot_json).collect();
        // One handle per set of trusted keys, shared by every thread.
        let mut handles: BTreeMap<Vec<u8>, *mut PkVerifier> = BTreeMap::new();
        for input in &inputs {
            handles.entry(input.keys.clone()).or_insert_with(|| {
                let mut handle = std::ptr::null_mut();
                // SAFETY: the keys are live; `handle` is a valid out parameter.
                let code =
                    unsafe { pk_verifier_new(input.keys.as_ptr(), input.keys.len() / 32, &mut handle) };
                assert_eq!(code, PkError::Ok, "{}", input.name);
                handle
            });
        }
        // SAFETY: each handle is live until freed below, after every thread has ended.
        let shared: BTreeMap<&[u8], &PkVerifier> =
            handles.iter().map(|(k, h)| (k.as_slice(), unsafe { &**h })).collect();
        let threads = 8;
        let rounds = 3;
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (inputs, expected, shared) = (&inputs, &expected, &shared);
                scope.spawn(move || {
                    for round in 0..rounds {
                        // Each thread walks the vectors from a different place, so that the
                        // threads check different keys on one handle at the same moment.
                        for i in (0..inputs.len()).map(|i| (i + t * 7 + round) % inputs.len()) {
                            let input = &inputs[i];
                            let verifier: *const PkVerifier = shared[input.keys.as_slice()];
                            let check = input.check();
                            let mut json = std::ptr::null_mut();
                            // SAFETY: the handle is live and shared read-only; the check's
                            // pointers live in `inputs`.
                            let code = unsafe { pk_verifier_verify_json(verifier, &check, &mut json) };
                            assert_eq!(code, PkError::Ok, "{}", input.name);
                            assert_eq!(taken(json), expected[i], "{} in thread {t}", input.name);
                            let mut verdict = PkVerdict::none();
                            // SAFETY: as above; `verdict` is a valid out parameter.
                            let code = unsafe { pk_verifier_verify(verifier, &check, &mut verdict) };
                            assert_eq!(code, PkError::Ok, "{}", input.name);
                            let status = crate::verdict::status_name(
                                product_key::Status::ALL[verdict.status as usize],
                            );
                            assert!(
                                expected[i].contains(&format!("\"status\":\"{}\"", status.to_string_lossy()))
                            );
                            // SAFETY: written by the call above.
                            unsafe { crate::pk_verdict_free(&mut verdict) };
                        }
                    }
                });
            }
        });
        for handle in handles.into_values() {
            // SAFETY: made by pk_verifier_new, no thread uses it any more, freed once.
            unsafe { pk_verifier_free(handle) };
        }
    }
}
