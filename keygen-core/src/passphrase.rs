//! Where a passphrase comes from: a passphrase file, then $KEYGEN_PASSPHRASE, then the
//! face's prompt when stdin is a terminal (the command line installs one; the desk, a
//! service, does not). Held in zeroizing memory; never logged.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::OnceLock;

use zeroize::Zeroizing;

use crate::error::KeyError;

/// The environment variable holding a passphrase.
pub const ENV: &str = "KEYGEN_PASSPHRASE";

/// Whether the passphrase is being chosen (asked twice) or entered to open a key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `init --encrypt`: typed twice when prompted.
    New,
    /// Opening an encrypted key.
    Open,
}

/// The most a passphrase file may hold: the passphrase on its first line (a few dozen
/// characters; the terminal prompt takes up to 4096 bytes too).
pub const MAX_FILE: usize = 4096;

/// The fewest characters a new passphrase may have (see docs/operations.md for why).
pub const MIN_NEW_CHARS: usize = crate::error::MIN_NEW_PASSPHRASE_CHARS;

/// A prompt that reads a secret with echo off: the face's, installed once.
pub type Prompt = fn(&str) -> std::io::Result<Zeroizing<String>>;

static PROMPT: OnceLock<Prompt> = OnceLock::new();

/// Installs the prompt that asks for a passphrase or a PIN on a terminal. Without one, a key
/// that needs a passphrase and has no file or variable for it is refused.
pub fn set_prompt(prompt: Prompt) {
    let _ = PROMPT.set(prompt);
}

/// The installed prompt, if any.
pub fn prompt() -> Option<Prompt> {
    PROMPT.get().copied()
}

/// Gets the passphrase for `key_path`, or says why there is none.
pub fn obtain(file: Option<&Path>, key_path: &Path, purpose: Purpose) -> Result<Zeroizing<String>, KeyError> {
    let passphrase = if let Some(file) = file {
        let bytes = crate::private_file::read_private(file, MAX_FILE).map_err(|e| match e {
            crate::private_file::Private::Io(source) => {
                KeyError::PassphraseFile { path: file.to_owned(), source }
            }
            crate::private_file::Private::Exposed(mode) => {
                KeyError::UnsafePermissions { path: file.to_owned(), mode }
            }
        })?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| KeyError::PassphraseFileNotText(file.to_owned()))?;
        let line = text.split('\n').next().unwrap_or_default();
        Zeroizing::new(line.strip_suffix('\r').unwrap_or(line).to_owned())
    } else if let Some(value) = std::env::var_os(ENV) {
        // This copy is wiped after use; the process environment keeps its own until the
        // process ends (std cannot wipe it safely). Prefer --passphrase-file on shared hosts.
        Zeroizing::new(value.into_string().map_err(|_| KeyError::PassphraseNotText)?)
    } else if let Some(ask) = prompt().filter(|_| std::io::stdin().is_terminal()) {
        let prompt = match purpose {
            Purpose::New => format!("New passphrase for {}: ", key_path.display()),
            Purpose::Open => format!("Passphrase for {}: ", key_path.display()),
        };
        let first = ask(&prompt).map_err(|e| KeyError::Prompt(e.to_string()))?;
        if purpose == Purpose::New {
            let again = ask("Repeat the passphrase: ").map_err(|e| KeyError::Prompt(e.to_string()))?;
            if *first != *again {
                return Err(KeyError::PassphraseMismatch);
            }
        }
        first
    } else {
        return Err(match purpose {
            Purpose::New => KeyError::NoNewPassphrase(key_path.to_owned()),
            Purpose::Open => KeyError::NoPassphrase(key_path.to_owned()),
        });
    };
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    Ok(passphrase)
}

/// Refuses a new passphrase shorter than [`MIN_NEW_CHARS`] characters.
pub fn check_strength(passphrase: &str) -> Result<(), KeyError> {
    let chars = passphrase.chars().count();
    if chars < MIN_NEW_CHARS { Err(KeyError::WeakPassphrase { chars }) } else { Ok(()) }
}
