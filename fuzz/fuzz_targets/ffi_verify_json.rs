//! The C ABI's JSON entry, `pk_verify_json`, called as a host calls it (C strings, raw
//! pointers), built from product-key-ffi's own source (fuzz/ffi-rlib). Oracles: whatever the
//! input, the call returns a string that parses as JSON and serializes back to the same
//! text; on PK_ERROR_OK its status is one of the known names, else it names its error.
#![no_main]

use std::ffi::{CStr, CString, c_char};

use libfuzzer_sys::fuzz_target;
use product_key_ffi::{PkError, PkRequest, pk_free_string, pk_verify_json};

const TEST_KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fuzz_target!(|data: &[u8]| {
    // day (2 bytes) | organization up to the first 0xff byte | key text (the rest)
    let Some((day, rest)) = data.split_first_chunk::<2>() else { return };
    let (organization, text) = match rest.iter().position(|&b| b == 0xff) {
        Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
        None => (None, rest),
    };
    // Interior NULs cannot cross a C string: the host would have cut the text there.
    let cut = |b: &[u8]| CString::new(b.split(|&c| c == 0).next().unwrap_or_default()).ok();
    let Some(text) = cut(text) else { return };
    let organization = organization.and_then(cut);
    let Ok(public) =
        (0..32).map(|i| u8::from_str_radix(&TEST_KEY[2 * i..2 * i + 2], 16)).collect::<Result<Vec<u8>, _>>()
    else {
        return;
    };
    let request = PkRequest {
        text: text.as_ptr(),
        organization: organization.as_ref().map_or(std::ptr::null(), |o| o.as_ptr()),
        day: i64::from(u16::from_be_bytes(*day)),
        public_keys: public.as_ptr(),
        public_key_count: 1,
        revocation_list: std::ptr::null(),
        highest_sequence_seen: 0,
    };
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: every pointer in `request` points into values that live past the call, the C
    // strings end in NUL, `public_keys` holds one 32-byte key; `out` is a valid place.
    let code = unsafe { pk_verify_json(&request, &mut out) };
    assert!(!out.is_null(), "no JSON for code {code:?}");
    // SAFETY: the library wrote a NUL-ended string it owns to `out`.
    let json = unsafe { CStr::from_ptr(out) }.to_str().map(str::to_owned);
    // SAFETY: `out` came from the library and is freed once.
    unsafe { pk_free_string(out) };
    let json = json.expect("the JSON is UTF-8");
    let value: serde_json::Value = serde_json::from_str(&json).expect("the output is JSON");
    assert_eq!(serde_json::to_string(&value).expect("serializes"), json, "the JSON does not round-trip");
    if code == PkError::Ok {
        let status = value["status"].as_str().expect("a status");
        assert!(product_key::Status::from_name(status).is_some(), "unknown status {status}");
        assert_eq!(value["valid"].as_bool(), Some(status == "valid"));
    } else {
        assert!(value["error"].is_string() && value["message"].is_string(), "{json}");
    }
});
