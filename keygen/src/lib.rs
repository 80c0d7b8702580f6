//! keygen's command line: clap's structs ([`cli`]), the prompts, the progress bar and one
//! module per command ([`commands`]), over the library `keygen_core`. The error-to-exit-code
//! map is here ([`exit_code`]); the core's messages name no flag.

pub mod args;
pub mod cli;
pub mod commands;
pub mod messages;
pub mod prompt;

use std::process::ExitCode;

use crate::cli::{Cli, Command, LedgerCommand};
use keygen_core::error::Error;

/// Runs one command line.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    if let Some(log) = cli.checkpoint_log {
        keygen_core::db::checkpoint::configure(log);
    }
    keygen_core::passphrase::set_prompt(prompt::ask);
    match cli.command {
        Command::Init(args) => commands::vault::init(&args),
        Command::PublicKey(args) => commands::vault::public_key(&args),
        Command::Templates(args) => commands::vault::templates(&args),
        Command::Features => commands::vault::features(),
        Command::Issue(args) => commands::issue::run(&args),
        Command::Batch(args) => commands::batch::run(&args),
        Command::Ledger(LedgerCommand::Verify(args)) => commands::ledger::verify(&args),
        Command::Ledger(LedgerCommand::Find(args)) => commands::ledger::find(&args),
        Command::Ledger(LedgerCommand::Report(args)) => commands::report::run(&args),
        Command::Ledger(LedgerCommand::Import(args)) => commands::ledger::import(&args),
        Command::Ledger(LedgerCommand::Export(args)) => commands::ledger::export(&args),
        Command::Ledger(LedgerCommand::Backup(args)) => commands::ledger::backup(&args),
        Command::Ledger(LedgerCommand::Head(args)) => commands::ledger::head(&args),
        Command::Ledger(LedgerCommand::Init(args)) => commands::ledger_init::run(&args),
        Command::Renew(args) => commands::renew_amend::renew(&args),
        Command::Amend(args) => commands::renew_amend::amend(&args),
        Command::Revoke(args) => commands::revoke::run(&args),
        Command::Rotate(args) => commands::rotate::run(&args),
        #[cfg(feature = "desk")]
        Command::Desk(args) => commands::desk::run(args),
        Command::GenerateDocs { dir } => commands::vault::generate_docs(&dir),
    }
}

/// The spec's exit code for a failure (docs/operations.md, ../shared/spec/tools.md).
pub fn exit_code(e: &Error) -> ExitCode {
    ExitCode::from(match e {
        Error::Input(_)
        | Error::Inputs(_)
        | Error::Rows(_)
        | Error::Checked { .. }
        | Error::Invalid { .. }
        | Error::Missing { .. }
        | Error::NotFound(_)
        | Error::Conflict(_)
        | Error::OrderIssued { .. } => 3,
        Error::Key(_) => 4,
        Error::Integrity(_) => 5,
        Error::Io { .. } | Error::Db { .. } | Error::Interrupted(_) | Error::AfterRecording { .. } => 1,
    })
}
