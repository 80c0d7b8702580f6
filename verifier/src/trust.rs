//! Trusted keys, the revocation list and the checking date: loaded before any key is read,
//! so that their errors come first.

use std::path::{Path, PathBuf};

use product_key::{Day, RevocationList, TrustedKeys};

use crate::cli::Trust;
use crate::error::Error;

/// The environment variable listing trusted public key files.
pub const ENV: &str = "VERIFIER_PUBLIC_KEYS";
/// The environment variable naming the revocation list applied by default.
pub const REVOCATIONS_ENV: &str = "VERIFIER_REVOCATIONS";
/// Said beside "no list given" in the key's fields.
pub const HOW_TO_GIVE_A_LIST: &str = "give --revocations FILE or set VERIFIER_REVOCATIONS";

/// What a key is checked against.
pub struct Setup {
    /// Trusted public keys.
    pub trusted: TrustedKeys,
    /// The verified revocation list, if one was given.
    pub revocations: Option<RevocationList>,
    /// The checking date.
    pub at: Day,
}

/// Loads everything `trust` names. Usage errors exit 2; an unusable list exits 9.
pub fn load(trust: &Trust) -> Result<Setup, Error> {
    let paths: Vec<PathBuf> = if trust.public_keys.is_empty() {
        std::env::var_os(ENV)
            .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect())
            .unwrap_or_default()
    } else {
        trust.public_keys.clone()
    };
    if paths.is_empty() {
        return Err(Error::Usage(format!("no trusted public key: give --public-key PATH, or set {ENV}")));
    }
    let mut trusted = TrustedKeys::new();
    for path in &paths {
        add_key(&mut trusted, path)?;
    }
    let at = match &trust.at {
        Some(text) => text.parse::<Day>().map_err(|e| Error::Usage(format!("--at: {e}")))?,
        None => Day::today()
            .ok_or_else(|| Error::Usage("today is outside the days a key can hold; give --at".into()))?,
    };
    let list_path = trust
        .revocations
        .clone()
        .or_else(|| std::env::var_os(REVOCATIONS_ENV).filter(|v| !v.is_empty()).map(PathBuf::from));
    let revocations = match &list_path {
        None => None,
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::Revocations(format!("cannot read the revocation list {}: {e}", path.display()))
            })?;
            let text = String::from_utf8_lossy(&bytes);
            let list = RevocationList::open(&text, &trusted, product_key::PRODUCT_CODE).map_err(|e| {
                Error::Revocations(format!("cannot use the revocation list {}: {e}", path.display()))
            })?;
            Some(list)
        }
    };
    Ok(Setup { trusted, revocations, at })
}

fn add_key(trusted: &mut TrustedKeys, path: &Path) -> Result<(), Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Usage(format!("cannot read the public key {}: {e}", path.display())))?;
    if bytes.len() > 64 * 1024 {
        return Err(Error::Usage(format!("{} is too large to be a public key", path.display())));
    }
    let text = String::from_utf8_lossy(&bytes);
    trusted.add_text(&text).map(|_| ()).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}
