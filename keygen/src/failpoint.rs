//! Test-only failpoints, set by `KEYGEN_FAILPOINT`, so that tests can crash or pause a batch
//! at a chosen stage instead of guessing it with sleeps. Unset in real use; an unknown value
//! is ignored.
//!
//! - `after-check:crash`, `after-check:pause=PATH`: when every row is checked, before any
//!   signature.
//! - `after-chunk=N:crash`, `after-chunk=N:pause=PATH`: when chunk N (from 1) is appended to
//!   the ledger, before it is synced.
//! - `tear-chunk=N`: writes half of chunk N's ledger bytes, then crashes.
//! - `publish:fail`: publishing the output fails as on a full disk.
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
    /// Half of chunk N's ledger bytes written, then a crash.
    TearChunk(u64),
    /// Publishing the output fails (ENOSPC).
    FailPublish,
}

/// The failpoint the environment sets, if any.
pub fn from_env() -> Option<Failpoint> {
    let value = std::env::var(ENV).ok()?;
    if value == "publish:fail" {
        return Some(Failpoint::FailPublish);
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
    value.strip_prefix("tear-chunk=")?.parse().ok().map(Failpoint::TearChunk)
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
