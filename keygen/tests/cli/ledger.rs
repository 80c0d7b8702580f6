//! The ledger: chained records, find, verify, incomplete lines, concurrent writers.

use crate::util::*;

fn issue(dir: &std::path::Path, extra: &[&str]) -> String {
    let o = run(keygen(dir).args(["issue", "--template", "trial"]).args(extra));
    assert_exit(&o, 0);
    stdout(&o).trim().to_owned()
}

#[test]
fn records_are_chained_and_verified() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let k1 = issue(t.path(), &["--org", "Straße AG", "--order-id", "A-1"]);
    issue(t.path(), &["--org", "Beta Ltd", "--serial", "beef", "--contact", "x"]);
    issue(t.path(), &["--org", "Gamma SA"]);
    let text = std::fs::read_to_string(t.path().join("ledger.jsonl")).expect("ledger");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let first: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    assert_eq!(first["prev"], "0".repeat(64));
    assert_eq!(first["key"], k1.as_str());
    let at = first["issued_at"].as_str().expect("issued_at");
    assert!(at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");
    let v = run(keygen(t.path()).args(["ledger", "verify"]));
    assert_exit(&v, 0);
    let v = run(keygen(t.path()).args(["ledger", "verify", "--public-key", "public-key.pem"]));
    assert_exit(&v, 0);

    // find by serial, by organization (caseless substring), by order.
    let find = |args: &[&str]| stdout(&run(keygen(t.path()).args(["ledger", "find"]).args(args)));
    assert_eq!(find(&["--serial", "BEEF"]).lines().count(), 1);
    // Each record as the ledger holds it, with its story added.
    let record = lines[0].strip_suffix('}').expect("object");
    assert!(
        find(&["--org", "STRASSE"]).starts_with(&format!("{record},\"story\":{{")),
        "{}",
        find(&["--org", "STRASSE"])
    );
    assert_eq!(find(&["--org", "a"]).lines().count(), 3);
    assert_eq!(find(&["--order-id", "A-1"]), find(&["--org", "STRASSE"]));
    assert!(find(&["--order-id", "A-2"]).is_empty());

    // Edit, remove or reorder a record: verify names the first broken line.
    let edited = text.replacen("Beta Ltd", "Beta Ltd.", 1);
    std::fs::write(t.path().join("ledger.jsonl"), &edited).expect("write");
    let v = run(keygen(t.path()).args(["ledger", "verify"]));
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("ledger.jsonl:2:"), "the edited line is named: {}", stderr(&v));
    std::fs::write(t.path().join("ledger.jsonl"), format!("{}\n{}\n", lines[0], lines[2])).expect("write");
    let v = run(keygen(t.path()).args(["ledger", "verify"]));
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("ledger.jsonl:2:"), "{}", stderr(&v));

    // A key signed by another signing key is named too.
    let other = tempfile::tempdir().expect("tempdir");
    init(other.path());
    std::fs::write(t.path().join("ledger.jsonl"), &text).expect("write");
    let v = run(keygen(t.path())
        .args(["ledger", "verify", "--public-key"])
        .arg(other.path().join("public-key.pem")));
    assert_exit(&v, 3);
    assert!(
        stderr(&v).contains("ledger.jsonl:1:") && stderr(&v).contains("does not verify"),
        "{}",
        stderr(&v)
    );
}

#[test]
fn an_incomplete_last_line_stops_appends() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    issue(t.path(), &["--org", "A"]);
    let path = t.path().join("ledger.jsonl");
    let good = std::fs::read_to_string(&path).expect("ledger");
    std::fs::write(&path, format!("{good}{{\"key\":\"AST8-")).expect("write");
    let o = run(keygen(t.path()).args(["issue", "--template", "trial", "--org", "B"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("ledger.jsonl:2: the last line is incomplete"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let v = run(keygen(t.path()).args(["ledger", "verify"]));
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("ledger.jsonl:2:"), "{}", stderr(&v));
    assert_eq!(
        std::fs::read_to_string(&path).expect("ledger"),
        format!("{good}{{\"key\":\"AST8-"),
        "the ledger was changed"
    );
}

#[test]
fn two_processes_issuing_at_once_leave_a_sound_chain() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let per_writer = 200;
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let dir = t.path().to_owned();
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    let o = run(keygen(&dir)
                        .args(["issue", "--template", "trial", "--org", "Acme"])
                        .arg("--order-id")
                        .arg(format!("w{w}-{i}")));
                    assert_exit(&o, 0);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let text = std::fs::read_to_string(t.path().join("ledger.jsonl")).expect("ledger");
    assert_eq!(text.lines().count(), 2 * per_writer);
    let v = run(keygen(t.path()).args(["ledger", "verify"]));
    assert_exit(&v, 0);
    assert!(stdout(&v).contains("400 records"), "{}", stdout(&v));
}

#[test]
fn revocation_records_are_checked_too() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let o = run(keygen(t.path()).args(["issue", "--template", "trial", "--org", "A", "--serial", "a1"]));
    assert_exit(&o, 0);
    assert_exit(&run(keygen(t.path()).args(["revoke", "--serial", "a1", "--out", "r.txt"])), 0);
    assert_exit(&run(keygen(t.path()).args(["revoke", "--serial", "a1", "--out", "r.txt"])), 0);
    assert_exit(&run(keygen(t.path()).args(["ledger", "verify"])), 0);
    // A forged revocation of a serial never issued, chained properly, is still caught.
    let path = t.path().join("ledger.jsonl");
    let text = std::fs::read_to_string(&path).expect("ledger");
    let last = text.lines().last().expect("line");
    let prev = hex_sha256(last.as_bytes());
    let forged = format!(
        "{text}{{\"revoked\":[\"00000000000000b2\"],\"reason\":null,\"revoked_at\":\"2026-11-28T00:00:00Z\",\"sequence\":2,\"prev\":\"{prev}\"}}\n"
    );
    std::fs::write(&path, forged).expect("write");
    let v = run(keygen(t.path()).args(["ledger", "verify"]));
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("ledger.jsonl:3: it revokes serial 00000000000000b2"), "{}", stderr(&v));
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn the_index_beside_the_ledger_is_derived_checked_and_rebuilt() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let ledger = t.path().join("ledger.jsonl");
    let index = t.path().join("ledger.jsonl.idx");
    let issue_order = |org: &str, order: &str| {
        run(keygen(t.path()).args(["issue", "--template", "trial", "--org", org, "--order-id", order]))
    };
    assert_exit(&issue_order("A", "SO-1"), 0);
    assert!(index.exists(), "issue keeps an index beside the ledger");
    let grown = std::fs::metadata(&index).expect("index").len();
    assert_exit(&issue_order("B", "SO-2"), 0);
    assert!(std::fs::metadata(&index).expect("index").len() > grown, "appended, not rewritten");
    let refused = |order: &str| {
        let o = issue_order("Z", order);
        assert_exit(&o, 3);
        assert!(stderr(&o).contains(&format!("order '{order}' was already issued")), "{}", stderr(&o));
    };
    refused("SO-1");
    // Gone, damaged, or from another state of the ledger: rebuilt, and nothing slips through.
    std::fs::remove_file(&index).expect("rm");
    refused("SO-2");
    let mut bytes = std::fs::read(&index).expect("index");
    let n = bytes.len();
    bytes[n - 3] ^= 0x40;
    std::fs::write(&index, &bytes).expect("write");
    refused("SO-1");
    let old = std::fs::read(&index).expect("index");
    assert_exit(&issue_order("C", "SO-3"), 0);
    std::fs::write(&index, &old).expect("an older index");
    refused("SO-3");
    // Keys that other commands recorded (batch) are found: the index catches up.
    std::fs::write(t.path().join("in.csv"), "organization,order_id\nD,SO-4\nE,SO-5\n").expect("write");
    let o = batch(t.path(), &["--template", "trial", "--input", "in.csv", "--output", "out.csv"]);
    assert_exit(&o, 0);
    refused("SO-5");
    // A ledger repaired after a crash (shorter than the index says): rebuilt.
    assert_exit(&issue_order("F", "SO-6"), 0);
    let text = std::fs::read_to_string(&ledger).expect("ledger");
    std::fs::write(&ledger, format!("{text}{{\"key\":\"AST8-")).expect("torn line");
    assert_exit(&run(keygen(t.path()).args(["ledger", "repair"])), 0);
    refused("SO-6");
    let v = run(keygen(t.path()).args(["ledger", "verify"]));
    assert_exit(&v, 0);
    assert!(stdout(&v).contains("6 records"), "{}", stdout(&v));
}
