//! Writing to stdout, where a reader that goes away is a normal end.

use std::io::Write;

use crate::error::Error;

/// Writes `text` to stdout and flushes. A closed pipe is not an error.
pub fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Io(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Writes a line to stderr; there is nowhere to report a failure to.
pub fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
