//! `keygen desk` (serve) and `keygen desk user add | list | remove | password`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::args::{KeyArgs, RoleArg, TemplatesArgs};
use keygen_core::db::people;
use keygen_core::db::{self, Db};
use keygen_core::error::Error;
use keygen_core::key_record::now_rfc3339;

/// `keygen desk`.
#[derive(Debug, Args)]
pub struct DeskArgs {
    /// The signing key (PKCS#8 PEM, plain or encrypted; the ledger is beside it), or a key in a
    /// PKCS#11 token, 'pkcs11:token=LABEL;object=LABEL' (its PIN read once, at start: see
    /// docs/token.md).
    #[arg(
        long,
        value_name = "PATH",
        env = "KEYGEN_SIGNING_KEY",
        default_value = "signing-key.pem",
        global = true
    )]
    pub key: PathBuf,
    /// Read the passphrase of an encrypted key from the first line of this file.
    #[arg(long, value_name = "PATH", global = true)]
    pub passphrase_file: Option<PathBuf>,
    /// The ledger (default: ledger.sqlite beside the signing key).
    #[arg(long, value_name = "PATH", global = true)]
    pub ledger: Option<PathBuf>,
    /// Where to listen. A non-loopback address needs --tls-cert and --tls-key.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8417")]
    pub listen: SocketAddr,
    /// The TLS certificate chain (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The address people type (e.g. https://desk.example.com behind a TLS reverse proxy):
    /// its host is served and its origin accepted. Repeat for several.
    #[arg(long, value_name = "URL")]
    pub public_url: Vec<String>,
    /// A reverse proxy's address: its X-Forwarded-For names the client (for the sign-in
    /// throttle), and its connections are not limited per address. Repeat for several.
    #[arg(long, value_name = "IP")]
    pub trusted_proxy: Vec<std::net::IpAddr>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub templates: TemplatesArgs,
    /// Manage the desk's people instead of serving.
    #[command(subcommand)]
    pub command: Option<DeskCommand>,
}

/// `keygen desk user ...`.
#[derive(Debug, Subcommand)]
pub enum DeskCommand {
    /// The desk's people.
    #[command(subcommand)]
    User(UserCommand),
    /// The API's tokens (docs/api.md).
    #[command(subcommand)]
    Token(super::desk_access::TokenCommand),
    /// The shops whose fulfillment webhooks the desk accepts (docs/api.md).
    #[command(subcommand)]
    Shop(super::desk_access::ShopCommand),
}

/// `keygen desk user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person; without --password-file, a generated password is printed once.
    Add {
        /// Their name (what they sign in with).
        name: String,
        /// support, sales, operations or admin.
        #[arg(long)]
        role: RoleArg,
        /// Read the password from the first line of this file.
        #[arg(long, value_name = "PATH")]
        password_file: Option<PathBuf>,
    },
    /// List the people, their roles and whether they are locked.
    List,
    /// Remove a person.
    Remove {
        /// Their name.
        name: String,
    },
    /// Set a person's password (and unlock them); without --password-file, a generated
    /// password is printed once.
    Password {
        /// Their name.
        name: String,
        /// Read the password from the first line of this file.
        #[arg(long, value_name = "PATH")]
        password_file: Option<PathBuf>,
    },
}

/// Runs `keygen desk ...`.
pub fn run(args: Box<DeskArgs>) -> Result<ExitCode, Error> {
    let ledger = db::path_for(args.ledger.as_deref(), &args.key);
    match &args.command {
        None => keygen_desk::serve::run(&config(&args), &ledger),
        Some(DeskCommand::User(cmd)) => user(&args, cmd, &ledger),
        Some(DeskCommand::Token(cmd)) => super::desk_access::token(&key_args(&args), cmd, &ledger),
        Some(DeskCommand::Shop(cmd)) => {
            super::desk_access::shop(&key_args(&args), &args.templates, cmd, &ledger)
        }
    }
}

fn user(args: &DeskArgs, cmd: &UserCommand, path: &std::path::Path) -> Result<ExitCode, Error> {
    let what = || Error::db(format!("cannot write the ledger {}", path.display()));
    if let UserCommand::List = cmd {
        let ledger = Db::open_read(path)?;
        let mut out = String::new();
        for p in ledger.conn().people().map_err(what())? {
            out.push_str(&format!("{}  {}  added {} by {}\n", p.name, p.role, p.added_at, p.added_by));
        }
        cli_support::print(&out).map_err(Error::stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut ledger = Db::open_vault(path, &args.key)?;
    // Who may do what at the desk is under the ledger's signed head: changing it is a signed
    // write like any other, so it needs the signing key (and its passphrase).
    let signer = keygen_core::keyfile::open(&args.key, args.passphrase_file.as_deref())?;
    let actor = keygen_core::ops::cli_actor();
    match cmd {
        // Read above, without the key.
        UserCommand::List => {}
        UserCommand::Add { name, role: RoleArg(role), password_file } => {
            keygen_core::ops::people::check_name(name)?;
            let (password, shown) = password(password_file.as_deref())?;
            let hash = people::hash_password(&password).map_err(Error::input)?;
            let tx = ledger.begin_write(&args.key)?;
            if let Some(there) = keygen_core::ops::people::taken(tx.conn(), name).map_err(what())? {
                return Err(Error::input(format!(
                    "{name} is already one of the desk's people, as {there} ({}): names are compared ignoring case",
                    path.display()
                )));
            }
            tx.conn().add_person(name, *role, &hash, &now_rfc3339(), &actor).map_err(what())?;
            people::event(tx.conn(), &now_rfc3339(), &actor, "person added", &format!("{name} ({role})"))
                .map_err(what())?;
            tx.commit(&signer)?;
            if shown {
                cli_support::print(&format!("{}\n", password.as_str())).map_err(Error::stdout)?;
                cli_support::warn(&format!(
                    "Added {name} ({role}). Their password is printed above, once: give it to them; they can be given another with keygen desk user password {name}."
                ));
            } else {
                cli_support::warn(&format!("Added {name} ({role})."));
            }
        }
        UserCommand::Remove { name } => {
            let tx = ledger.begin_write(&args.key)?;
            if !tx.conn().remove_person(name).map_err(what())? {
                return Err(Error::input(format!(
                    "{name} is not one of the desk's people ({})",
                    path.display()
                )));
            }
            people::event(tx.conn(), &now_rfc3339(), &actor, "person removed", name).map_err(what())?;
            tx.commit(&signer)?;
            cli_support::warn(&format!("Removed {name}: they cannot sign in any more."));
        }
        UserCommand::Password { name, password_file } => {
            let (password, shown) = password(password_file.as_deref())?;
            let hash = people::hash_password(&password).map_err(Error::input)?;
            let tx = ledger.begin_write(&args.key)?;
            if !tx.conn().set_password(name, &hash).map_err(what())? {
                return Err(Error::input(format!(
                    "{name} is not one of the desk's people ({})",
                    path.display()
                )));
            }
            people::event(tx.conn(), &now_rfc3339(), &actor, "password set", name).map_err(what())?;
            tx.commit(&signer)?;
            if shown {
                cli_support::print(&format!("{}\n", password.as_str())).map_err(Error::stdout)?;
            }
            cli_support::warn(&format!("Set {name}'s password."));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The password from the file's first line, or a generated one (and whether it was).
fn password(file: Option<&std::path::Path>) -> Result<(zeroize::Zeroizing<String>, bool), Error> {
    match file {
        Some(path) => {
            let bytes = keygen_core::keyfile::read_private(path, 4096).map_err(|e| match e {
                keygen_core::keyfile::Private::Io(source) => {
                    Error::Io { what: format!("cannot read the password file {}", path.display()), source }
                }
                keygen_core::keyfile::Private::Exposed(mode) => Error::input(format!(
                    "the password file {} has mode {mode:o}: others can read it; chmod 600 it",
                    path.display()
                )),
            })?;
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                Error::input(format!("the password file {} is not UTF-8 text", path.display()))
            })?;
            let line = zeroize::Zeroizing::new(text.lines().next().unwrap_or("").to_owned());
            if line.chars().count() < keygen_core::ops::people::MIN_PASSWORD {
                return Err(Error::input(format!(
                    "the password in {} is under {} characters",
                    path.display(),
                    keygen_core::ops::people::MIN_PASSWORD
                )));
            }
            Ok((line, false))
        }
        None => Ok((keygen_core::ops::people::generate()?, true)),
    }
}

/// The desk's settings from the flags.
fn config(args: &DeskArgs) -> keygen_desk::serve::Config {
    keygen_desk::serve::Config {
        key: args.key.clone(),
        passphrase_file: args.passphrase_file.clone(),
        listen: args.listen,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        public_url: args.public_url.clone(),
        trusted_proxy: args.trusted_proxy.clone(),
        templates: args.templates.folder(),
    }
}

/// The signing key's flags, for the commands that share them.
fn key_args(args: &DeskArgs) -> KeyArgs {
    KeyArgs { key: args.key.clone(), passphrase_file: args.passphrase_file.clone() }
}
