//! Where a token's PIN comes from: the URI's `pin-source=`, then `$KEYGEN_PKCS11_PIN_FILE`,
//! then the caller's prompt (a terminal with echo off, or none for a service). Never from the
//! command line or an environment variable holding the PIN itself.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::TokenError;

/// The environment variable naming a file that holds the PIN.
pub const PIN_FILE_ENV: &str = "KEYGEN_PKCS11_PIN_FILE";

/// The most a PIN file may hold (PINs are short; a file this size is not one).
pub const MAX_PIN_FILE: usize = 1024;

/// A PIN in wiped memory. Its `Debug` shows nothing of it.
pub struct Pin(Zeroizing<String>);

impl Pin {
    /// Wraps a PIN, refusing an empty one.
    pub fn new(pin: Zeroizing<String>) -> Result<Pin, TokenError> {
        if pin.is_empty() { Err(TokenError::EmptyPin) } else { Ok(Pin(pin)) }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(..)")
    }
}

/// Asks a person for the PIN of the token named in the argument (echo off); `None` when no
/// one can be asked (not a terminal, a service).
pub type Prompt<'a> = &'a dyn Fn(&str) -> Option<std::io::Result<Zeroizing<String>>>;

/// Gets the PIN: from `pin_source` (the URI's), else the file `$KEYGEN_PKCS11_PIN_FILE`
/// names, else `prompt`.
pub fn obtain(pin_source: Option<&Path>, token: &str, prompt: Option<Prompt<'_>>) -> Result<Pin, TokenError> {
    if let Some(path) = pin_source {
        return read_file(path);
    }
    if let Some(path) = std::env::var_os(PIN_FILE_ENV) {
        return read_file(&PathBuf::from(path));
    }
    match prompt.and_then(|ask| ask(token)) {
        Some(Ok(pin)) => Pin::new(pin),
        Some(Err(e)) => Err(TokenError::Prompt(e.to_string())),
        None => Err(TokenError::NoPin { token: token.to_owned() }),
    }
}

/// Reads the PIN from the first line of a file that only its owner can read.
pub fn read_file(path: &Path) -> Result<Pin, TokenError> {
    let bytes = crate::private_file::read_private(path, MAX_PIN_FILE).map_err(|e| match e {
        crate::private_file::Private::Io(source) => {
            TokenError::PinFile { path: path.to_owned(), reason: source.to_string() }
        }
        crate::private_file::Private::Exposed(mode) => {
            TokenError::PinFileExposed { path: path.to_owned(), mode }
        }
    })?;
    if bytes.len() > MAX_PIN_FILE {
        return Err(TokenError::PinFile {
            path: path.to_owned(),
            reason: format!("longer than {MAX_PIN_FILE} bytes"),
        });
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| TokenError::PinFile { path: path.to_owned(), reason: "not UTF-8 text".to_owned() })?;
    let line = text.split('\n').next().unwrap_or_default();
    Pin::new(Zeroizing::new(line.strip_suffix('\r').unwrap_or(line).to_owned()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn pin_file(dir: &Path, mode: u32, text: &str) -> PathBuf {
        let path = dir.join("pin");
        std::fs::write(&path, text).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    #[test]
    fn the_pin_is_the_first_line_of_a_private_file_and_never_shown() {
        let dir = tempfile::tempdir().expect("dir");
        let path = pin_file(dir.path(), 0o600, "97531\r\nsecond line\n");
        let pin = obtain(Some(&path), "vendor", None).expect("pin");
        assert_eq!(pin.expose(), "97531");
        assert_eq!(format!("{pin:?}"), "Pin(..)");
    }

    #[test]
    fn an_exposed_or_empty_pin_file_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = pin_file(dir.path(), 0o644, "97531\n");
        let err = read_file(&path).expect_err("exposed");
        assert!(matches!(err, TokenError::PinFileExposed { mode: 0o644, .. }), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("97531"));
        let path = pin_file(dir.path(), 0o600, "\nnot the first line\n");
        assert!(matches!(read_file(&path), Err(TokenError::EmptyPin)));
    }

    #[test]
    fn the_prompt_is_asked_only_when_there_is_no_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = pin_file(dir.path(), 0o600, "from-file\n");
        let asked = std::cell::Cell::new(false);
        let prompt = |_: &str| {
            asked.set(true);
            Some(Ok(Zeroizing::new("typed".to_owned())))
        };
        assert_eq!(obtain(Some(&path), "t", Some(&prompt)).expect("pin").expose(), "from-file");
        assert!(!asked.get());
        // No file (the environment variable is not set in keygen's unit tests).
        if std::env::var_os(PIN_FILE_ENV).is_none() {
            assert_eq!(obtain(None, "t", Some(&prompt)).expect("pin").expose(), "typed");
            assert!(asked.get());
            let err = obtain(None, "vendor", None).expect_err("no pin");
            assert!(matches!(err, TokenError::NoPin { .. }), "{err:?}");
        }
    }
}
