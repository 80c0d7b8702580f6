//! keygen: the vendor's tool. Makes signing keys, issues product keys from edition
//! templates (one, or a whole CSV export), keeps the ledger (an SQLite database), revokes
//! keys, rotates the signing key, serves the desk. A thin layer over the `keygen` library.

use std::process::ExitCode;

use clap::FromArgMatches;

// Rows allocate many small strings; what this buys is measured in the README.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = keygen::cli::command().get_matches();
    let cli = keygen::cli::Cli::from_arg_matches(&cli).unwrap_or_else(|e| e.exit());
    match keygen::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // One problem a line, each marked as keygen's.
            for line in keygen::messages::message(&e).lines() {
                cli_support::warn(&format!("keygen: {line}"));
            }
            keygen::exit_code(&e)
        }
    }
}
