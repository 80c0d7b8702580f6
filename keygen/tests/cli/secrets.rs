//! Secrets on their way in (issue 18): a passphrase from a pipe, and the terminal after
//! Ctrl-C at the passphrase prompt.

use std::path::Path;
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

/// Runs `keygen ARGS` on a pseudo-terminal, waits until the screen shows `prompt`, presses
/// Ctrl-C once, and returns the screen once the shell has said how keygen ended and printed
/// the terminal's settings (`stty -a`, on the same terminal, after keygen).
fn ctrl_c_at_the_prompt(dir: &std::path::Path, args: &str, prompt: &str) -> String {
    let mut pty = Pty::start(dir, args, "stty -a");
    pty.wait_for(&[prompt]);
    // One Ctrl-C must do: keygen ends, the shell goes on to stty, and script ends with it.
    pty.send(b"\x03");
    pty.finish()
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

/// keygen on a pseudo-terminal (util-linux `script`), from a shell that survives Ctrl-C and
/// says how keygen ended; keys typed through it, the screen read as it comes.
pub struct Pty {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    screen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    deadline: std::time::Instant,
    /// How much of the screen the waits so far have matched.
    seen: usize,
}

impl Pty {
    /// Starts `keygen ARGS`, then the shell commands `after` (on the same terminal).
    pub fn start(dir: &Path, args: &str, after: &str) -> Pty {
        use std::io::Read;
        let command = format!(
            "trap true INT; {} {args}; echo \"keygen ended: $?\"; {after}",
            env!("CARGO_BIN_EXE_keygen")
        );
        let mut child = Command::new("script")
            .current_dir(dir)
            .args(["-qec", &command, "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env_remove("KEYGEN_PASSPHRASE")
            .env_remove("KEYGEN_SIGNING_KEY")
            .env_remove("KEYGEN_LEDGER")
            .env("KEYGEN_TEMPLATES", templates_dir())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("util-linux script runs");
        let screen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut out = child.stdout.take().expect("stdout");
        let reader = {
            let screen = std::sync::Arc::clone(&screen);
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
        let stdin = child.stdin.take();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        Pty { child, stdin, screen, reader: Some(reader), deadline, seen: 0 }
    }

    /// The screen so far.
    pub fn shown(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().expect("screen")).into_owned()
    }

    /// Waits until the screen shows one of `any` past what earlier waits matched; returns it.
    pub fn wait_for<'a>(&mut self, any: &[&'a str]) -> &'a str {
        loop {
            let now = self.shown();
            let rest = now.get(self.seen..).unwrap_or_default();
            let first = any.iter().filter_map(|s| rest.find(s).map(|i| (i, *s))).min();
            if let Some((i, found)) = first {
                self.seen += i + found.len();
                return found;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the shell ended ({status}) before any of {any:?}; the screen showed: {now:?}");
            }
            assert!(std::time::Instant::now() < self.deadline, "none of {any:?} after 60 s: {now:?}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Types `bytes`.
    pub fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("stdin");
        stdin.write_all(bytes).expect("type");
        stdin.flush().expect("flush");
    }

    /// Waits for the shell to end; the whole screen.
    pub fn finish(mut self) -> String {
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            assert!(std::time::Instant::now() < self.deadline, "keygen did not end: {:?}", self.shown());
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        drop(self.stdin.take());
        if let Some(r) = self.reader.take() {
            r.join().expect("reader");
        }
        self.shown()
    }
}

impl Drop for Pty {
    /// A test that failed midway leaves no shell waiting at a prompt (keygen, on the closed
    /// terminal, is sent SIGHUP).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
