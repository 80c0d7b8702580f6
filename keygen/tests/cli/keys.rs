//! Signing key files: init, public-key, OpenSSL in both directions, and every refusal.

use std::os::unix::fs::PermissionsExt;

use crate::util::*;

#[test]
fn init_makes_a_private_key_and_never_overwrites() {
    let t = tempfile::tempdir().expect("tempdir");
    let o = run(keygen(t.path()).args(["init", "--dir", "vendor"]));
    assert_exit(&o, 0);
    // Labelled as `public-key` labels it, so that a reader of the output knows what it is.
    let out = stdout(&o);
    let key_id =
        out.trim().strip_prefix("key_id: ").unwrap_or_else(|| panic!("unlabelled: {out}")).to_owned();
    assert_eq!(key_id.len(), 8, "{key_id}");
    let key = t.path().join("vendor/signing-key.pem");
    let before = std::fs::read(&key).expect("key");
    assert_eq!(std::fs::metadata(&key).expect("meta").permissions().mode() & 0o777, 0o600);
    let folder = std::fs::metadata(t.path().join("vendor")).expect("meta").permissions().mode() & 0o777;
    assert_eq!(folder, 0o700, "a new key folder is private");
    assert!(String::from_utf8_lossy(&before).starts_with("-----BEGIN PRIVATE KEY-----"));

    let again = run(keygen(t.path()).args(["init", "--dir", "vendor"]));
    assert_exit(&again, 3);
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    assert_eq!(std::fs::read(&key).expect("key"), before, "the key file was changed");

    let public = run(keygen(t.path()).args(["public-key", "--key", "vendor/signing-key.pem"]));
    assert_exit(&public, 0);
    let text = stdout(&public);
    assert!(text.starts_with("-----BEGIN PUBLIC KEY-----"), "{text}");
    assert!(text.ends_with(&format!("key_id: {key_id}\n")), "{text}");
    // OpenSSL derives the same public key from the private key keygen wrote.
    let derived = openssl(t.path(), &["pkey", "-in", "vendor/signing-key.pem", "-pubout"]);
    assert!(text.starts_with(&stdout(&derived)), "openssl: {}\nkeygen: {text}", stdout(&derived));
    assert_eq!(
        std::fs::read_to_string(t.path().join("vendor/public-key.pem")).expect("pub"),
        stdout(&derived)
    );
}

#[test]
fn encrypted_key_round_trips_with_openssl() {
    let t = tempfile::tempdir().expect("tempdir");
    private_file(&t.path().join("pass.txt"), "correct horse battery staple\n");
    let o = run(keygen(t.path()).args(["init", "--encrypt", "--passphrase-file", "pass.txt"]));
    assert_exit(&o, 0);
    let pem = std::fs::read_to_string(t.path().join("signing-key.pem")).expect("key");
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"), "{pem}");
    // OpenSSL opens it, and sees scrypt with N >= 2^14.
    let dump = openssl(t.path(), &["asn1parse", "-in", "signing-key.pem"]);
    assert!(stdout(&dump).contains(":scrypt"), "{}", stdout(&dump));
    assert!(stdout(&dump).contains("INTEGER           :4000"), "N = 2^14: {}", stdout(&dump));
    assert!(stdout(&dump).contains("aes-256-cbc"), "{}", stdout(&dump));
    let opened =
        openssl(t.path(), &["pkey", "-in", "signing-key.pem", "-passin", "file:pass.txt", "-pubout"]);
    assert_eq!(stdout(&opened), std::fs::read_to_string(t.path().join("public-key.pem")).expect("pub"));

    // Commands that sign need the passphrase (public-key reads public-key.pem instead).
    let signs = |extra: &[&str]| {
        run(keygen(t.path()).args(["issue", "--template", "trial", "--org", "Acme"]).args(extra))
    };
    // A CRLF line end is not part of the passphrase.
    private_file(&t.path().join("crlf.txt"), "correct horse battery staple\r\nsecond line\r\n");
    assert_exit(&signs(&["--passphrase-file", "crlf.txt"]), 0);
    // Passphrase from the environment works too.
    let env = run(keygen(t.path())
        .args(["issue", "--template", "trial", "--org", "Acme"])
        .env("KEYGEN_PASSPHRASE", "correct horse battery staple"));
    assert_exit(&env, 0);

    private_file(&t.path().join("wrong.txt"), "tr0ub4dor\n");
    let wrong = signs(&["--passphrase-file", "wrong.txt"]);
    assert_exit(&wrong, 4);
    assert!(stderr(&wrong).contains("wrong passphrase"), "{}", stderr(&wrong));
    assert!(!stderr(&wrong).contains("tr0ub4dor"), "the passphrase leaked: {}", stderr(&wrong));

    let none = signs(&[]);
    assert_exit(&none, 4);
    assert!(stderr(&none).contains("encrypted: give --passphrase-file"), "{}", stderr(&none));

    private_file(&t.path().join("empty.txt"), "\n");
    let empty = signs(&["--passphrase-file", "empty.txt"]);
    assert_exit(&empty, 4);
    assert!(stderr(&empty).contains("empty passphrase is refused"), "{}", stderr(&empty));

    let empty_init =
        run(keygen(t.path()).args(["init", "--dir", "b", "--encrypt", "--passphrase-file", "empty.txt"]));
    assert_exit(&empty_init, 4);
    assert!(!t.path().join("b/signing-key.pem").exists());

    // A passphrase file that others can read is refused like the key file.
    std::fs::set_permissions(t.path().join("pass.txt"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let exposed = signs(&["--passphrase-file", "pass.txt"]);
    assert_exit(&exposed, 4);
    assert!(stderr(&exposed).contains("chmod 600 pass.txt"), "{}", stderr(&exposed));
}

#[test]
fn a_new_passphrase_must_be_strong_unless_the_key_is_for_tests() {
    let t = tempfile::tempdir().expect("tempdir");
    private_file(&t.path().join("short.txt"), "a\n");
    let o = run(keygen(t.path()).args(["init", "--dir", "v", "--encrypt", "--passphrase-file", "short.txt"]));
    assert_exit(&o, 4);
    assert!(
        stderr(&o).contains("the passphrase is too short (1 of at least 12 characters)"),
        "{}",
        stderr(&o)
    );
    assert!(!t.path().join("v/signing-key.pem").exists());
    let o = run(keygen(t.path()).args([
        "init",
        "--dir",
        "v",
        "--encrypt",
        "--passphrase-file",
        "short.txt",
        "--allow-weak-passphrase",
    ]));
    assert_exit(&o, 0);
    // Without a source, init --encrypt speaks of the key to be made, not of one that exists.
    let o = run(keygen(t.path()).args(["init", "--dir", "w", "--encrypt"]));
    assert_exit(&o, 4);
    let err = stderr(&o);
    assert!(err.contains("no passphrase to encrypt the new signing key w/signing-key.pem"), "{err}");
    assert!(!err.contains("is encrypted"), "{err}");
}

#[test]
fn openssl_keys_plain_and_encrypted_are_accepted() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    openssl(d, &["genpkey", "-algorithm", "ed25519", "-out", "plain.pem"]);
    // OpenSSL's file: source drops only the \n of the line end.
    private_file(&d.join("pass.txt"), "s3cret pass\n");
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "plain.pem",
            "-out",
            "pbkdf2.pem",
            "-passout",
            "file:pass.txt",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-scrypt",
            "-in",
            "plain.pem",
            "-out",
            "scrypt.pem",
            "-passout",
            "file:pass.txt",
        ],
    );
    let expected = stdout(&openssl(d, &["pkey", "-in", "plain.pem", "-pubout"]));
    std::fs::set_permissions(d.join("plain.pem"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    make_ledger(d, "plain.pem", &[]);
    for name in ["plain.pem", "pbkdf2.pem", "scrypt.pem"] {
        std::fs::set_permissions(d.join(name), std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let o = run(keygen(d).args(["public-key", "--key", name, "--passphrase-file", "pass.txt"]));
        assert_exit(&o, 0);
        assert!(stdout(&o).starts_with(&expected), "{name}: {}", stdout(&o));
        let issued = run(keygen(d).args([
            "issue",
            "--key",
            name,
            "--passphrase-file",
            "pass.txt",
            "--template",
            "trial",
            "--org",
            "Acme",
        ]));
        assert_exit(&issued, 0);
        assert!(stdout(&issued).starts_with("AST8-"), "{name}: {}", stdout(&issued));
    }
}

#[test]
fn refusals_exit_4_with_the_fix() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let missing = run(keygen(d).args(["issue", "--template", "trial", "--org", "Acme"]));
    assert_exit(&missing, 4);
    assert!(stderr(&missing).contains("no signing key at signing-key.pem"), "{}", stderr(&missing));

    openssl(d, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"]);
    std::fs::set_permissions(d.join("ec.pem"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let ec = run(keygen(d).args(["public-key", "--key", "ec.pem"]));
    assert_exit(&ec, 4);
    assert!(stderr(&ec).contains("not an Ed25519 signing key"), "{}", stderr(&ec));

    std::fs::write(d.join("junk.pem"), "hello\n").expect("write");
    std::fs::set_permissions(d.join("junk.pem"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let junk = run(keygen(d).args(["public-key", "--key", "junk.pem"]));
    assert_exit(&junk, 4);

    let key = init(d);
    for mode in [0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let o = run(keygen(d).args(["issue", "--template", "trial", "--org", "Acme"]));
        assert_exit(&o, 4);
        assert!(stderr(&o).contains("chmod 600 signing-key.pem"), "{}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
    // A key readable by others is refused even by public-key, and nothing was issued.
    assert!(ledger_keys(d) == 0);
}

#[test]
fn the_environment_names_the_key() {
    let t = tempfile::tempdir().expect("tempdir");
    let key = init(t.path());
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let o = run(keygen(elsewhere.path()).args(["public-key"]).env("KEYGEN_SIGNING_KEY", &key));
    assert_exit(&o, 0);
}

/// Runs keygen on a pseudo-terminal (util-linux `script`). For each `(prompt, line)`, waits
/// until the screen shows `prompt` once more, then types `line`: keygen turns echo off before
/// it writes a prompt, so a line typed once the prompt is visible must never be shown.
fn on_terminal(dir: &std::path::Path, args: &str, exchanges: &[(&str, &str)]) -> std::process::Output {
    let mut pty = crate::secrets::Pty::start(dir, args, "");
    for (prompt, line) in exchanges {
        pty.wait_for(&[prompt]);
        pty.send(format!("{line}\r").as_bytes());
    }
    let screen = pty.finish();
    let code: i32 = screen
        .rsplit("keygen ended: ")
        .next()
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("no exit status on the screen: {screen:?}"));
    let status = std::os::unix::process::ExitStatusExt::from_raw(code << 8);
    // The terminal shows stdout and stderr as one screen.
    std::process::Output { status, stdout: screen.into_bytes(), stderr: Vec::new() }
}

#[test]
fn passphrases_are_asked_on_a_terminal() {
    let t = tempfile::tempdir().expect("tempdir");
    const NEW: &str = "New passphrase for v/signing-key.pem:";
    const REPEAT: &str = "Repeat the passphrase:";
    let o = on_terminal(
        t.path(),
        "init --dir v --encrypt",
        &[(NEW, "sesame street 42"), (REPEAT, "sesame street 42")],
    );
    assert_exit(&o, 0);
    let screen = stdout(&o);
    assert!(!screen.contains("sesame"), "the passphrase was echoed: {screen}");
    let o = on_terminal(
        t.path(),
        "issue --key v/signing-key.pem --template trial --org Acme",
        &[("Passphrase for v/signing-key.pem:", "sesame street 42")],
    );
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("AST8-"), "{}", stdout(&o));
    // The erase key (DEL) and the kill key (Ctrl-U) edit the line as the terminal would.
    let o = on_terminal(
        t.path(),
        "issue --key v/signing-key.pem --template trial --org Beta",
        &[("Passphrase for v/signing-key.pem:", "wrong\u{15}sesame streetö 4\u{7f}\u{7f}\u{7f} 42")],
    );
    assert_exit(&o, 0);
    let o = on_terminal(
        t.path(),
        "init --dir w --encrypt",
        &[("New passphrase for w/signing-key.pem:", "sesame street 42"), (REPEAT, "sesame streep 42")],
    );
    assert_exit(&o, 4);
    assert!(stdout(&o).contains("the passphrases do not match"), "{}", stdout(&o));
    assert!(!t.path().join("w").exists());
    // Without --encrypt, a person at a terminal is told the key is stored in the clear.
    let o = on_terminal(t.path(), "init --dir p", &[]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("p/signing-key.pem is stored in the clear"), "{}", stdout(&o));
    let o = run(keygen(t.path()).args(["init", "--dir", "q"]));
    assert!(!stderr(&o).contains("in the clear"), "only on a terminal: {}", stderr(&o));
}
