//! The API's tokens and the shops whose webhooks the desk accepts, as rules: their names,
//! how a token is made and recorded, what a Standard Webhooks secret is, and where a shop's
//! secret is kept (a private file beside the signing key). Stored in the ledger by
//! `db::tokens` and `db::shops`, under the signed head.

use crate::db::store::LedgerWrite;
use std::path::Path;

use crate::db::people::Role;
use crate::db::tokens;
use crate::error::{Error, Field};
use crate::key_record::now_rfc3339;

/// A token's or shop's name: 1 to 64 of ASCII letters, digits, `.`, `_` and `-` (it stands
/// in URLs and in the ledger's actor).
pub fn check_name(what: &str, name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!(
            "'{}' is not a {what} name: 1 to 64 letters, digits, '.', '_' or '-'",
            name.escape_debug()
        )))
    }
}

/// A new token: the prefix and 256 random bits in hex.
pub fn make_token() -> Result<zeroize::Zeroizing<String>, Error> {
    use rand::TryRng;
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    rand::rngs::SysRng
        .try_fill_bytes(bytes.as_mut())
        .map_err(|e| Error::input(format!("cannot make a token: {e}")))?;
    Ok(zeroize::Zeroizing::new(format!("{}{}", tokens::PREFIX, hex::encode(bytes.as_ref()))))
}

/// Adds a token in the caller's transaction; the token made.
pub fn add_token(
    conn: &dyn LedgerWrite,
    name: &str,
    role: Role,
    expires: Option<&str>,
    actor: &str,
) -> Result<zeroize::Zeroizing<String>, Error> {
    check_name("token", name)?;
    let expires = match expires {
        Some(text) => {
            Some(crate::dates::day(text).map_err(|e| Error::invalid(Field::Expires, e))?.to_string())
        }
        None => None,
    };
    let what = || Error::db("cannot write the ledger");
    if let Some(there) = conn.token_named(name).map_err(what())? {
        return Err(Error::input(format!(
            "there is a token {there} already: names are compared ignoring case (remove it first)"
        )));
    }
    let token = make_token()?;
    let at = now_rfc3339();
    let row = tokens::Token {
        name: name.to_owned(),
        role,
        expires: expires.clone(),
        added_at: at.clone(),
        added_by: actor.to_owned(),
        last_used: None,
    };
    conn.add_token(&row, &tokens::hash(&token)).map_err(what())?;
    let until = expires.as_deref().map_or(String::new(), |d| format!(", until {d}"));
    crate::db::people::event(conn, &at, actor, "token added", &format!("{name} ({role}{until})"))
        .map_err(what())?;
    Ok(token)
}

/// Removes a token in the caller's transaction.
pub fn remove_token(conn: &dyn LedgerWrite, name: &str, actor: &str) -> Result<(), Error> {
    let what = || Error::db("cannot write the ledger");
    if !conn.remove_token(name).map_err(what())? {
        return Err(Error::input(format!("there is no token {name}")));
    }
    crate::db::people::event(conn, &now_rfc3339(), actor, "token removed", name).map_err(what())?;
    Ok(())
}

/// A Standard Webhooks secret: `whsec_` (optional) and base64 of 24 to 64 bytes.
pub fn parse_secret(text: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    let t = text.trim();
    let b64 = t.strip_prefix("whsec_").unwrap_or(t);
    let bytes = zeroize::Zeroizing::new(
        data_encoding::BASE64
            .decode(b64.as_bytes())
            .map_err(|_| "the secret is not whsec_ and base64 (as Standard Webhooks says)".to_owned())?,
    );
    if !(24..=64).contains(&bytes.len()) {
        return Err(format!("the secret holds {} bytes; Standard Webhooks says 24 to 64", bytes.len()));
    }
    Ok(bytes)
}

/// Reads a private file (refused when others can read it).
pub fn read_secret_file(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
    let bytes = crate::private_file::read_private(path, 4096).map_err(|e| match e {
        crate::private_file::Private::Io(source) => {
            Error::Io { what: format!("cannot read the secret file {}", path.display()), source }
        }
        crate::private_file::Private::Exposed(mode) => Error::input(format!(
            "the secret file {} has mode {mode:o}: others can read it; chmod 600 it",
            path.display()
        )),
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::input(format!("the secret file {} is not text", path.display())))?;
    parse_secret(text.lines().next().unwrap_or(""))
        .map_err(|e| Error::input(format!("{}: {e}", path.display())))
}

/// Writes `bytes` to `path` with mode 0600, its folder 0700, whatever the umask.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let io = |what: String| move |source| Error::Io { what, source };
    // A bare file name is written where it is named (the current folder is left as it is).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(format!("cannot make {}", dir.display())))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io(format!("cannot make {} private", dir.display())))?;
    }
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(format!("cannot write {}", tmp.display())))?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io(format!("cannot make {} private", tmp.display())))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(io(format!("cannot write {}", path.display())))
}
