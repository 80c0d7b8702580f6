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
