//! keygen and verifier together: issue → check, rotation, revocation, batch → audit.
//!
//! The binaries are the workspace's own, built by `cargo test --workspace` before any test
//! runs; they are found beside this test's executable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().and_then(Path::parent).expect("target folder");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test --workspace`, which builds every binary",
        path.display()
    );
    path
}

fn templates() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../templates")
}

fn keygen(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin("keygen"))
        .current_dir(dir)
        .env_remove("KEYGEN_SIGNING_KEY")
        .env_remove("KEYGEN_PASSPHRASE")
        .env("KEYGEN_TEMPLATES", templates())
        .args(args)
        .output()
        .expect("keygen runs")
}

fn verifier(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin("verifier"))
        .current_dir(dir)
        .env_remove("VERIFIER_PUBLIC_KEYS")
        .env_remove("VERIFIER_REVOCATIONS")
        .args(args)
        .output()
        .expect("verifier runs")
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

#[track_caller]
fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

#[test]
fn issue_then_check() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    ok(&keygen(d, &["init", "--dir", "vault"]));
    let key = ok(&keygen(
        d,
        &[
            "issue",
            "--key",
            "vault/signing-key.pem",
            "--template",
            "professional",
            "--org",
            "Acme Analytics GmbH",
            "--issued",
            "2026-11-28",
        ],
    ));
    let o = verifier(
        d,
        &[
            "check",
            &key,
            "--public-key",
            "vault/public-key.pem",
            "--org",
            "acme analytics gmbh",
            "--at",
            "2027-01-01",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&o)).expect("json");
    assert_eq!(v["status"], "valid");
    assert_eq!(v["key"]["seats"], 25);
    assert_eq!(v["key"]["expires"], "2027-11-28");
    let check = |key: &str, extra: &[&str]| {
        let mut args = vec!["check", key, "--public-key", "vault/public-key.pem"];
        args.extend_from_slice(extra);
        code(&verifier(d, &args))
    };
    assert_eq!(check(&key, &["--at", "2027-11-29"]), 7, "expired");
    assert_eq!(check(&key, &["--at", "2026-11-26"]), 7, "not yet valid");
    assert_eq!(check(&key, &["--at", "2027-01-01", "--org", "Acme Analytics"]), 6, "org mismatch");
    assert_eq!(check(&key[..key.len() - 6], &["--at", "2027-01-01"]), 3, "truncated");
    assert_eq!(check(&key.to_lowercase().replace('-', " "), &["--at", "2027-01-01"]), 3, "no prefix dash");
    let pasted = format!("{}-{}", &key[..4].to_lowercase(), key[5..].to_lowercase().replace('-', "\n"));
    assert_eq!(check(&pasted, &["--at", "2027-01-01"]), 0, "pasted over lines, lower case");
}

#[test]
fn rotating_the_signing_key() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let old_id = ok(&keygen(d, &["init", "--dir", "old"]));
    let new_id = ok(&keygen(d, &["init", "--dir", "new"]));
    let old_key = ok(&keygen(
        d,
        &["issue", "--key", "old/signing-key.pem", "--template", "standard", "--org", "Early Co"],
    ));
    let new_key = ok(&keygen(
        d,
        &["issue", "--key", "new/signing-key.pem", "--template", "standard", "--org", "Later Co"],
    ));
    // During the transition the product trusts both keys.
    for key in [&old_key, &new_key] {
        ok(&verifier(
            d,
            &["check", key, "--public-key", "old/public-key.pem", "--public-key", "new/public-key.pem"],
        ));
    }
    // Each ledger verifies with its own key only.
    ok(&keygen(d, &["ledger", "verify", "--key", "old/signing-key.pem"]));
    ok(&keygen(d, &["ledger", "verify", "--key", "new/signing-key.pem"]));
    // Once the old key is retired, its keys are not genuine, and the message names it.
    let o = verifier(d, &["check", &old_key, "--public-key", "new/public-key.pem"]);
    assert_eq!(code(&o), 4);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!(
            "signed by key {old_id}, a signing key not trusted here (a retired or unknown signing key"
        )),
        "{text}"
    );
    assert_ne!(old_id, new_id);
}

#[test]
fn revoking_keys() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    ok(&keygen(d, &["init"]));
    let issue = |org: &str| -> serde_json::Value {
        serde_json::from_str(&ok(&keygen(d, &["issue", "--template", "trial", "--org", org, "--json"])))
            .expect("json")
    };
    let (a, b) = (issue("Refunded Ltd"), issue("Loyal Ltd"));
    let serial = a["serial"].as_str().expect("serial");
    ok(&keygen(d, &["revoke", "--serial", serial, "--out", "revocations.txt", "--reason", "refund"]));
    let check = |key: &serde_json::Value| {
        verifier(
            d,
            &[
                "check",
                key["key"].as_str().expect("key"),
                "--public-key",
                "public-key.pem",
                "--revocations",
                "revocations.txt",
            ],
        )
    };
    let o = check(&a);
    assert_eq!(code(&o), 8);
    assert!(String::from_utf8_lossy(&o.stdout).contains("revocation list 1"));
    ok(&check(&b));
    // A typo revokes nothing: exit 3, and the list is unchanged.
    let before = std::fs::read_to_string(d.join("revocations.txt")).expect("list");
    assert_eq!(code(&keygen(d, &["revoke", "--serial", "123", "--out", "revocations.txt"])), 3);
    assert_eq!(std::fs::read_to_string(d.join("revocations.txt")).expect("list"), before);
    // The next list has sequence 2 and every serial revoked so far; revoking again is harmless.
    ok(&keygen(
        d,
        &[
            "revoke",
            "--serial",
            b["serial"].as_str().expect("serial"),
            "--serial",
            serial,
            "--out",
            "revocations.txt",
        ],
    ));
    assert_eq!(code(&check(&a)), 8);
    assert_eq!(code(&check(&b)), 8);
    assert!(String::from_utf8_lossy(&check(&b).stdout).contains("revocation list 2"));
    ok(&keygen(d, &["ledger", "verify"]));
    // Support's audit applies the list too.
    let csv = format!("key\n{}\n{}\n", a["key"].as_str().expect("key"), b["key"].as_str().expect("key"));
    std::fs::write(d.join("keys.csv"), csv).expect("write");
    let o = verifier(
        d,
        &[
            "batch",
            "--input",
            "keys.csv",
            "--public-key",
            "public-key.pem",
            "--revocations",
            "revocations.txt",
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("2 keys checked")
            && String::from_utf8_lossy(&o.stderr).contains("revoked: 2")
    );
    let ledger = std::fs::read_to_string(d.join("ledger.jsonl")).expect("ledger");
    let last: serde_json::Value = serde_json::from_str(ledger.lines().last().expect("line")).expect("json");
    assert_eq!(last["sequence"], 2);
    assert!(last["revoked_at"].as_str().is_some_and(|s| s.ends_with('Z')));
}

#[test]
fn a_batch_audited_by_support() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    ok(&keygen(d, &["init"]));
    let mut csv = String::from("organization;template;order_id\r\n");
    for i in 0..500 {
        csv.push_str(&format!(
            "\"Kunde {i}; GmbH\";{};{i}\r\n",
            ["trial", "standard", "professional", "enterprise"][i % 4]
        ));
    }
    std::fs::write(d.join("orders.csv"), csv).expect("write");
    ok(&keygen(d, &["batch", "--input", "orders.csv", "--output", "keys.csv", "--quiet"]));
    let o = verifier(
        d,
        &["batch", "--input", "keys.csv", "--public-key", "public-key.pem", "--output", "report.csv"],
    );
    ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("500 keys checked"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report = std::fs::read_to_string(d.join("report.csv")).expect("report");
    assert_eq!(report.lines().filter(|l| l.contains(";valid;")).count(), 500);
}

#[test]
fn completions_and_man_pages() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    ok(&keygen(d, &["generate-docs", "docs"]));
    ok(&verifier(d, &["generate-docs", "docs"]));
    for file in [
        "keygen.bash",
        "_keygen",
        "keygen.fish",
        "keygen.1",
        "keygen-issue.1",
        "keygen-batch.1",
        "verifier.bash",
        "verifier.1",
        "verifier-check.1",
    ] {
        let text =
            std::fs::read_to_string(d.join("docs").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(text.len() > 200, "{file} is nearly empty");
    }
    let page = std::fs::read_to_string(d.join("docs/keygen-issue.1")).expect("page");
    assert!(page.contains("order\\-id"), "{page}");
}
