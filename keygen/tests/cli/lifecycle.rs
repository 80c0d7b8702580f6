//! After the sale: renewals, amendments, chains of replacements, retiring replaced keys,
//! the renewal report, and every key's story.

use std::path::Path;

use serde_json::Value;

use crate::util::*;

fn json(o: &std::process::Output) -> Value {
    assert_exit(o, 0);
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Issues a key for `org` on `issued` with a last day, returns its --json object.
fn issue(dir: &Path, org: &str, order: &str, issued: &str, expires: &str) -> Value {
    json(&run(keygen(dir).args([
        "issue",
        "--json",
        "--template",
        "standard",
        "--org",
        org,
        "--order-id",
        order,
        "--issued",
        issued,
        "--expires",
        expires,
        "--contact",
        "buyer@example.com",
    ])))
}

/// A folder with a new signing key, as a sales desk has.
fn desk() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    t
}

/// `keygen ledger report` on 2027-01-01 with these flags.
fn report(dir: &Path, flags: &[&str]) -> std::process::Output {
    run(keygen(dir).args(["ledger", "report", "--at", "2027-01-01"]).args(flags))
}

fn keygen_json(dir: &Path, args: &[&str]) -> Value {
    json(&run(keygen(dir).args(args).arg("--json")))
}

#[test]
fn a_renewal_carries_the_terms_and_the_term_over() {
    let t = desk();
    let d = t.path();
    // A one-year key: 2026-01-01 to 2026-12-31, a term of 364 days.
    let old = issue(d, "Acme GmbH", "SO-1", "2026-01-01", "2026-12-31");
    let serial = old["serial"].as_str().expect("serial");
    // Early: the new term starts at the old last day, so no paid day is lost.
    let early =
        keygen_json(d, &["renew", "--serial", serial, "--issued", "2026-12-01", "--order-id", "SO-2"]);
    assert_eq!(early["supersedes"], serial);
    assert_eq!(early["issued"], "2026-12-01");
    assert_eq!(early["expires"], "2027-12-30");
    for field in ["organization", "seats", "features", "template", "contact"] {
        assert_eq!(early[field], old[field], "{field}");
    }
    assert_eq!(early["order_id"], "SO-2");
    // On the day, and after the lapse (the term then counts from the day of issue).
    let on_day = issue(d, "Beta AG", "SO-3", "2026-01-01", "2026-06-30");
    let renewed =
        keygen_json(d, &["renew", "--for-order", "SO-3", "--issued", "2026-06-30", "--no-order-id"]);
    assert_eq!(
        (renewed["supersedes"].clone(), renewed["expires"].clone()),
        (on_day["serial"].clone(), "2026-12-27".into())
    );
    let lapsed = issue(d, "Gamma SA", "SO-4", "2026-01-01", "2026-03-01");
    let renewed = keygen_json(
        d,
        &[
            "renew",
            "--serial",
            lapsed["serial"].as_str().expect("s"),
            "--issued",
            "2026-05-01",
            "--no-order-id",
        ],
    );
    assert_eq!(renewed["expires"], "2026-06-29", "59 days from the day of issue");
    // --valid-days and --expires.
    let other = issue(d, "Delta KG", "SO-5", "2026-01-01", "2026-12-31");
    let renewed = keygen_json(
        d,
        &[
            "renew",
            "--serial",
            other["serial"].as_str().expect("s"),
            "--issued",
            "2026-12-20",
            "--valid-days",
            "30",
            "--no-order-id",
        ],
    );
    assert_eq!(renewed["expires"], "2027-01-30");
    let renewed = keygen_json(
        d,
        &[
            "renew",
            "--serial",
            renewed["serial"].as_str().expect("s"),
            "--expires",
            "2030-01-01",
            "--no-order-id",
        ],
    );
    assert_eq!(renewed["expires"], "2030-01-01");
    assert_exit(&run(keygen(d).args(["ledger", "verify"])), 0);
}

#[test]
fn an_amendment_changes_each_term_and_nothing_else() {
    let t = desk();
    let d = t.path();
    let old = issue(d, "Acme GmbH", "SO-1", "2026-01-01", "2026-12-31");
    let changes: [(&[&str], &str, Value); 6] = [
        (&["--seats", "60"], "seats", 60.into()),
        (&["--seats", "unlimited"], "seats", Value::Null),
        (&["--org", "Acme Analytics GmbH"], "organization", "Acme Analytics GmbH".into()),
        (
            &["--add-feature", "edi", "--remove-feature", "scheduler"],
            "features",
            serde_json::json!(["dataflow", "workflow", "subflow", "data-model", "edi"]),
        ),
        (&["--features", "dataflow,cdc"], "features", serde_json::json!(["dataflow", "cdc"])),
        (&["--expires", "never"], "expires", Value::Null),
    ];
    let mut current = old.clone();
    for (flags, field, expected) in changes {
        let serial = current["serial"].as_str().expect("serial").to_owned();
        let new = keygen_json(d, &[&["amend", "--serial", &serial][..], flags].concat());
        assert_eq!(new[field], expected, "{flags:?}");
        assert_eq!(new["supersedes"], serial.as_str());
        assert_eq!(new["order_id"], "SO-1", "{flags:?}: an amendment keeps the order id");
        assert_eq!(
            new["expires"] == current["expires"],
            field != "expires",
            "{flags:?}: the last day is kept"
        );
        current = new;
    }
    // The chain: the order's current key is the last one.
    let o = run(keygen(d).args([
        "ledger",
        "find",
        "--format",
        "json",
        "--serial",
        old["serial"].as_str().expect("s"),
    ]));
    assert_exit(&o, 0);
    let story: Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(story["story"]["issued_by"], "issue");
    assert_eq!(story["story"]["replaced_by"]["reason"], "amendment");
    let amended = keygen_json(d, &["amend", "--for-order", "SO-1", "--seats", "5"]);
    assert_eq!(amended["supersedes"], current["serial"]);
    assert_exit(&run(keygen(d).args(["ledger", "verify"])), 0);
}

#[test]
fn replacements_are_refused_when_they_would_fork_or_mean_nothing() {
    let t = desk();
    let d = t.path();
    let old = issue(d, "Acme GmbH", "SO-1", "2026-01-01", "2026-12-31");
    let serial = old["serial"].as_str().expect("serial");
    let new = keygen_json(d, &["renew", "--serial", serial, "--no-order-id"]);
    // Replaced twice: the message names the key that replaced it.
    let o = run(keygen(d).args(["renew", "--serial", serial, "--no-order-id"]));
    assert_exit(&o, 3);
    assert!(
        stderr(&o).contains(&format!("already replaced by key {}", new["serial"].as_str().expect("s"))),
        "{}",
        stderr(&o)
    );
    // Nothing to change.
    let o = run(keygen(d).args(["amend", "--serial", new["serial"].as_str().expect("s")]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("nothing to change"), "{}", stderr(&o));
    let o = run(keygen(d).args(["amend", "--serial", new["serial"].as_str().expect("s"), "--seats", "10"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("nothing to amend"), "{}", stderr(&o));
    // A perpetual key has nothing to renew.
    let perpetual = issue(d, "Beta AG", "SO-2", "2026-01-01", "never");
    let o =
        run(keygen(d).args(["renew", "--serial", perpetual["serial"].as_str().expect("s"), "--no-order-id"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("perpetual") && stderr(&o).contains("keygen amend"), "{}", stderr(&o));
    // An order already in the ledger, and a revoked key.
    let o =
        run(keygen(d).args(["renew", "--serial", new["serial"].as_str().expect("s"), "--order-id", "SO-2"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("order 'SO-2' was already issued a key"), "{}", stderr(&o));
    assert_exit(&run(keygen(d).args(["revoke", "--order-id", "SO-2", "--out", "rev.txt"])), 0);
    let o = run(keygen(d).args(["amend", "--for-order", "SO-2", "--seats", "3"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("was revoked"), "{}", stderr(&o));
    assert_eq!(ledger_keys(d), 3, "no refused command recorded a key");
}

#[test]
fn replaced_keys_are_retired_after_a_grace_period() {
    let t = desk();
    let d = t.path();
    let k0 = issue(d, "Acme GmbH", "SO-1", "2026-01-01", "2026-12-31");
    let k1 = keygen_json(d, &["renew", "--for-order", "SO-1", "--issued", "2026-12-01", "--no-order-id"]);
    let k2 = keygen_json(d, &["amend", "--for-order", "SO-1", "--issued", "2027-01-15", "--seats", "40"]);
    let serial = |k: &Value| k["serial"].as_str().expect("serial").to_owned();
    // Dry run: says what, writes nothing.
    let o = run(keygen(d).args(["revoke", "--superseded", "--before", "2026-12-31", "--dry-run"]));
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.contains(&serial(&k0)) && out.contains("Acme GmbH") && out.contains("order SO-1"), "{out}");
    assert!(
        !out.lines().any(|l| l.starts_with(&serial(&k1))),
        "k1's successor came after the grace date: {out}"
    );
    assert!(!d.join("rev.txt").exists());
    let lists = || {
        ledger_db(d)
            .query_row("SELECT count(*) FROM revocation_lists", [], |r| r.get::<_, i64>(0))
            .expect("count")
    };
    assert_eq!(lists(), 0);
    assert_exit(&run(keygen(d).args(["revoke", "--superseded", "--out", "rev.txt"])), 0);
    assert_eq!(lists(), 1);
    let list = std::fs::read_to_string(d.join("rev.txt")).expect("list");
    // Nothing new: reported, no list written.
    std::fs::remove_file(d.join("rev.txt")).expect("rm");
    let o = run(keygen(d).args(["revoke", "--superseded", "--serial", &serial(&k0), "--out", "rev.txt"]));
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("already revoked (list 1"), "{}", stdout(&o));
    assert!(stderr(&o).contains("nothing new to revoke"), "{}", stderr(&o));
    assert!(!d.join("rev.txt").exists());
    // The current key stays valid; the replaced ones are revoked; the verifier shows it.
    std::fs::write(d.join("rev.txt"), list).expect("write");
    for (k, status) in [(&k0, 8), (&k1, 8), (&k2, 0)] {
        let v = std::process::Command::new(verifier_bin())
            .current_dir(d)
            .args([
                "check",
                k["key"].as_str().expect("key"),
                "--at",
                "2027-02-01",
                "--public-key",
                "public-key.pem",
            ])
            .env("VERIFIER_REVOCATIONS", "rev.txt")
            .env_remove("VERIFIER_PUBLIC_KEYS")
            .output()
            .expect("verifier");
        assert_eq!(v.status.code(), Some(status), "{}", String::from_utf8_lossy(&v.stdout));
        let shown = String::from_utf8_lossy(&v.stdout);
        assert!(shown.contains("checked against list 1 of"), "{shown}");
        if k == &k2 {
            assert!(shown.contains(&format!("Replaces      key {}", serial(&k1))), "{shown}");
        }
    }
    assert_exit(&run(keygen(d).args(["ledger", "verify"])), 0);
    // The story by serial, by order and by organization is the same.
    let by_org = stdout(&run(keygen(d).args(["ledger", "find", "--format", "json", "--org", "acme"])));
    for k in [&k0, &k1, &k2] {
        let by_serial =
            stdout(&run(keygen(d).args(["ledger", "find", "--format", "json", "--serial", &serial(k)])));
        assert!(by_org.lines().any(|l| l == by_serial.trim_end()), "{by_serial}\nnot in\n{by_org}");
    }
    // Every key that carries the order (the renewal was given none, so the amendment of it
    // kept none).
    let found = stdout(&run(keygen(d).args(["ledger", "find", "--format", "json", "--order-id", "SO-1"])));
    let stories: Vec<Value> = found.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(stories.len(), 1, "{found}");
    assert_eq!(stories[0]["story"]["replaced_by"]["serial"], k1["serial"]);
    assert_eq!(stories[0]["story"]["revoked"]["sequence"], 1);
}

/// The verifier binary, built beside keygen by `cargo test --workspace`.
fn verifier_bin() -> std::path::PathBuf {
    Path::new(env!("CARGO_BIN_EXE_keygen")).with_file_name("verifier")
}

#[test]
fn the_renewal_report_lists_current_keys_soonest_first() {
    let t = desk();
    let d = t.path();
    // Checked on 2027-01-01 for 30 days: last days 2027-01-01 and 2027-01-31 are in, 2027-02-01 out.
    issue(d, "Late Ltd", "SO-3", "2026-01-01", "2027-01-31");
    issue(d, "Today Inc", "SO-1", "2026-01-01", "2027-01-01");
    issue(d, "Out GmbH", "SO-2", "2026-01-01", "2027-02-01");
    let revoked = issue(d, "Revoked AG", "SO-4", "2026-01-01", "2027-01-10");
    assert_exit(
        &run(keygen(d).args([
            "revoke",
            "--serial",
            revoked["serial"].as_str().expect("s"),
            "--out",
            "r.txt",
        ])),
        0,
    );
    issue(d, "Renewed SA", "SO-5", "2026-01-01", "2027-01-05");
    keygen_json(d, &["renew", "--for-order", "SO-5", "--issued", "2026-12-20", "--no-order-id"]);
    // Lapsed in December: one renewed after the lapse, one not.
    issue(d, "Lapsed BV", "SO-6", "2025-01-01", "2026-12-15");
    issue(d, "Came Back Oy", "SO-7", "2025-01-01", "2026-12-10");
    keygen_json(d, &["renew", "--for-order", "SO-7", "--issued", "2026-12-28", "--no-order-id"]);

    let o = report(d, &["--expiring-within", "30", "--format", "json"]);
    assert_exit(&o, 0);
    let orgs: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["organization"].as_str().expect("org").to_owned()
        })
        .collect();
    assert_eq!(orgs, ["Today Inc", "Late Ltd"]);
    let o = report(d, &["--expired-within", "31", "--format", "json"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("Lapsed BV") && !stdout(&o).contains("Came Back"), "{}", stdout(&o));
    // CSV opens in Excel as it is: BOM, the delimiter asked for, CRLF.
    let o = report(d, &["--expiring-within", "30", "--format", "csv", "--delimiter", ";"]);
    assert_exit(&o, 0);
    let csv = stdout(&o);
    assert!(
        csv.starts_with("\u{feff}organization;order_id;contact;serial;last_day;days_left;seats;features\r\n"),
        "{csv}"
    );
    assert!(csv.contains("Today Inc;SO-1;buyer@example.com;"), "{csv}");
    let table = stdout(&report(d, &["--expiring-within", "30"]));
    assert!(table.lines().nth(1).is_some_and(|l| l.starts_with("Today Inc")), "{table}");
}

#[test]
fn ledger_find_says_when_nothing_matches_and_matches_as_the_product_does() {
    let t = desk();
    let d = t.path();
    issue(d, "Yıldız Bilişim A.Ş.", "SO-1", "2026-01-01", "2026-12-31");
    let o = run(keygen(d).args(["ledger", "find", "--org", "yildiz"]));
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("Yıldız Bilişim A.Ş."), "{}", stdout(&o));
    let o = run(keygen(d).args(["ledger", "find", "--org", "Nobody"]));
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("no key in ledger.sqlite matches"), "{}", stderr(&o));
}
