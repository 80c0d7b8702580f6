//! keygen: the vendor's tool. Makes signing keys, issues product keys from edition
//! templates (one, or a whole CSV export), keeps the ledger (an SQLite database), revokes keys, rotates the signing key.

mod batch;
mod cli;
mod commands;
mod customer;
mod db;
mod error;
mod failpoint;
mod issue;
mod keyfile;
mod ledger_cmd;
mod order;
mod passphrase;
mod prompt;
mod record;
mod replace;
mod report;
mod revoke;
mod rotate;
mod template;

use std::process::ExitCode;

// Rows allocate many small strings; what this buys is measured in the README.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::FromArgMatches;

use crate::cli::{Cli, Command, LedgerCommand};
use crate::error::Error;

fn main() -> ExitCode {
    let cli = cli::command().get_matches();
    let cli = Cli::from_arg_matches(&cli).unwrap_or_else(|e| e.exit());
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // One problem a line, each marked as keygen's.
            for line in e.to_string().lines() {
                cli_support::warn(&format!("keygen: {line}"));
            }
            e.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Init(args) => commands::init(&args),
        Command::PublicKey(args) => commands::public_key(&args),
        Command::Templates(args) => commands::templates(&args),
        Command::Features => commands::features(),
        Command::Issue(args) => issue::run(&args),
        Command::Batch(args) => batch::run(&args),
        Command::Ledger(LedgerCommand::Verify(args)) => ledger_cmd::verify(&args),
        Command::Ledger(LedgerCommand::Find(args)) => ledger_cmd::find(&args),
        Command::Ledger(LedgerCommand::Report(args)) => report::run(&args),
        Command::Ledger(LedgerCommand::Import(args)) => ledger_cmd::import(&args),
        Command::Ledger(LedgerCommand::Export(args)) => ledger_cmd::export(&args),
        Command::Ledger(LedgerCommand::Backup(args)) => ledger_cmd::backup(&args),
        Command::Renew(args) => replace::renew(&args),
        Command::Amend(args) => replace::amend(&args),
        Command::Revoke(args) => revoke::run(&args),
        Command::Rotate(args) => rotate::run(&args),
        Command::GenerateDocs { dir } => commands::generate_docs(&dir),
    }
}
