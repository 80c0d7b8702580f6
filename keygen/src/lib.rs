//! keygen as a library: the vendor's operations (issue, renew, amend, batch, revoke, find,
//! report) and the ledger, used by both front ends: the command line (`src/main.rs`, a thin
//! layer over [`run`]) and the desk in the browser ([`desk`]).

pub mod batch;
pub mod cli;
pub mod commands;
pub mod customer;
pub mod dates;
pub mod db;
pub mod desk;
pub mod error;
pub mod failpoint;
pub mod issue;
pub mod keyfile;
pub mod ledger_cmd;
pub mod ops;
pub mod order;
pub mod passphrase;
pub mod prompt;
pub mod record;
pub mod replace;
pub mod report;
pub mod revoke;
pub mod rotate;
pub mod template;
pub mod text_rules;
pub mod token;

use std::process::ExitCode;

use crate::cli::{Cli, Command, LedgerCommand};
use crate::error::Error;

/// Runs one command line.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    if let Some(log) = cli.checkpoint_log {
        db::checkpoint::configure(log);
    }
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
        Command::Ledger(LedgerCommand::Head(args)) => ledger_cmd::head(&args),
        Command::Renew(args) => replace::renew(&args),
        Command::Amend(args) => replace::amend(&args),
        Command::Revoke(args) => revoke::run(&args),
        Command::Rotate(args) => rotate::run(&args),
        Command::Desk(args) => desk::cli::run(args),
        Command::GenerateDocs { dir } => commands::generate_docs(&dir),
    }
}
