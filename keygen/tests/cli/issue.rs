//! keygen issue: the worked example, flags, refusals, and "no ledger, no key".

use crate::util::*;

fn example_args() -> Vec<&'static str> {
    vec![
        "issue",
        "--key",
        "test1.pem",
        "--template",
        "standard",
        "--org",
        "Acme Analytics GmbH",
        "--seats",
        "25",
        "--features",
        "dataflow,workflow,subflow",
        "--expires",
        "2027-11-28",
        "--serial",
        "0123456789abcdef",
        "--issued",
        "2026-11-28",
    ]
}

#[test]
fn reproduces_the_spec_worked_example() {
    let t = tempfile::tempdir().expect("tempdir");
    test1_key(t.path());
    make_ledger(t.path(), "test1.pem", &[]);
    let o = run(keygen(t.path()).args(example_args()));
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), format!("{EXAMPLE_KEY}\n"));

    // The same inputs with --json, into another ledger: the same key, and every field.
    make_ledger(t.path(), "test1.pem", &["--ledger", "other.sqlite"]);
    let o = run(keygen(t.path()).args(example_args()).args([
        "--json",
        "--ledger",
        "other.sqlite",
        "--order-id",
        "PO-1",
    ]));
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(
        v,
        serde_json::json!({
            "key": EXAMPLE_KEY, "serial": "0123456789abcdef", "key_id": "21fe31df", "product": "AST",
            "major_version": 8, "organization": "Acme Analytics GmbH", "seats": 25,
            "features": ["dataflow", "workflow", "subflow"], "issued": "2026-11-28", "expires": "2027-11-28",
            "template": "standard", "order_id": "PO-1", "contact": null
        })
    );
    assert_eq!(stdout(&o).lines().count(), 1, "one object on one line");
}

#[test]
fn template_values_and_overrides() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let json = |extra: &[&str]| {
        let o = run(keygen(t.path())
            .args(["issue", "--json", "--issued", "2026-11-28", "--org", "  Müller   &  Söhne "])
            .args(extra));
        assert_exit(&o, 0);
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).expect("json")
    };
    let v = json(&["--template", "trial"]);
    assert_eq!(
        (v["seats"].clone(), v["expires"].clone()),
        (serde_json::json!(3), serde_json::json!("2026-12-28"))
    );
    assert_eq!(v["organization"], "Müller & Söhne");
    let v = json(&["--template", "standard"]);
    assert_eq!(v["expires"], "2027-11-28", "one year from 2026-11-28 is 2027-11-28");
    let v = json(&["--template", "enterprise", "--contact", "Jo <jo@example.com>"]);
    assert_eq!(
        (v["seats"].clone(), v["expires"].clone()),
        (serde_json::Value::Null, serde_json::Value::Null)
    );
    assert_eq!(v["features"].as_array().map(Vec::len), Some(12));
    assert_eq!(v["contact"], "Jo <jo@example.com>");
    let v = json(&[
        "--template",
        "trial",
        "--seats",
        "unlimited",
        "--features",
        "EDI, Job Scheduler",
        "--expires",
        "never",
    ]);
    assert_eq!(v["features"], serde_json::json!(["edi", "scheduler"]));
    assert_eq!(
        (v["seats"].clone(), v["expires"].clone()),
        (serde_json::Value::Null, serde_json::Value::Null)
    );
    let path = templates_dir().join("trial.toml");
    let v = json(&["--template", path.to_str().expect("utf-8 path"), "--serial", "1", "--features", "all"]);
    assert_eq!(
        (v["serial"].clone(), v["template"].clone()),
        (serde_json::json!("0000000000000001"), serde_json::json!("trial"))
    );
    let v = json(&["--template", "trial", "--seats", "65534", "--expires", "2149-06-06"]);
    assert_eq!(v["seats"], 65534);
}

#[test]
fn bad_values_exit_3_and_issue_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let cases: &[(&[&str], &str)] = &[
        (&["--org", "Acme\u{7}Inc"], "control character"),
        (&["--org", "   "], "the organization is empty"),
        (&["--org", &"é".repeat(128)], "at most 255"),
        (&["--seats", "0"], "--seats"),
        (&["--seats", "65535"], "--seats"),
        (&["--features", ""], "--features"),
        (&["--features", "all,edi"], "'all' cannot be combined"),
        (&["--features", "teleport"], "unknown feature 'teleport'"),
        (&["--expires", "2026-02-30"], "not a day of the calendar"),
        (&["--expires", "2149-06-07"], "outside 1970-01-01 to 2149-06-06"),
        (&["--expires", "2026-11-27"], "before the day of issue"),
        (&["--serial", "0"], "cannot be zero"),
        (&["--serial", "12345678901234567"], "1 to 16 hex digits"),
        (&["--serial", "xyz"], "1 to 16 hex digits"),
        (&["--issued", "1970-01-01"], "1970-01-02"),
        // 28.11.2026 is read (issue 28: every command reads dates as batch does); a slash
        // date with two readings is not.
        (&["--issued", "01/02/2026"], "can be read two ways: 2026-02-01 (day first)"),
        (&["--issued", "28.11.26"], "four digits"),
        (&["--template", "nope"], "template 'nope' not found"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["issue", "--template", "trial", "--org", "Acme", "--issued", "2026-11-28"];
        args.extend_from_slice(extra);
        // Later flags win in clap only for the same flag; each case sets each flag once.
        let args = dedupe(args);
        let o = run(keygen(t.path()).args(&args));
        assert_exit(&o, 3);
        assert!(stderr(&o).contains(message), "{extra:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
    // Values over the dates a 16-bit day holds, from a template.
    let o = run(keygen(t.path()).args([
        "issue",
        "--template",
        "standard",
        "--org",
        "A",
        "--issued",
        "2149-01-01",
    ]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("past 2149-06-06"), "{}", stderr(&o));
    assert_eq!(ledger_keys(t.path()), 0);

    let usage = run(keygen(t.path()).args(["issue", "--org", "Acme"]));
    assert_exit(&usage, 2);
    let usage = run(keygen(t.path()).args(["issue", "--template", "trial", "--org", "A", "--colour", "red"]));
    assert_exit(&usage, 2);
}

fn dedupe(args: Vec<&str>) -> Vec<&str> {
    // Keep the last value of a repeated flag.
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let (flag, value) = (args[i], args.get(i + 1).copied().unwrap_or_default());
        if flag.starts_with("--") && args[i + 2..].chunks(2).any(|c| c[0] == flag) {
            i += 2;
            continue;
        }
        out.push(flag);
        if flag != "issue" {
            out.push(value);
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn duplicates_in_the_ledger_are_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let issue = |extra: &[&str]| {
        run(keygen(t.path()).args(["issue", "--template", "trial", "--org", "Acme"]).args(extra))
    };
    assert_exit(&issue(&["--serial", "abc", "--order-id", "SO-1"]), 0);
    let o = issue(&["--serial", "ABC"]);
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("serial 0000000000000abc is already in the ledger"), "{}", stderr(&o));
    let o = issue(&["--order-id", "SO-1"]);
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("order 'SO-1' was already issued"), "{}", stderr(&o));
    assert_eq!(ledger_keys(t.path()), 1);
}

#[test]
fn no_key_is_printed_when_the_ledger_cannot_be_written() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::create_dir(t.path().join("ro")).expect("mkdir");
    std::fs::write(t.path().join("ro/ledger.sqlite"), "").expect("write");
    // /dev/full would accept the open and fail every write; a ledger must be a regular file.
    let o = run(keygen(t.path()).args([
        "issue",
        "--template",
        "trial",
        "--org",
        "Acme",
        "--ledger",
        "/dev/full",
    ]));
    assert_exit(&o, 3);
    assert!(stdout(&o).is_empty(), "a key was printed: {}", stdout(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    // A ledger in a folder that does not exist, and a folder where the ledger should be (tests
    // run as root, who may write any file, so file permissions cannot make the write fail).
    std::fs::remove_file(t.path().join("ro/ledger.sqlite")).expect("rm");
    std::fs::create_dir(t.path().join("ro/ledger.sqlite")).expect("mkdir");
    // A ledger that is not there is refused, not made (only keygen init makes one).
    for (ledger, code) in [("missing/l.sqlite", 3), ("ro/ledger.sqlite", 3)] {
        let o =
            run(keygen(t.path()).args(["issue", "--template", "trial", "--org", "Acme", "--ledger", ledger]));
        assert_exit(&o, code);
        assert!(stdout(&o).is_empty(), "{ledger}: a key was printed");
    }
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let mut child =
        keygen(t.path()).args(["features"]).stdout(std::process::Stdio::piped()).spawn().expect("spawn");
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
}
