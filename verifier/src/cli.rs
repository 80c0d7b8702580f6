//! The command line, as clap structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Check AST 8 product keys exactly as the product does, and say why one is not valid.
#[derive(Debug, Parser)]
#[command(name = "verifier", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The exit codes of `verifier batch`.
const BATCH_EXIT_CODES: &str = "Exit codes: 0 every key is valid; 1 some key is not valid (the report \
says which), or reading or writing failed; 2 usage (flags, trusted keys, columns, an unreadable \
input); 9 the revocation list cannot be used.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check one key (from the argument, or pasted on stdin).
    #[command(after_help = check_exit_codes())]
    Check(CheckArgs),
    /// Check every key of a CSV file.
    #[command(after_help = BATCH_EXIT_CODES)]
    Batch(BatchArgs),
    /// Write shell completions and man pages for verifier into DIR.
    #[command(hide = true)]
    GenerateDocs {
        /// Output folder.
        dir: PathBuf,
    },
}

/// What every check is made against.
#[derive(Debug, Args)]
pub struct Trust {
    /// A trusted public key: SPKI PEM, or a file of 64 hex digits (repeatable).
    /// Default: the paths in $VERIFIER_PUBLIC_KEYS, separated by ':' (';' on Windows).
    #[arg(long = "public-key", value_name = "PATH")]
    pub public_keys: Vec<PathBuf>,
    /// A signed revocation list to apply. Default: the file $VERIFIER_REVOCATIONS names.
    #[arg(long, value_name = "FILE")]
    pub revocations: Option<PathBuf>,
    /// The checking date (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub at: Option<String>,
}

/// `verifier check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The key; '-' or nothing reads it from stdin (it may span several lines).
    #[arg(value_name = "KEY|-")]
    pub key: Option<String>,
    /// The organization the customer entered.
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub trust: Trust,
}

/// `verifier batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The CSV file of keys.
    #[arg(long, value_name = "PATH")]
    pub input: PathBuf,
    /// The column holding the keys.
    #[arg(long, value_name = "NAME", default_value = "key")]
    pub key_column: String,
    /// The column holding the organization to check. Default: "organization" if the input
    /// has one (else no check); a column named here must exist.
    #[arg(long, value_name = "NAME")]
    pub org_column: Option<String>,
    /// Field delimiter: ",", ";" or "tab" (default: detected from the header).
    #[arg(long, value_name = "C")]
    pub delimiter: Option<String>,
    /// The input's text encoding: utf-8, utf-16le, utf-16be or windows-1252. Default: the one
    /// its byte order mark names, else UTF-8 if the file is UTF-8, else windows-1252. The CSV
    /// report is written in the same encoding.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Write the report here (default: stdout).
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// JSON Lines instead of CSV.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub trust: Trust,
}

/// The exit codes of `verifier check`: one per status (from the library, where each is
/// defined once), then the tool's own.
pub fn check_exit_codes() -> String {
    let mut codes: Vec<(u8, Vec<&str>)> = Vec::new();
    for status in product_key::Status::ALL {
        match codes.iter_mut().find(|(c, _)| *c == status.exit_code()) {
            Some((_, names)) => names.push(status.name()),
            None => codes.push((status.exit_code(), vec![status.name()])),
        }
    }
    codes.sort();
    let statuses: Vec<String> =
        codes.iter().map(|(c, names)| format!("{c} {}", names.join(" or "))).collect();
    format!(
        "Exit codes: {}; 1 reading or writing failed; 2 usage (flags, trusted keys); 9 the revocation \
         list cannot be used.",
        statuses.join("; ")
    )
}
