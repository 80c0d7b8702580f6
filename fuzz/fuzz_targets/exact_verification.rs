//! The library's exact verification (product-key/src/exact.rs, through
//! `TrustedKeys::check_signature`) against ed25519-dalek's `verify_strict`, which the spec
//! names as the rule: they must agree on every signature, including the ones that only a
//! strict verifier refuses (S at or above L, a small-order R, a non-canonical R).
#![no_main]

use ed25519_dalek::{Signature, Signer, SigningKey};
use libfuzzer_sys::fuzz_target;
use product_key::TrustedKeys;

/// The canonical encodings of points of small order (identity, order 2, 4 and 8), and the
/// group order L: what a fuzzer would never guess.
const SPECIAL: [[u8; 32]; 4] = [
    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
    [0; 32],
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ],
];

fuzz_target!(|data: &[u8]| {
    // seed (1) | how to damage (1) | damage bytes (32) | message (rest)
    let Some((&seed, rest)) = data.split_first() else { return };
    let Some((&how, rest)) = rest.split_first() else { return };
    let Some((damage, message)) = rest.split_first_chunk::<32>() else { return };
    let signer = SigningKey::from_bytes(&[seed; 32]);
    let public = signer.verifying_key();
    let mut signature = signer.sign(message).to_bytes();
    match how % 8 {
        0 => {}
        1 => signature[..32].copy_from_slice(damage),
        2 => signature[32..].copy_from_slice(damage),
        3 => signature[..32].copy_from_slice(&SPECIAL[usize::from(damage[0]) % 3]),
        4 => {
            // S + L: the same S modulo L, refused by a strict verifier.
            let mut carry = 0u16;
            for (s, l) in signature[32..].iter_mut().zip(SPECIAL[3]) {
                let sum = u16::from(*s) + u16::from(l) + carry;
                *s = sum as u8;
                carry = sum >> 8;
            }
        }
        5 => signature[32..].copy_from_slice(&SPECIAL[3]),
        6 => signature[usize::from(damage[0]) % 64] ^= damage[1] | 1,
        _ => signature.copy_from_slice(&[damage.as_slice(), damage.as_slice()].concat()),
    }
    let mut trusted = TrustedKeys::new();
    let Ok(id) = trusted.add(&public.to_bytes()) else { return };
    let exact = trusted.check_signature(id, message, &signature).is_ok();
    let strict = public.verify_strict(message, &Signature::from_bytes(&signature)).is_ok();
    assert_eq!(exact, strict, "exact {exact}, verify_strict {strict} (case {})", how % 8);
    let batch = trusted.check_signatures(&[(id, message, &signature)]);
    assert_eq!(batch[0].is_ok(), strict, "batch exact, verify_strict {strict}");
});
