//! keygen: the vendor's tool. Makes signing keys, issues product keys from edition
//! templates (one, or a whole CSV export), keeps the hash-chained ledger, revokes keys.

mod atomic;
mod batch;
mod cli;
mod commands;
mod error;
mod issue;
mod keyfile;
mod ledger;
mod ledger_cmd;
mod order;
mod output;
mod passphrase;
mod record;
mod revoke;
mod template;

use std::process::ExitCode;

// About 15% less CPU than the system allocator for a batch: rows allocate many small strings.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use crate::cli::{Cli, Command, LedgerCommand};
use crate::error::Error;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // One problem a line, each marked as keygen's.
            for line in e.to_string().lines() {
                output::warn(&format!("keygen: {line}"));
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
        Command::Ledger(LedgerCommand::Repair(args)) => ledger_cmd::repair(&args),
        Command::Revoke(args) => revoke::run(&args),
        Command::GenerateDocs { dir } => commands::generate_docs(&dir),
    }
}
