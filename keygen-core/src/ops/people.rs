//! The desk's people as rules: what a name may be, how long a password must be, and the
//! passwords keygen makes. Stored in the ledger by `db::people`.

use crate::db::store::LedgerRead;
use crate::db::store::StoreResult;
use unicode_normalization::UnicodeNormalization;

use crate::error::Error;

/// The shortest password the desk accepts.
pub const MIN_PASSWORD: usize = 12;

/// A name people sign in with: 1 to 64 characters, no control characters, no spaces at the
/// ends, no colon.
pub fn check_name(name: &str) -> Result<(), Error> {
    crate::text_rules::check(crate::text_rules::Field::PersonName, name)?;
    if name.is_empty()
        || name.chars().count() > 64
        || name.chars().any(char::is_control)
        || name.trim() != name
    {
        return Err(Error::input(format!(
            "'{}' is not a name: 1 to 64 characters, no control characters, no spaces at either end",
            name.escape_debug()
        )));
    }
    // A person's name is their actor in the ledger; `cli:USER` and `api:TOKEN` are the other
    // faces' actors, so a colon would let a person pass for one of them.
    if name.contains(':') {
        return Err(Error::input(format!(
            "'{}' is not a name: ':' is kept for the command line's and the API's actors (cli:USER, api:NAME)",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// 20 characters from 32 letters and digits (100 bits), without look-alikes.
pub fn generate() -> Result<zeroize::Zeroizing<String>, Error> {
    use rand::TryRng;
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789A";
    let mut bytes = zeroize::Zeroizing::new([0u8; 20]);
    rand::rngs::SysRng
        .try_fill_bytes(bytes.as_mut())
        .map_err(|e| Error::input(format!("cannot make a password: {e}")))?;
    Ok(zeroize::Zeroizing::new(bytes.iter().map(|b| char::from(ALPHABET[usize::from(b % 32)])).collect()))
}

/// A name as compared: `Ada`, `ada` and `ADA` are one person (and `é` typed as one
/// character or as `e` and an accent).
pub fn fold(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).collect()
}

/// The person already there under another case of `name`, if any.
pub fn taken(conn: &dyn LedgerRead, name: &str) -> StoreResult<Option<String>> {
    let folded = fold(name);
    Ok(conn.people()?.into_iter().map(|p| p.name).find(|n| fold(n) == folded))
}
