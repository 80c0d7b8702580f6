//! Reading pasted text and verifying it, as every host does: `verify`, then the headline and
//! the JSON of the report. Oracles besides "no panic": the reading with its shortcuts (the
//! clean-key reading, the byte scan for a candidate) equals the reading of the spec step by
//! step; the verdict of `verify` equals that of `verify_each`; a located substitution, once
//! made, gives a sound key; a verdict's fields are shown only for a decoded key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use product_key::text::{self, Typo};
use product_key::{Check, Day, DecodeError, Finding, TrustedKeys};

/// The public key of RFC 8032's TEST 1, which signs the test vectors (the seeds).
const TEST_KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut trusted = TrustedKeys::new();
    if trusted.add_hex(TEST_KEY).is_err() {
        return;
    }

    let quick = text::decode_found(text);
    let long = product_key::raw::decode_found_the_long_way(text);
    assert_eq!(quick, long, "the shortcuts disagree with the full reading of {text:?}");

    let at = Day::from_days(20_819);
    let check = Check { at, organization: Some("Acme Analytics GmbH"), revocations: None };
    let verdict = product_key::verify(text, &trusted, &check);
    let each = product_key::verify_each(&[(text, check)], &trusted);
    assert_eq!(each.as_slice(), std::slice::from_ref(&verdict), "verify_each disagrees on {text:?}");
    assert_eq!(verdict.key.is_some(), quick.0.is_ok());
    if verdict.trusted {
        assert!(verdict.key.is_some());
    }

    if matches!(verdict.finding, Finding::Malformed(DecodeError::Checksum))
        && let Some(Typo::Substitution { position, likely, .. }) = text::locate_typo(text)
    {
        let fixed: String =
            text.chars().enumerate().map(|(i, c)| if i + 1 == position { likely } else { c }).collect();
        assert!(text::decode(&fixed).is_ok(), "the located typo does not fix {text:?}");
    }

    let headline = product_key_report::headline(&verdict, text, at);
    assert!(headline.starts_with("VALID: ") || headline.starts_with("NOT VALID: "), "{headline}");
    let json = product_key_report::verdict_json(&verdict, text, at);
    assert_eq!(json["status"].as_str(), Some(verdict.status().name()));
});
