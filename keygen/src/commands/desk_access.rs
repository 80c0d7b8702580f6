//! `keygen desk token add | list | remove` and `keygen desk shop add | list | remove`: the
//! API's tokens and the shops whose webhooks the desk accepts. Both are under the ledger's
//! signed head, so changing them is a signed write (the signing key and its passphrase).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use keygen_core::db::{Db, shops};
use keygen_core::error::Error;
use keygen_core::key_record::now_rfc3339;
use keygen_core::ops::access::{add_token, check_name, read_secret_file, remove_token, write_private};

/// `keygen desk token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token; it is printed once (the ledger keeps only its SHA-256).
    Add {
        /// Its name (letters, digits, `.`, `_`, `-`; up to 64): its work is recorded as `api:NAME`.
        name: String,
        /// support (reads and finds), sales (also issues, renews, amends), operations, or admin (also revokes).
        #[arg(long)]
        role: crate::args::RoleArg,
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

/// Runs `keygen desk token ...`.
pub fn token(args: &crate::args::KeyArgs, cmd: &TokenCommand, path: &Path) -> Result<ExitCode, Error> {
    if let TokenCommand::List = cmd {
        let ledger = Db::open_read(path)?;
        let mut out = String::new();
        for t in ledger.conn().tokens().map_err(Error::db("cannot read the ledger"))? {
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
    let signer = keygen_core::keyfile::open(&args.key, args.passphrase_file.as_deref())?;
    let actor = keygen_core::ops::cli_actor();
    let tx = ledger.begin_write(&args.key)?;
    match cmd {
        TokenCommand::List => {}
        TokenCommand::Add { name, role: crate::args::RoleArg(role), expires } => {
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

/// Runs `keygen desk shop ...`.
pub fn shop(
    args: &crate::args::KeyArgs,
    templates: &crate::args::TemplatesArgs,
    cmd: &ShopCommand,
    path: &Path,
) -> Result<ExitCode, Error> {
    if let ShopCommand::List = cmd {
        let ledger = Db::open_read(path)?;
        let mut out = String::new();
        for s in ledger.conn().shops().map_err(Error::db("cannot read the ledger"))? {
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
    let signer = keygen_core::keyfile::open(&args.key, args.passphrase_file.as_deref())?;
    let actor = keygen_core::ops::cli_actor();
    let what = || Error::db("cannot write the ledger");
    match cmd {
        ShopCommand::List => {}
        ShopCommand::Add { name, secret_file, product } => {
            check_name("shop", name)?;
            let secret = read_secret_file(secret_file)?;
            let mut products = BTreeMap::new();
            let editions = keygen_core::template::load_all(&templates.folder()).unwrap_or_default();
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
                secret_hash: keygen_core::db::sha256_hex(&secret),
                products,
                added_at: at.clone(),
                added_by: actor.clone(),
            };
            tx.conn().put_shop(&shop).map_err(what())?;
            keygen_core::db::people::event(tx.conn(), &at, &actor, "shop added", name).map_err(what())?;
            tx.commit(&signer)?;
            cli_support::warn(&format!(
                "Added shop {name}: its secret is in {} (0600). Its webhook: POST /api/v1/fulfill/{name}",
                file.display()
            ));
        }
        ShopCommand::Remove { name } => {
            let tx = ledger.begin_write(&args.key)?;
            if !tx.conn().remove_shop(name).map_err(what())? {
                return Err(Error::input(format!("there is no shop {name}")));
            }
            keygen_core::db::people::event(tx.conn(), &now_rfc3339(), &actor, "shop removed", name)
                .map_err(what())?;
            tx.commit(&signer)?;
            let _ = std::fs::remove_file(shops::secret_path(&args.key, name));
            cli_support::warn(&format!("Removed shop {name}: its webhooks are refused from now on."));
        }
    }
    Ok(ExitCode::SUCCESS)
}
