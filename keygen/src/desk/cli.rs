//! `keygen desk` (serve) and `keygen desk user add | list | remove | password`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::TemplatesArgs;
use crate::db::people::{self, Role};
use crate::db::{self, Db};
use crate::error::Error;
use crate::record::now_rfc3339;

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
        role: Role,
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

impl clap::ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        &Role::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// Runs `keygen desk ...`.
pub fn run(args: Box<DeskArgs>) -> Result<ExitCode, Error> {
    let ledger = db::path_for(args.ledger.as_deref(), &args.key);
    match &args.command {
        None => super::serve::run(&args, &ledger),
        Some(DeskCommand::User(cmd)) => user(&args, cmd, &ledger),
    }
}

/// The shortest password the desk accepts.
pub const MIN_PASSWORD: usize = 12;

fn user(args: &DeskArgs, cmd: &UserCommand, path: &std::path::Path) -> Result<ExitCode, Error> {
    let what = || Error::db(format!("cannot write the ledger {}", path.display()));
    if let UserCommand::List = cmd {
        let ledger = Db::open_read(path)?;
        let mut out = String::new();
        for p in people::list(ledger.conn()).map_err(what())? {
            out.push_str(&format!("{}  {}  added {} by {}\n", p.name, p.role, p.added_at, p.added_by));
        }
        cli_support::print(&out).map_err(Error::stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut ledger = Db::open_vault(path, &args.key)?;
    // Who may do what at the desk is under the ledger's signed head: changing it is a signed
    // write like any other, so it needs the signing key (and its passphrase).
    let signer = crate::keyfile::open(&args.key, args.passphrase_file.as_deref())?;
    let actor = crate::ops::cli_actor();
    match cmd {
        // Read above, without the key.
        UserCommand::List => {}
        UserCommand::Add { name, role, password_file } => {
            check_name(name)?;
            let (password, shown) = password(password_file.as_deref())?;
            let hash = people::hash_password(&password).map_err(Error::input)?;
            let tx = ledger.begin_write(&args.key)?;
            if let Some(there) = super::people::taken(tx.conn(), name).map_err(what())? {
                return Err(Error::input(format!(
                    "{name} is already one of the desk's people, as {there} ({}): names are compared ignoring case",
                    path.display()
                )));
            }
            people::add(tx.conn(), name, *role, &hash, &now_rfc3339(), &actor).map_err(what())?;
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
            if !people::remove(tx.conn(), name).map_err(what())? {
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
            if !people::set_password(tx.conn(), name, &hash).map_err(what())? {
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

/// A name people sign in with: 1 to 64 characters, no control characters, no spaces at the ends.
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
    Ok(())
}

/// The password from the file's first line, or a generated one (and whether it was).
fn password(file: Option<&std::path::Path>) -> Result<(zeroize::Zeroizing<String>, bool), Error> {
    match file {
        Some(path) => {
            let bytes = crate::keyfile::read_private(path, 4096).map_err(|e| match e {
                crate::keyfile::Private::Io(source) => {
                    Error::Io { what: format!("cannot read the password file {}", path.display()), source }
                }
                crate::keyfile::Private::Exposed(mode) => Error::input(format!(
                    "the password file {} has mode {mode:o}: others can read it; chmod 600 it",
                    path.display()
                )),
            })?;
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                Error::input(format!("the password file {} is not UTF-8 text", path.display()))
            })?;
            let line = zeroize::Zeroizing::new(text.lines().next().unwrap_or("").to_owned());
            if line.chars().count() < MIN_PASSWORD {
                return Err(Error::input(format!(
                    "the password in {} is under {MIN_PASSWORD} characters",
                    path.display()
                )));
            }
            Ok((line, false))
        }
        None => Ok((generate()?, true)),
    }
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
