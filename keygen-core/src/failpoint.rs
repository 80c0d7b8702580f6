#![cfg_attr(not(feature = "failpoints"), allow(dead_code))]
//! Test-only failpoints, set by `KEYGEN_FAILPOINT`, so that tests can crash or pause a batch
//! at a chosen stage instead of guessing it with sleeps. They exist only in a build with the
//! `failpoints` feature, which only the tests turn on: any other build ignores the variable.
//! An unknown value is ignored.
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

/// The failpoint the environment sets, if any; always none without the `failpoints` feature.
#[cfg(not(feature = "failpoints"))]
pub fn from_env() -> Option<Failpoint> {
    None
}

/// The failpoint the environment sets, if any.
#[cfg(feature = "failpoints")]
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
