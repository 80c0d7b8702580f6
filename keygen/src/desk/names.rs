//! People's names as the desk compares them: one person whatever the case or the Unicode
//! form typed. Used by sign-in, the people page and `keygen desk user add`.

use unicode_normalization::UnicodeNormalization;

use crate::db::people;

/// A name as compared: `Ada`, `ada` and `ADA` are one person (and `é` typed as one
/// character or as `e` and an accent).
pub fn fold(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).collect()
}

/// The person already there under another case of `name`, if any.
pub fn taken(conn: &rusqlite::Connection, name: &str) -> rusqlite::Result<Option<String>> {
    let folded = fold(name);
    Ok(people::list(conn)?.into_iter().map(|p| p.name).find(|n| fold(n) == folded))
}
