#![cfg_attr(not(any(feature = "failpoints", debug_assertions)), allow(dead_code))]
//! Test-only failpoints, set by `KEYGEN_FAILPOINT`, so that tests can crash or pause a batch
//! at a chosen stage instead of guessing it with sleeps. They exist only in a build with debug
//! assertions (a debug build: the one the tests run, so that no second keygen is compiled for
//! them) or with the `failpoints` feature: a release build ignores the variable (checked
//! below, by compiling this module as a release build does). An unknown value is ignored.
//!
//! - `after-check:crash`, `after-check:pause=PATH`: when every row is checked, before any
//!   signature.
//! - `after-chunk=N:crash`, `after-chunk=N:pause=PATH`: when chunk N (from 1) is inserted
//!   into the ledger's transaction, before the commit.
//! - `before-commit:crash`: every row inserted and the head signed, not committed.
//! - `after-commit:crash`: the batch committed, its output not yet written anywhere named.
//! - `publishing:crash`: the batch's output half copied to its `.partial-batch-*` file.
//! - `publish:fail`: publishing the output (batch) or the list (revoke) fails as on a full
//!   disk, after the commit.
//!
//! `crash` aborts the process (no destructor runs: as a power cut would leave the files).
//! `pause=PATH` creates `PATH.reached`, then waits until `PATH` exists.

use std::path::{Path, PathBuf};

/// The environment variable.
pub const ENV: &str = "KEYGEN_FAILPOINT";

/// What to do at a failpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Abort the process.
    Crash,
    /// Signal arrival, then wait for the test to release.
    Pause(PathBuf),
}

/// Where to act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failpoint {
    /// Every row checked, nothing signed.
    AfterCheck(Action),
    /// Chunk N appended to the ledger.
    AfterChunk(u64, Action),
    /// Every row inserted, nothing committed: crash.
    BeforeCommit,
    /// Publishing the output fails (ENOSPC).
    FailPublish,
    /// The batch committed, nothing published: crash.
    AfterCommit,
    /// The batch's output partly copied to its named temporary file: crash.
    Publishing,
}

/// The failpoint the environment sets, if any; always none in a release build (no debug
/// assertions) without the `failpoints` feature.
#[cfg(not(any(feature = "failpoints", debug_assertions)))]
pub fn from_env() -> Option<Failpoint> {
    None
}

/// The failpoint the environment sets, if any.
#[cfg(any(feature = "failpoints", debug_assertions))]
pub fn from_env() -> Option<Failpoint> {
    let value = std::env::var(ENV).ok()?;
    if value == "before-commit:crash" {
        return Some(Failpoint::BeforeCommit);
    }
    match value.as_str() {
        "publish:fail" => return Some(Failpoint::FailPublish),
        "after-commit:crash" => return Some(Failpoint::AfterCommit),
        "publishing:crash" => return Some(Failpoint::Publishing),
        _ => {}
    }
    let action = |text: &str| match text {
        "crash" => Some(Action::Crash),
        t => t.strip_prefix("pause=").map(|p| Action::Pause(PathBuf::from(p))),
    };
    if let Some(rest) = value.strip_prefix("after-check:") {
        return action(rest).map(Failpoint::AfterCheck);
    }
    if let Some(rest) = value.strip_prefix("after-chunk=") {
        let (n, what) = rest.split_once(':')?;
        return Some(Failpoint::AfterChunk(n.parse().ok()?, action(what)?));
    }
    None
}

/// Carries out `action`.
pub fn act(action: &Action) {
    match action {
        Action::Crash => std::process::abort(),
        Action::Pause(path) => pause(path),
    }
}

fn pause(path: &Path) {
    let mut reached = path.as_os_str().to_owned();
    reached.push(".reached");
    let _ = std::fs::write(&reached, b"");
    while !path.exists() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    /// A release build ignores KEYGEN_FAILPOINT. CI builds no release keygen (a fat-LTO build
    /// would cost minutes), so this module, which needs only std, is compiled on its own by
    /// rustc as `cargo build --release` compiles it (no debug assertions, no feature) and run
    /// with the variable set; compiled as a debug build, or with the feature, it must read it
    /// (so that the check can fail). Every failpoint in keygen goes through `from_env`.
    #[test]
    fn only_a_debug_or_failpoints_build_reads_the_variable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/failpoint.rs");
        let main = dir.path().join("main.rs");
        std::fs::write(
            &main,
            format!(
                "#[path = {:?}]\nmod failpoint;\nfn main() {{ print!(\"{{:?}}\", failpoint::from_env()); }}\n",
                module.display().to_string()
            ),
        )
        .expect("write main.rs");
        let builds: [(&str, &[&str], &str); 3] = [
            ("release", &["-C", "opt-level=3", "-C", "debug-assertions=off"], "None"),
            ("debug", &["-C", "debug-assertions=on"], "Some(FailPublish)"),
            (
                "release with the feature",
                &["-C", "debug-assertions=off", "--cfg", "feature=\"failpoints\""],
                "Some(FailPublish)",
            ),
        ];
        for (i, (build, flags, expected)) in builds.into_iter().enumerate() {
            let program = dir.path().join(format!("build{i}"));
            let rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
                .args(["--edition", "2024", "--crate-type", "bin", "--crate-name", "failpoint_check"])
                .args(flags)
                .arg("-o")
                .arg(&program)
                .arg(&main)
                .output()
                .expect("rustc runs");
            assert!(rustc.status.success(), "{build}: {}", String::from_utf8_lossy(&rustc.stderr));
            let run = Command::new(&program).env(super::ENV, "publish:fail").output().expect("runs");
            assert!(run.status.success(), "{build}");
            assert_eq!(String::from_utf8_lossy(&run.stdout), expected, "{build}");
        }
    }
}
