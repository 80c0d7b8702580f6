//! The C ABI as its users meet it: the committed header is the generated one; a C program
//! built with `gcc -std=c11 -Wall -Wextra -pedantic -Werror` against the shared and the static
//! library, and a Python `ctypes` script, reach the committed verdict of every vector in
//! `tests/vectors/`; the header compiles as C++17.

use std::path::{Path, PathBuf};
use std::process::Command;

use product_key::{Day, FeatureSet};
use serde_json::Value;

#[path = "../../tests/support/workspace_build.rs"]
mod workspace_build;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn vectors_dir() -> PathBuf {
    crate_dir().join("../tests/vectors")
}

/// The shared and static libraries, built by cargo for this profile (a test binary is not
/// given the cdylib and staticlib of its own crate, so it asks cargo for them), as the
/// workspace's tests build them (`--workspace`, the dev-dependencies' features on): `cargo
/// test --workspace` has built them already, so nothing is compiled again (`-p
/// product-key-ffi` alone would build the library and some 30 dependencies again with fewer
/// features, none of which the C ABI's code reads).
struct Libraries {
    shared: PathBuf,
    archive: PathBuf,
    header: PathBuf,
}

fn libraries() -> &'static Libraries {
    static FOUND: std::sync::OnceLock<Libraries> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| {
        let file =
            |end: &str| workspace_build::artifact_files().find(|f| f.ends_with(end)).map(PathBuf::from);
        let header = workspace_build::workspace_build()
            .iter()
            .filter(|m| m["reason"] == "build-script-executed")
            .filter(|m| m["package_id"].as_str().is_some_and(|id| id.contains("product-key-ffi")))
            .find_map(|m| m["out_dir"].as_str())
            .map(|out_dir| Path::new(out_dir).join("product_key.h"));
        Libraries {
            shared: file("libproduct_key.so").expect("cargo built libproduct_key.so"),
            archive: file("libproduct_key.a").expect("cargo built libproduct_key.a"),
            header: header.expect("build.rs ran"),
        }
    })
}

#[test]
fn the_committed_header_is_the_generated_one() {
    let libs = libraries();
    let generated = std::fs::read_to_string(&libs.header).expect("generated header");
    let committed_path = crate_dir().join("include/product_key.h");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&committed_path, &generated).expect("write the header");
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "product-key-ffi/include/product_key.h differs from what cbindgen makes of the code; \
         if the change is meant, run: BLESS=1 cargo test -p product-key-ffi --test abi"
    );
}

fn hex_text(text: &str) -> String {
    hex::encode(text.as_bytes())
}

fn day(text: &str) -> u16 {
    text.parse::<Day>().unwrap_or_else(|e| panic!("date {text}: {e}")).days()
}

/// Every vector as lines the C program reads: "name value", texts in hex, "end" after each.
fn flattened_vectors(dir: &Path) -> (String, usize) {
    let mut out = String::new();
    let mut count = 0;
    for (path, v) in read_vectors(dir) {
        let mut push = |name: &str, value: String| out.push_str(&format!("{name} {value}\n"));
        let name = v["name"].as_str().unwrap_or_else(|| panic!("{}: no name", path.display()));
        push("key", name.to_owned());
        push("text", hex_text(v["key"].as_str().expect("key")));
        if let Some(org) = v["org"].as_str() {
            push("org", hex_text(org));
        }
        push("day", day(v["at"].as_str().expect("at")).to_string());
        push("keys", trusted_hex(&v));
        if let Some(list) = v["revocations"].as_str() {
            push("list", hex_text(list));
        }
        push("expect", v["status"].as_str().expect("status").to_owned());
        push(
            "found",
            match &v["found"] {
                Value::Null => "none".into(),
                f => format!("{} {}", f["from"], f["to"]),
            },
        );
        if v["status"] == "valid" {
            let f = &v["fields"];
            push("product", f["product"].as_str().expect("product").to_owned());
            push("major_version", f["major_version"].to_string());
            push("serial", f["serial"].as_str().expect("serial").to_owned());
            push("key_id", f["key_id"].as_str().expect("key_id").to_owned());
            push("organization", hex_text(f["organization"].as_str().expect("organization")));
            push("seats", if f["seats"].is_null() { "unlimited".into() } else { f["seats"].to_string() });
            push("features", feature_bits(f).to_string());
            push("issued", day(f["issued"].as_str().expect("issued")).to_string());
            push("expires", f["expires"].as_str().map_or("never".into(), |d| day(d).to_string()));
            push("supersedes", f["supersedes"].as_str().unwrap_or("none").to_owned());
        }
        out.push_str("end\n");
        count += 1;
    }
    for (path, v) in read_vectors(&dir.join("revocations")) {
        let name = v["name"].as_str().unwrap_or_else(|| panic!("{}: no name", path.display()));
        out.push_str(&format!("list-vector {name}\n"));
        out.push_str(&format!("list {}\n", hex_text(v["list"].as_str().expect("list"))));
        out.push_str(&format!("keys {}\n", trusted_hex(&v)));
        out.push_str(&format!("highest {}\n", v["highest_sequence_seen"]));
        out.push_str(&format!("expect {}\n", v["expect"].as_str().expect("expect")));
        if let Some(sequence) = v["sequence"].as_u64() {
            out.push_str(&format!("sequence {sequence}\n"));
        }
        out.push_str("end\n");
        count += 1;
    }
    (out, count)
}

fn trusted_hex(v: &Value) -> String {
    v["trusted_public_keys"]
        .as_array()
        .expect("trusted_public_keys")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

fn feature_bits(fields: &Value) -> u64 {
    let names = fields["features"].as_array().expect("features").iter().filter_map(Value::as_str);
    let known = FeatureSet::from_names(names).expect("catalog names").bits();
    let unknown = fields["unknown_feature_bits"].as_array().expect("bits").iter().filter_map(Value::as_u64);
    unknown.fold(known, |bits, b| bits | 1 << b)
}

fn read_vectors(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no vectors in {}", dir.display());
    paths
        .into_iter()
        .map(|p| {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("JSON");
            (p, v)
        })
        .collect()
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{command:?} failed:\n{text}");
    text
}

/// Builds `tests/c/vectors.c` into `program` with the strict flags a C host would use,
/// linked by `link` (the archive's path, or `-L DIR -lproduct_key`).
fn build_c_program(program: &Path, link: &[&std::ffi::OsStr]) {
    run(Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-I"])
        .arg(crate_dir().join("include"))
        .arg(crate_dir().join("tests/c/vectors.c"))
        .args(link)
        .arg("-o")
        .arg(program));
}

#[test]
fn a_c_program_reaches_every_verdict_through_the_shared_and_the_static_library() {
    let libs = libraries();
    let dir = tempfile::tempdir().expect("tempdir");
    let (text, count) = flattened_vectors(&vectors_dir());
    let input = dir.path().join("vectors.txt");
    std::fs::write(&input, text).expect("write");
    let lib_dir = libs.shared.parent().expect("lib dir");

    let shared = dir.path().join("vectors-shared");
    build_c_program(&shared, &["-L".as_ref(), lib_dir.as_os_str(), "-lproduct_key".as_ref()]);
    let said = run(Command::new(&shared).arg(&input).env("LD_LIBRARY_PATH", lib_dir));
    assert!(said.contains(&format!("{count} vectors checked, 0 mismatches")), "{said}");

    let fixed = dir.path().join("vectors-static");
    build_c_program(&fixed, &[libs.archive.as_os_str()]);
    let said = run(Command::new(&fixed).arg(&input));
    assert!(said.contains(&format!("{count} vectors checked, 0 mismatches")), "{said}");
}

#[test]
fn a_damaged_vector_is_caught_by_the_c_program() {
    // The C check can fail: one expected status changed must be reported by name.
    let libs = libraries();
    let dir = tempfile::tempdir().expect("tempdir");
    let (text, _) = flattened_vectors(&vectors_dir());
    let damaged = text.replacen("expect valid", "expect expired", 1);
    let input = dir.path().join("vectors.txt");
    std::fs::write(&input, damaged).expect("write");
    let program = dir.path().join("vectors");
    build_c_program(&program, &[libs.archive.as_os_str()]);
    let out = Command::new(&program).arg(&input).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("status: expected 'expired', got 'valid'"));
}

#[test]
fn the_header_compiles_as_cpp17() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("use.cpp");
    std::fs::write(
        &source,
        "#include \"product_key.h\"\n#include <cstdio>\nint main() { PkVerdict v{}; pk_verdict_free(&v); \
         std::printf(\"%s\\n\", pk_status_name(PK_STATUS_VALID)); return pk_abi_version() == PK_ABI_VERSION ? 0 : 1; }\n",
    )
    .expect("write");
    run(Command::new("g++")
        .args(["-std=c++17", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "-I"])
        .arg(crate_dir().join("include"))
        .arg(&source));
}

#[test]
fn python_ctypes_reaches_every_verdict() {
    let libs = libraries();
    let said = run(Command::new("python3")
        .arg(crate_dir().join("tests/python/vectors.py"))
        .arg(&libs.shared)
        .arg(vectors_dir()));
    assert!(said.contains(", 0 mismatches"), "{said}");
}

/// The code block of `lang` in docs/embedding.md that contains `marker`.
fn embedding_md_block(lang: &str, marker: &str) -> String {
    let doc = std::fs::read_to_string(crate_dir().join("../docs/embedding.md")).expect("embedding.md");
    let opening = format!("```{lang}\n");
    doc.split(opening.as_str())
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| format!("{block}\n")))
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("embedding.md has no {lang} block with {marker:?}"))
}

#[test]
fn embedding_md_python_example_runs_as_written() {
    let libs = libraries();
    let dir = tempfile::tempdir().expect("tempdir");
    let program = dir.path().join("check_key.py");
    std::fs::write(&program, embedding_md_block("python", "def main()")).expect("write");
    let vector: Value = serde_json::from_str(
        &std::fs::read_to_string(vectors_dir().join("paste_email_quoting_over_lines.json")).expect("read"),
    )
    .expect("JSON");
    let pasted = vector["key"].as_str().expect("key");
    let mut child = Command::new("python3")
        .arg(&program)
        .arg(&libs.shared)
        .arg(trusted_hex(&vector))
        .arg(vector["at"].as_str().expect("at"))
        .arg(vector["org"].as_str().expect("org"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write as _;
    child.stdin.take().expect("stdin").write_all(pasted.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.starts_with("VALID: this key unlocks AST 8 for 'Acme Analytics GmbH'"), "{said}");
    let clean = product_key::text::decode(pasted).expect("the vector's key").to_text();
    assert!(said.contains(&format!("\nstore: {clean}\n")), "{said}");
}

#[test]
fn embedding_md_c_example_compiles_with_the_strict_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("check.c");
    std::fs::write(&source, embedding_md_block("c", "#include \"product_key.h\"")).expect("write");
    run(Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "-I"])
        .arg(crate_dir().join("include"))
        .arg(&source));
}
