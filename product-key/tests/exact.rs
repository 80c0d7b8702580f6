//! The precomputed-table verification reaches `verify_strict`'s verdict on every signature:
//! the committed vectors, a crafted corpus of the edge cases, and many random signatures and
//! damages. Any disagreement fails, naming the case.

use std::path::PathBuf;

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use product_key::TrustedKeys;
use proptest::prelude::*;
use sha2::{Digest, Sha512};

/// Both verdicts for `public` (raw bytes) over `message`; `None` when the key is refused.
fn verdicts(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Option<(bool, bool)> {
    let mut trusted = TrustedKeys::new();
    let id = trusted.add(public).ok()?;
    let fast = trusted.check_signature(id, message, signature).is_ok();
    // The batched path (points compressed together) gives each signature the same verdict.
    let together = trusted.check_signatures(&[
        (id, message, signature),
        (id, b"other", signature),
        (id, message, signature),
    ]);
    assert_eq!(
        (together[0].is_ok(), together[2].is_ok()),
        (fast, fast),
        "check_signatures differs from check_signature"
    );
    let strict = VerifyingKey::from_bytes(public)
        .ok()?
        .verify_strict(message, &Signature::from_bytes(signature))
        .is_ok();
    Some((fast, strict))
}

#[track_caller]
fn agree(case: &str, public: &[u8; 32], message: &[u8], signature: &[u8; 64], failures: &mut Vec<String>) {
    if let Some((fast, strict)) = verdicts(public, message, signature)
        && fast != strict
    {
        failures.push(format!("{case}: table says {fast}, verify_strict says {strict}"));
    }
}

/// A signature made by hand: `R` as given, `S = r + k a`, `k = H(R || A || M)`.
fn forge(a: Scalar, public: [u8; 32], r: Scalar, big_r: [u8; 32], message: &[u8]) -> [u8; 64] {
    let k = Scalar::from_hash(Sha512::new().chain_update(big_r).chain_update(public).chain_update(message));
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&big_r);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

#[test]
fn every_committed_vector_gets_the_same_signature_verdict() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("vectors") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let Ok(key) = product_key::text::decode(v["key"].as_str().expect("key")) else { continue };
        let message = product_key::raw::signed_message(&key.payload_bytes);
        for hex in v["trusted_public_keys"].as_array().expect("keys") {
            let public: [u8; 32] =
                hex::decode(hex.as_str().expect("hex")).expect("hex").try_into().expect("32");
            agree(v["name"].as_str().expect("name"), &public, &message, &key.signature, &mut failures);
            checked += 1;
        }
    }
    assert!(checked > 80, "{checked}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_crafted_corpus_gets_the_same_verdicts() {
    let mut failures = Vec::new();
    let key = SigningKey::from_bytes(&[7; 32]);
    let public = key.verifying_key().to_bytes();
    let message = b"license-key-v1\0a payload";
    let good = key.sign(message).to_bytes();
    agree("a good signature", &public, message, &good, &mut failures);
    assert_eq!(verdicts(&public, message, &good), Some((true, true)));

    // R of each small order, canonical; and non-canonical encodings of small-order points.
    let mut small: Vec<(String, [u8; 32])> = EIGHT_TORSION
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("R = torsion point {i}"), t.compress().to_bytes()))
        .collect();
    let mut p_plus = |low: u8, name: &str| {
        // y + p for y in 0..19 (p = 2^255 - 19): the encodings that read modulo p.
        let mut bytes = [0xffu8; 32];
        bytes[0] = 0xed + low;
        bytes[31] = 0x7f;
        small.push((name.to_owned(), bytes));
    };
    p_plus(0, "R = p (y = 0, non-canonical)");
    p_plus(1, "R = p + 1 (y = 1, non-canonical identity)");
    let mut identity_negative = [0u8; 32];
    identity_negative[0] = 1;
    identity_negative[31] = 0x80;
    small.push(("R = identity with the sign bit set".into(), identity_negative));
    for (name, r) in &small {
        for s in [[0u8; 32], *Scalar::ONE.as_bytes(), good[32..].try_into().expect("32")] {
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(r);
            sig[32..].copy_from_slice(&s);
            agree(name, &public, message, &sig, &mut failures);
        }
        // And a signature made to satisfy the equation with that R (only a signer can).
        let a = key.to_scalar();
        agree(
            &format!("{name}, S made for it"),
            &public,
            message,
            &forge(a, public, Scalar::ZERO, *r, message),
            &mut failures,
        );
    }

    // R with a small-order component, signed by the key's holder: [S]B - [k]A = rB != R.
    let a = key.to_scalar();
    for (i, t) in EIGHT_TORSION.iter().enumerate().skip(1) {
        for n in 0..16u64 {
            let r = Scalar::from(1000 + n);
            let big_r = (EdwardsPoint::mul_base(&r) + t).compress().to_bytes();
            agree(
                &format!("R = rB + torsion {i}, nonce {n}"),
                &public,
                message,
                &forge(a, public, r, big_r, message),
                &mut failures,
            );
        }
    }

    // R that is not a point: bytes that do not decompress.
    let mut not_points = 0;
    for x in 0..200u8 {
        let mut r = [x; 32];
        r[31] &= 0x7f;
        if CompressedEdwardsY(r).decompress().is_none() {
            not_points += 1;
            let mut sig = good;
            sig[..32].copy_from_slice(&r);
            agree(&format!("R = {x:02x}.. not on the curve"), &public, message, &sig, &mut failures);
        }
    }
    assert!(not_points > 10);

    // S = L, L + 1, 2^255 - 1, and S + L of a good signature.
    let l: [u8; 32] = *(-Scalar::ONE).as_bytes();
    let mut l_bytes = l;
    l_bytes[0] += 1; // L - 1 + 1 = L
    let mut l_plus_1 = l_bytes;
    l_plus_1[0] += 1;
    let mut max = [0xffu8; 32];
    max[31] = 0x7f;
    for (name, s) in [("S = L", l_bytes), ("S = L + 1", l_plus_1), ("S = 2^255 - 1", max)] {
        let mut sig = good;
        sig[32..].copy_from_slice(&s);
        agree(name, &public, message, &sig, &mut failures);
    }

    // A key with a torsion component (A = aB + T) signing its own messages: the equation
    // holds only when [k]T vanishes, for both (so some of these are accepted).
    let mut accepted = 0;
    for (i, t) in EIGHT_TORSION.iter().enumerate().skip(1) {
        let a = Scalar::from(0x1234_5678_u64 + i as u64);
        let public = (EdwardsPoint::mul_base(&a) + t).compress().to_bytes();
        for n in 0..32u64 {
            let msg = format!("message {n}");
            let r = Scalar::from(77 + n);
            let big_r = EdwardsPoint::mul_base(&r).compress().to_bytes();
            let sig = forge(a, public, r, big_r, msg.as_bytes());
            agree(&format!("A with torsion {i}, message {n}"), &public, msg.as_bytes(), &sig, &mut failures);
            accepted += usize::from(verdicts(&public, msg.as_bytes(), &sig) == Some((true, true)));
        }
    }
    assert!((10..7 * 32).contains(&accepted), "{accepted} of the torsioned key's signatures accepted");

    // Every single bit flip of R, S and the message.
    for bit in 0..512 {
        let mut sig = good;
        sig[bit / 8] ^= 1 << (bit % 8);
        agree(&format!("signature bit {bit}"), &public, message, &sig, &mut failures);
    }
    for bit in 0..message.len() * 8 {
        let mut m = message.to_vec();
        m[bit / 8] ^= 1 << (bit % 8);
        agree(&format!("message bit {bit}"), &public, &m, &good, &mut failures);
    }
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n"));
}

proptest! {
    // PROPTEST_CASES=100000 makes this a long run.
    #[test]
    fn random_signatures_and_damages_get_the_same_verdict(
        seed in any::<[u8; 32]>(),
        message in proptest::collection::vec(any::<u8>(), 0..200),
        damage in proptest::collection::vec((0usize..64, any::<u8>()), 0..3),
        other_key in any::<bool>(),
    ) {
        let key = SigningKey::from_bytes(&seed);
        let mut sig = key.sign(&message).to_bytes();
        for (at, x) in damage {
            sig[at] ^= x;
        }
        let public = if other_key { SigningKey::from_bytes(&[seed[0] ^ 1; 32]).verifying_key().to_bytes() } else { key.verifying_key().to_bytes() };
        if let Some((fast, strict)) = verdicts(&public, &message, &sig) {
            prop_assert_eq!(fast, strict);
        }
    }
}
