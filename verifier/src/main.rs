//! verifier: support's tool. Judges a product key exactly as the product does (through the
//! product-key library's one verification function) and says why it is not valid.

mod batch;
mod check;
mod cli;
mod error;
mod trust;

use std::path::Path;
use std::process::ExitCode;

// Rows allocate many small strings; what this buys is measured in the README.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::error::Error;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(args) => check::run(args),
        Command::Batch(args) => batch::run(args),
        Command::GenerateDocs { dir } => generate_docs(dir),
    };
    result.unwrap_or_else(|e| {
        cli_support::warn(&format!("verifier: {e}"));
        e.exit_code()
    })
}

/// Writes bash, zsh and fish completions and the man pages into `dir`.
fn generate_docs(dir: &Path) -> Result<ExitCode, Error> {
    cli_support::write_docs(Cli::command(), dir)
        .map_err(|e| Error::Io(format!("cannot write into {}: {e}", dir.display())))?;
    Ok(ExitCode::SUCCESS)
}
