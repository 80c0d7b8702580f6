//! `keygen desk token add | list | remove` and `keygen desk shop add | list | remove`: the
//! API's tokens and the shops whose webhooks the desk accepts. Both are under the ledger's
//! signed head, so changing them is a signed write (the signing key and its passphrase).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use crate::db::people::Role;
use crate::db::{Db, shops, tokens};
use crate::error::Error;
use crate::record::now_rfc3339;

/// `keygen desk token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token; it is printed once (the ledger keeps only its SHA-256).
    Add {
        /// Its name (letters, digits, `.`, `_`, `-`; up to 64): its work is recorded as `api:NAME`.
        name: String,
        /// support (reads and finds), sales (also issues, renews, amends), operations, or admin (also revokes).
        #[arg(long)]
        role: Role,
        /// Its last valid day (YYYY-MM-DD, UTC); without it, it lasts until removed.
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
    },
    /// List the tokens: role, last day, who added them, when last used.
    List,
    /// Remove a token: it is refused from its next request on.
    Remove {
        /// Its name.
        name: String,
    },
}

/// `keygen desk shop ...`.
#[derive(Debug, Subcommand)]
pub enum ShopCommand {
    /// Add a shop (or give one a new secret or mapping).
    Add {
        /// Its name (letters, digits, `.`, `_`, `-`; up to 64): the webhook's URL is /api/v1/fulfill/NAME.
        name: String,
        /// The file holding the shop's signing secret (`whsec_` and base64, as Standard Webhooks
        /// says; 24 to 64 bytes). Copied, 0600, to shops/NAME.whsec beside the signing key.
        #[arg(long, value_name = "PATH")]
        secret_file: std::path::PathBuf,
        /// A product id of the shop and the edition it sells: PRODUCT=EDITION. Repeat for
        /// each; without any, the shop's product ids are edition ids.
        #[arg(long, value_name = "PRODUCT=EDITION")]
        product: Vec<String>,
    },
    /// List the shops and their products.
    List,
    /// Remove a shop: its webhooks are refused from the next one on.
    Remove {
        /// Its name.
        name: String,
    },
}

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
    conn: &rusqlite::Connection,
    name: &str,
    role: Role,
    expires: Option<&str>,
    actor: &str,
) -> Result<zeroize::Zeroizing<String>, Error> {
    check_name("token", name)?;
    let expires = match expires {
        Some(text) => {
            Some(crate::dates::day(text).map_err(|e| Error::input(format!("--expires: {e}")))?.to_string())
        }
        None => None,
    };
    let what = || Error::db("cannot write the ledger");
    if let Some(there) = tokens::taken(conn, name).map_err(what())? {
        return Err(Error::input(format!(
            "there is a token {there} already: names are compared ignoring case (remove it first)"
        )));
    }
    let token = make_token()?;
    let at = now_rfc3339();
    tokens::add(conn, name, role, &tokens::hash(&token), expires.as_deref(), &at, actor).map_err(what())?;
    let until = expires.as_deref().map_or(String::new(), |d| format!(", until {d}"));
    crate::db::people::event(conn, &at, actor, "token added", &format!("{name} ({role}{until})"))
        .map_err(what())?;
    Ok(token)
}

/// Removes a token in the caller's transaction.
pub fn remove_token(conn: &rusqlite::Connection, name: &str, actor: &str) -> Result<(), Error> {
    let what = || Error::db("cannot write the ledger");
    if !tokens::remove(conn, name).map_err(what())? {
        return Err(Error::input(format!("there is no token {name}")));
    }
    crate::db::people::event(conn, &now_rfc3339(), actor, "token removed", name).map_err(what())?;
    Ok(())
}

/// Runs `keygen desk token ...`.
pub fn token(args: &super::super::cli::DeskArgs, cmd: &TokenCommand, path: &Path) -> Result<ExitCode, Error> {
    if let TokenCommand::List = cmd {
        let ledger = Db::open_read(path)?;
        let mut out = String::new();
        for t in tokens::list(ledger.conn()).map_err(Error::db("cannot read the ledger"))? {
            out.push_str(&format!(
                "{}  {}  expires {}  added {} by {}  last used {}\n",
                t.name,
                t.role,
                t.expires.as_deref().unwrap_or("never"),
                t.added_at,
                t.added_by,
                t.last_used.as_deref().unwrap_or("never")
            ));
        }
        cli_support::print(&out).map_err(Error::stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut ledger = Db::open_vault(path, &args.key)?;
    let signer = crate::keyfile::load(&args.key, args.passphrase_file.as_deref())?;
    let actor = crate::ops::cli_actor();
    let tx = ledger.begin_write(&args.key)?;
    match cmd {
        TokenCommand::List => {}
        TokenCommand::Add { name, role, expires } => {
            let token = add_token(tx.conn(), name, *role, expires.as_deref(), &actor)?;
            tx.commit(&signer)?;
            cli_support::print(&format!("{}\n", token.as_str())).map_err(Error::stdout)?;
            cli_support::warn(&format!(
                "Added token {name} ({role}). It is printed above, once: the ledger keeps only its hash. \
                 Send it as: Authorization: Bearer TOKEN"
            ));
        }
        TokenCommand::Remove { name } => {
            remove_token(tx.conn(), name, &actor)?;
            tx.commit(&signer)?;
            cli_support::warn(&format!("Removed token {name}: it is refused from now on."));
        }
    }
    Ok(ExitCode::SUCCESS)
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
    let bytes = crate::keyfile::read_private(path, 4096).map_err(|e| match e {
        crate::keyfile::Private::Io(source) => {
            Error::Io { what: format!("cannot read the secret file {}", path.display()), source }
        }
        crate::keyfile::Private::Exposed(mode) => Error::input(format!(
            "the secret file {} has mode {mode:o}: others can read it; chmod 600 it",
            path.display()
        )),
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::input(format!("the secret file {} is not text", path.display())))?;
    parse_secret(text.lines().next().unwrap_or(""))
        .map_err(|e| Error::input(format!("{}: {e}", path.display())))
}

/// Runs `keygen desk shop ...`.
pub fn shop(args: &super::super::cli::DeskArgs, cmd: &ShopCommand, path: &Path) -> Result<ExitCode, Error> {
    if let ShopCommand::List = cmd {
        let ledger = Db::open_read(path)?;
        let mut out = String::new();
        for s in shops::list(ledger.conn()).map_err(Error::db("cannot read the ledger"))? {
            let products: Vec<String> = s.products.iter().map(|(p, e)| format!("{p}={e}")).collect();
            let products = if products.is_empty() {
                "(product ids are edition ids)".to_owned()
            } else {
                products.join(" ")
            };
            out.push_str(&format!("{}  {}  added {} by {}\n", s.name, products, s.added_at, s.added_by));
        }
        cli_support::print(&out).map_err(Error::stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut ledger = Db::open_vault(path, &args.key)?;
    let signer = crate::keyfile::load(&args.key, args.passphrase_file.as_deref())?;
    let actor = crate::ops::cli_actor();
    let what = || Error::db("cannot write the ledger");
    match cmd {
        ShopCommand::List => {}
        ShopCommand::Add { name, secret_file, product } => {
            check_name("shop", name)?;
            let secret = read_secret_file(secret_file)?;
            let mut products = BTreeMap::new();
            let editions = crate::template::load_all(&args.templates.folder()).unwrap_or_default();
            for p in product {
                let Some((id, edition)) = p.split_once('=').filter(|(i, e)| !i.is_empty() && !e.is_empty())
                else {
                    return Err(Error::input(format!("--product {p}: give PRODUCT=EDITION")));
                };
                if !editions.iter().any(|(_, t)| t.as_ref().is_ok_and(|t| t.id == edition)) {
                    return Err(Error::input(format!("--product {p}: there is no edition '{edition}'")));
                }
                products.insert(id.to_owned(), edition.to_owned());
            }
            let file = shops::secret_path(&args.key, name);
            write_private(&file, format!("whsec_{}\n", data_encoding::BASE64.encode(&secret)).as_bytes())?;
            let tx = ledger.begin_write(&args.key)?;
            let at = now_rfc3339();
            let shop = shops::Shop {
                name: name.clone(),
                secret_hash: crate::db::sha256_hex(&secret),
                products,
                added_at: at.clone(),
                added_by: actor.clone(),
            };
            shops::put(tx.conn(), &shop).map_err(what())?;
            crate::db::people::event(tx.conn(), &at, &actor, "shop added", name).map_err(what())?;
            tx.commit(&signer)?;
            cli_support::warn(&format!(
                "Added shop {name}: its secret is in {} (0600). Its webhook: POST /api/v1/fulfill/{name}",
                file.display()
            ));
        }
        ShopCommand::Remove { name } => {
            let tx = ledger.begin_write(&args.key)?;
            if !shops::remove(tx.conn(), name).map_err(what())? {
                return Err(Error::input(format!("there is no shop {name}")));
            }
            crate::db::people::event(tx.conn(), &now_rfc3339(), &actor, "shop removed", name)
                .map_err(what())?;
            tx.commit(&signer)?;
            let _ = std::fs::remove_file(shops::secret_path(&args.key, name));
            cli_support::warn(&format!("Removed shop {name}: its webhooks are refused from now on."));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path` with mode 0600, its folder 0700, whatever the umask.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let io = |what: String| move |source| Error::Io { what, source };
    if let Some(dir) = path.parent() {
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
