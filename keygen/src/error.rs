//! Every way keygen fails. `Display` is the exact message the user sees; `exit_code` is the
//! spec's code for it, defined here once.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A failure of a keygen command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid input and nothing was done (exit 3).
    #[error("{0}")]
    Input(String),
    /// Many invalid inputs found at once, each on its own line (exit 3).
    #[error("{}", .0.join("\n"))]
    Inputs(Vec<String>),
    /// A signing key problem (exit 4).
    #[error("{0}")]
    Key(#[from] KeyError),
    /// Stopped by Ctrl-C or SIGTERM; what was recorded is said (exit 1).
    #[error("{0}")]
    Interrupted(String),
    /// Any other failure, I/O mostly (exit 1).
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code of the spec.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Error::Input(_) | Error::Inputs(_) => 3,
            Error::Key(_) => 4,
            Error::Io { .. } | Error::Interrupted(_) => 1,
        })
    }

    /// An I/O failure while doing `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }

    /// Invalid input.
    pub fn input(message: impl Into<String>) -> Error {
        Error::Input(message.into())
    }
}

/// Why a signing key cannot be used (exit 4). Never carries secret bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No file at the path.
    #[error("no signing key at {}: make one with 'keygen init', or give --key PATH (or KEYGEN_SIGNING_KEY)", .0.display())]
    Missing(PathBuf),
    /// The file exists but cannot be read.
    #[error("cannot read the signing key {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Group or others may read or write the file.
    #[error("the signing key {} is readable by others (mode {mode:03o}); fix it with: chmod 600 {}", path.display(), path.display())]
    UnsafePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A PEM, but not an Ed25519 private key.
    #[error("{} is not an Ed25519 signing key: {what}", path.display())]
    NotEd25519 {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        what: String,
    },
    /// The passphrase does not open the key.
    #[error("wrong passphrase for the signing key {}", .0.display())]
    WrongPassphrase(PathBuf),
    /// The key is encrypted and no passphrase source was given.
    #[error("the signing key {} is encrypted: give --passphrase-file PATH or set KEYGEN_PASSPHRASE", .0.display())]
    NoPassphrase(PathBuf),
    /// An empty passphrase, which is refused.
    #[error("the passphrase is empty; an empty passphrase is refused")]
    EmptyPassphrase,
    /// The two passphrases typed at `init` differ.
    #[error("the passphrases do not match")]
    PassphraseMismatch,
    /// The passphrase file cannot be read.
    #[error("cannot read the passphrase file {}: {source}", path.display())]
    PassphraseFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// KEYGEN_PASSPHRASE holds bytes that are not UTF-8.
    #[error("KEYGEN_PASSPHRASE is not valid UTF-8 text")]
    PassphraseNotText,
    /// The passphrase could not be read from the terminal.
    #[error("cannot read the passphrase from the terminal: {0}")]
    Prompt(String),
    /// The key could not be encrypted or encoded.
    #[error("cannot encode the signing key: {0}")]
    Encode(String),
    /// The system's random generator failed.
    #[error("the system random generator failed: {0}")]
    Random(String),
}

impl KeyError {
    /// A read failure of `path`, told apart into missing and unreadable.
    pub fn reading(path: &Path, source: std::io::Error) -> KeyError {
        if source.kind() == std::io::ErrorKind::NotFound {
            KeyError::Missing(path.to_owned())
        } else {
            KeyError::Unreadable { path: path.to_owned(), source }
        }
    }
}
