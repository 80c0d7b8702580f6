//! Helpers shared by the tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "../../../tests/support/process.rs"]
#[allow(dead_code)]
mod process;
pub use process::{assert_exit, run_with_stdin, stderr, stdout};

use ed25519_dalek::SigningKey;
use product_key::{Expiry, FeatureSet, KeyId, Organization, Payload, Product, Seats, Serial, Signer};

/// A verifier command run in `dir`, with no VERIFIER_PUBLIC_KEYS or NO_COLOR from the caller.
pub fn verifier(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_verifier"));
    cmd.current_dir(dir)
        .env_remove("VERIFIER_PUBLIC_KEYS")
        .env_remove("VERIFIER_REVOCATIONS")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    cmd
}

/// A signer with a fixed test secret, and its public key written as hex into `dir`.
pub fn signer(dir: &Path, seed: u8) -> (Signer, PathBuf) {
    let signer = Signer::new(SigningKey::from_bytes(&[seed; 32]));
    let path = dir.join(format!("key{seed}.hex"));
    std::fs::write(&path, format!("{}\n", hex::encode(signer.public_key()))).expect("write");
    (signer, path)
}

/// A payload for AST 8, issued 2026-11-28, one year.
pub fn payload(org: &str) -> Payload {
    Payload {
        key_id: KeyId([0; 4]),
        product: Product::new("AST").expect("product"),
        major: 8,
        serial: Serial::new(0xfeed).expect("serial"),
        issued: "2026-11-28".parse().expect("date"),
        expires: Expiry::LastDay("2027-11-28".parse().expect("date")),
        seats: Seats::count(25).expect("seats"),
        features: FeatureSet::from_names(["dataflow", "edi"]).expect("features"),
        organization: Organization::canonicalize(org).expect("org"),
        extensions: Vec::new(),
    }
}

/// The repository's test vectors folder.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}
