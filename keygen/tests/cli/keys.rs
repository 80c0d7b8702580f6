//! Signing key files: init, public-key, OpenSSL in both directions, and every refusal.

use std::os::unix::fs::PermissionsExt;

use crate::util::*;

#[test]
fn init_makes_a_private_key_and_never_overwrites() {
    let t = tempfile::tempdir().expect("tempdir");
    let o = run(keygen(t.path()).args(["init", "--dir", "vendor"]));
    assert_exit(&o, 0);
    let key_id = stdout(&o).trim().to_owned();
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
    std::fs::write(t.path().join("pass.txt"), "correct horse battery staple\n").expect("write");
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

    // A CRLF line end is not part of the passphrase.
    std::fs::write(t.path().join("crlf.txt"), "correct horse battery staple\r\nsecond line\r\n")
        .expect("write");
    assert_exit(&run(keygen(t.path()).args(["public-key", "--passphrase-file", "crlf.txt"])), 0);
    // Passphrase from the environment works too.
    let env =
        run(keygen(t.path()).args(["public-key"]).env("KEYGEN_PASSPHRASE", "correct horse battery staple"));
    assert_exit(&env, 0);

    std::fs::write(t.path().join("wrong.txt"), "tr0ub4dor\n").expect("write");
    let wrong = run(keygen(t.path()).args(["public-key", "--passphrase-file", "wrong.txt"]));
    assert_exit(&wrong, 4);
    assert!(stderr(&wrong).contains("wrong passphrase"), "{}", stderr(&wrong));
    assert!(!stderr(&wrong).contains("tr0ub4dor"), "the passphrase leaked: {}", stderr(&wrong));

    let none = run(keygen(t.path()).args(["public-key"]));
    assert_exit(&none, 4);
    assert!(stderr(&none).contains("encrypted: give --passphrase-file"), "{}", stderr(&none));

    std::fs::write(t.path().join("empty.txt"), "\n").expect("write");
    let empty = run(keygen(t.path()).args(["public-key", "--passphrase-file", "empty.txt"]));
    assert_exit(&empty, 4);
    assert!(stderr(&empty).contains("empty passphrase is refused"), "{}", stderr(&empty));

    let empty_init =
        run(keygen(t.path()).args(["init", "--dir", "b", "--encrypt", "--passphrase-file", "empty.txt"]));
    assert_exit(&empty_init, 4);
    assert!(!t.path().join("b/signing-key.pem").exists());
}

#[test]
fn openssl_keys_plain_and_encrypted_are_accepted() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    openssl(d, &["genpkey", "-algorithm", "ed25519", "-out", "plain.pem"]);
    // OpenSSL's file: source drops only the \n of the line end.
    std::fs::write(d.join("pass.txt"), "s3cret pass\n").expect("write");
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
    assert!(!d.join("ledger.jsonl").exists());
}

#[test]
fn the_environment_names_the_key() {
    let t = tempfile::tempdir().expect("tempdir");
    let key = init(t.path());
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let o = run(keygen(elsewhere.path()).args(["public-key"]).env("KEYGEN_SIGNING_KEY", &key));
    assert_exit(&o, 0);
}

/// Runs keygen on a pseudo-terminal (util-linux `script`), typing `lines` at its prompts.
fn on_terminal(dir: &std::path::Path, args: &str, lines: &[&str]) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new("script")
        .current_dir(dir)
        .args(["-qec", &format!("{} {args}", env!("CARGO_BIN_EXE_keygen")), "/dev/null"])
        .env_remove("KEYGEN_PASSPHRASE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script runs");
    let mut stdin = child.stdin.take().expect("stdin");
    for line in lines {
        // Wait for the prompt: the terminal drops what is typed before it turns echo off.
        std::thread::sleep(std::time::Duration::from_millis(400));
        stdin.write_all(format!("{line}\r").as_bytes()).expect("type");
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    drop(stdin);
    child.wait_with_output().expect("wait")
}

#[test]
fn passphrases_are_asked_on_a_terminal() {
    let t = tempfile::tempdir().expect("tempdir");
    let o = on_terminal(t.path(), "init --dir v --encrypt", &["sesame street", "sesame street"]);
    assert_exit(&o, 0);
    let screen = stdout(&o);
    assert!(
        screen.contains("Passphrase for v/signing-key.pem:") && screen.contains("Repeat the passphrase:"),
        "{screen}"
    );
    assert!(!screen.contains("sesame"), "the passphrase was echoed: {screen}");
    let o = on_terminal(t.path(), "public-key --key v/signing-key.pem", &["sesame street"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("-----END PUBLIC KEY-----"), "{}", stdout(&o));
    let o = on_terminal(t.path(), "init --dir w --encrypt", &["sesame street", "sesame streep"]);
    assert_exit(&o, 4);
    assert!(stdout(&o).contains("the passphrases do not match"), "{}", stdout(&o));
    assert!(!t.path().join("w").exists());
}
