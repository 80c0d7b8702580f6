//! The ledger's promises after the next write (issue 26): each attack of the review,
//! performed on the file with SQL, copies and a cut WAL, and refused at the write (exit 5)
//! and still named by `ledger verify` (exit 3).

use std::path::Path;
use std::process::Output;

use crate::util::*;

fn issue(dir: &Path, extra: &[&str]) -> Output {
    run(keygen(dir).args(["issue", "--template", "trial"]).args(extra))
}

fn issued(dir: &Path, extra: &[&str]) -> String {
    let o = issue(dir, extra);
    assert_exit(&o, 0);
    stdout(&o).trim().to_owned()
}

fn verify(dir: &Path, extra: &[&str]) -> Output {
    run(keygen(dir).args(["ledger", "verify"]).args(extra))
}

/// A vault: four keys (orders SO-1 to SO-4, serials 1 to 4), the first two revoked by lists 1
/// and 2, and a desk person added with the signing key.
fn vault() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    for i in 1..=4 {
        issued(
            t.path(),
            &["--org", &format!("Org {i}"), "--order-id", &format!("SO-{i}"), "--serial", &format!("{i}")],
        );
    }
    for i in 1..=2 {
        let o = run(keygen(t.path()).args([
            "revoke",
            "--serial",
            &format!("{i}"),
            "--out",
            &format!("r{i}.txt"),
        ]));
        assert_exit(&o, 0);
    }
    private_file(&t.path().join("pw"), "a long enough password\n");
    for (name, role) in [("alice", "sales"), ("bob", "support")] {
        let o = run(keygen(t.path()).args([
            "desk",
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-file",
            "pw",
        ]));
        assert_exit(&o, 0);
    }
    assert_exit(&verify(t.path(), &[]), 0);
    t
}

fn sql(dir: &Path, statements: &str) {
    let db = ledger_db(dir);
    db.execute_batch(statements).expect(statements);
}

/// The damage is named by verify, refused at the next write (nothing recorded, nothing
/// printed, exit 5 telling to run verify), and still named by verify after it.
fn refused_and_named(dir: &Path, what: &str, named: &str) {
    let before = verify(dir, &[]);
    assert_exit(&before, 3);
    assert!(stderr(&before).contains(named), "{what}: {}", stderr(&before));
    let keys = ledger_keys(dir);
    let o = issue(dir, &["--org", "Honest", "--order-id", "SO-NEW"]);
    assert_eq!(o.status.code(), Some(5), "{what}: the write was not refused: {}", stderr(&o));
    assert!(stdout(&o).is_empty(), "{what}: a key was shown");
    assert!(stderr(&o).contains("keygen ledger verify"), "{what}: {}", stderr(&o));
    assert_eq!(ledger_keys(dir), keys, "{what}: a key was recorded");
    let after = verify(dir, &[]);
    assert_exit(&after, 3);
    assert!(stderr(&after).contains(named), "{what}: {}", stderr(&after));
}

#[test]
fn tampering_then_an_honest_write_is_refused_at_the_write_and_still_named() {
    let cases: &[(&str, &str, &str)] = &[
        ("the last sold key deleted", "DELETE FROM keys WHERE position = 4", "deleted"),
        (
            "the last three sold keys deleted",
            "DELETE FROM revocations; DELETE FROM revocation_lists; DELETE FROM keys WHERE position >= 2",
            "deleted",
        ),
        (
            "a key moved to another order",
            "UPDATE keys SET order_id = 'SO-9' WHERE position = 4",
            "keys row 4",
        ),
        ("a key re-attributed", "UPDATE keys SET actor = 'mallory' WHERE position = 4", "keys row 4"),
        (
            "the last revocation list dropped",
            "DELETE FROM revocations WHERE sequence = 2; DELETE FROM revocation_lists WHERE sequence = 2",
            "revocation lists",
        ),
    ];
    for (what, statements, named) in cases {
        let t = vault();
        sql(t.path(), statements);
        refused_and_named(t.path(), what, named);
    }
}

#[test]
fn people_the_journal_the_schema_and_derived_columns_are_covered() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "a password hash made elsewhere",
            "UPDATE people SET password_hash = (SELECT password_hash FROM people WHERE name = 'bob') WHERE name = 'alice'",
            "the desk's people",
        ),
        ("a role promoted", "UPDATE people SET role = 'admin' WHERE name = 'alice'", "the desk's people"),
        (
            "an admin added",
            "INSERT INTO people (name, role, password_hash, added_at, added_by) \
             SELECT 'eve', 'admin', password_hash, added_at, added_by FROM people WHERE name = 'bob'",
            "the desk's people",
        ),
        ("a person deleted", "DELETE FROM people WHERE name = 'bob'", "the desk's people"),
        (
            "the last journal event deleted",
            "DELETE FROM desk_events WHERE id = (SELECT max(id) FROM desk_events)",
            "journal",
        ),
        (
            "the last journal event edited",
            "UPDATE desk_events SET detail = 'nothing' WHERE id = (SELECT max(id) FROM desk_events)",
            "journal",
        ),
        (
            "a trigger that deletes journal rows",
            "CREATE TRIGGER forget AFTER INSERT ON desk_events BEGIN DELETE FROM desk_events WHERE id < NEW.id; END",
            "trigger 'forget'",
        ),
        (
            "a CHECK stripped through writable_schema",
            "PRAGMA writable_schema = ON; \
             UPDATE sqlite_master SET sql = replace(sql, 'CHECK (role IN (''support'', ''sales'', ''operations'', ''admin''))', '') \
             WHERE name = 'people'; PRAGMA writable_schema = OFF;",
            "'people' is not as keygen made it",
        ),
        ("an extra index", "CREATE INDEX sneaky ON keys (contact)", "index 'sneaky'"),
    ];
    for (what, statements, named) in cases {
        let t = vault();
        sql(t.path(), statements);
        refused_and_named(t.path(), what, named);
    }
    // An event deleted before the last: the write's few reads cannot see it, verify does.
    let t = vault();
    sql(t.path(), "DELETE FROM desk_events WHERE id = 1");
    let v = verify(t.path(), &[]);
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("the desk's journal event 2"), "{}", stderr(&v));
    // A derived column edited: the key would hide from searches.
    let t = vault();
    sql(t.path(), "UPDATE keys SET org_search = 'x|x' WHERE position = 1");
    let v = verify(t.path(), &[]);
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("keys row 1") && stderr(&v).contains("org_search"), "{}", stderr(&v));
    // Managing people needs the signing key.
    std::fs::rename(t.path().join("signing-key.pem"), t.path().join("away.pem")).expect("mv");
    let o = run(keygen(t.path()).args([
        "desk",
        "user",
        "add",
        "eve",
        "--role",
        "admin",
        "--ledger",
        "ledger.sqlite",
    ]));
    assert_exit(&o, 4);
    assert!(stderr(&o).contains("no signing key"), "{}", stderr(&o));
    let o = run(keygen(t.path()).args(["desk", "user", "remove", "bob", "--ledger", "ledger.sqlite"]));
    assert_exit(&o, 4);
}

#[test]
fn the_desk_refuses_to_start_on_a_tampered_ledger() {
    let t = vault();
    sql(t.path(), "UPDATE people SET role = 'admin' WHERE name = 'bob'");
    // `timeout`: a desk that started would serve until killed (exit 124), not exit 5.
    let o = run(std::process::Command::new("timeout")
        .arg("30")
        .arg(env!("CARGO_BIN_EXE_keygen"))
        .args(["desk", "--listen", "127.0.0.1:0"])
        .current_dir(t.path())
        .env("KEYGEN_TEMPLATES", templates_dir())
        .env_remove("KEYGEN_SIGNING_KEY")
        .env_remove("KEYGEN_LEDGER")
        .stdin(std::process::Stdio::null()));
    assert_exit(&o, 5);
    assert!(stderr(&o).contains("the desk's people"), "{}", stderr(&o));
}

/// Copies the ledger (its WAL folded in) to `to`, as a copy kept aside would be.
fn snapshot(dir: &Path, to: &Path) {
    let _ = std::fs::remove_file(to);
    ledger_db(dir).execute("VACUUM INTO ?1", [to.to_str().expect("utf-8")]).expect("vacuum into");
}

fn put_back(dir: &Path, copy: &Path) {
    for f in ["ledger.sqlite-wal", "ledger.sqlite-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    std::fs::copy(copy, dir.join("ledger.sqlite")).expect("copy back");
}

#[test]
fn rollback_is_named_against_the_checkpoint_log_and_refused_at_the_write() {
    // An older signed head put back after the last row is deleted.
    let t = vault();
    let old = t.path().join("old.sqlite");
    snapshot(t.path(), &old);
    issued(t.path(), &["--org", "Late", "--order-id", "SO-5"]);
    sql(
        t.path(),
        &format!(
            "ATTACH '{}' AS old; DELETE FROM keys WHERE position = 5; DELETE FROM ledger_head; \
             INSERT INTO ledger_head SELECT * FROM old.ledger_head; DETACH old;",
            old.display()
        ),
    );
    refused_and_named(t.path(), "an older head put back", "checkpoint");
    assert!(stderr(&verify(t.path(), &[])).contains("ledger.sqlite.checkpoints"));

    // An older copy of the whole file.
    let t = vault();
    let old = t.path().join("old.sqlite");
    snapshot(t.path(), &old);
    issued(t.path(), &["--org", "Late", "--order-id", "SO-5"]);
    put_back(t.path(), &old);
    refused_and_named(t.path(), "an older copy", "the ledger holds 4");

    // Every table emptied.
    let t = vault();
    sql(
        t.path(),
        "DELETE FROM revocations; DELETE FROM revocation_lists; DELETE FROM keys; DELETE FROM ledger_head; \
         DELETE FROM desk_events; DELETE FROM people; DELETE FROM signing_keys;",
    );
    refused_and_named(t.path(), "an emptied ledger", "checkpoint");
    // ...and init does not make a new one in its place.
    for f in ["ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"] {
        let _ = std::fs::remove_file(t.path().join(f));
    }
    std::fs::remove_file(t.path().join("signing-key.pem")).expect("rm");
    std::fs::remove_file(t.path().join("public-key.pem")).expect("rm");
    let o = run(keygen(t.path()).args(["init", "--dir", "."]));
    assert_exit(&o, 5);
    assert!(stderr(&o).contains("that ledger is missing"), "{}", stderr(&o));
}

#[test]
fn a_cut_wal_is_named_and_the_order_it_sold_is_not_sold_again() {
    let t = vault();
    issued(t.path(), &["--org", "Late", "--order-id", "SO-5"]);
    let wal = t.path().join("ledger.sqlite-wal");
    let len = std::fs::metadata(&wal).expect("the writers left their WAL").len();
    // The last frame (a 24-byte header and a 4096-byte page) is the last commit's: cut it, and
    // SQLite drops that whole transaction.
    assert!(len > 32 + 4120, "{len}");
    std::fs::OpenOptions::new().write(true).open(&wal).expect("wal").set_len(len - 4120).expect("cut");
    let _ = std::fs::remove_file(t.path().join("ledger.sqlite-shm"));
    assert_eq!(ledger_keys(t.path()), 4, "the cut dropped the last sale");
    let v = verify(t.path(), &[]);
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("checkpoint") && stderr(&v).contains("rolled back"), "{}", stderr(&v));
    let o = issue(t.path(), &["--org", "Late", "--order-id", "SO-5"]);
    assert_exit(&o, 5);
    assert!(stdout(&o).is_empty(), "SO-5 was sold again");
}

#[test]
fn copies_backups_and_an_auditors_checkpoint() {
    let t = vault();
    let d = t.path();
    // A plain copy of the file while its WAL holds commits (the ones before folded in):
    // stale against the vault's log.
    ledger_db(d).query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("fold");
    issued(d, &["--org", "In the WAL", "--order-id", "SO-5"]);
    std::fs::copy(d.join("ledger.sqlite"), d.join("copy.sqlite")).expect("cp");
    let log = ["--checkpoint-log", "ledger.sqlite.checkpoints"];
    let v = verify(d, &["--ledger", "copy.sqlite", log[0], log[1]]);
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("checkpoint"), "{}", stderr(&v));
    // A backup holds every commit, and extends the log.
    assert_exit(&run(keygen(d).args(["ledger", "backup", "--out", "backup.sqlite"])), 0);
    assert_eq!(keys_in(&d.join("backup.sqlite")), 5);
    assert_exit(&verify(d, &["--ledger", "backup.sqlite", log[0], log[1]]), 0);
    // Dated backups, the N newest kept.
    let b = d.join("b");
    std::fs::create_dir(&b).expect("mkdir");
    for name in ["ledger-20200101T000000Z.sqlite", "ledger-20210101T000000Z.sqlite", "ledger-notes.sqlite"] {
        std::fs::write(b.join(name), "").expect("write");
    }
    assert_exit(&run(keygen(d).args(["ledger", "backup", "--out", "b/ledger.sqlite", "--rotate", "2"])), 0);
    let mut names: Vec<String> = std::fs::read_dir(&b)
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "ledger-20210101T000000Z.sqlite", "{names:?}");
    assert!(names[1].starts_with("ledger-20") && names[1].ends_with("Z.sqlite"), "{names:?}");
    assert_eq!(names[2], "ledger-notes.sqlite");
    assert_eq!(keys_in(&b.join(&names[1])), 5);

    // The head an auditor kept: a rollback with the log gone too is still named.
    let old = d.join("old.sqlite");
    snapshot(d, &old);
    issued(d, &["--org", "Late", "--order-id", "SO-6"]);
    let head = run(keygen(d).args(["ledger", "head"]));
    assert_exit(&head, 0);
    assert!(stdout(&head).starts_with("ledger-head-v2 keys 6 "), "{}", stdout(&head));
    std::fs::write(d.join("kept.txt"), stdout(&head)).expect("write");
    assert_exit(&verify(d, &["--checkpoint", "kept.txt"]), 0);
    put_back(d, &old);
    std::fs::remove_file(d.join("ledger.sqlite.checkpoints")).expect("rm log");
    let v = verify(d, &[]);
    assert_exit(&v, 0);
    assert!(stderr(&v).contains("no checkpoint log"), "{}", stderr(&v));
    let v = verify(d, &["--checkpoint", "kept.txt"]);
    assert_exit(&v, 3);
    assert!(stderr(&v).contains("kept.txt"), "{}", stderr(&v));
}

#[test]
fn a_crash_between_the_commit_and_the_log_is_not_a_rollback() {
    let t = vault();
    let log = t.path().join("ledger.sqlite.checkpoints");
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = text.lines().collect();
    // The last head never reached the log, and the one before it was cut mid-line.
    let cut = format!("{}\n{}", lines[..lines.len() - 2].join("\n"), &lines[lines.len() - 2][..40]);
    std::fs::write(&log, cut).expect("write");
    assert_exit(&verify(t.path(), &[]), 0);
    issued(t.path(), &["--org", "After", "--order-id", "SO-6"]);
    assert_exit(&verify(t.path(), &[]), 0);
}

#[test]
fn a_reader_that_cannot_read_the_wal_fails_loudly() {
    use std::os::unix::fs::PermissionsExt;
    let t = vault();
    let d = t.path();
    let set =
        |p: &Path, mode| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    set(d, 0o755);
    assert!(d.join("ledger.sqlite-wal").exists());
    // The -shm file gone (a reader may not make it in a folder it cannot write).
    std::fs::remove_file(d.join("ledger.sqlite-shm")).expect("rm shm");
    let out = d.join("open");
    std::fs::create_dir(&out).expect("mkdir");
    set(&out, 0o777);
    for f in ["ledger.sqlite", "ledger.sqlite-wal"] {
        set(&d.join(f), 0o444);
    }
    set(d, 0o555);
    for read in [
        &["ledger", "verify"][..],
        &["ledger", "find", "--order-id", "SO-4"],
        &["ledger", "backup", "--out", "open/copy.sqlite"],
    ] {
        let o = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_keygen")])
            .args(read)
            .args(["--key", "signing-key.pem"])
            .current_dir(d)
            .output()
            .expect("run");
        assert_ne!(o.status.code(), Some(0), "{read:?}: {}", stdout(&o));
        assert!(stderr(&o).contains("its WAL"), "{read:?}: {}", stderr(&o));
    }
    assert!(!out.join("copy.sqlite").exists(), "a stale backup was written");
    set(d, 0o755);
}

#[test]
fn one_ledger_per_vault_and_no_retired_key() {
    let t = vault();
    let d = t.path();
    for cmd in [
        &["issue", "--template", "trial", "--org", "A", "--order-id", "SO-1"][..],
        &["revoke", "--serial", "3", "--out", "r.txt"],
        &["renew", "--serial", "3", "--no-order-id"],
        &["desk", "user", "add", "eve", "--role", "admin", "--password-file", "pw"],
        &["ledger", "find", "--all"],
    ] {
        let o = run(keygen(d).args(cmd).args(["--ledger", "ledgr.sqlite"]));
        assert_exit(&o, 3);
        assert!(stderr(&o).contains("no ledger at ledgr.sqlite"), "{cmd:?}: {}", stderr(&o));
        assert!(!d.join("ledgr.sqlite").exists(), "{cmd:?} made a second ledger");
    }
    let o = run(keygen(d).args(["issue", "--template", "trial", "--org", "A", "--ledger", "ledgr.sqlite"]));
    assert!(stderr(&o).contains("is ledger.sqlite"), "the ledger expected is named: {}", stderr(&o));
    // The retired key: its folder holds no ledger, and the vault's refuses it.
    let o = run(keygen(d).args(["rotate"]));
    assert_exit(&o, 0);
    let retired = std::fs::read_dir(d.join("retired"))
        .expect("retired")
        .map(|e| e.expect("e").path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("signing-key-")))
        .expect("the retired key");
    let o = issue(d, &["--org", "A", "--order-id", "SO-7", "--key"]).status;
    assert_eq!(o.code(), Some(2), "--key needs a value");
    let o = run(keygen(d)
        .args(["issue", "--template", "trial", "--org", "A", "--order-id", "SO-7", "--key"])
        .arg(&retired));
    assert_exit(&o, 3);
    assert!(!d.join("retired/ledger.sqlite").exists());
    let o = run(keygen(d)
        .args([
            "issue",
            "--template",
            "trial",
            "--org",
            "A",
            "--order-id",
            "SO-7",
            "--ledger",
            "ledger.sqlite",
            "--key",
        ])
        .arg(&retired));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("retired"), "{}", stderr(&o));
    assert_exit(&verify(d, &[]), 0);
}

#[test]
fn a_checkpoint_log_that_cannot_be_written_is_an_io_failure() {
    let t = vault();
    let d = t.path();
    // A folder that is not there: nothing is written (the log is opened before the commit).
    let o = run(keygen(d).args(["--checkpoint-log", "missing/log"]).args([
        "issue",
        "--template",
        "trial",
        "--org",
        "A",
        "--order-id",
        "SO-8",
    ]));
    assert_exit(&o, 1);
    assert!(stdout(&o).is_empty());
    assert_eq!(ledger_keys(d), 4);
    // A full disk: the commit is made, the key not shown, and exit 1 says so.
    let o = run(keygen(d).env("KEYGEN_CHECKPOINT_LOG", "/dev/full").args([
        "issue",
        "--template",
        "trial",
        "--org",
        "A",
        "--order-id",
        "SO-8",
    ]));
    assert_exit(&o, 1);
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("committed") && stderr(&o).contains("/dev/full"), "{}", stderr(&o));
    // The vault's own log is one head behind the ledger: not a rollback.
    assert_exit(&verify(d, &[]), 0);
}

#[test]
fn a_schema_2_ledger_with_a_v1_head_is_migrated_and_its_next_write_signs_v2() {
    // A ledger as the keygen before this one left it: schema 2, a v1 head, the desk's people
    // and an unchained journal. Its rows are copied from a ledger made now.
    let t = vault();
    let d = t.path();
    let v2 = d.join("v2.sqlite");
    {
        let db = rusqlite::Connection::open(&v2).expect("open");
        db.execute_batch(keygen_core::db::sqlite::MIGRATIONS[0]).expect("0001");
        db.execute_batch(keygen_core::db::sqlite::MIGRATIONS[1]).expect("0002");
        db.pragma_update(None, "user_version", 2).expect("version");
        let cols = "serial, position, order_id, organization, org_search, seats, features, issued, expires, key, \
                    signed_by, supersedes, reason, via, template, contact, recorded_at, prev, hash, actor";
        db.execute_batch(&format!(
            "ATTACH '{}' AS now; \
             INSERT INTO signing_keys SELECT * FROM now.signing_keys; \
             INSERT INTO keys ({cols}) SELECT {cols} FROM now.keys; \
             INSERT INTO revocation_lists SELECT * FROM now.revocation_lists; \
             INSERT INTO revocations SELECT * FROM now.revocations; \
             INSERT INTO people SELECT * FROM now.people; \
             INSERT INTO desk_events (id, at, actor, action, detail) SELECT id, at, actor, action, detail FROM now.desk_events; \
             DETACH now;",
            d.join("ledger.sqlite").display()
        ))
        .expect("copy");
        let signer = keygen_core::keyfile::open(&d.join("signing-key.pem"), None).expect("key");
        // The copied rows are the ledger's: their chains and signers are read from it.
        let now = keygen_core::db::Db::open_read(&d.join("ledger.sqlite")).expect("ledger");
        let (k, l) = (now.conn().key_chain().expect("keys"), now.conn().list_chain().expect("lists"));
        let signers = now.conn().signing_keys().expect("signers");
        let head = keygen_core::db::head::Head {
            key_count: k.count,
            key_hash: k.last,
            list_count: l.count,
            list_hash: l.last,
            signers_hash: keygen_core::db::head::signers_hash(&signers),
            desk: None,
        };
        let signed = keygen_core::db::head::sign_head(head, &signer).expect("sign");
        let h = &signed.head;
        db.execute(
            "INSERT INTO ledger_head VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                h.key_count as i64,
                h.key_hash,
                h.list_count as i64,
                h.list_hash,
                h.signers_hash,
                signed.by,
                signed.signature
            ],
        )
        .expect("v1 head");
    }
    let log = ["--checkpoint-log", "v2.checkpoints"];
    let o = run(keygen(d).args(log).args([
        "issue",
        "--template",
        "trial",
        "--org",
        "Next",
        "--ledger",
        "v2.sqlite",
    ]));
    assert_exit(&o, 0);
    let o = run(keygen(d).args(log).args(["ledger", "head", "--ledger", "v2.sqlite"]));
    assert!(stdout(&o).starts_with("ledger-head-v2 keys 5 "), "{}", stdout(&o));
    assert_exit(&verify(d, &["--ledger", "v2.sqlite", log[0], log[1]]), 0);
    // Its people are covered from now on.
    let db = rusqlite::Connection::open(&v2).expect("open");
    db.execute("UPDATE people SET role = 'admin' WHERE name = 'bob'", []).expect("promote");
    let o = run(keygen(d).args(log).args([
        "issue",
        "--template",
        "trial",
        "--org",
        "After",
        "--ledger",
        "v2.sqlite",
    ]));
    assert_exit(&o, 5);
}
