//! What keygen and verifier do the same way: writing to stdout where a closed pipe is a
//! normal end, publishing a file whole (temporary file, sync, rename), and writing shell
//! completions and man pages, and aligning text tables by display width.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod csv_cell;
#[cfg(feature = "docs")]
mod docs;
mod publish;
mod table;

use std::io::Write;
use std::path::Path;

#[cfg(feature = "docs")]
pub use docs::write_docs;
pub use publish::{Pending, PublishError};
pub use table::{Align, Table, width};

/// Writes `text` to stdout and flushes. A reader that went away (`... | head -1`) is a
/// normal end, not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

/// Writes a line to stderr; there is nowhere to report a failure to.
pub fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Shows `text` after the help of `cmd` and of every subcommand at any depth (exit codes,
/// say), so that no `--help` leaves them out. Subcommands that have their own keep it.
#[cfg(feature = "docs")]
pub fn after_help_everywhere(cmd: clap::Command, text: &'static str) -> clap::Command {
    let cmd = if cmd.get_after_help().is_none() { cmd.after_help(text) } else { cmd };
    cmd.mut_subcommands(|sub| after_help_everywhere(sub, text))
}

/// The folder a file is in: `.` for a bare file name.
pub fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}
