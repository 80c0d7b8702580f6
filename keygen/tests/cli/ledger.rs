//! The ledger as a database: its documented tables, its rules as constraints, tamper
//! evidence to the last row, read-only reads, reissued lists, import, export, backup,
//! migrations, and writers at once.

use std::path::Path;

use crate::util::*;

fn issue(dir: &Path, extra: &[&str]) -> String {
    let o = run(keygen(dir).args(["issue", "--template", "trial"]).args(extra));
    assert_exit(&o, 0);
    stdout(&o).trim().to_owned()
}

fn columns(db: &rusqlite::Connection, table: &str) -> Vec<(String, String, bool)> {
    let mut stmt = db.prepare(&format!("PRAGMA table_info({table})")).expect("table_info");
    stmt.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(5)? > 0)))
        .expect("columns")
        .map(|c| c.expect("column"))
        .collect()
}

#[test]
fn the_ledger_is_a_database_with_the_documented_tables_and_rules() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let k1 = issue(t.path(), &["--org", "Straße AG", "--order-id", "A-1"]);
    issue(t.path(), &["--org", "Beta Ltd", "--serial", "beef", "--contact", "x"]);
    issue(t.path(), &["--org", "Gamma SA"]);
    let db = ledger_db(t.path());
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(version, 5);
    let keys = columns(&db, "keys");
    for name in [
        "serial",
        "order_id",
        "organization",
        "seats",
        "features",
        "issued",
        "expires",
        "key",
        "signed_by",
        "supersedes",
        "via",
    ] {
        assert!(keys.iter().any(|(n, _, _)| n == name), "keys.{name} is missing: {keys:?}");
    }
    assert!(keys.iter().any(|(n, _, pk)| n == "serial" && *pk), "serial is the primary key");
    assert!(keys.iter().all(|(_, ty, _)| ty == "TEXT" || ty == "INTEGER"), "portable types only: {keys:?}");
    for (table, names) in [
        ("revocations", &["serial", "sequence", "reason"][..]),
        ("signing_keys", &["key_id", "public_key", "status"]),
        ("revocation_lists", &["sequence", "signed_by", "text"]),
    ] {
        let cols = columns(&db, table);
        for name in names {
            assert!(cols.iter().any(|(n, _, _)| n == name), "{table}.{name} is missing: {cols:?}");
        }
    }
    let rows = ledger_rows(t.path());
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["prev"], "0".repeat(64));
    assert_eq!(rows[0]["key"], k1.as_str());
    assert_eq!(rows[1]["serial"], "000000000000beef");
    let at = rows[0]["recorded_at"].as_str().expect("recorded_at");
    assert!(at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");

    // The rules are the database's own: a second key for an order, a serial twice, a key
    // replaced twice are refused whatever writes them.
    let copy = |serial: &str, position: i64, supersedes: &str| {
        db.execute(
            &format!(
                "INSERT INTO keys (serial, position, order_id, organization, org_search, seats, features, issued, \
                 expires, key, signed_by, supersedes, reason, via, template, contact, recorded_at, prev, hash) \
                 SELECT '{serial}', {position}, order_id, organization, org_search, seats, features, issued, expires, \
                 key || '{serial}', signed_by, {supersedes}, {reason}, via, template, contact, recorded_at, prev, \
                 printf('%064d', {position}) FROM keys WHERE position = 1",
                reason = if supersedes == "NULL" { "NULL" } else { "'renewal'" }
            ),
            [],
        )
    };
    let refused = copy("00000000000000f1", 10, "NULL").expect_err("a second key for order A-1");
    assert!(refused.to_string().contains("UNIQUE constraint failed: keys.order_id"), "{refused}");
    let refused = copy("000000000000beef", 10, "NULL").expect_err("a serial twice");
    assert!(refused.to_string().contains("UNIQUE"), "{refused}");
    copy("00000000000000f2", 10, "'000000000000beef'").expect("a replacement may keep the order");
    let refused = copy("00000000000000f3", 11, "'000000000000beef'").expect_err("replaced twice");
    assert!(refused.to_string().contains("keys.supersedes"), "{refused}");
}

/// A copy of the ledger at `from` (one SQLite file, WAL folded in).
fn snapshot(from: &Path, to: &Path) {
    let _ = std::fs::remove_file(to);
    let db = rusqlite::Connection::open(from).expect("open");
    db.execute("VACUUM INTO ?1", [to.to_str().expect("utf-8 path")]).expect("vacuum into");
}

/// The hash of a key row as documented (docs/operations.md): SHA-256 of the JSON array.
fn row_hash(db: &rusqlite::Connection, position: i64) -> String {
    use sha2::Digest;
    let columns = [
        "position",
        "prev",
        "serial",
        "order_id",
        "organization",
        "seats",
        "features",
        "issued",
        "expires",
        "key",
        "signed_by",
        "supersedes",
        "reason",
        "via",
        "template",
        "contact",
        "recorded_at",
        "actor",
    ];
    let sql = format!("SELECT {} FROM keys WHERE position = ?1", columns.join(", "));
    let values: Vec<serde_json::Value> = db
        .query_row(&sql, [position], |r| {
            (0..columns.len())
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Integer(n) => serde_json::json!(n),
                        rusqlite::types::ValueRef::Text(t) => serde_json::json!(String::from_utf8_lossy(t)),
                        _ => serde_json::Value::Null,
                    })
                })
                .collect()
        })
        .expect("row");
    let mut fields = values[..15].to_vec();
    fields.push(serde_json::json!([values[15], values[16]]));
    // Schema 2: a row with an actor hashes [fields, actor] (docs/operations.md).
    let hashed = match &values[17] {
        serde_json::Value::Null => serde_json::json!(fields),
        actor => serde_json::json!([fields, actor]),
    };
    hex::encode(sha2::Sha256::digest(serde_json::to_vec(&hashed).expect("json")))
}

/// Who the command line records as the actor in these tests' environment.
fn actor() -> String {
    match std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        Ok(u) if !u.is_empty() => format!("cli:{u}"),
        _ => "cli".to_owned(),
    }
}

#[test]
fn editing_or_deleting_any_row_the_last_included_is_found_and_named() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    issue(t.path(), &["--org", "Alpha AG", "--order-id", "A-1", "--serial", "a1"]);
    issue(t.path(), &["--org", "Beta Ltd", "--order-id", "A-2", "--contact", "x"]);
    issue(t.path(), &["--org", "Gamma SA", "--order-id", "A-3", "--seats", "5"]);
    assert_exit(&run(keygen(t.path()).args(["revoke", "--serial", "a1", "--out", "r.txt"])), 0);
    let pristine = t.path().join("pristine.sqlite");
    snapshot(&t.path().join("ledger.sqlite"), &pristine);
    let verify = |ledger: &Path| run(keygen(t.path()).args(["ledger", "verify", "--ledger"]).arg(ledger));
    assert_exit(&verify(&pristine), 0);
    let damaged = t.path().join("damaged.sqlite");
    let cases: &[(&str, &str)] = &[
        ("UPDATE keys SET organization = 'Beta Ltd.' WHERE position = 2", "keys row 2"),
        ("UPDATE keys SET seats = 60 WHERE position = 3", "keys row 3"),
        ("UPDATE keys SET expires = '2099-12-31' WHERE position = 3", "keys row 3"),
        ("UPDATE keys SET order_id = 'A-9' WHERE position = 3", "keys row 3"),
        ("UPDATE keys SET contact = 'mallory' WHERE position = 3", "keys row 3"),
        ("DELETE FROM keys WHERE position = 3", "the last 1 row(s) were deleted"),
        ("DELETE FROM keys WHERE position = 2", "keys row 3"),
        // The last row edited and its hash made again: only the signed head can tell.
        (
            "UPDATE keys SET contact = 'mallory' WHERE position = 3; REHASH",
            "keys row 3: the last row is not the one the signed head covers",
        ),
        ("REHASH", ""),
        ("DELETE FROM revocations", "revocation list 1"),
        ("UPDATE revocations SET reason = 'other'", "revocation list 1"),
        ("DELETE FROM revocations; DELETE FROM revocation_lists", "the signed head"),
        ("DELETE FROM ledger_head", "the signed head: there is none"),
        ("UPDATE signing_keys SET added_at = '2000-01-01T00:00:00Z'", "the signed head"),
    ];
    for (sql, named) in cases {
        snapshot(&pristine, &damaged);
        {
            let db = rusqlite::Connection::open(&damaged).expect("open");
            for statement in sql.split("; ") {
                if statement == "REHASH" {
                    let hash = row_hash(&db, 3);
                    db.execute("UPDATE keys SET hash = ?1 WHERE position = 3", [hash]).expect("hash");
                } else {
                    db.execute(statement, []).expect(statement);
                }
            }
        }
        let v = verify(&damaged);
        if named.is_empty() {
            // The hash recomputed from unchanged fields is the stored one: nothing to find,
            // which shows the test's hash is the documented one.
            assert_exit(&v, 0);
            continue;
        }
        assert_exit(&v, 3);
        assert!(stderr(&v).contains(named), "{sql}: {}", stderr(&v));
    }
    // An auditor's own public key: a ledger signed by another key is refused, naming it.
    let other = tempfile::tempdir().expect("tempdir");
    init(other.path());
    let v = run(keygen(t.path())
        .args(["ledger", "verify", "--public-key"])
        .arg(other.path().join("public-key.pem")));
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("not one of the public keys given"), "{}", stderr(&v));
    let v = run(keygen(t.path()).args(["ledger", "verify", "--public-key", "public-key.pem"]));
    assert_exit(&v, 0);
}

#[test]
fn ledger_verify_needs_only_the_ledger_file() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    issue(t.path(), &["--org", "Alpha AG"]);
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let v = run(keygen(elsewhere.path())
        .args(["ledger", "verify", "--ledger"])
        .arg(t.path().join("ledger.sqlite")));
    assert_exit(&v, 0);
    assert!(stdout(&v).contains("1 keys") && stdout(&v).contains("(current)"), "{}", stdout(&v));
}

#[test]
fn find_prints_a_table_csv_or_json_finds_as_people_type_and_marks_what_is_not_genuine() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    issue(t.path(), &["--org", "Müller Logistik GmbH", "--order-id", "M-1"]);
    issue(t.path(), &["--org", "Hauptstraße Handel KG", "--order-id", "S-1"]);
    issue(t.path(), &["--org", "Ålborg Havn A/S", "--order-id", "D-1"]);
    let find = |args: &[&str]| run(keygen(t.path()).args(["ledger", "find"]).args(args));
    for (typed, org) in [
        ("Mueller", "Müller Logistik GmbH"),
        ("muller", "Müller Logistik GmbH"),
        ("STRASSE", "Hauptstraße Handel KG"),
        ("Aalborg", "Ålborg Havn A/S"),
        ("alborg havn", "Ålborg Havn A/S"),
    ] {
        let o = find(&["--org", typed, "--format", "csv"]);
        assert_exit(&o, 0);
        let text = stdout(&o);
        assert_eq!(text.lines().count(), 2, "{typed}: {text}");
        assert!(text.contains(org), "{typed}: {text}");
    }
    assert_exit(&find(&["--org", "Mueler"]), 1);
    let table = stdout(&find(&["--all"]));
    assert!(table.starts_with("serial "), "{table}");
    assert_eq!(table.lines().count(), 4, "{table}");
    // Who recorded each key, last: the command line as `cli` and the OS user.
    assert!(table.lines().next().is_some_and(|h| h.ends_with("genuine  actor")), "{table}");
    assert!(table.lines().skip(1).all(|l| l.contains(" yes ") && l.ends_with(&actor())), "{table}");
    let csv = stdout(&find(&["--all", "--format", "csv"]));
    assert!(csv.lines().skip(1).all(|l| l.ends_with(&format!(",{}", actor()))), "{csv}");
    let json = stdout(&find(&["--order-id", "S-1", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect("json");
    assert_eq!(
        (v["organization"].as_str(), v["genuine"].as_bool()),
        (Some("Hauptstraße Handel KG"), Some(true))
    );
    assert_eq!(
        (v["actor"].as_str(), v["story"]["actor"].as_str()),
        (Some(actor().as_str()), Some(actor().as_str()))
    );
    // A row whose fields differ from its signed key is shown, marked, and the exit says so.
    ledger_db(t.path()).execute("UPDATE keys SET seats = 500 WHERE order_id = 'S-1'", []).expect("edit");
    let o = find(&["--all"]);
    assert_exit(&o, 3);
    let line = stdout(&o).lines().find(|l| l.contains("S-1")).expect("S-1").to_owned();
    assert!(line.contains("NOT GENUINE: its seats differ"), "{line}");
}

#[test]
fn reads_never_write_and_work_for_a_user_who_may_only_read() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    issue(t.path(), &["--org", "Alpha AG", "--order-id", "A-1", "--expires", "2027-01-01"]);
    // A folder the reader may only list, with a ledger they may only read: once as its
    // last writer left it (its -wal and -shm beside it, readable too), once alone (the last
    // writer folded the WAL in and removed both).
    let set =
        |p: &Path, mode| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    set(t.path(), 0o755);
    for alone in [false, true] {
        let shelf = t.path().join(if alone { "alone" } else { "with-wal" });
        std::fs::create_dir(&shelf).expect("mkdir");
        let ledger = shelf.join("ledger.sqlite");
        if alone {
            snapshot(&t.path().join("ledger.sqlite"), &ledger);
            rusqlite::Connection::open(&ledger)
                .expect("open")
                .pragma_update(None, "journal_mode", "WAL")
                .expect("wal");
        } else {
            // A second ledger of the same key keeps its own checkpoint log.
            let log = ["--checkpoint-log", "with-wal.checkpoints"];
            make_ledger(t.path(), "signing-key.pem", &["--ledger", "with-wal/ledger.sqlite", log[0], log[1]]);
            let o = run(keygen(t.path())
                .args(log)
                .args([
                    "issue",
                    "--template",
                    "trial",
                    "--org",
                    "Alpha AG",
                    "--order-id",
                    "A-1",
                    "--expires",
                    "2027-01-01",
                    "--ledger",
                ])
                .arg(&ledger));
            assert_exit(&o, 0);
            assert!(shelf.join("ledger.sqlite-wal").exists(), "the writer left its WAL");
        }
        reads_only(&shelf, &ledger, &set);
    }
}

fn reads_only(shelf: &Path, ledger: &Path, set: &dyn Fn(&Path, u32)) {
    let files: Vec<std::path::PathBuf> =
        std::fs::read_dir(shelf).expect("dir").map(|e| e.expect("entry").path()).collect();
    for f in &files {
        set(f, 0o444);
    }
    set(shelf, 0o555);
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).expect("read")).collect();
    let root = is_root();
    for read in [
        &["ledger", "find", "--all"][..],
        &["ledger", "find", "--order-id", "A-1", "--format", "json"],
        &["ledger", "verify"],
        &["ledger", "report", "--expiring-within", "4000", "--at", "2026-12-01"],
        &["ledger", "export"],
        &["public-key", "--all"],
    ] {
        // As root, who may write anything, the read runs as `nobody`.
        let mut cmd = if root {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_keygen")]);
            c
        } else {
            std::process::Command::new(env!("CARGO_BIN_EXE_keygen"))
        };
        let o = cmd.args(read).arg("--ledger").arg(ledger).current_dir(shelf).output().expect("run");
        assert_exit(&o, 0);
        assert!(!stdout(&o).is_empty(), "{read:?}");
    }
    set(shelf, 0o755);
    let after: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).expect("read")).collect();
    assert!(after == before, "a read changed the ledger's files");
    let beside = std::fs::read_dir(shelf).expect("dir").count();
    assert_eq!(beside, files.len(), "a read left files");
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn a_published_list_can_be_written_again_byte_for_byte() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    issue(t.path(), &["--org", "A", "--serial", "a1"]);
    issue(t.path(), &["--org", "B", "--serial", "b2"]);
    assert_exit(&run(keygen(t.path()).args(["revoke", "--serial", "a1", "--out", "r1.txt"])), 0);
    assert_exit(
        &run(keygen(t.path()).args(["revoke", "--serial", "b2", "--out", "r2.txt", "--reason", "refund"])),
        0,
    );
    for n in ["1", "2"] {
        let out = format!("again{n}.txt");
        assert_exit(&run(keygen(t.path()).args(["revoke", "--reissue", n, "--out", &out])), 0);
        assert_eq!(
            std::fs::read(t.path().join(&out)).expect("reissued"),
            std::fs::read(t.path().join(format!("r{n}.txt"))).expect("first"),
            "list {n}"
        );
    }
    let o = run(keygen(t.path()).args(["revoke", "--reissue", "3", "--out", "r3.txt"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("no revocation list 3"), "{}", stderr(&o));
    let o = run(keygen(t.path()).args(["revoke", "--reissue", "1", "--serial", "a1", "--out", "x.txt"]));
    assert_exit(&o, 2);
    // An --out that cannot be written is refused before anything is recorded.
    issue(t.path(), &["--org", "C", "--serial", "c3"]);
    std::fs::create_dir(t.path().join("folder")).expect("mkdir");
    let o = run(keygen(t.path()).args(["revoke", "--serial", "c3", "--out", "missing/r.txt"]));
    assert_ne!(o.status.code(), Some(0));
    let lists: i64 = ledger_db(t.path())
        .query_row("SELECT count(*) FROM revocation_lists", [], |r| r.get(0))
        .expect("count");
    assert_eq!(lists, 2);
}

#[cfg(any(feature = "failpoints", debug_assertions))]
#[test]
fn a_list_that_fails_after_the_commit_names_the_command_that_writes_it() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    issue(t.path(), &["--org", "A", "--serial", "a1"]);
    let o = run(keygen(t.path())
        .args(["revoke", "--serial", "a1", "--out", "r1.txt"])
        .env("KEYGEN_FAILPOINT", "publish:fail"));
    assert_exit(&o, 1);
    assert!(!t.path().join("r1.txt").exists());
    let err = stderr(&o);
    let hint = "keygen revoke --ledger ledger.sqlite --reissue 1 --out r1.txt";
    assert!(err.contains("revocation list 1 is recorded") && err.contains(hint), "{err}");
    let again: Vec<&str> = hint.split(' ').skip(1).collect();
    assert_exit(&run(keygen(t.path()).args(&again)), 0);
    let list = std::fs::read_to_string(t.path().join("r1.txt")).expect("list");
    assert!(list.starts_with("-----BEGIN"), "{list}");
    assert_exit(&run(keygen(t.path()).args(["ledger", "verify"])), 0);
}

#[test]
fn export_import_and_backup() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    issue(t.path(), &["--org", "A", "--order-id", "O-1", "--serial", "a1"]);
    issue(t.path(), &["--org", "B", "--order-id", "O-2"]);
    assert_exit(&run(keygen(t.path()).args(["renew", "--for-order", "O-2", "--order-id", "O-3"])), 0);
    assert_exit(&run(keygen(t.path()).args(["revoke", "--serial", "a1", "--out", "r1.txt"])), 0);
    let o = run(keygen(t.path()).args(["ledger", "export", "--format", "jsonl"]));
    assert_exit(&o, 0);
    let jsonl = stdout(&o);
    assert_eq!(jsonl.lines().count(), 4, "{jsonl}");
    std::fs::write(t.path().join("old.jsonl"), &jsonl).expect("write");
    // Into a new ledger: the same keys, lists of the same text (the same key signs them).
    let o = run(keygen(t.path()).args(["ledger", "import", "--from", "old.jsonl", "--ledger", "new.sqlite"]));
    assert_exit(&o, 0);
    assert_exit(&run(keygen(t.path()).args(["ledger", "verify", "--ledger", "new.sqlite"])), 0);
    assert_eq!(keys_in(&t.path().join("new.sqlite")), 3);
    assert_exit(
        &run(keygen(t.path()).args([
            "revoke",
            "--ledger",
            "new.sqlite",
            "--reissue",
            "1",
            "--out",
            "i1.txt",
        ])),
        0,
    );
    assert_eq!(
        std::fs::read(t.path().join("i1.txt")).expect("i1"),
        std::fs::read(t.path().join("r1.txt")).expect("r1")
    );
    let o = run(keygen(t.path()).args(["ledger", "export", "--ledger", "new.sqlite"]));
    assert_eq!(stdout(&o), jsonl, "export, import, export gives the same lines");
    // A broken chain is refused with its line, and no ledger is left behind.
    let broken = jsonl.replacen("\"organization\":\"B\"", "\"organization\":\"B2\"", 1);
    std::fs::write(t.path().join("broken.jsonl"), broken).expect("write");
    let o =
        run(keygen(t.path()).args(["ledger", "import", "--from", "broken.jsonl", "--ledger", "b.sqlite"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("broken.jsonl:2:"), "{}", stderr(&o));
    // The same line with its fields left alone but the chain broken: the next line is named.
    let lines: Vec<&str> = jsonl.lines().collect();
    std::fs::write(t.path().join("broken.jsonl"), format!("{}\n{}\n", lines[0], lines[2])).expect("write");
    let o =
        run(keygen(t.path()).args(["ledger", "import", "--from", "broken.jsonl", "--ledger", "b.sqlite"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("broken.jsonl:2: its 'prev'"), "{}", stderr(&o));
    assert!(!t.path().join("b.sqlite").exists());
    // Into a ledger that holds keys: refused.
    let o = run(keygen(t.path()).args(["ledger", "import", "--from", "old.jsonl"]));
    assert_exit(&o, 3);
    // A backup: a ledger of its own that verifies; never over a file.
    let o = run(keygen(t.path()).args(["ledger", "backup", "--out", "backup.sqlite"]));
    assert_exit(&o, 0);
    assert_exit(&run(keygen(t.path()).args(["ledger", "verify", "--ledger", "backup.sqlite"])), 0);
    assert_eq!(keys_in(&t.path().join("backup.sqlite")), 3);
    assert_exit(&run(keygen(t.path()).args(["ledger", "backup", "--out", "backup.sqlite"])), 3);
}

#[test]
fn the_schema_is_migrated_from_the_version_before_and_foreign_files_are_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    // Version 0: an empty database, as SQLite makes it (in place of init's, and of its log).
    for f in ["ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "ledger.sqlite.checkpoints"] {
        let _ = std::fs::remove_file(t.path().join(f));
    }
    rusqlite::Connection::open(t.path().join("ledger.sqlite"))
        .expect("open")
        .execute_batch("PRAGMA user_version = 0; VACUUM;")
        .expect("v0");
    issue(t.path(), &["--org", "A"]);
    let version: i64 =
        ledger_db(t.path()).query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(version, 5);
    // Another program's database, and one of a newer keygen: refused, untouched.
    std::fs::write(t.path().join("other.sqlite"), b"").expect("write");
    rusqlite::Connection::open(t.path().join("other.sqlite"))
        .expect("open")
        .execute_batch("CREATE TABLE t (x INTEGER);")
        .expect("t");
    let o = run(keygen(t.path()).args([
        "issue",
        "--template",
        "trial",
        "--org",
        "A",
        "--ledger",
        "other.sqlite",
    ]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("not a keygen ledger"), "{}", stderr(&o));
    ledger_db(t.path()).execute_batch("PRAGMA user_version = 99;").expect("v99");
    let o = run(keygen(t.path()).args(["issue", "--template", "trial", "--org", "B"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("newer than this keygen"), "{}", stderr(&o));
}

#[test]
fn writers_at_once_all_succeed_with_no_duplicate_and_an_intact_chain() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let d = t.path().to_owned();
    for i in 0..6 {
        issue(&d, &["--org", "Base", "--order-id", &format!("B-{i}"), "--expires", "2030-01-01"]);
        issue(&d, &["--org", "Gone", "--order-id", &format!("X-{i}")]);
    }
    let mut input = String::from("organization,order_id\n");
    for i in 0..3000 {
        input.push_str(&format!("Batch {i},C-{i}\n"));
    }
    std::fs::write(d.join("in.csv"), input).expect("write");
    let job = |args: Vec<String>| {
        let d = d.clone();
        std::thread::spawn(move || {
            let o = run(keygen(&d).args(&args));
            assert_exit(&o, 0);
        })
    };
    let mut jobs = Vec::new();
    for i in 0..6 {
        jobs.push(job(vec![
            "issue".into(),
            "--template".into(),
            "trial".into(),
            "--org".into(),
            "W".into(),
            "--order-id".into(),
            format!("W-{i}"),
        ]));
        jobs.push(job(vec![
            "renew".into(),
            "--for-order".into(),
            format!("B-{i}"),
            "--order-id".into(),
            format!("R-{i}"),
        ]));
        jobs.push(job(vec![
            "amend".into(),
            "--for-order".into(),
            format!("B-{i}"),
            "--seats".into(),
            format!("{}", 10 + i),
        ]));
        jobs.push(job(vec![
            "revoke".into(),
            "--order-id".into(),
            format!("X-{i}"),
            "--out".into(),
            format!("r{i}.txt"),
        ]));
        if i == 0 {
            jobs.push(job(vec![
                "batch".into(),
                "--quiet".into(),
                "--template".into(),
                "trial".into(),
                "--input".into(),
                "in.csv".into(),
                "--output".into(),
                "out.csv".into(),
            ]));
        }
    }
    for j in jobs {
        j.join().expect("a writer failed");
    }
    let v = run(keygen(&d).args(["ledger", "verify"]));
    assert_exit(&v, 0);
    assert!(
        stdout(&v).contains(&format!("{} keys, 6 revocation lists", 12 + 6 + 6 + 6 + 3000)),
        "{}",
        stdout(&v)
    );
    let db = ledger_db(&d);
    let (serials, positions): (i64, i64) = db
        .query_row("SELECT count(DISTINCT serial), max(position) FROM keys", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("count");
    assert_eq!(serials, positions);
    let sequences: Vec<i64> = db
        .prepare("SELECT sequence FROM revocation_lists ORDER BY sequence")
        .expect("select")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_ledger_of_the_former_json_lines_format_imports_with_its_lists_byte_for_byte() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let key = test1_key(d);
    std::fs::rename(&key, d.join("signing-key.pem")).expect("rename");
    let fixture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jsonl-ledger");
    for name in ["ledger.jsonl", "r1.txt", "r2.txt"] {
        std::fs::copy(fixture.join(name), d.join(name)).expect("copy");
    }
    let o = run(keygen(d).args(["ledger", "import", "--from", "ledger.jsonl"]));
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("Imported 6 keys and 2 revocation lists"), "{}", stderr(&o));
    assert_exit(&run(keygen(d).args(["ledger", "verify"])), 0);
    for n in ["1", "2"] {
        let out = format!("again{n}.txt");
        assert_exit(&run(keygen(d).args(["revoke", "--reissue", n, "--out", &out])), 0);
        assert_eq!(
            std::fs::read(d.join(&out)).expect("reissued"),
            std::fs::read(d.join(format!("r{n}.txt"))).expect("as published"),
            "list {n}"
        );
    }
    // The stories come along: the renewed and amended order, what replaced what.
    let found = stdout(&run(keygen(d).args(["ledger", "find", "--org", "Mueller", "--format", "json"])));
    let stories: Vec<serde_json::Value> =
        found.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(stories.len(), 3, "{found}");
    assert_eq!(stories[2]["story"]["replaces"], stories[1]["serial"]);
    // The next list continues the sequence.
    let o = run(keygen(d).args(["amend", "--for-order", "O-2", "--seats", "4"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("was revoked (revocation list 1"), "{}", stderr(&o));
    assert_exit(&run(keygen(d).args(["revoke", "--order-id", "O-3", "--out", "r3.txt"])), 0);
    let lists: i64 =
        ledger_db(d).query_row("SELECT max(sequence) FROM revocation_lists", [], |r| r.get(0)).expect("max");
    assert_eq!(lists, 3);
    // One changed byte in the file: refused with its line, and no ledger made.
    let text = std::fs::read_to_string(d.join("ledger.jsonl")).expect("read");
    std::fs::write(d.join("edited.jsonl"), text.replacen("\"seats\":40", "\"seats\":41", 1)).expect("write");
    let o = run(keygen(d).args(["ledger", "import", "--from", "edited.jsonl", "--ledger", "edited.sqlite"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("edited.jsonl:6:"), "{}", stderr(&o));
    assert!(!d.join("edited.sqlite").exists());
}
