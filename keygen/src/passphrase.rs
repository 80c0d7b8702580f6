//! Where a passphrase comes from: --passphrase-file, then $KEYGEN_PASSPHRASE, then a prompt
//! when stdin is a terminal. Held in zeroizing memory; never logged.

use std::io::IsTerminal;
use std::path::Path;

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

/// Gets the passphrase for `key_path`, or says why there is none.
pub fn obtain(file: Option<&Path>, key_path: &Path, purpose: Purpose) -> Result<Zeroizing<String>, KeyError> {
    let passphrase = if let Some(file) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(file)
                .map_err(|source| KeyError::PassphraseFile { path: file.to_owned(), source })?,
        );
        let line = text.split('\n').next().unwrap_or_default();
        Zeroizing::new(line.strip_suffix('\r').unwrap_or(line).to_owned())
    } else if let Some(value) = std::env::var_os(ENV) {
        // Moved, not copied, into wiped memory; a passphrase that is not UTF-8 is refused.
        Zeroizing::new(value.into_string().map_err(|_| KeyError::PassphraseNotText)?)
    } else if std::io::stdin().is_terminal() {
        let prompt = format!("Passphrase for {}: ", key_path.display());
        let first =
            Zeroizing::new(rpassword::prompt_password(prompt).map_err(|e| KeyError::Prompt(e.to_string()))?);
        if purpose == Purpose::New {
            let again = Zeroizing::new(
                rpassword::prompt_password("Repeat the passphrase: ")
                    .map_err(|e| KeyError::Prompt(e.to_string()))?,
            );
            if *first != *again {
                return Err(KeyError::PassphraseMismatch);
            }
        }
        first
    } else {
        return Err(KeyError::NoPassphrase(key_path.to_owned()));
    };
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    Ok(passphrase)
}
