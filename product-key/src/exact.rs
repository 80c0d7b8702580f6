//! Exact Ed25519 verification for the few trusted keys, faster than `verify_strict` and
//! with its verdict on every signature.
//!
//! `verify_strict(A, M, (R, S))` (ed25519-dalek 3) accepts exactly when all of these hold:
//! 1. `S` is canonical (`S < L`);
//! 2. `R` decompresses to a point;
//! 3. that point is not of small order, and `A` is not of small order;
//! 4. the canonical compression of `[S]B + [k](-A)`, with `k = SHA-512(R || A || M) mod L`,
//!    equals `R`'s 32 bytes.
//!
//! This module checks, for a key whose table was built when it was trusted:
//! - (3, for `A`) is checked once, when the key is loaded (`TrustedKeys::add` refuses a weak
//!   key), so it holds for every key that has a table.
//! - (1) `S` canonical: `Scalar::from_canonical_bytes`, as `verify_strict` does.
//! - (4) the same equation: `[S]B + [k](-A)` is computed with a precomputed table for `B` and
//!   `-A` (`VartimeEdwardsPrecomputation`) instead of a table built on every call. It is the
//!   same group element, so its canonical compression is the same 32 bytes. `k` is hashed
//!   from `R`'s bytes as given and `A`'s canonical bytes, as `verify_strict` hashes them.
//! - (2) is implied by (4): a compression is always a valid canonical encoding, so bytes
//!   that do not decompress can never equal it. `verify_strict` refuses such an `R` in step
//!   2; here step 4 refuses it. Same verdict.
//! - (3, for `R`): if `R`'s bytes are one of the 8 canonical encodings of the small-order
//!   points, refuse (as `verify_strict` does, having decompressed them). If `R` is a
//!   *non-canonical* encoding of a small-order point (`y` read modulo `p`, or the sign bit set
//!   with `x = 0`), `verify_strict` refuses it in step 3, and here step 4 refuses it, because
//!   the canonical compression of any point never equals a non-canonical encoding. Any other
//!   `R` that passes step 4 is the canonical encoding of the computed point, which is then not
//!   of small order (else its encoding would be in the list). Same verdict in every case.
//!
//! Only curve25519-dalek's public API is used: no field or curve arithmetic of our own.

use std::sync::LazyLock;

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{EdwardsPoint, VartimeEdwardsPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimePrecomputedMultiscalarMul;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha512};

/// The canonical encodings of the 8 points of small order.
static SMALL_ORDER: LazyLock<[[u8; 32]; 8]> =
    LazyLock::new(|| EIGHT_TORSION.map(|p| p.compress().to_bytes()));

/// A trusted key with its precomputed table for `[S]B + [k](-A)`.
pub struct Table {
    precomputation: VartimeEdwardsPrecomputation,
    public: [u8; 32],
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table").field("public", &hex::encode(self.public)).finish_non_exhaustive()
    }
}

impl Table {
    /// Builds the table of a key that `TrustedKeys::add` accepted (canonical, not weak).
    pub fn new(key: &VerifyingKey) -> Table {
        let minus_a = -key.to_edwards();
        Table {
            precomputation: VartimeEdwardsPrecomputation::new([ED25519_BASEPOINT_POINT, minus_a]),
            public: key.to_bytes(),
        }
    }

    /// Whether `signature` is this key's over `message`, with `verify_strict`'s verdict.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.point(message, signature).is_some_and(|(r, point)| point.compress().to_bytes() == r)
    }

    /// `R`'s bytes and the point `[S]B + [k](-A)` whose canonical compression must equal
    /// them; `None` when the signature fails before that (non-canonical `S`, small-order `R`).
    fn point(&self, message: &[u8], signature: &[u8; 64]) -> Option<([u8; 32], EdwardsPoint)> {
        let (r, s) = signature.split_at(32);
        let (r, s) = (<[u8; 32]>::try_from(r).ok()?, <[u8; 32]>::try_from(s).ok()?);
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s))?;
        if SMALL_ORDER.contains(&r) {
            return None;
        }
        let k =
            Scalar::from_hash(Sha512::new().chain_update(r).chain_update(self.public).chain_update(message));
        let no_scalars: [Scalar; 0] = [];
        let no_points: [EdwardsPoint; 0] = [];
        Some((r, self.precomputation.vartime_mixed_multiscalar_mul([s, k], no_scalars, no_points)))
    }
}

/// Several signatures at once, each with exactly [`Table::verify`]'s verdict: the points are
/// computed one by one, then compressed together with one batched field inversion
/// (`compress_batch_alloc`), which gives each point the same canonical encoding as
/// `compress` (the inverse of each `Z` is unique; only the way to compute it is shared).
/// Nothing is combined across signatures, unlike batch verification.
pub fn verify_each(items: &[(&Table, &[u8], &[u8; 64])]) -> Vec<bool> {
    let computed: Vec<Option<([u8; 32], EdwardsPoint)>> =
        items.iter().map(|(table, message, signature)| table.point(message, signature)).collect();
    let points: Vec<EdwardsPoint> = computed.iter().flatten().map(|(_, p)| *p).collect();
    let mut compressed = EdwardsPoint::compress_batch_alloc(&points).into_iter();
    computed
        .iter()
        .map(|c| match c {
            Some((r, _)) => compressed.next().is_some_and(|p| p.to_bytes() == *r),
            None => false,
        })
        .collect()
}
