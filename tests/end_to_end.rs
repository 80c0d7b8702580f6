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
        .env_remove("KEYGEN_LEDGER")
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
    // Format revision 3: spaces in place of the dashes read; a prefix with no dash and no space does not.
    assert_eq!(check(&key.to_lowercase().replace('-', " "), &["--at", "2027-01-01"]), 0, "spaces for dashes");
    assert_eq!(check(&key.replacen('-', "_", 1), &["--at", "2027-01-01"]), 3, "no prefix dash");
    let pasted = format!("{}-{}", &key[..4].to_lowercase(), key[5..].to_lowercase().replace('-', "\n"));
    assert_eq!(check(&pasted, &["--at", "2027-01-01"]), 0, "pasted over lines, lower case");
}

#[test]
fn rotating_the_signing_key_keeps_one_ledger_and_one_revocation_sequence() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let old_id = ok(&keygen(d, &["init", "--dir", "vault"])).replace("key_id: ", "");
    let key = |args: &[&str]| -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--key", "vault/signing-key.pem", "--json"]);
        serde_json::from_str(&ok(&keygen(d, &all))).expect("json")
    };
    let early = key(&["issue", "--template", "standard", "--org", "Early Co", "--order-id", "A-1001"]);
    let refunded = key(&["issue", "--template", "standard", "--org", "Refunded Co", "--order-id", "A-1002"]);
    ok(&keygen(
        d,
        &["revoke", "--key", "vault/signing-key.pem", "--order-id", "A-1002", "--out", "list1.txt"],
    ));
    let new_id = ok(&keygen(d, &["rotate", "--dir", "vault"])).replace("key_id: ", "");
    assert_ne!(old_id, new_id);
    let retired_public = format!("vault/retired/public-key-{old_id}.pem");
    assert!(
        d.join(&retired_public).exists()
            && d.join(format!("vault/retired/signing-key-{old_id}.pem")).exists()
    );
    // Every key a product should trust, each with its key_id.
    let all = ok(&keygen(d, &["public-key", "--all", "--key", "vault/signing-key.pem"]));
    assert!(
        all.contains(&format!("key_id: {old_id} (retired)"))
            && all.contains(&format!("key_id: {new_id} (current)")),
        "{all}"
    );
    // An old customer renews: found in the one ledger, signed by the new key.
    let renewed = key(&["renew", "--for-order", "A-1001", "--order-id", "A-2001"]);
    assert_eq!(renewed["key_id"], new_id.as_str());
    assert_eq!(renewed["supersedes"], early["serial"]);
    let both = ["--public-key", "vault/public-key.pem", "--public-key", retired_public.as_str()];
    for k in [&early, &renewed] {
        let mut args = vec!["check", k["key"].as_str().expect("key")];
        args.extend(both);
        ok(&verifier(d, &args));
    }
    // The next list continues the sequence (2), signed by the new key, and revokes keys of
    // either signer: a product that applied list 1 takes it.
    ok(&keygen(d, &["revoke", "--key", "vault/signing-key.pem", "--superseded", "--out", "list2.txt"]));
    for (k, list) in [(&refunded, "list2.txt"), (&early, "list2.txt")] {
        let mut args = vec!["check", k["key"].as_str().expect("key"), "--revocations", list];
        args.extend(both);
        let o = verifier(d, &args);
        assert_eq!(code(&o), 8, "{}", String::from_utf8_lossy(&o.stdout));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("revocation list 2"),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    // Each key verifies with its own signer; the auditor needs the ledger file only.
    let v = ok(&keygen(d, &["ledger", "verify", "--ledger", "vault/ledger.sqlite"]));
    assert!(v.contains("3 keys, 2 revocation lists"), "{v}");
    // A retired key signs nothing more.
    let o = keygen(
        d,
        &[
            "issue",
            "--key",
            &format!("vault/retired/signing-key-{old_id}.pem"),
            "--template",
            "trial",
            "--org",
            "X",
            "--ledger",
            "vault/ledger.sqlite",
        ],
    );
    assert_eq!(code(&o), 3);
    // Once products trust only the new key, keys of the old one are not genuine, named.
    let o =
        verifier(d, &["check", early["key"].as_str().expect("key"), "--public-key", "vault/public-key.pem"]);
    assert_eq!(code(&o), 4);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!(
            "signed by key {old_id}, a signing key not trusted here (a retired or unknown signing key"
        )),
        "{text}"
    );
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
    let ledger = ok(&keygen(d, &["ledger", "export"]));
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

type Flags = &'static [&'static str];

/// UTF-16 (little-endian) bytes of `text`, with the BOM when `bom`.
fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// verifier batch reads the file keygen batch wrote, as it was written (issue 20 item 7):
/// Windows-1252 detected without `--encoding` (issue 28 item 9), UTF-16 and UTF-8 by their BOM;
/// every key valid, with the organization check on the export's own column.
#[test]
fn verifier_batch_reads_keygen_batch_output_in_every_encoding_it_writes() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    ok(&keygen(d, &["init"]));
    let columns =
        ["--column", "organization=Kunde", "--column", "template=Edition", "--column", "order_id=Auftrag"];
    let text = "Kunde;Edition;Auftrag\r\nMüller Logistik GmbH;Standard;A-1\r\nKöln Daten AG;trial;A-2\r\n";
    let cp1252: Vec<u8> = text.chars().map(|c| u8::try_from(u32::from(c)).expect("Latin-1")).collect();
    // (file, its bytes, keygen's flags and the verifier's: the same --encoding, or none).
    let inputs: [(&str, Vec<u8>, Flags, Flags); 4] = [
        ("cp1252.csv", cp1252, &["--encoding", "windows-1252"], &[]),
        ("bom16.txt", utf16le(&text.replace("A-", "B-"), true), &[], &[]),
        ("bom8.csv", [&b"\xEF\xBB\xBF"[..], text.replace("A-", "C-").as_bytes()].concat(), &[], &[]),
        (
            "raw16.txt",
            utf16le(&text.replace("A-", "D-"), false),
            &["--encoding", "utf-16le"],
            &["--encoding", "utf-16le"],
        ),
    ];
    for (name, bytes, keygen_flags, verifier_flags) in inputs {
        std::fs::write(d.join(name), &bytes).expect("write");
        let out = format!("keys-{name}");
        ok(&keygen(
            d,
            &[&["batch", "--quiet", "--input", name, "--output", &out][..], &columns, keygen_flags].concat(),
        ));
        let report = format!("report-{name}");
        let o = verifier(
            d,
            &[
                &[
                    "batch",
                    "--input",
                    &out,
                    "--public-key",
                    "public-key.pem",
                    "--org-column",
                    "Kunde",
                    "--output",
                    &report,
                ][..],
                verifier_flags,
            ]
            .concat(),
        );
        ok(&o);
        let summary = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(summary.contains("2 keys checked") && summary.contains("valid: 2"), "{name}: {summary}");
        // The report is written as the input was: the organization's umlaut survives.
        let written = std::fs::read(d.join(&report)).expect("report");
        let expected_start: Vec<u8> = match name {
            "cp1252.csv" => b"Kunde;".to_vec(),
            "bom16.txt" => utf16le("Kunde;", true),
            "bom8.csv" => b"\xEF\xBB\xBFKunde;".to_vec(),
            _ => utf16le("Kunde;", false),
        };
        assert!(written.starts_with(&expected_start), "{name}: {:?}", &written[..written.len().min(16)]);
    }
}

/// keygen writes an organization that a spreadsheet would run as a formula with a `'` before
/// it (OWASP's CSV-injection rule); `verifier batch` still finds each key issued to the
/// organization in its row: the match form keeps letters and numbers only, so the quote
/// changes no verdict.
#[test]
fn verifier_batch_reads_a_neutralized_organization_as_it_was_issued() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    ok(&keygen(d, &["init"]));
    std::fs::write(
        d.join("orders.csv"),
        "organization,template,order_id\n-Minus Co,standard,F-1\n@At Ltd,trial,F-2\n",
    )
    .expect("write");
    ok(&keygen(d, &["batch", "--quiet", "--input", "orders.csv", "--output", "keys.csv"]));
    let written = std::fs::read_to_string(d.join("keys.csv")).expect("keys.csv");
    assert!(written.contains("'-Minus Co") && written.contains("'@At Ltd"), "{written}");
    let o = verifier(d, &["batch", "--input", "keys.csv", "--public-key", "public-key.pem"]);
    ok(&o);
    let summary = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(summary.contains("2 keys checked") && summary.contains("valid: 2"), "{summary}");
}
