//! Secrets on their way in (issue 18): a passphrase from a pipe, and the terminal after
//! Ctrl-C at the passphrase prompt.

use std::process::Command;

use crate::util::*;

/// keygen through bash, so that `<(...)` gives it a pipe as a file, as a person's shell does.
fn through_bash(dir: &std::path::Path, line: &str) -> std::process::Output {
    run(Command::new("bash")
        .args(["-c", &format!("{} {line}", env!("CARGO_BIN_EXE_keygen"))])
        .current_dir(dir)
        .env_remove("KEYGEN_SIGNING_KEY")
        .env_remove("KEYGEN_PASSPHRASE")
        .env("KEYGEN_TEMPLATES", templates_dir())
        .stdin(std::process::Stdio::null()))
}

#[test]
fn a_passphrase_from_a_pipe_is_read_and_one_longer_than_its_buffer_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    private_file(&t.path().join("pass.txt"), "sesame street 42\n");
    assert_exit(&run(keygen(t.path()).args(["init", "--encrypt", "--passphrase-file", "pass.txt"])), 0);
    let o = through_bash(
        t.path(),
        "issue --template trial --org Acme --passphrase-file <(printf 'sesame street 42\\n')",
    );
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("AST8-"), "{}", stdout(&o));
    // Longer than the fixed buffer: refused, saying why, not read on into a growing buffer.
    let o = through_bash(
        t.path(),
        "issue --template trial --org Acme --passphrase-file <(head -c 5000 /dev/zero | tr '\\0' a)",
    );
    assert_exit(&o, 4);
    let err = stderr(&o);
    assert!(
        err.contains("cannot read the passphrase file /dev/fd/")
            && err.contains("it is longer than 4096 bytes"),
        "{err}"
    );
}

/// Runs `keygen ARGS` on a pseudo-terminal (util-linux `script`) from a shell that survives
/// Ctrl-C, waits until the screen shows `prompt`, presses Ctrl-C once, and returns the
/// screen once the shell has said how keygen ended and printed the terminal's settings
/// (`stty -a`, on the same terminal, after keygen).
fn ctrl_c_at_the_prompt(dir: &std::path::Path, args: &str, prompt: &str) -> String {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let command =
        format!("trap true INT; {} {args}; echo \"keygen ended: $?\"; stty -a", env!("CARGO_BIN_EXE_keygen"));
    let mut child = Command::new("script")
        .current_dir(dir)
        .args(["-qec", &command, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env_remove("KEYGEN_PASSPHRASE")
        .env("KEYGEN_TEMPLATES", templates_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script runs");
    let screen = Arc::new(Mutex::new(Vec::new()));
    let mut out = child.stdout.take().expect("stdout");
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen.lock().expect("screen").extend_from_slice(&buf[..n]);
            }
        })
    };
    let shown = || String::from_utf8_lossy(&screen.lock().expect("screen")).into_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !shown().contains(prompt) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the shell ended ({status}) before the prompt '{prompt}'; the screen showed: {:?}",
                shown()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no prompt after 60 s; the screen shows: {:?}",
            shown()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"\x03").expect("Ctrl-C");
    // One Ctrl-C must do: keygen ends, the shell goes on to stty, and script ends with it.
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "one Ctrl-C did not end keygen within 60 s; the screen shows: {:?}",
            shown()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    drop(stdin);
    reader.join().expect("reader");
    shown()
}

/// The terminal settings `stty -a` printed: echo, line mode and key signals back on.
fn assert_terminal_restored(screen: &str) {
    let settings: Vec<&str> = screen.split_whitespace().collect();
    for on in ["echo", "icanon", "isig"] {
        assert!(
            settings.contains(&on) && !settings.contains(&format!("-{on}").as_str()),
            "{on} is off: {screen}"
        );
    }
}

#[test]
fn ctrl_c_at_the_passphrase_prompt_ends_keygen_at_once_and_leaves_echo_on() {
    let t = tempfile::tempdir().expect("tempdir");
    private_file(&t.path().join("pass.txt"), "sesame street 42\n");
    assert_exit(
        &run(keygen(t.path()).args(["init", "--dir", "v", "--encrypt", "--passphrase-file", "pass.txt"])),
        0,
    );
    const PROMPT: &str = "Passphrase for v/signing-key.pem:";
    let screen =
        ctrl_c_at_the_prompt(t.path(), "issue --key v/signing-key.pem --template trial --org Acme", PROMPT);
    // 130: ended by SIGINT, as a command interrupted by Ctrl-C is.
    assert!(screen.contains("keygen ended: 130"), "{screen}");
    assert_terminal_restored(&screen);
    assert_eq!(keys_in(&t.path().join("v/ledger.sqlite")), 0);

    // batch catches SIGINT to stop between chunks: the first Ctrl-C at its prompt still ends it.
    std::fs::write(t.path().join("in.csv"), "organization,order_id\nAcme,SO-1\n").expect("write");
    let screen = ctrl_c_at_the_prompt(
        t.path(),
        "batch --key v/signing-key.pem --template trial --input in.csv --output out.csv",
        PROMPT,
    );
    assert!(screen.contains("keygen ended: 130"), "{screen}");
    assert_terminal_restored(&screen);
    assert!(!t.path().join("out.csv").exists());
}
