//! Runs every `sh` block of docs/operations.md, in order, in a scratch folder, holding each
//! command to its exit code (0, or the `# exit N` written beside it). The guide cannot rot.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().and_then(Path::parent).expect("target folder").to_owned();
    for name in ["keygen", "verifier"] {
        assert!(
            dir.join(name).exists(),
            "{name} is missing: run `cargo test --workspace`, which builds every binary"
        );
    }
    dir
}

/// The commands of the guide: (command text, expected exit code). Lines ending in `\`
/// continue the command.
fn commands(guide: &str) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current = String::new();
    for line in guide.lines() {
        if line.trim_start().starts_with("```") {
            in_block = line.trim() == "```sh";
            continue;
        }
        if !in_block || line.trim().is_empty() {
            continue;
        }
        current.push_str(line);
        if let Some(stripped) = current.strip_suffix('\\') {
            current = format!("{stripped} ");
            continue;
        }
        let (command, expected) = match current.rsplit_once("# exit ") {
            Some((c, n)) => (c.trim().to_owned(), n.trim().parse().expect("exit code")),
            None => (current.trim().to_owned(), 0),
        };
        out.push((command, expected));
        current.clear();
    }
    out
}

#[test]
fn every_command_of_the_operations_guide_works() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let guide = std::fs::read_to_string(root.join("docs/operations.md")).expect("guide");
    let commands = commands(&guide);
    assert!(commands.len() > 30, "only {} commands found", commands.len());
    let mut script = String::from("set -uo pipefail\n");
    for (i, (command, expected)) in commands.iter().enumerate() {
        script.push_str(&format!(
            "{command}\nrc=$?\nif [ $rc -ne {expected} ]; then echo \"command {} exited $rc, not {expected}: \"{} >&2; exit 1; fi\n",
            i + 1,
            shell_quote(command)
        ));
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(scratch.path())
        .env("PATH", path)
        .env("KEYGEN_TEMPLATES", root.join("templates"))
        .env("KEYGEN_PASSPHRASE", "test passphrase for the guide")
        .env_remove("KEYGEN_SIGNING_KEY")
        .env_remove("KEYGEN_LEDGER")
        .env_remove("VERIFIER_PUBLIC_KEYS")
        .env_remove("VERIFIER_REVOCATIONS")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "stderr:\n{}\nstdout:\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
