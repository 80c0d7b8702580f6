//! Failures that stop the verifier before a verdict. `Display` is the user's message.

use std::process::ExitCode;

/// Why no verdict could be given.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments, or trusted keys that cannot be used (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The revocation list given cannot be used (exit 9).
    #[error("{0}")]
    Revocations(String),
    /// Reading or writing failed (exit 1; the codes 3 to 8 belong to the statuses).
    #[error("{0}")]
    Io(String),
    /// Whoever read the output went away; not a failure.
    #[error("the reader of the output went away")]
    ClosedPipe,
}

impl Error {
    /// The exit code of the spec.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Error::Usage(_) => 2,
            Error::Revocations(_) => 9,
            Error::Io(_) => 1,
            Error::ClosedPipe => 0,
        })
    }
}
