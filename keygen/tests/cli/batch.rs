//! keygen batch: real-world CSV, all or nothing, publishing, --skip-issued, and crashes.

use std::path::Path;

use crate::util::*;

/// `in.csv` with `rows` orders, each with an order_id.
fn write_orders(dir: &Path, rows: usize) {
    let mut input = String::from("organization,order_id\n");
    for i in 0..rows {
        input.push_str(&format!("Customer {i},ORD-{i}\n"));
    }
    std::fs::write(dir.join("in.csv"), input).expect("write");
}

#[test]
fn a_european_excel_export() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    // BOM, ';', CRLF, header names in any case and order, an extra column, a quoted
    // organization with the delimiter, a quote and a line break, empty optional cells.
    let input = "\u{feff}Region;ORGANIZATION;Template;Seats;features;Expires;Order_ID;contact\r\n\
                 EU;\"Müller, Sohn; \"\"Söhne\"\"\r\nKG\";standard;;;;SO-1;\r\n\
                 \r\n\
                 US;Acme Inc;trial;7;edi|Job Scheduler;never;SO-2;jo@acme.test\r\n\
                 APAC;  データ統合  ;enterprise;;;2030-01-31;;\r\n";
    std::fs::write(t.path().join("orders.csv"), input).expect("write");
    // The extra column is named as not read (issue 20: none is passed over silently).
    let o = batch(t.path(), &["--input", "orders.csv", "--output", "keys.csv", "--ignore-column", "region"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).is_empty(), "stdout stays clean: {}", stdout(&o));
    let out = std::fs::read_to_string(t.path().join("keys.csv")).expect("output");
    assert!(out.starts_with("\u{feff}Region;ORGANIZATION;Template;Seats;features;Expires;Order_ID;contact;serial;issued;valid_until;key\r\n"), "{out}");
    let mut reader =
        csv::ReaderBuilder::new().delimiter(b';').from_reader(out.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][1], "Müller, Sohn; \"Söhne\"\r\nKG", "cells are carried through untouched");
    assert_eq!((&rows[0][9], &rows[0][10]), ("2026-11-28", "2027-11-28"));
    assert_eq!(&rows[1][10], "never");
    assert_eq!(&rows[2][10], "2030-01-31");
    assert_eq!(&rows[2][0], "APAC");
    // The ledger has the keys, with the canonical organization and the row's terms.
    let records = ledger_rows(t.path());
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["organization"], "Müller, Sohn; \"Söhne\" KG");
    assert_eq!(records[0]["key"], &rows[0][11]);
    assert_eq!(records[1]["features"], "edi,scheduler");
    assert_eq!(
        (records[1]["seats"].clone(), records[1]["contact"].clone()),
        (serde_json::json!(7), serde_json::json!("jo@acme.test"))
    );
    assert_eq!(records[2]["organization"], "データ統合");
    assert_eq!(records[2]["template"], "enterprise");
    assert_exit(&run(keygen(t.path()).args(["ledger", "verify"])), 0);
}

#[test]
fn every_problem_is_reported_and_nothing_is_done() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let input = "organization,template,seats,features,expires,order_id\n\
                 Good Co,trial,,,,A-1\n\
                 \"Multi\nLine\",nope,,,,A-2\n\
                 ,trial,0,teleport,2026-02-30,A-3\n\
                 Dup Co,trial,,,,A-1\n\
                 Short,trial\n\
                 Bad\u{7}Org,trial,,all;edi,2020-01-01,\n";
    std::fs::write(t.path().join("in.csv"), input).expect("write");
    let o = batch(t.path(), &["--input", "in.csv", "--output", "out.csv"]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    for expected in [
        "in.csv:3: template: template 'nope' not found",
        "in.csv:5: organization: the organization is empty",
        "in.csv:5: seats: '0' is not a seat count",
        "in.csv:5: features: unknown feature 'teleport'",
        "in.csv:5: expires: '2026-02-30' is not a day of the calendar",
        "in.csv:6: order_id: 'A-1' is also on line 2",
        "in.csv:7: -: 2 fields where the header has 6",
        "in.csv:8: organization: the organization has a control character",
        "in.csv:8: features: 'all' cannot be combined",
        "in.csv:8: expires: 2020-01-01 is before the day of issue",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!t.path().join("out.csv").exists());
    assert!(ledger_keys(t.path()) == 0, "nothing is recorded");

    // Header problems: missing columns, reserved columns.
    std::fs::write(t.path().join("h.csv"), "org,key\nA,x\n").expect("write");
    let o = batch(t.path(), &["--input", "h.csv", "--output", "out.csv"]);
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("h.csv:1: key: this column is written by keygen"), "{}", stderr(&o));
    assert!(stderr(&o).contains("h.csv:1: organization: the required column is missing"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("h.csv:1: template: the column is missing and no --template"),
        "{}",
        stderr(&o)
    );
    std::fs::write(t.path().join("utf.csv"), b"organization\n\xff\xfeAcme\n").expect("write");
    let o = batch(
        t.path(),
        &["--input", "utf.csv", "--output", "out.csv", "--template", "trial", "--no-order-ids"],
    );
    assert_exit(&o, 3);
    assert!(
        stderr(&o).contains(
            "utf.csv:2: -: the text is not valid UTF-8: saved by Excel as 'CSV'? use --encoding windows-1252"
        ),
        "{}",
        stderr(&o)
    );
    std::fs::write(t.path().join("empty.csv"), "").expect("write");
    let no_orders = ["--template", "trial", "--no-order-ids"];
    assert_exit(
        &batch(t.path(), &[&["--input", "empty.csv", "--output", "out.csv"][..], &no_orders].concat()),
        3,
    );
    assert_exit(
        &batch(t.path(), &[&["--input", "none.csv", "--output", "out.csv"][..], &no_orders].concat()),
        3,
    );
    std::fs::write(t.path().join("ok.csv"), "organization\nA\n").expect("write");
    assert_exit(
        &batch(
            t.path(),
            &[&["--input", "ok.csv", "--output", "no/such/dir/out.csv"][..], &no_orders].concat(),
        ),
        1,
    );
    assert!(ledger_keys(t.path()) == 0);
}

#[test]
fn outputs_are_never_overwritten_without_force_and_orders_never_issue_twice() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(t.path().join("in.tsv"), "organization\torder_id\nA\t1\nB\t2\nC\t\n").expect("write");
    let args = ["--input", "in.tsv", "--output", "out.tsv", "--template", "trial"];
    assert_exit(&batch(t.path(), &args), 0);
    let first = std::fs::read_to_string(t.path().join("out.tsv")).expect("out");
    assert!(first.starts_with("organization\torder_id\tserial\tissued\tvalid_until\tkey\n"), "{first}");
    let o = batch(t.path(), &args);
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("out.tsv already exists"), "{}", stderr(&o));
    let o = batch(t.path(), &[&args[..], &["--force"]].concat());
    assert_exit(&o, 3);
    assert!(
        stderr(&o)
            .contains("in.tsv: 2 rows: order_id: already issued a key in ledger.sqlite; use --skip-issued"),
        "{}",
        stderr(&o)
    );
    assert_eq!(ledger_keys(t.path()), 3);
    // --skip-issued: the recorded keys come back; only the row without an order is new.
    let o = batch(t.path(), &[&args[..], &["--force", "--skip-issued"]].concat());
    assert_exit(&o, 0);
    let second = std::fs::read_to_string(t.path().join("out.tsv")).expect("out");
    let (a, b): (Vec<&str>, Vec<&str>) = (first.lines().collect(), second.lines().collect());
    assert_eq!(a[1..3], b[1..3]);
    assert_ne!(a[3], b[3]);
    assert_eq!(ledger_keys(t.path()), 4);
    // A revoked key is not handed out again.
    let serial = a[1].split('\t').nth(2).expect("serial");
    assert_exit(&run(keygen(t.path()).args(["revoke", "--serial", serial, "--out", "rev.txt"])), 0);
    let o = batch(t.path(), &[&args[..], &["--force", "--skip-issued"]].concat());
    assert_exit(&o, 3);
    assert!(
        stderr(&o).contains("in.tsv:2: order_id: the key of '1'") && stderr(&o).contains("was revoked"),
        "{}",
        stderr(&o)
    );
    // Explicit delimiters.
    std::fs::write(t.path().join("semi.csv"), "organization;x,y\nA;1,2\n").expect("write");
    let o = batch(
        t.path(),
        &["--input", "semi.csv", "--output", "semi.out", "--template", "trial", "--delimiter", ","],
    );
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("organization"), "{}", stderr(&o));
    assert_exit(
        &batch(
            t.path(),
            &[
                "--input",
                "semi.csv",
                "--output",
                "semi.out",
                "--template",
                "trial",
                "--delimiter",
                ";",
                "--ignore-column",
                "x,y",
                "--no-order-ids",
            ],
        ),
        0,
    );
    assert_exit(
        &batch(
            t.path(),
            &["--input", "semi.csv", "--output", "x.out", "--template", "trial", "--delimiter", "|"],
        ),
        3,
    );
}

/// Waits until `marker` exists (a failpoint's "reached" file), failing after a minute.
#[cfg(any(feature = "failpoints", debug_assertions))]
fn wait_for(marker: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !marker.exists() {
        assert!(std::time::Instant::now() < deadline, "{} never appeared", marker.display());
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(any(feature = "failpoints", debug_assertions))]
#[test]
fn a_killed_batch_leaves_all_or_nothing_and_reads_go_on_meanwhile() {
    use std::os::unix::process::ExitStatusExt;
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let rows = 40_000;
    write_orders(t.path(), rows);
    // Each stage is reached through a failpoint, not guessed with a sleep: before the first
    // signature; after 1, 5 and all 10 chunks of 4,096 keys are inserted (paused, then
    // SIGKILL); every row inserted and the head signed, then a crash before the commit.
    let stages = [
        "after-check:pause",
        "after-chunk=1:pause",
        "after-chunk=5:pause",
        "after-chunk=10:pause",
        "before-commit:crash",
    ];
    for (attempt, failpoint) in stages.into_iter().enumerate() {
        let dir = t.path().join(format!("run{attempt}"));
        std::fs::create_dir(&dir).expect("mkdir");
        // A ledger of its own, named apart: its checkpoint log, beside the shared signing key,
        // is named after it, so that no run's log holds another run's heads.
        let ledger = dir.join(format!("ledger{attempt}.sqlite"));
        // Only init makes a ledger: an empty one, as init leaves it.
        drop(keygen_core::db::Db::create(&ledger).expect("a new ledger"));
        // One key before the batch, which reads must keep finding.
        let o = run(keygen(t.path())
            .args(["issue", "--template", "trial", "--org", "Before", "--order-id", "PRE", "--ledger"])
            .arg(&ledger));
        assert_exit(&o, 0);
        let release = dir.join("release");
        let value = match failpoint.strip_suffix(":pause") {
            Some(point) => format!("{point}:pause={}", release.display()),
            None => failpoint.to_owned(),
        };
        let mut child = keygen(t.path())
            .args(["batch", "--quiet", "--template", "trial", "--input", "in.csv", "--ledger"])
            .arg(&ledger)
            .arg("--output")
            .arg(dir.join("out.csv"))
            .env("KEYGEN_FAILPOINT", &value)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        if failpoint.ends_with(":pause") {
            wait_for(&dir.join("release.reached"));
            // The batch holds the ledger's write transaction: reads neither wait nor fail,
            // and see the last commit.
            for read in [
                &["ledger", "find", "--all", "--format", "csv"][..],
                &["ledger", "verify"],
                &["ledger", "report", "--expiring-within", "400"],
                &["ledger", "export"],
            ] {
                let o = run(keygen(t.path()).args(read).arg("--ledger").arg(&ledger));
                assert_exit(&o, 0);
                assert!(!stdout(&o).contains("ORD-"), "{read:?} saw uncommitted rows");
            }
            let o =
                run(keygen(t.path()).args(["ledger", "find", "--order-id", "PRE", "--ledger"]).arg(&ledger));
            assert_exit(&o, 0);
            child.kill().expect("kill");
        }
        let status = child.wait().expect("wait");
        assert!(status.signal().is_some(), "{failpoint}: the batch was not killed: {status:?}");
        assert!(!dir.join("out.csv").exists(), "{failpoint}: an output was published by a killed batch");
        assert_eq!(keys_in(&ledger), 1, "{failpoint}: a killed batch recorded keys");
        // Run again: finishes, every order once.
        let o = run(keygen(t.path())
            .args(["batch", "--quiet", "--template", "trial", "--input", "in.csv", "--ledger"])
            .arg(&ledger)
            .arg("--output")
            .arg(dir.join("out.csv")));
        assert_exit(&o, 0);
        let text = std::fs::read_to_string(dir.join("out.csv")).expect("out");
        assert_eq!(text.lines().count(), rows + 1);
        assert_eq!(keys_in(&ledger), rows + 1, "{failpoint}: an order was issued twice");
        let v = run(keygen(t.path()).args(["ledger", "verify", "--ledger"]).arg(&ledger));
        assert_exit(&v, 0);
    }
}

#[cfg(any(feature = "failpoints", debug_assertions))]
#[test]
fn the_input_is_read_once_so_a_file_that_changes_cannot_slip_in_unchecked_rows() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let fifo = t.path().join("orders.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let release = t.path().join("release");
    let child = keygen(t.path())
        .args([
            "batch",
            "--issued",
            "2026-11-28",
            "--template",
            "trial",
            "--input",
            "orders.csv",
            "--output",
            "out.csv",
        ])
        .env("KEYGEN_FAILPOINT", format!("after-check:pause={}", release.display()))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::fs::write(&fifo, "organization,order_id\nA,1\nB,2\n").expect("the checked rows");
    wait_for(&t.path().join("release.reached"));
    // Every row is checked. Anyone who opens the FIFO now reads rows nobody checked, with
    // an order id that repeats.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(&fifo, "organization,order_id\nA,1\nB,2\nSneaky,1\nMore,3\n").expect("second");
        })
    };
    std::fs::write(&release, b"").expect("release");
    let o = child.wait_with_output().expect("wait");
    assert_exit(&o, 0);
    assert_eq!(ledger_keys(t.path()), 2, "only the checked rows are signed");
    let out = std::fs::read_to_string(t.path().join("out.csv")).expect("out");
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(!out.contains("Sneaky"), "{out}");
    // Take the second content, which nothing else will read, so the writer ends.
    let _ = std::fs::read(&fifo);
    writer.join().expect("writer");
}

#[cfg(any(feature = "failpoints", debug_assertions))]
#[test]
fn the_ledger_stays_locked_from_the_check_to_the_last_append_even_when_it_is_new() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(t.path().join("in.csv"), "organization,order_id\nA,SO-1\nB,SO-2\n").expect("write");
    let release = t.path().join("release");
    // A new ledger (init's, empty). The batch is paused when every row is checked; meanwhile
    // `issue` asks for SO-2. It must wait for the batch's lock, then find SO-2 issued by the
    // batch and refuse: one key per order, both from the batch.
    let child = keygen(t.path())
        .args(["batch", "--template", "trial", "--input", "in.csv", "--output", "out.csv"])
        .env("KEYGEN_FAILPOINT", format!("after-check:pause={}", release.display()))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for(&t.path().join("release.reached"));
    let issue = keygen(t.path())
        .args(["issue", "--template", "trial", "--org", "B", "--order-id", "SO-2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn issue");
    std::fs::write(&release, b"").expect("release");
    let o = child.wait_with_output().expect("wait");
    assert_exit(&o, 0);
    let o = issue.wait_with_output().expect("wait issue");
    assert_ne!(o.status.code(), Some(0), "issue gave SO-2 a second key: {}", stderr(&o));
    assert_eq!(ledger_keys(t.path()), 2, "the batch's two keys, no third");
    assert!(t.path().join("out.csv").exists());
}

#[test]
fn files_with_customers_are_private_and_a_replaced_output_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(t.path().join("in.csv"), "organization\nA\n").expect("write");
    let args =
        ["--input", "in.csv", "--output", "keys.csv", "--template", "trial", "--force", "--no-order-ids"];
    assert_exit(&batch(t.path(), &args), 0);
    assert_eq!(mode(&t.path().join("ledger.sqlite")), 0o600);
    assert_eq!(mode(&t.path().join("keys.csv")), 0o600);
    std::fs::set_permissions(t.path().join("keys.csv"), std::fs::Permissions::from_mode(0o640))
        .expect("chmod");
    assert_exit(&batch(t.path(), &args), 0);
    assert_eq!(mode(&t.path().join("keys.csv")), 0o640, "the replaced file's mode is kept");
}

#[test]
fn a_failure_after_a_key_is_recorded_says_so_and_exits_1() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    // The output cannot be written (a full disk): keys were already recorded.
    let o = run(keygen(t.path())
        .args(["issue", "--template", "trial", "--org", "Acme", "--order-id", "SO-9"])
        .stdout(std::fs::File::create("/dev/full").expect("/dev/full")));
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.contains("cannot write to stdout") && err.contains("is recorded in"), "{err}");
    assert!(err.contains("keygen ledger find --serial"), "{err}");
    assert_eq!(ledger_keys(t.path()), 1);
    // An output folder that does not exist: nothing is signed, nothing recorded.
    write_orders(t.path(), 10);
    let o = batch(t.path(), &["--template", "trial", "--input", "in.csv", "--output", "missing/out.csv"]);
    assert_exit(&o, 1);
    assert_eq!(ledger_keys(t.path()), 1);
}

#[cfg(any(feature = "failpoints", debug_assertions))]
#[test]
fn a_batch_whose_output_fails_after_the_commit_says_how_to_finish() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    write_orders(t.path(), 10);
    let o = run(keygen(t.path())
        .args(["batch", "--template", "trial", "--input", "in.csv", "--output", "out.csv"])
        .env("KEYGEN_FAILPOINT", "publish:fail"));
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("10 new keys are recorded") && err.contains("--skip-issued"), "{err}");
    assert!(!t.path().join("out.csv").exists());
    assert_eq!(ledger_keys(t.path()), 10);
    let o = batch(
        t.path(),
        &["--template", "trial", "--input", "in.csv", "--output", "out.csv", "--skip-issued"],
    );
    assert_exit(&o, 0);
    assert_eq!(ledger_keys(t.path()), 10);
}

/// A release build (no debug assertions, no `failpoints` feature) ignores KEYGEN_FAILPOINT:
/// `cargo test --release -p keygen --test cli`; keygen-core's failpoint.rs checks it in CI.
#[cfg(not(any(feature = "failpoints", debug_assertions)))]
#[test]
fn a_build_without_failpoints_ignores_the_variable() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    write_orders(t.path(), 10);
    for value in ["publish:fail", "after-check:crash", "before-commit:crash", "after-chunk=1:crash"] {
        let out = format!("out-{}.csv", value.replace([':', '='], "-"));
        let o = run(keygen(t.path())
            .args(["batch", "--template", "trial", "--input", "in.csv", "--skip-issued", "--output", &out])
            .env("KEYGEN_FAILPOINT", value));
        assert_exit(&o, 0);
        assert!(t.path().join(&out).exists(), "{value}");
    }
    assert_eq!(ledger_keys(t.path()), 10);
}

#[test]
fn rows_of_the_wrong_width_are_errors_of_their_lines() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(t.path().join("in.csv"), "organization,order_id\nA\nB,2,extra\nC,3\n").expect("write");
    let o = batch(t.path(), &["--input", "in.csv", "--output", "out.csv", "--template", "trial"]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(err.contains("in.csv:2: -: 1 fields where the header has 2"), "{err}");
    assert!(err.contains("in.csv:3: -: 3 fields where the header has 2"), "{err}");
    assert!(ledger_keys(t.path()) == 0);
}

#[test]
fn a_progress_bar_on_a_terminal_unless_quiet() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let mut input = String::from("organization\n");
    for i in 0..20_000 {
        input.push_str(&format!("C{i}\n"));
    }
    std::fs::write(t.path().join("in.csv"), input).expect("write");
    let on_terminal = |extra: &str, out: &str| {
        let command = format!(
            "{} batch --template trial --no-order-ids --input in.csv --output {out} {extra}",
            env!("CARGO_BIN_EXE_keygen")
        );
        let o = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(t.path())
            .env("KEYGEN_TEMPLATES", templates_dir())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("util-linux script runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let screen = on_terminal("", "a.csv");
    assert!(screen.contains("/20,000 keys"), "{screen}");
    let quiet = on_terminal("--quiet", "b.csv");
    assert!(!quiet.contains("keys"), "{quiet}");
}

#[cfg(any(feature = "failpoints", debug_assertions))]
#[test]
fn ctrl_c_leaves_no_partial_file_and_no_key() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let rows = 60_000;
    write_orders(t.path(), rows);
    let release = t.path().join("release");
    // Paused after 2 chunks are inserted; Ctrl-C arrives there, then the batch goes on and
    // must stop before the next chunk, and roll back.
    let child = keygen(t.path())
        .args(["batch", "--quiet", "--template", "trial", "--input", "in.csv", "--output", "out.csv"])
        .env("KEYGEN_FAILPOINT", format!("after-chunk=2:pause={}", release.display()))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for(&t.path().join("release.reached"));
    let kill =
        std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(kill.success());
    std::fs::write(&release, b"").expect("release");
    let o = child.wait_with_output().expect("wait");
    let err = stderr(&o);
    assert_exit(&o, 1);
    assert!(err.contains("interrupted: nothing was issued"), "{err}");
    assert_eq!(ledger_keys(t.path()), 0, "an interrupted batch recorded keys");
    let litter: Vec<_> = std::fs::read_dir(t.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".partial-") || n == "out.csv")
        .collect();
    assert!(litter.is_empty(), "{litter:?}");
    let o = batch(t.path(), &["--input", "in.csv", "--output", "out.csv", "--template", "trial"]);
    assert_exit(&o, 0);
    assert_eq!(ledger_keys(t.path()), rows);
    assert_exit(&run(keygen(t.path()).args(["ledger", "verify"])), 0);
}

#[cfg(any(feature = "failpoints", debug_assertions))]
/// Every key in every file of `dir` (any text that reads as a key) that verifies against
/// the public key in `keys_dir`, as `verifier check` would judge it: (file, serial).
fn valid_keys_in_files(dir: &Path, keys_dir: &Path) -> Vec<(String, String)> {
    let hex = stdout(&run(keygen(keys_dir).args(["public-key", "--format", "hex"])));
    let mut trusted = product_key::TrustedKeys::new();
    trusted.add_hex(hex.trim()).expect("the public key");
    let check = product_key::Check::on(product_key::Day::today().expect("today"));
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let Ok(bytes) = std::fs::read(entry.path()) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if !token.starts_with("AST8-") {
                continue;
            }
            let verdict = product_key::verify(token, &trusted, &check);
            if verdict.is_valid() {
                let serial = verdict.key.expect("a valid key is decoded").payload.serial.to_string();
                found.push((entry.file_name().to_string_lossy().into_owned(), serial));
            }
        }
    }
    found
}

#[cfg(any(feature = "failpoints", debug_assertions))]
#[test]
fn a_batch_killed_at_any_stage_leaves_no_valid_key_outside_the_ledger() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let rows = 20_000;
    write_orders(t.path(), rows);
    // While signing (SIGKILL while paused, and a crash), before and after the commit, and in
    // the middle of copying the committed output to its temporary file beside the target.
    let stages = [
        ("after-chunk=1:pause", false),
        ("after-chunk=3:crash", false),
        ("before-commit:crash", false),
        ("after-commit:crash", true),
        ("publishing:crash", true),
    ];
    for (attempt, (failpoint, committed)) in stages.into_iter().enumerate() {
        let dir = t.path().join(format!("run{attempt}"));
        std::fs::create_dir(&dir).expect("mkdir");
        // A ledger of its own, named apart: its checkpoint log, beside the shared signing key,
        // is named after it, so that no run's log holds another run's heads.
        let ledger = dir.join(format!("ledger{attempt}.sqlite"));
        // Only init makes a ledger: an empty one, as init leaves it.
        drop(keygen_core::db::Db::create(&ledger).expect("a new ledger"));
        let release = dir.join("release");
        let value = match failpoint.strip_suffix(":pause") {
            Some(point) => format!("{point}:pause={}", release.display()),
            None => failpoint.to_owned(),
        };
        let mut child = keygen(t.path())
            .args(["batch", "--quiet", "--template", "trial", "--input", "in.csv", "--ledger"])
            .arg(&ledger)
            .arg("--output")
            .arg(dir.join("out.csv"))
            .env("KEYGEN_FAILPOINT", &value)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        if failpoint.ends_with(":pause") {
            wait_for(&dir.join("release.reached"));
            child.kill().expect("kill -9");
        }
        let status = child.wait().expect("wait");
        assert!(!status.success(), "{failpoint}: the batch was not stopped");
        let recorded: std::collections::HashSet<String> = if ledger.exists() {
            let db = rusqlite::Connection::open(&ledger).expect("ledger");
            let mut stmt = db.prepare("SELECT serial FROM keys").expect("select");
            stmt.query_map([], |r| r.get(0)).expect("rows").map(|r| r.expect("row")).collect()
        } else {
            Default::default()
        };
        assert_eq!(recorded.len(), if committed { rows } else { 0 }, "{failpoint}");
        let outside: Vec<_> =
            valid_keys_in_files(&dir, t.path()).into_iter().filter(|(_, s)| !recorded.contains(s)).collect();
        assert!(outside.is_empty(), "{failpoint}: valid keys the ledger does not hold: {:?}", &outside[..1]);
        // The next run finishes the batch and removes what the killed one left.
        let o = run(keygen(t.path())
            .args([
                "batch",
                "--quiet",
                "--template",
                "trial",
                "--input",
                "in.csv",
                "--skip-issued",
                "--force",
            ])
            .arg("--ledger")
            .arg(&ledger)
            .arg("--output")
            .arg(dir.join("out.csv")));
        assert_exit(&o, 0);
        assert_eq!(keys_in(&ledger), rows, "{failpoint}: an order was issued twice");
        let litter: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".partial-"))
            .collect();
        assert!(litter.is_empty(), "{failpoint}: {litter:?}");
        assert_eq!(valid_keys_in_files(&dir, t.path()).len(), rows, "{failpoint}: out.csv holds every key");
    }
}

/// A small file system that fills up; unmounted when dropped. None (with the reason
/// printed) where mounting is not allowed.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).expect("mkdir");
        let o = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output();
        match o {
            Ok(o) if o.status.success() => Some(SmallDisk(at.to_owned())),
            Ok(o) => {
                eprintln!("skipped: cannot mount a small tmpfs here: {}", String::from_utf8_lossy(&o.stderr));
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_during_a_batch_is_an_io_failure_and_records_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    // Full while the input is copied (1 MB into 64 KiB), and while the output is written
    // (the copy fits, the keys do not).
    for (rows, size) in [(40_000, "64k"), (2_000, "256k")] {
        write_orders(t.path(), rows);
        let Some(disk) = SmallDisk::mount(&t.path().join(format!("disk-{size}")), size) else { return };
        let out = disk.0.join("out.csv");
        let o = batch(
            t.path(),
            &["--template", "trial", "--input", "in.csv", "--output", out.to_str().expect("path")],
        );
        assert_exit(&o, 1);
        assert!(stderr(&o).contains("No space left on device"), "{size}: {}", stderr(&o));
        assert_eq!(ledger_keys(t.path()), 0, "{size}");
        assert!(!out.exists(), "{size}");
    }
}

#[test]
fn the_profile_counts_every_stage_only_when_asked() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let orders = |from: usize| -> String {
        let rows: String = (from..from + 300).map(|i| format!("Org {i},trial,P-{i}\n")).collect();
        format!("organization,template,order_id\n{rows}")
    };
    std::fs::write(t.path().join("in.csv"), orders(0)).expect("write");
    std::fs::write(t.path().join("more.csv"), orders(300)).expect("write");
    let o = batch(t.path(), &["--input", "in.csv", "--output", "out.csv"]);
    assert_exit(&o, 0);
    assert!(!stderr(&o).contains("CPU a row by stage"), "{}", stderr(&o));
    let o = run(keygen(t.path()).env("KEYGEN_BATCH_PROFILE", "1").args([
        "batch",
        "--quiet",
        "--issued",
        "2026-11-28",
        "--input",
        "more.csv",
        "--output",
        "more-out.csv",
    ]));
    assert_exit(&o, 0);
    let err = stderr(&o);
    assert!(err.contains("CPU a row by stage (thread CPU time, user and system), 300 rows:"), "{err}");
    // Every stage was counted: one whose span were lost would read 0.00 us.
    for stage in [
        "check: read, decode, copy, orders",
        "check: plans (pool)",
        "sign: read the copy again",
        "sign: signatures and key text (pool)",
        "write: inserts",
        "output: encode and write",
        "commit",
    ] {
        let line = err
            .lines()
            .find(|l| l.trim_start().starts_with(stage))
            .unwrap_or_else(|| panic!("{stage}: {err}"));
        assert!(!line.contains(" 0.00 us"), "{line}");
    }
    assert!(err.contains("; the signatures are "), "{err}");
}
