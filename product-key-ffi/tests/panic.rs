//! A panic inside the library, from the C side, under valgrind: the library is built with the
//! `test-hooks` feature (a forced panic on a marked key text, src/hooks.rs) into a target
//! directory of its own, so that the libraries every other test and script use never hold
//! the hook; `tests/c/panic.c` then calls every judging export with garbage in its out
//! parameters and frees them whatever the code. Valgrind fails the run on any invalid read
//! or free and on any leak.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The static library built with the `test-hooks` feature, in its own target directory.
fn hooked_archive() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-hooks-target");
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args([
            "build",
            "-p",
            "product-key-ffi",
            "--features",
            "test-hooks",
            "--message-format=json-render-diagnostics",
        ])
        .env("CARGO_TARGET_DIR", &target);
    let out = cargo.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo build --features test-hooks:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "product_key")
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "a"))
        .expect("cargo built libproduct_key.a")
}

fn worked_example() -> Value {
    let path = crate_dir().join("../tests/vectors/worked_example.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

#[test]
fn a_panic_leaves_out_parameters_safe_to_free_under_valgrind() {
    let archive = hooked_archive();
    let dir = tempfile::tempdir().expect("tempdir");
    let program = dir.path().join("panic");
    let built = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-g", "-I"])
        .arg(crate_dir().join("include"))
        .arg(crate_dir().join("tests/c/panic.c"))
        .arg(&archive)
        .arg("-o")
        .arg(&program)
        .output()
        .expect("gcc runs");
    assert!(built.status.success(), "gcc:\n{}", String::from_utf8_lossy(&built.stderr));

    let vector = worked_example();
    let out = Command::new("valgrind")
        .args([
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
        ])
        .arg(&program)
        .arg(vector["trusted_public_keys"][0].as_str().expect("key"))
        .arg(vector["key"].as_str().expect("key text"))
        .output()
        .expect("valgrind runs (apt-get install valgrind)");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains("0 failures"), "{said}");
    assert!(said.contains("ERROR SUMMARY: 0 errors"), "{said}");
    // The hook fired: the panics were real, not refusals.
    assert!(said.contains("forced by the test-hooks feature"), "{said}");
}
