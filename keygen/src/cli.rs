//! The command line, as clap structs. Values stay strings here: each command checks them
//! (`order::build`, `batch::plan`) so that a bad value is invalid input (exit 3), not a
//! usage error (exit 2).

use std::path::PathBuf;

pub use crate::args::{KeyArgs, TemplatesArgs};

use clap::{Args, Parser, Subcommand};

/// The exit codes, shown after every `--help` (see `command`).
pub const EXIT_CODES: &str = "Exit codes: 0 success; 1 any other failure (I/O; nothing half-written; \
keys already recorded are said); 2 usage (unknown or missing flags); 3 invalid input, nothing was \
done; 4 signing key problem; 5 the ledger is not as its signed head or checkpoint log say (nothing \
written: run keygen ledger verify).";

/// The columns `keygen batch` knows, with what each takes, then the exit codes.
fn batch_help() -> String {
    format!(
        "Columns (header names in any case and order; map others with --column NAME=HEADER):\n  \
         organization  required: the customer's organization, as they will type it\n  \
         template      an edition (trial, standard, professional, enterprise, or a --templates file);\n                \
         required unless --template, which fills the empty cells\n  \
         seats         1 to 65534 (1.000 or 1,000 is one thousand), or unlimited\n                \
         (default: the template's)\n  \
         features      feature names separated by ; | or , , or all (default: the template's)\n  \
         expires       YYYY-MM-DD, DD.MM.YYYY, or never (default: the template's validity from the day\n                \
         of issue); a slash date is read only when it has one reading (13/02/2027)\n  \
         order_id      the order: an order gets one key (--skip-issued reuses it on a rerun)\n  \
         contact       who asked for the key (kept in the ledger)\n\
         Every column is either read (known, or mapped with --column) or named as not read\n\
         (--ignore-column HEADER, or --ignore-other-columns); a column that is neither is refused.\n\
         Columns not read are carried through. Without an order_id column, give --no-order-ids\n\
         (a rerun would then issue every key again). The output adds serial, issued, valid_until\n\
         and key.\n\n{EXIT_CODES}"
    )
}

/// The command line, with the exit codes after every subcommand's help.
pub fn command() -> clap::Command {
    cli_support::after_help_everywhere(<Cli as clap::CommandFactory>::command(), EXIT_CODES)
}

/// Issue product keys for AST 8, keep the ledger of every key issued, and revoke keys.
#[derive(Debug, Parser)]
#[command(name = "keygen", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// The checkpoint log: every signed head of the ledger, appended at each write and
    /// checked by every write and by ledger verify (default: LEDGER-FILE-NAME.checkpoints
    /// beside the signing key, e.g. ledger.sqlite.checkpoints).
    #[arg(long, value_name = "FILE", env = "KEYGEN_CHECKPOINT_LOG", global = true)]
    pub checkpoint_log: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a new signing key: DIR/signing-key.pem (mode 0600) and DIR/public-key.pem.
    Init(InitArgs),
    /// Print the public key (SPKI PEM) and key_id of a signing key.
    PublicKey(PublicKeyArgs),
    /// List the edition templates with their seats, features and validity.
    Templates(TemplatesArgs),
    /// Print the feature catalog.
    Features,
    /// Issue one key and record it in the ledger.
    Issue(Box<IssueArgs>),
    /// Issue keys for every row of a CSV export, all or nothing.
    #[command(after_help = batch_help())]
    Batch(Box<BatchArgs>),
    /// Read or check the ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Renew a key: the same terms for another term, in a new key that replaces it.
    Renew(Box<RenewArgs>),
    /// Amend a key: a new key with changed terms (an upgrade, a downgrade, a corrected
    /// organization) that replaces it.
    Amend(Box<AmendArgs>),
    /// Revoke keys: record it in the ledger and write the next signed revocation list.
    Revoke(RevokeArgs),
    /// Rotate the signing key: a new key ceremony in the same vault; the old key is retired
    /// (kept aside, still known to the ledger by its public key).
    Rotate(RotateArgs),
    /// Serve the sales desk in the browser (one machine holds the signing key; people sign
    /// in), or manage its people (`keygen desk user ...`).
    #[cfg(feature = "desk")]
    Desk(Box<crate::commands::desk::DeskArgs>),
    /// Write shell completions and man pages for keygen into DIR.
    #[command(hide = true)]
    GenerateDocs {
        /// Output folder.
        dir: PathBuf,
    },
}

/// `keygen init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder for signing-key.pem and public-key.pem (created if missing).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Encrypt the signing key with a passphrase (PBES2, scrypt + AES-256-CBC).
    #[arg(long)]
    pub encrypt: bool,
    /// Read the passphrase from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
    /// Accept a passphrase under 12 characters: for test keys only.
    #[arg(long, requires = "encrypt")]
    pub allow_weak_passphrase: bool,
    /// Make only the ledger, for this existing signing key (a vault whose ledger was never
    /// made): no new key.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["dir", "encrypt"])]
    pub key: Option<PathBuf>,
    /// The ledger to make (default: ledger.sqlite beside the signing key).
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// Generate the key pair in a PKCS#11 token instead (private key sensitive, not
    /// extractable): DIR gets public-key.pem and signing-key.uri, naming the key. See
    /// docs/token.md.
    #[arg(long, value_name = "URI", conflicts_with_all = ["key", "encrypt"])]
    pub pkcs11: Option<String>,
}

/// `keygen rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The vault: the folder of signing-key.pem, public-key.pem and the ledger.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Encrypt the new signing key with a passphrase (PBES2, scrypt + AES-256-CBC).
    #[arg(long)]
    pub encrypt: bool,
    /// Read the new key's passphrase from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
    /// Read the passphrase of the current (encrypted) key from the first line of this file
    /// (default: as the new key's).
    #[arg(long, value_name = "PATH")]
    pub old_passphrase_file: Option<PathBuf>,
    /// Accept a passphrase under 12 characters: for test keys only.
    #[arg(long, requires = "encrypt")]
    pub allow_weak_passphrase: bool,
    /// The ledger (default: ledger.sqlite in the vault).
    #[arg(long, value_name = "PATH", env = "KEYGEN_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// Make the new key a key in a PKCS#11 token (generated there unless the token holds it
    /// already); the vault's signing-key.uri then names it. See docs/token.md.
    #[arg(long, value_name = "URI", conflicts_with = "encrypt")]
    pub to: Option<String>,
}

/// `keygen public-key`.
#[derive(Debug, Args)]
pub struct PublicKeyArgs {
    /// Every public key a product should trust, from the ledger: the current key and the
    /// retired ones, each with its key_id and status.
    #[arg(long)]
    pub all: bool,
    /// With --all: the ledger (default: ledger.sqlite beside the signing key).
    #[arg(long, value_name = "PATH", env = "KEYGEN_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// pem (SPKI, then the key_id) or hex (64 hex digits, as `verifier --public-key` and the
    /// product take it; the key_id goes to stderr).
    #[arg(long, value_name = "FORMAT", default_value = "pem")]
    pub format: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub key: KeyArgs,
}

/// `keygen issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Edition template: a name in the templates folder, or a path to a .toml file.
    #[arg(long, value_name = "T")]
    pub template: String,
    /// The customer's organization, as they will type it at unlock.
    #[arg(long, value_name = "ORG")]
    pub org: String,
    /// Client seats: 1 to 65534, or "unlimited" (replaces the template's).
    #[arg(long, value_name = "N|unlimited")]
    pub seats: Option<String>,
    /// Features, comma separated, or "all" (replaces the template's).
    #[arg(long, value_name = "a,b,...")]
    pub features: Option<String>,
    /// Last valid day, or "never" (replaces the template's validity).
    #[arg(long, value_name = "YYYY-MM-DD|never")]
    pub expires: Option<String>,
    /// The order this key is for; an order gets one key.
    #[arg(long, value_name = "ID")]
    pub order_id: Option<String>,
    /// Who asked for the key (kept in the ledger).
    #[arg(long, value_name = "TEXT")]
    pub contact: Option<String>,
    /// Serial, 1 to 16 hex digits (default: random). With --issued, makes the key reproducible.
    #[arg(long, value_name = "HEX")]
    pub serial: Option<String>,
    /// Day of issue (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub issued: Option<String>,
    /// The ledger, an SQLite database (default: ledger.sqlite beside the signing key).
    #[arg(long, value_name = "PATH", env = "KEYGEN_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// Print a JSON object instead of the key alone.
    #[arg(long)]
    pub json: bool,
    /// key (the key alone), json (as --json), or text: a block to paste into the e-mail to
    /// the customer (edition, seats, modules, validity, the key, how to enter it).
    #[arg(long, value_name = "FORMAT", default_value = "key")]
    pub format: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub key: KeyArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub templates: TemplatesArgs,
}

/// `keygen batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The CSV export: one row per key.
    #[arg(long, value_name = "PATH")]
    pub input: PathBuf,
    /// Where to write the input rows with their keys.
    #[arg(long, value_name = "PATH")]
    pub output: PathBuf,
    /// Template for the rows whose `template` cell is empty (a row that names a template
    /// keeps it); with no `template` column, for every row.
    #[arg(long, value_name = "T")]
    pub template: Option<String>,
    /// Read a known column from a header of another name, e.g. `--column organization=Kunde`
    /// (repeatable; the known columns are listed below).
    #[arg(long = "column", value_name = "NAME=HEADER")]
    pub columns: Vec<String>,
    /// A column of the input that keygen does not read: carried through to the output
    /// unread (repeatable). Without it, a column that is neither known nor mapped is refused,
    /// so that no cell (seats, an order) is passed over by mistake.
    #[arg(long = "ignore-column", value_name = "HEADER")]
    pub ignore_columns: Vec<String>,
    /// Carry every column that keygen does not read through to the output unread.
    #[arg(long)]
    pub ignore_other_columns: bool,
    /// Issue keys for an input without an order_id column. Such rows cannot be recognised
    /// later: running the same file again issues every key again.
    #[arg(long)]
    pub no_order_ids: bool,
    /// Field delimiter: ",", ";" or "tab" (default: detected from the header).
    #[arg(long, value_name = "C")]
    pub delimiter: Option<String>,
    /// The input's text encoding: utf-8, utf-16le, utf-16be or windows-1252 (a German or
    /// French Excel's "CSV"). Default: the one its byte order mark names, else UTF-8. The
    /// output is written in the input's encoding, with its BOM if it had one, so it goes back
    /// into the same tools.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Day of issue for every row (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub issued: Option<String>,
    /// Rows whose order_id is already in the ledger get the key recorded there.
    #[arg(long)]
    pub skip_issued: bool,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// The ledger, an SQLite database (default: ledger.sqlite beside the signing key).
    #[arg(long, value_name = "PATH", env = "KEYGEN_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub key: KeyArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub templates: TemplatesArgs,
}

/// `keygen ledger ...`.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Check the whole ledger with the public keys it holds: every key, the chains, the rules,
    /// and the signed head (no passphrase needed).
    Verify(LedgerVerifyArgs),
    /// Print the keys that match, each checked and with its story.
    Find(LedgerFindArgs),
    /// The renewal pipeline: current keys that expire soon, or that lapsed unrenewed.
    Report(LedgerReportArgs),
    /// Bring a JSON Lines ledger (keygen's format before the database) into a new ledger.
    Import(LedgerImportArgs),
    /// Write every record as JSON Lines, chained as keygen's former ledger (import reads it).
    Export(LedgerExportArgs),
    /// A consistent copy of the ledger, also while others write (SQLite's backup API).
    Backup(LedgerBackupArgs),
    /// Print the ledger's signed head in one line, to keep elsewhere and check against later
    /// (ledger verify --checkpoint FILE).
    Head(LedgerHeadArgs),
    /// Make the ledger's tables in an empty PostgreSQL database (refusing one that holds any
    /// other table) and note it in the vault, so that every command beside this signing key
    /// uses it.
    Init(LedgerInitArgs),
}

/// `keygen ledger init`.
#[derive(Debug, Args)]
pub struct LedgerInitArgs {
    /// The signing key whose vault notes the ledger (its folder gets ledger.url).
    #[arg(long, value_name = "PATH", env = "KEYGEN_SIGNING_KEY", default_value = "signing-key.pem")]
    pub key: PathBuf,
    /// The database: postgres://USER@HOST[:PORT]/DATABASE[?sslmode=...] (the password from a
    /// passfile: PGPASSFILE or ~/.pgpass, never here).
    #[arg(long, value_name = "URL")]
    pub ledger: PathBuf,
    /// Do not note the ledger in the vault (every command then needs --ledger or KEYGEN_LEDGER).
    #[arg(long)]
    pub no_setting: bool,
}

/// `keygen ledger import`.
#[derive(Debug, Args)]
pub struct LedgerImportArgs {
    /// The JSON Lines ledger (ledger.jsonl), or another ledger to copy whole: a SQLite file
    /// or a postgres:// URL (checked first with everything ledger verify checks).
    #[arg(long, value_name = "PATH")]
    pub from: PathBuf,
    /// A public key of a retired signing key that signed some of the keys (repeatable; the
    /// current key's comes from --key).
    #[arg(long = "public-key", value_name = "PATH")]
    pub public_keys: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub key: KeyArgs,
    /// The ledger to make (default: ledger.sqlite beside the signing key); it must hold no key.
    #[arg(long, value_name = "PATH", env = "KEYGEN_LEDGER")]
    pub ledger: Option<PathBuf>,
}

/// `keygen ledger export`.
#[derive(Debug, Args)]
pub struct LedgerExportArgs {
    /// jsonl (the only format).
    #[arg(long, value_name = "FORMAT", default_value = "jsonl")]
    pub format: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub at: LedgerArgs,
}

/// `keygen ledger backup`.
#[derive(Debug, Args)]
pub struct LedgerBackupArgs {
    /// The copy to write (refused if it exists). With --rotate, the name the copies are
    /// named after: --out b/ledger.sqlite writes b/ledger-20261207T153210Z.sqlite.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Write the copy under a dated name (UTC, to the second) and keep only the N newest
    /// dated copies of that name, removing older ones: for a daily timer.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rotate: Option<u32>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub at: LedgerArgs,
}

/// Where the ledger is: given, or beside the signing key.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// The signing key (its folder holds the ledger).
    #[arg(long, value_name = "PATH", env = "KEYGEN_SIGNING_KEY", default_value = "signing-key.pem")]
    pub key: PathBuf,
    /// The ledger: an SQLite file or a postgres:// URL (default: the vault's ledger.url, else
    /// ledger.sqlite beside the signing key).
    #[arg(long, value_name = "PATH", env = "KEYGEN_LEDGER")]
    pub ledger: Option<PathBuf>,
}

impl LedgerArgs {
    /// The ledger's path.
    pub fn path(&self) -> PathBuf {
        keygen_core::db::path_for(self.ledger.as_deref(), &self.key)
    }
}

/// `keygen ledger head`.
#[derive(Debug, Args)]
pub struct LedgerHeadArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub at: LedgerArgs,
}

/// `keygen ledger verify`.
#[derive(Debug, Args)]
pub struct LedgerVerifyArgs {
    /// Also check that the ledger extends this signed head (a line `keygen ledger head`
    /// printed, kept by an auditor).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// A public key the auditor trusts (SPKI PEM or 64 hex digits; repeatable): every signing
    /// key the ledger holds must be one of them. Without it, the ledger's own public keys are
    /// used, and their key_ids are printed to compare.
    #[arg(long = "public-key", value_name = "PATH")]
    pub public_keys: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub at: LedgerArgs,
}

/// `keygen ledger find`.
#[derive(Debug, Args)]
pub struct LedgerFindArgs {
    /// Records of this serial.
    #[arg(long, value_name = "S")]
    pub serial: Option<String>,
    /// Records whose organization contains this text (compared as the product compares:
    /// case, spacing, punctuation and accents do not matter; `Mueller` also finds `Müller`,
    /// `Strasse` `Straße`, `Aalborg` `Ålborg`).
    #[arg(long, value_name = "TEXT")]
    pub org: Option<String>,
    /// Records of this order (every key that carries it).
    #[arg(long, value_name = "ID")]
    pub order_id: Option<String>,
    /// Every key.
    #[arg(long, conflicts_with_all = ["serial", "org", "order_id"])]
    pub all: bool,
    /// table (for people), csv, or json (JSON Lines: each record with its story).
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub at: LedgerArgs,
}

/// Which key a renewal or amendment replaces, and how the new key is issued.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("old").required(true).args(["serial", "for_order"]))]
pub struct ReplaceArgs {
    /// The key to replace.
    #[arg(long, value_name = "S")]
    pub serial: Option<String>,
    /// The current key of this order (the last key that replaced the order's key).
    #[arg(long, value_name = "O")]
    pub for_order: Option<String>,
    /// The order of the new key (it must not be in the ledger). A renewal is a sale: without
    /// this (or --no-order-id) it is asked for on a terminal, refused otherwise. An amendment
    /// keeps the old key's.
    #[arg(long, value_name = "NEW")]
    pub order_id: Option<String>,
    /// Day of issue of the new key (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub issued: Option<String>,
    /// Print a JSON object (the fields of `issue --json` and "supersedes") instead of the key.
    #[arg(long)]
    pub json: bool,
    /// key (the key alone), json (as --json), or text: the block for the customer's e-mail,
    /// as `issue --format text` writes it, saying which key the new one replaces.
    #[arg(long, value_name = "FORMAT", default_value = "key")]
    pub format: String,
    /// The ledger, an SQLite database (default: ledger.sqlite beside the signing key).
    #[arg(long, value_name = "PATH", env = "KEYGEN_LEDGER")]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub key: KeyArgs,
}

/// `keygen renew`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("term").args(["valid_days", "expires"]))]
pub struct RenewArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: ReplaceArgs,
    /// Days added to the old key's last day (or to today, if that has passed). Default: the
    /// old key's own term (its last day minus its day of issue).
    #[arg(long, value_name = "N")]
    pub valid_days: Option<u32>,
    /// The new key's last day instead.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,
    /// Record the renewal with no order id (finance then cannot find it by order).
    #[arg(long, conflicts_with = "order_id")]
    pub no_order_id: bool,
}

/// `keygen amend`.
#[derive(Debug, Args)]
pub struct AmendArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: ReplaceArgs,
    /// The organization, renamed or corrected.
    #[arg(long, value_name = "NAME")]
    pub org: Option<String>,
    /// Client seats: 1 to 65534, or "unlimited".
    #[arg(long, value_name = "N|unlimited")]
    pub seats: Option<String>,
    /// A feature to add (repeatable).
    #[arg(long = "add-feature", value_name = "F")]
    pub add_features: Vec<String>,
    /// A feature to remove (repeatable).
    #[arg(long = "remove-feature", value_name = "F")]
    pub remove_features: Vec<String>,
    /// The whole feature set, comma separated, or "all" (before adds and removes).
    #[arg(long, value_name = "a,b,...")]
    pub features: Option<String>,
    /// The last valid day, or "never" (default: the old key's).
    #[arg(long, value_name = "YYYY-MM-DD|never")]
    pub expires: Option<String>,
}

/// `keygen ledger report`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("window").required(true).args(["expiring_within", "expired_within"]))]
pub struct LedgerReportArgs {
    /// Current keys whose last day is within DAYS from the date (both days included).
    #[arg(long, value_name = "DAYS")]
    pub expiring_within: Option<u32>,
    /// Keys that lapsed in the DAYS before the date and were not renewed (the follow-up list).
    #[arg(long, value_name = "DAYS")]
    pub expired_within: Option<u32>,
    /// The date (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub at: Option<String>,
    /// table (for people), csv (opens in Excel: UTF-8 with BOM) or json (JSON Lines).
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: String,
    /// CSV delimiter: ",", ";" or "tab" (the locale's list separator in Excel).
    #[arg(long, value_name = "C", default_value = ",")]
    pub delimiter: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub at_ledger: LedgerArgs,
}

/// `keygen revoke`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).multiple(true).args(["serials", "order_ids", "superseded", "reissue"]))]
pub struct RevokeArgs {
    /// A serial to revoke (repeatable).
    #[arg(long = "serial", value_name = "S")]
    pub serials: Vec<String>,
    /// The keys of this order (repeatable): its key and every key that replaced it under the
    /// same order id. Later keys of the chain sold under another order are named, not revoked.
    #[arg(long = "order-id", value_name = "O")]
    pub order_ids: Vec<String>,
    /// With --order-id: revoke the later keys of the order's chain too, those recorded under
    /// another order (or none), e.g. a renewal sold as order SO-2.
    #[arg(long, requires = "order_ids")]
    pub with_later_orders: bool,
    /// Every key that another replaced (renewed, amended) and that is not revoked yet.
    #[arg(long)]
    pub superseded: bool,
    /// With --superseded: only those whose successor was issued on or before this day (the
    /// customers' grace period to switch).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "superseded")]
    pub before: Option<String>,
    /// Write revocation list N again, byte for byte as first published (to --out).
    #[arg(long, value_name = "N", conflicts_with_all = ["serials", "order_ids", "superseded", "dry_run", "reason"])]
    pub reissue: Option<u32>,
    /// Print what would be revoked, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where to write the signed revocation list.
    #[arg(long, value_name = "PATH", required_unless_present = "dry_run")]
    pub out: Option<PathBuf>,
    /// Why (kept in the ledger).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// The ledger, an SQLite database (default: ledger.sqlite beside the signing key).
    #[arg(long, value_name = "PATH", env = "KEYGEN_LEDGER")]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub key: KeyArgs,
}
