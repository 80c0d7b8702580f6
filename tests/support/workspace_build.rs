//! The workspace's binaries and libraries as its tests build them, for tests that run one of
//! another crate (the verifier, the C ABI's libraries): shared by product-key-ffi's and
//! keygen's test crates, which include this file with `#[path]`.

use std::process::Command;

use serde_json::Value;

/// Cargo's messages (one JSON value each) for a build of the workspace as `cargo test
/// --workspace` builds it (`--workspace`, the dev-dependencies' features on, this profile):
/// that has been done already, so nothing is compiled again, while `-p CRATE` would build the
/// crate and some of its dependencies again with other features, and replace binaries other
/// tests are running. Built once per test process.
pub fn workspace_build() -> &'static [Value] {
    static BUILT: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo.args([
            "build",
            "--locked",
            "--workspace",
            "--lib",
            "--bins",
            "--examples",
            "--message-format=json-render-diagnostics",
        ]);
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        let out = cargo.output().expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo build --workspace failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    })
}

/// The files of every artifact cargo built (its `filenames`).
pub fn artifact_files() -> impl Iterator<Item = &'static str> {
    workspace_build()
        .iter()
        .filter(|m| m["reason"] == "compiler-artifact")
        .flat_map(|m| m["filenames"].as_array().into_iter().flatten().filter_map(Value::as_str))
}
