//! What a new vendor tripped over (issue 28): a refund by order that revoked the wrong key,
//! renewals recorded without their order, `--expires 31.12.2027`, rotate's prompts and the
//! private key it left behind on Ctrl-C, and `init`'s unlabelled output.

use std::path::Path;

use crate::secrets::Pty;
use crate::util::*;

const PASS: &str = "correct horse battery";

/// `keygen ARGS` as the README writes it, in `dir`, with the vault's passphrase in the
/// environment.
fn readme(dir: &Path, args: &[&str]) -> std::process::Output {
    run(keygen(dir).env("KEYGEN_PASSPHRASE", PASS).args(args))
}

/// The README's Common tasks line `target/release/keygen COMMAND ...` that holds `holding`
/// (the first, for issue: the one with an order id), as keygen's arguments: its comment cut
/// off, its words split as the shell splits them (double quotes).
fn readme_line(command: &str, holding: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
    let prefix = format!("target/release/keygen {command} ");
    let line = readme
        .lines()
        .filter(|l| l.starts_with(&prefix) && l.contains(holding))
        .find(|l| command != "issue" || l.contains("--order-id SO-1"))
        .unwrap_or_else(|| panic!("no README line '{prefix}... {holding}'"));
    let line = line.split("  #").next().unwrap_or_default();
    let (mut words, mut word, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.trim().chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => words.extend((!word.is_empty()).then(|| std::mem::take(&mut word))),
            c => word.push(c),
        }
    }
    words.push(word);
    words.split_off(1)
}

/// (serial, order id) of every key in the ledger at `path`, in chain order.
fn keys_and_orders(path: &Path) -> Vec<(String, Option<String>)> {
    let db = rusqlite::Connection::open(path).expect("ledger");
    let mut stmt = db.prepare("SELECT serial, order_id FROM keys ORDER BY position").expect("select");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").map(|r| r.expect("row")).collect()
}

/// The serials the ledger at `path` records as revoked, sorted.
fn revoked(path: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(path).expect("ledger");
    let mut stmt = db.prepare("SELECT serial FROM revocations ORDER BY serial").expect("select");
    stmt.query_map([], |r| r.get(0)).expect("query").map(|r| r.expect("row")).collect()
}

#[test]
fn a_refund_by_order_after_the_readmes_steps_revokes_that_orders_key_and_names_the_later_ones() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let key = ["--key", "vault/signing-key.pem"];
    let step = |args: &[&str]| {
        let o = readme(d, args);
        assert_exit(&o, 0);
        o
    };
    // The README's Common tasks, read from the README and run as written there.
    for command in ["init --dir vault", "issue", "renew", "amend"] {
        let args = readme_line(command, "");
        step(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let ledger = d.join("vault/ledger.sqlite");
    let chain = keys_and_orders(&ledger);
    let orders: Vec<Option<&str>> = chain.iter().map(|(_, o)| o.as_deref()).collect();
    assert_eq!(orders, [Some("SO-1"), Some("SO-2"), Some("SO-2")], "the amendment keeps SO-2");
    let (k0, k1, k2) = (&chain[0].0, &chain[1].0, &chain[2].0);

    // The dry run shows all of it: SO-1's key revoked, the SO-2 keys named and left valid.
    let args = readme_line("revoke", "--order-id SO-1 --dry-run");
    let o = step(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (out, err) = (stdout(&o), stderr(&o));
    let line = |serial: &str| out.lines().find(|l| l.starts_with(serial)).unwrap_or_default().to_owned();
    assert!(line(k0).contains("order SO-1's key"), "{out}");
    for k in [k1, k2] {
        assert!(line(k).contains("order SO-2") && line(k).contains("stays valid"), "{k}: {out}");
    }
    assert!(err.contains("1 key(s) would be revoked"), "{err}");
    assert!(err.contains(&format!("{k1}, {k2}")) && err.contains("--with-later-orders"), "{err}");
    assert!(revoked(&ledger).is_empty(), "a dry run wrote");

    // The refund itself: SO-1's key is revoked, SO-2's stay valid, and the vendor is told.
    let args = readme_line("revoke", "--order-id SO-1 --out");
    let o = step(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(revoked(&ledger), std::slice::from_ref(k0), "{}", stdout(&o));
    assert!(stderr(&o).contains("--with-later-orders"), "{}", stderr(&o));
    assert!(d.join("revocations.txt").exists());

    // Asked for: the later keys of the chain too.
    let o =
        step(&[&["revoke"][..], &key, &["--order-id", "SO-1", "--with-later-orders", "--dry-run"]].concat());
    assert!(stderr(&o).contains("2 key(s) would be revoked"), "{}", stderr(&o));
    step(
        &[&["revoke"][..], &key, &["--order-id", "SO-1", "--with-later-orders", "--out", "r2.txt"]].concat(),
    );
    let mut all = vec![k0.clone(), k1.clone(), k2.clone()];
    all.sort();
    assert_eq!(revoked(&ledger), all);
}

#[test]
fn a_refund_by_order_revokes_every_key_that_replaced_its_key_under_the_same_order() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    init(d);
    let ok = |args: &[&str]| assert_exit(&run(keygen(d).args(args)), 0);
    ok(&["issue", "--template", "standard", "--org", "Beta AG", "--order-id", "SO-7"]);
    ok(&["amend", "--for-order", "SO-7", "--seats", "30"]);
    ok(&["renew", "--for-order", "SO-7", "--no-order-id"]);
    let chain = keys_and_orders(&d.join("ledger.sqlite"));
    // Revoking the renewal's order (none) is not possible; SO-7's two keys are revoked, the
    // renewal recorded with no order is named.
    let o = run(keygen(d).args(["revoke", "--order-id", "SO-7", "--out", "r.txt"]));
    assert_exit(&o, 0);
    let mut own = vec![chain[0].0.clone(), chain[1].0.clone()];
    own.sort();
    assert_eq!(revoked(&d.join("ledger.sqlite")), own, "{}", stdout(&o));
    assert!(stdout(&o).contains("recorded with no order"), "{}", stdout(&o));
    // An order never issued is refused.
    let o = run(keygen(d).args(["revoke", "--order-id", "SO-404", "--dry-run"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("order 'SO-404' is not in the ledger"), "{}", stderr(&o));
}

/// A folder with a signing key and one key issued, for order SO-1.
fn acme_so1() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let o = run(keygen(t.path()).args([
        "issue",
        "--template",
        "standard",
        "--org",
        "Acme",
        "--order-id",
        "SO-1",
    ]));
    assert_exit(&o, 0);
    t
}

#[test]
fn a_renewal_without_an_order_id_is_refused_unless_none_is_said_and_then_it_is_told() {
    let t = acme_so1();
    let d = t.path();
    let o = run(keygen(d).args(["renew", "--for-order", "SO-1"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("--order-id ID") && stderr(&o).contains("--no-order-id"), "{}", stderr(&o));
    assert_eq!(ledger_keys(d), 1, "a refused renewal recorded a key");
    let o = run(keygen(d).args(["renew", "--for-order", "SO-1", "--no-order-id"]));
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("records no order id"), "{}", stderr(&o));
    let o = run(keygen(d).args(["renew", "--for-order", "SO-1", "--no-order-id", "--order-id", "SO-2"]));
    assert_exit(&o, 2);
}

#[test]
fn a_renewal_on_a_terminal_asks_for_its_order_id() {
    let t = acme_so1();
    let d = t.path();
    let mut pty = Pty::start(d, "renew --for-order SO-1", "");
    pty.wait_for(&["Order id of this renewal"]);
    pty.send(b"SO-9\r");
    let screen = pty.finish();
    assert!(screen.contains("keygen ended: 0"), "{screen}");
    let orders: Vec<Option<String>> =
        keys_and_orders(&d.join("ledger.sqlite")).into_iter().map(|k| k.1).collect();
    assert_eq!(orders, [Some("SO-1".to_owned()), Some("SO-9".to_owned())]);
}

#[test]
fn every_command_reads_a_date_as_batch_does() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    init(d);
    let json = |args: &[&str]| -> serde_json::Value {
        let o = run(keygen(d).args(args).arg("--json"));
        assert_exit(&o, 0);
        serde_json::from_str(stdout(&o).trim()).expect("json")
    };
    let k = json(&[
        "issue",
        "--template",
        "standard",
        "--org",
        "Acme",
        "--order-id",
        "SO-1",
        "--expires",
        "31.12.2027",
        "--issued",
        "1.6.2026",
    ]);
    assert_eq!((k["expires"].as_str(), k["issued"].as_str()), (Some("2027-12-31"), Some("2026-06-01")));
    let k = json(&["renew", "--for-order", "SO-1", "--order-id", "SO-2", "--expires", "31/12/2028"]);
    assert_eq!(k["expires"], "2028-12-31");
    let k = json(&["amend", "--for-order", "SO-2", "--expires", "2029/06/30"]);
    assert_eq!(k["expires"], "2029-06-30");
    let o = run(keygen(d).args(["ledger", "report", "--expiring-within", "30", "--at", "15.06.2029"]));
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("2029-06-30"), "{}", stdout(&o));
    let o = run(keygen(d).args(["revoke", "--superseded", "--before", "31.12.2099", "--dry-run"]));
    assert_exit(&o, 0);
    // Ambiguous: refused, both readings named, by every command.
    for args in [
        &["issue", "--template", "standard", "--org", "Beta", "--expires", "01/02/2027"][..],
        &["renew", "--for-order", "SO-2", "--order-id", "SO-3", "--expires", "01/02/2030"],
        &["ledger", "report", "--expiring-within", "30", "--at", "03/04/2027"],
    ] {
        let o = run(keygen(d).args(args));
        assert_exit(&o, 3);
        assert!(
            stderr(&o).contains("can be read two ways") && stderr(&o).contains("month first"),
            "{}",
            stderr(&o)
        );
    }
    let o =
        run(keygen(d).args(["issue", "--template", "standard", "--org", "Beta", "--expires", "30.02.2027"]));
    assert_exit(&o, 3);
    assert!(
        stderr(&o).contains("'30.02.2027' (read as 2027-02-30) is not a day of the calendar"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn init_labels_the_key_id_it_prints() {
    let t = tempfile::tempdir().expect("tempdir");
    let o = run(keygen(t.path()).args(["init", "--dir", "v"]));
    assert_exit(&o, 0);
    let out = stdout(&o);
    let id =
        out.strip_prefix("key_id: ").and_then(|r| r.strip_suffix('\n')).unwrap_or_else(|| panic!("{out:?}"));
    assert!(id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit()), "{out:?}");
}

#[test]
fn rotate_encrypt_asks_for_the_new_passphrase_twice_and_leaves_no_second_key() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    assert_exit(&run(keygen(d).args(["init", "--dir", "vault"])), 0);
    let mut pty = Pty::start(d, "rotate --dir vault --encrypt", "");
    pty.wait_for(&["New passphrase for vault/signing-key.pem:"]);
    pty.send(format!("{PASS}\r").as_bytes());
    pty.wait_for(&["Repeat the passphrase:"]);
    pty.send(format!("{PASS}\r").as_bytes());
    // A third prompt (for the key just made, under its temporary path) ends the wait too.
    let third = pty.wait_for(&["keygen ended:", "Passphrase for"]) == "Passphrase for";
    if third {
        pty.send(b"\x03");
    }
    let screen = pty.finish();
    assert!(!third, "asked a third time: {screen}");
    assert!(screen.contains("keygen ended: 0"), "{screen}");
    assert_eq!(screen.matches("assphrase").count(), 2, "asked more than twice: {screen}");
    assert_eq!(staging_folders(&d.join("vault")), Vec::<String>::new());
    let key = std::fs::read_to_string(d.join("vault/signing-key.pem")).expect("key");
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"), "{key}");
    // Folders of private keys are private.
    for folder in ["vault", "vault/retired"] {
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(d.join(folder)).expect("meta").permissions(),
        );
        assert_eq!(mode & 0o777, 0o700, "{folder}");
    }
}

#[test]
fn ctrl_c_at_rotates_prompt_leaves_the_vault_as_it_was_and_a_leftover_is_removed_next_time() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    assert_exit(&run(keygen(d).args(["init", "--dir", "vault"])), 0);
    let before = std::fs::read(d.join("vault/signing-key.pem")).expect("key");
    for prompt in ["New passphrase for", "Repeat the passphrase:"] {
        let mut pty = Pty::start(d, "rotate --dir vault --encrypt", "");
        pty.wait_for(&["New passphrase for"]);
        if prompt.starts_with("Repeat") {
            pty.send(format!("{PASS}\r").as_bytes());
            pty.wait_for(&[prompt]);
        }
        pty.send(b"\x03");
        let screen = pty.finish();
        assert!(screen.contains("keygen ended: 130"), "{screen}");
        assert_eq!(staging_folders(&d.join("vault")), Vec::<String>::new(), "after Ctrl-C at '{prompt}'");
        assert_eq!(std::fs::read(d.join("vault/signing-key.pem")).expect("key"), before);
        assert!(!d.join("vault/retired").exists());
    }
    // What a killed rotation (SIGKILL) leaves is removed by the next one, which says so.
    let left = d.join("vault/.rotate-0123456789abcdef");
    std::fs::create_dir(&left).expect("mkdir");
    private_file(&left.join("signing-key.pem"), "a private key");
    let o = run(keygen(d).args(["rotate", "--dir", "vault"]));
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("Removed vault/.rotate-0123456789abcdef"), "{}", stderr(&o));
    assert_eq!(staging_folders(&d.join("vault")), Vec::<String>::new());
    assert!(stdout(&o).starts_with("key_id: "), "{}", stdout(&o));
}

/// The names of rotate's staging folders in `vault`.
fn staging_folders(vault: &Path) -> Vec<String> {
    std::fs::read_dir(vault)
        .expect("vault")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".rotate-"))
        .collect()
}
