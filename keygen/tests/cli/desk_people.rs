//! `keygen desk user ...` and the desk's refusals at start (issue 22).

use crate::util::*;

fn desk(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    run(keygen(dir).arg("desk").args(args))
}

#[test]
fn people_are_added_with_an_argon2id_hash_listed_given_a_new_password_and_removed() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let o = desk(t.path(), &["user", "add", "ada", "--role", "admin"]);
    assert_exit(&o, 0);
    let password = stdout(&o).trim().to_owned();
    assert_eq!(password.chars().count(), 20, "a generated password, printed once: {password}");
    let db = ledger_db(t.path());
    let (role, hash): (String, String) = db
        .query_row("SELECT role, password_hash FROM people WHERE name = 'ada'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("ada");
    assert_eq!(role, "admin");
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&password), "{hash}");
    // From a private file: nothing printed.
    private_file(&t.path().join("pw"), "a long enough password\n");
    let o = desk(t.path(), &["user", "add", "sam", "--role", "sales", "--password-file", "pw"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "");
    assert_exit(&desk(t.path(), &["user", "add", "sam", "--role", "sales", "--password-file", "pw"]), 3);
    assert_exit(&desk(t.path(), &["user", "add", "eve", "--role", "boss", "--password-file", "pw"]), 2);
    let list = stdout(&desk(t.path(), &["user", "list"]));
    assert!(list.contains("ada  admin") && list.contains("sam  sales"), "{list}");
    let o = desk(t.path(), &["user", "password", "sam"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).trim().chars().count(), 20);
    assert_exit(&desk(t.path(), &["user", "remove", "sam"]), 0);
    assert_exit(&desk(t.path(), &["user", "remove", "sam"]), 3);
    assert!(!stdout(&desk(t.path(), &["user", "list"])).contains("sam"));
    let events: i64 =
        ledger_db(t.path()).query_row("SELECT count(*) FROM desk_events", [], |r| r.get(0)).expect("events");
    assert_eq!(events, 4, "added twice, a password, removed");
}

#[test]
fn a_non_loopback_address_without_tls_is_refused_before_the_key_is_opened() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let o = desk(t.path(), &["--listen", "0.0.0.0:8417"]);
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("not a loopback address, and no TLS"), "{}", stderr(&o));
}
