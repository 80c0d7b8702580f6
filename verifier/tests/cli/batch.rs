//! verifier batch: report rows, summary, exit codes; every verdict equals check's, also for
//! signatures that ed25519-dalek's batch verification and strict verification judge apart.

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, SigningKey};
use product_key::raw::{blob, encode, signed_message};
use product_key::{KeyId, text};
use sha2::{Digest, Sha512};

use crate::util::*;

/// A key signed by the holder of the secret with R = rB + T, T a small-order point: a valid
/// equation up to torsion, which `verify_strict` refuses and `verify_batch` may accept.
fn torsioned_key(secret: &SigningKey, org: &str, torsion: EdwardsPoint, nonce: u64) -> String {
    let mut p = payload(org);
    p.key_id = KeyId::of_public_key(secret.verifying_key().as_bytes());
    let bytes = p.to_bytes().expect("encodable");
    let message = signed_message(&bytes);
    let r = Scalar::from(nonce);
    let big_r = (EdwardsPoint::mul_base(&r) + torsion).compress().to_bytes();
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r)
            .chain_update(secret.verifying_key().as_bytes())
            .chain_update(&message),
    );
    let s = r + k * secret.to_scalar();
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&big_r);
    sig[32..].copy_from_slice(s.as_bytes());
    encode("AST", 8, &blob(&bytes, &sig))
}

#[test]
fn batch_and_strict_verification_differ_and_the_verifier_follows_strict() {
    let t = tempfile::tempdir().expect("tempdir");
    let (_, public) = signer(t.path(), 1);
    let secret = SigningKey::from_bytes(&[1; 32]);
    let vk = secret.verifying_key();
    let mut keys = Vec::new();
    let mut batch_accepted = 0;
    for (i, torsion) in [EIGHT_TORSION[1], EIGHT_TORSION[2], EIGHT_TORSION[4]].into_iter().enumerate() {
        for nonce in 0..16u64 {
            let key = torsioned_key(&secret, &format!("Torsion {i} {nonce}"), torsion, 1000 + nonce);
            let decoded = text::decode(&key).expect("decodes");
            let sig = Signature::from_bytes(&decoded.signature);
            let message = signed_message(&decoded.payload_bytes);
            assert!(vk.verify_strict(&message, &sig).is_err());
            if ed25519_dalek::verify_batch(&[&message], &[sig], &[vk]).is_ok() {
                batch_accepted += 1;
            }
            keys.push(key);
        }
    }
    assert!(batch_accepted > 0, "expected verify_batch to accept some torsioned signatures");

    let mut csv = String::from("key\n");
    for k in &keys {
        csv.push_str(k);
        csv.push('\n');
    }
    std::fs::write(t.path().join("keys.csv"), csv).expect("write");
    let o = verifier(t.path())
        .args(["batch", "--input", "keys.csv", "--at", "2027-01-01", "--json", "--public-key"])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 1);
    for (line, key) in stdout(&o).lines().zip(&keys) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let single = verifier(t.path())
            .args(["check", key, "--at", "2027-01-01", "--public-key"])
            .arg(&public)
            .output()
            .expect("run");
        assert_exit(&single, 4);
        assert_eq!(v["status"], "not_genuine", "{line}");
    }
    assert!(
        stderr(&o).contains(&format!(
            "{} keys checked on 2027-01-01: not_genuine: {}",
            keys.len(),
            keys.len()
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn report_rows_equal_check_verdicts() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let good = signer.issue(&mut payload("Acme; Inc")).expect("key");
    let mut v7 = payload("Old Co");
    v7.major = 7;
    let old = signer.issue(&mut v7).expect("key");
    let rows = [
        (good.clone(), "Acme; Inc"),
        (good.clone(), "Acme Corp"),
        (good.clone(), ""),
        (old, ""),
        (good.replace('-', "-\n").to_lowercase(), "acme; inc"),
        ("garbage".to_owned(), ""),
    ];
    // A ';' export with a BOM and CRLF, quoted cells with the delimiter and line breaks.
    let mut csv = String::from("\u{feff}Customer;KEY;Organization\r\n");
    for (i, (k, o)) in rows.iter().enumerate() {
        csv.push_str(&format!("c{i};\"{k}\";\"{o}\"\r\n"));
    }
    std::fs::write(t.path().join("keys.csv"), &csv).expect("write");
    let o = verifier(t.path())
        .args([
            "batch",
            "--input",
            "keys.csv",
            "--at",
            "2027-01-01",
            "--output",
            "report.csv",
            "--public-key",
        ])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 1);
    let report = std::fs::read_to_string(t.path().join("report.csv")).expect("report");
    assert!(report.starts_with("\u{feff}Customer;KEY;Organization;status;message\r\n"), "{report}");
    let mut reader =
        csv::ReaderBuilder::new().delimiter(b';').from_path(t.path().join("report.csv")).expect("csv");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    assert_eq!(records.len(), rows.len());
    for ((key, org), record) in rows.iter().zip(&records) {
        let mut cmd = verifier(t.path());
        cmd.args(["check", "--json", key, "--at", "2027-01-01", "--public-key"]).arg(&public);
        if !org.is_empty() {
            cmd.args(["--org", org]);
        }
        let single: serde_json::Value =
            serde_json::from_slice(&cmd.output().expect("run").stdout).expect("json");
        assert_eq!(record.get(3), single["status"].as_str(), "{record:?}");
        assert_eq!(record.get(4), single["message"].as_str(), "{record:?}");
    }
    assert!(
        stderr(&o).contains(
            "6 keys checked on 2027-01-01: malformed: 1, org_mismatch: 1, valid: 3, wrong_product: 1"
        ),
        "{}",
        stderr(&o)
    );

    // All valid: exit 0. A reserved column or a missing key column: usage (2).
    std::fs::write(t.path().join("ok.csv"), format!("key\n{good}\n")).expect("write");
    let o = verifier(t.path())
        .args(["batch", "--input", "ok.csv", "--at", "2027-01-01", "--public-key"])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("key,status,message\n"), "{}", stdout(&o));
    std::fs::write(t.path().join("reserved.csv"), format!("key,status\n{good},x\n")).expect("write");
    let o = verifier(t.path())
        .args(["batch", "--input", "reserved.csv", "--public-key"])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 2);
    let o = verifier(t.path())
        .args(["batch", "--input", "ok.csv", "--key-column", "licence", "--public-key"])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 2);
    std::fs::write(t.path().join("bad.rev"), "nope").expect("write");
    let o = verifier(t.path())
        .args(["batch", "--input", "ok.csv", "--revocations", "bad.rev", "--public-key"])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 9);
}

#[test]
fn a_named_org_column_must_exist_and_rows_must_have_the_header_width() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let good = signer.issue(&mut payload("Acme Inc")).expect("key");
    std::fs::write(t.path().join("keys.csv"), format!("key,organization\n{good},Other Corp\n"))
        .expect("write");
    let batch = |extra: &[&str]| {
        verifier(t.path())
            .args(["batch", "--input", "keys.csv", "--at", "2027-01-01", "--public-key"])
            .arg(&public)
            .args(extra)
            .output()
            .expect("run")
    };
    // The default column exists: checked, and the organization differs.
    assert_exit(&batch(&[]), 1);
    // A typo in --org-column must not turn the check off.
    let o = batch(&["--org-column", "organisation"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("no column named 'organisation' (see --org-column)"), "{}", stderr(&o));
    // A short row would be read against the wrong column; a long one would push `status`
    // into an input column.
    std::fs::write(t.path().join("keys.csv"), format!("key,organization\n{good},Acme Inc\n{good}\n"))
        .expect("write");
    let o = batch(&[]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("keys.csv:3: 1 fields where the header has 2"), "{}", stderr(&o));
}

#[test]
fn every_help_states_the_exit_codes() {
    let t = tempfile::tempdir().expect("tempdir");
    // Help text is wrapped to the terminal: compare with white space folded.
    let help = |args: &[&str]| {
        stdout(&verifier(t.path()).args(args).output().expect("run"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let check = help(&["check", "--help"]);
    assert!(check.contains("Exit codes: 0 valid; 3 malformed; 4 not_genuine; 5 wrong_product; 6 org_mismatch; 7 not_yet_valid or expired; 8 revoked; 1 reading or writing failed; 2 usage"), "{check}");
    assert!(check.contains("9 the revocation list cannot be used"), "{check}");
    let batch = help(&["batch", "--help"]);
    assert!(batch.contains("1 some key is not valid") && batch.contains("9 the revocation"), "{batch}");
}

/// Issue 28, item 9: keygen batch writes its keys.csv back in its input's encoding; a
/// Windows-1252 keys.csv (no BOM, as Excel's plain "CSV" is) is read without `--encoding`,
/// and the report is written in Windows-1252 too. A UTF-8 file stays UTF-8.
#[test]
fn a_windows_1252_keys_csv_is_detected_and_read() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let mut rows = String::from("Kunde;Edition;Auftrag;serial;issued;valid_until;key\r\n");
    for (i, org) in ["Müller Logistik GmbH", "Köln Daten AG", "Ålborg Data ApS"].iter().enumerate() {
        let mut p = payload(org);
        p.serial = product_key::Serial::new(0x100 + i as u64).expect("serial");
        let key = signer.issue(&mut p).expect("key");
        rows.push_str(&format!("{org};Standard;A-{i};{};2026-11-28;2027-11-28;{key}\r\n", p.serial));
    }
    let cp1252: Vec<u8> = rows.chars().map(|c| u8::try_from(u32::from(c)).expect("Latin-1")).collect();
    assert!(std::str::from_utf8(&cp1252).is_err(), "the file is not UTF-8");
    std::fs::write(t.path().join("keys.csv"), &cp1252).expect("write");
    std::fs::write(t.path().join("keys-utf8.csv"), rows.as_bytes()).expect("write");
    for (input, report) in [("keys.csv", "report.csv"), ("keys-utf8.csv", "report-utf8.csv")] {
        let o = verifier(t.path())
            .args([
                "batch",
                "--input",
                input,
                "--org-column",
                "Kunde",
                "--at",
                "2027-01-01",
                "--output",
                report,
            ])
            .arg("--public-key")
            .arg(&public)
            .output()
            .expect("run");
        assert_exit(&o, 0);
        assert!(stderr(&o).contains("3 keys checked on 2027-01-01: valid: 3"), "{}", stderr(&o));
        let written = std::fs::read(t.path().join(report)).expect("report");
        if input == "keys.csv" {
            assert!(stderr(&o).contains("read as Windows-1252"), "{}", stderr(&o));
            assert!(written.starts_with(
                b"Kunde;Edition;Auftrag;serial;issued;valid_until;key;status;message\r\nM\xfcller"
            ));
        } else {
            assert!(!stderr(&o).contains("Windows-1252"), "{}", stderr(&o));
            assert!(written.starts_with(
                "Kunde;Edition;Auftrag;serial;issued;valid_until;key;status;message\r\nMüller".as_bytes()
            ));
        }
    }
}
