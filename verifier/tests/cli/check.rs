//! verifier check: messages, exit codes, inputs support will paste, and refusals.

use crate::util::*;

#[test]
fn messages_say_why_and_what_to_do() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let key = signer.issue(&mut payload("Acme Inc")).expect("key");
    let check = |extra: &[&str]| {
        let o = verifier(t.path())
            .args(["check", &key, "--public-key"])
            .arg(&public)
            .args(extra)
            .output()
            .expect("run");
        (o.status.code(), stdout(&o))
    };
    let (code, text) = check(&["--at", "2027-01-01", "--org", "Acme Corp"]);
    assert_eq!(code, Some(6));
    assert!(text.starts_with("NOT VALID: the key was issued to 'Acme Inc', not 'Acme Corp'"), "{text}");
    assert!(text.contains("Organization  Acme Inc"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when stdout is not a terminal: {text}");
    let (code, text) = check(&["--at", "2027-01-01", "--org", "ACME  inc"]);
    assert_eq!(code, Some(0));
    assert!(text.starts_with("VALID"), "{text}");
    assert!(text.contains("Expires       2027-11-28 (331 days left)"), "{text}");
    assert!(text.contains("Features      Dataflow, EDI"), "{text}");
    let (code, text) = check(&["--at", "2027-12-01"]);
    assert_eq!(code, Some(7));
    assert!(text.contains("expired on 2027-11-28 (3 days ago)"), "{text}");
    let (code, text) = check(&["--at", "2026-11-01"]);
    assert_eq!(code, Some(7));
    assert!(text.contains("not valid before 2026-11-28"), "{text}");

    let mut v7 = payload("Acme Inc");
    v7.major = 7;
    let old = signer.issue(&mut v7).expect("key");
    let o = verifier(t.path())
        .args(["check", &old, "--at", "2027-01-01", "--public-key"])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 5);
    assert!(
        stdout(&o).starts_with("NOT VALID: this key is for version 7; version 8 needs a new key"),
        "{}",
        stdout(&o)
    );

    let (other, _) = crate::util::signer(t.path(), 2);
    let foreign = other.issue(&mut payload("Acme Inc")).expect("key");
    let o = verifier(t.path())
        .args(["check", &foreign, "--at", "2027-01-01", "--public-key"])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 4);
    let expected = format!(
        "signed by key {}, a signing key not trusted here (a retired or unknown signing key",
        other.key_id()
    );
    assert!(stdout(&o).contains(&expected), "{}", stdout(&o));
    assert!(stdout(&o).contains("UNTRUSTED"), "{}", stdout(&o));

    // A typo names the character and its position.
    let typo = key.replacen('-', "-U", 2).replacen("-U", "-", 1);
    let o = verifier(t.path()).args(["check", &typo, "--public-key"]).arg(&public).output().expect("run");
    assert_exit(&o, 3);
    assert!(stdout(&o).contains("character 12 is 'U'"), "{}", stdout(&o));
}

#[test]
fn pasted_keys_and_hostile_input() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let key = signer.issue(&mut payload("Acme Inc")).expect("key");
    let run = |input: &[u8], arg: Option<&str>| {
        let mut cmd = verifier(t.path());
        cmd.args(["check", "--at", "2027-01-01", "--public-key"]).arg(&public);
        if let Some(a) = arg {
            cmd.arg(a);
        }
        run_with_stdin(&mut cmd, input)
    };
    // An e-mail paste: wrapped, indented, lower case, CRLF.
    let pasted: String = key
        .to_lowercase()
        .chars()
        .collect::<Vec<_>>()
        .chunks(30)
        .map(|c| format!("   {}\r\n", c.iter().collect::<String>()))
        .collect();
    assert_exit(&run(pasted.as_bytes(), None), 0);
    assert_exit(&run(pasted.as_bytes(), Some("-")), 0);
    for (input, what) in [
        (Vec::new(), "the key is empty"),
        (vec![b'A'; 10 << 20], "not a readable"),
        ((0..=255u8).cycle().take(4096).collect::<Vec<u8>>(), "not a readable"),
    ] {
        let o = run(&input, None);
        assert_exit(&o, 3);
        assert!(stdout(&o).contains(what), "{}", stdout(&o));
    }
}

#[test]
fn trusted_keys_and_lists_are_checked_first() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let key = signer.issue(&mut payload("Acme Inc")).expect("key");
    let d = t.path();
    let check = |args: &[&str]| verifier(d).arg("check").arg(&key).args(args).output().expect("run");
    let o = check(&[]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("no trusted public key"), "{}", stderr(&o));
    assert_exit(&check(&["--public-key", "missing.pem"]), 2);
    std::fs::write(d.join("private.pem"), "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n").expect("write");
    let o = check(&["--public-key", "private.pem"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("'PRIVATE KEY', not a 'PUBLIC KEY'"), "{}", stderr(&o));
    // The identity point: small order, refused when loaded.
    std::fs::write(d.join("weak.hex"), format!("01{}", "00".repeat(31))).expect("write");
    let o = check(&["--public-key", "weak.hex"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("weak"), "{}", stderr(&o));
    let o = check(&["--public-key", public.to_str().expect("path"), "--at", "2026-02-30"]);
    assert_exit(&o, 2);
    // VERIFIER_PUBLIC_KEYS, ':'-separated.
    let o = verifier(d)
        .args(["check", &key, "--at", "2027-01-01"])
        .env("VERIFIER_PUBLIC_KEYS", format!("weak.hex.none:{}", public.display()))
        .output()
        .expect("run");
    assert_exit(&o, 2);
    let o = verifier(d)
        .args(["check", &key, "--at", "2027-01-01"])
        .env("VERIFIER_PUBLIC_KEYS", format!("{}:{}", public.display(), public.display()))
        .output()
        .expect("run");
    assert_exit(&o, 0);

    // Revocation lists: revoked (8); unusable lists exit 9 before the key is read.
    let mut list = product_key::RevocationList::new(
        product_key::KeyId([0; 4]),
        product_key::Product::new("AST").expect("p"),
        4,
        "2027-01-01".parse().expect("d"),
        vec![product_key::Serial::new(0xfeed).expect("s")],
    );
    std::fs::write(d.join("rev.txt"), signer.sign_revocations(&mut list)).expect("write");
    let o = check(&[
        "--public-key",
        public.to_str().expect("path"),
        "--revocations",
        "rev.txt",
        "--at",
        "2027-01-01",
    ]);
    assert_exit(&o, 8);
    assert!(stdout(&o).contains("revocation list 4"), "{}", stdout(&o));
    let (other, _) = crate::util::signer(d, 3);
    let mut foreign = list.clone();
    std::fs::write(d.join("foreign.txt"), other.sign_revocations(&mut foreign)).expect("write");
    let mut etl = product_key::RevocationList::new(
        product_key::KeyId([0; 4]),
        product_key::Product::new("ETL").expect("p"),
        1,
        "2027-01-01".parse().expect("d"),
        vec![],
    );
    std::fs::write(d.join("etl.txt"), signer.sign_revocations(&mut etl)).expect("write");
    let text = std::fs::read_to_string(d.join("rev.txt")).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    let tampered_line = lines[1].replacen('A', "B", 1);
    lines[1] = &tampered_line;
    std::fs::write(d.join("tampered.txt"), lines.join("\r\n")).expect("write");
    std::fs::write(d.join("garbage.txt"), "hello").expect("write");
    for (file, message) in [
        ("foreign.txt", "signed by unknown key"),
        ("etl.txt", "for product ETL"),
        ("tampered.txt", "revocation list"),
        ("garbage.txt", "BEGIN REVOCATION LIST"),
        ("none.txt", "cannot read"),
    ] {
        let o = verifier(d)
            .args(["check", "--public-key", public.to_str().expect("path"), "--revocations", file])
            .output()
            .expect("run");
        assert_exit(&o, 9);
        assert!(stderr(&o).contains(message), "{file}: {}", stderr(&o));
    }
}

#[test]
fn a_typo_is_pointed_at() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let key = signer.issue(&mut payload("Acme Inc")).expect("key");
    let mut chars: Vec<char> = key.chars().collect();
    let at = 60;
    let original = chars[at];
    chars[at] = if original == 'Q' { 'R' } else { 'Q' };
    let typo: String = chars.into_iter().collect();
    let o = verifier(t.path())
        .args(["check", "--json", &typo, "--public-key"])
        .arg(&public)
        .output()
        .expect("run");
    assert_exit(&o, 3);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let expected = format!(
        "character {} is probably '{original}', not '{}'",
        at + 1,
        if original == 'Q' { 'R' } else { 'Q' }
    );
    assert!(v["message"].as_str().is_some_and(|m| m.contains(&expected)), "{v}");
    assert_eq!(v["key"], serde_json::Value::Null, "a mistyped key's fields are noise");
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let key = signer.issue(&mut payload("Acme Inc")).expect("key");
    let command = format!(
        "{} check {key} --org Nobody --public-key {}",
        env!("CARGO_BIN_EXE_verifier"),
        public.display()
    );
    let on_tty = |no_color: bool| {
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &command, "/dev/null"]).current_dir(t.path()).stdin(std::process::Stdio::null());
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let o = cmd.output().expect("util-linux script runs");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(on_tty(false).contains("\x1b[1;31mNOT VALID\x1b[0m:"), "{}", on_tty(false));
    assert!(!on_tty(true).contains('\x1b'), "{}", on_tty(true));
}

/// Issue 28, item 8: a 5.6 MB paste (an e-mail thread) with the key at its end reads, as on
/// the support page; a text over the 64 MiB read is judged on what was read, and the
/// verifier says where it was cut.
#[test]
fn a_long_paste_is_read_to_its_end_or_said_to_be_cut() {
    let t = tempfile::tempdir().expect("tempdir");
    let (signer, public) = signer(t.path(), 1);
    let key = signer.issue(&mut payload("Acme Inc")).expect("key");
    let run = |input: &[u8]| {
        let mut cmd = verifier(t.path());
        cmd.args(["check", "--at", "2027-01-01", "--public-key"]).arg(&public);
        run_with_stdin(&mut cmd, input)
    };
    let line = "> > Thanks for the order, please find the details in the attached PDF.\n";
    let thread = line.repeat(5_600_000 / line.len());
    let o = run(format!("{thread}\nYour key: {key}\n").as_bytes());
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("VALID"), "{}", stdout(&o));
    assert_eq!(stderr(&o), "", "nothing was cut");

    let huge = line.repeat((64 << 20) / line.len() + 1);
    let o = run(format!("{huge}\nYour key: {key}\n").as_bytes());
    assert_exit(&o, 3);
    let lines = (64 << 20) / line.len() + 1;
    assert!(
        stderr(&o)
            .contains("the text is longer than 64 MiB: only its first 67108864 bytes were read, up to line"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(&format!("up to line {lines},")), "{}", stderr(&o));
}
