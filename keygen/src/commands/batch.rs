//! `keygen batch`: the command line's side of a batch (keygen_core::batch does the work):
//! its flags as a request, Ctrl-C, the progress bar and the closing lines.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use keygen_core::batch::{self, Progress, Request, SignerFrom};
use keygen_core::error::Error;

use crate::cli::BatchArgs;

/// The batch's options as the command line names them: its flags.
pub const FLAGS: batch::Words = batch::Words {
    template: "--template",
    column: "--column",
    ignore_column: "--ignore-column",
    ignore_other_columns: "--ignore-other-columns",
    no_order_ids: "--no-order-ids",
    skip_issued: "--skip-issued",
    delimiter: "--delimiter",
    encoding: "--encoding",
    issued: "--issued",
    again: "run the same command with",
};

/// The request the flags make.
pub fn request(args: &BatchArgs) -> Request {
    Request {
        input: args.input.clone(),
        output: args.output.clone(),
        template: args.template.clone(),
        columns: args.columns.clone(),
        ignore_columns: args.ignore_columns.clone(),
        ignore_other_columns: args.ignore_other_columns,
        no_order_ids: args.no_order_ids,
        delimiter: args.delimiter.clone(),
        encoding: args.encoding.clone(),
        issued: args.issued.clone(),
        skip_issued: args.skip_issued,
        force: args.force,
        ledger: args.ledger.clone(),
        key: args.key.key.clone(),
        passphrase_file: args.key.passphrase_file.clone(),
        templates: args.templates.folder(),
        words: FLAGS,
    }
}

/// Runs `keygen batch`.
pub fn run(args: &BatchArgs) -> Result<ExitCode, Error> {
    // Ctrl-C or SIGTERM stops the run between chunks, so the temporary output is removed and
    // the transaction rolled back; a second Ctrl-C ends the process at once (the ledger is
    // then as it was too: nothing was committed).
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop));
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    let bar = Bar::new(args.quiet);
    let done = batch::execute(&request(args), &stop, SignerFrom::File, &keygen_core::ops::cli_actor(), &bar)?;
    if !args.quiet {
        cli_support::warn(&format!(
            "{}: {} keys issued{}, recorded in {}",
            args.output.display(),
            done.new_keys,
            if done.reused > 0 { format!(", {} taken from the ledger", done.reused) } else { String::new() },
            done.ledger.display()
        ));
    }
    if let Some(warning) = keygen_core::email_block::future_warning(done.issued, product_key::Day::today()) {
        cli_support::warn(&warning);
    }
    Ok(ExitCode::SUCCESS)
}

/// The progress bar on a terminal; nothing when quiet or when stderr is not one.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new(quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} keys, {eta} left")
        {
            bar.set_style(style);
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, rows: u64) {
        self.0.set_length(rows);
    }
    fn advance(&self, rows: u64) {
        self.0.inc(rows);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
