//! Asking for a passphrase on the terminal without showing it.
//!
//! Echo is turned off *before* the prompt is written, so whatever is typed once the prompt is
//! visible is never shown, even if it was typed ahead of the read (rpassword writes the prompt
//! first, leaving a window in which typed characters were echoed).
//!
//! The terminal's settings come back on every way out. While the prompt waits, the terminal
//! sends keys as bytes (no line mode, no signals from keys): Ctrl-C, Ctrl-\ and Ctrl-Z arrive
//! here as the terminal's interrupt, quit and suspend characters instead of as signals that
//! would end or stop the process with echo still off (a signal kills before any `Drop` runs;
//! and `keygen batch`, which catches SIGINT to stop between chunks, would swallow the first
//! Ctrl-C while the read waits). Ctrl-C or Ctrl-\ puts the settings back, then ends the
//! process by that same signal, as the shell expects of an interrupted command; Ctrl-Z is
//! not taken (a process stopped with echo off would leave the shell without it). Erase and
//! kill (the terminal's own keys for them) edit the line as the terminal would. An error or
//! a panic restores the settings when the guard drops.

use std::fs::File;
use std::io::{Read, Write};

use rustix::termios::{LocalModes, OptionalActions, SpecialCodeIndex, Termios, tcgetattr, tcsetattr};
use zeroize::Zeroizing;

/// The longest line accepted: a passphrase is a few dozen characters; a pasted file is not one.
const MAX_LINE: usize = 4096;

/// The terminal with echo, line mode and key signals off until dropped.
struct Hidden {
    tty: File,
    saved: Termios,
}

impl Hidden {
    fn new(tty: File) -> std::io::Result<Self> {
        let saved = tcgetattr(&tty)?;
        let mut quiet = saved.clone();
        quiet
            .local_modes
            .remove(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG | LocalModes::IEXTEN);
        // One byte at a time, as soon as it is typed.
        quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
        quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
        tcsetattr(&tty, OptionalActions::Now, &quiet)?;
        Ok(Hidden { tty, saved })
    }

    /// The terminal's character for `which` (Ctrl-C for VINTR, unless set otherwise).
    fn key(&self, which: SpecialCodeIndex) -> u8 {
        self.saved.special_codes[which]
    }
}

impl Drop for Hidden {
    fn drop(&mut self) {
        // Nothing more can be done if the terminal went away meanwhile.
        let _ = tcsetattr(&self.tty, OptionalActions::Now, &self.saved);
    }
}

/// Writes `prompt` to the controlling terminal with echo off and reads one line, without its
/// line ending. Every byte read is held in wiped memory. The interrupt or quit key restores
/// the terminal and ends the process by SIGINT or SIGQUIT.
pub fn ask(prompt: &str) -> std::io::Result<Zeroizing<String>> {
    let tty = File::options().read(true).write(true).open("/dev/tty")?;
    let mut hidden = Hidden::new(tty)?;
    hidden.tty.write_all(prompt.as_bytes())?;
    hidden.tty.flush()?;
    // A key set to 0 is disabled (_POSIX_VDISABLE): it matches nothing.
    let key = |which| Some(hidden.key(which)).filter(|k| *k != 0);
    let (interrupt, quit, erase, kill, eof, suspend) = (
        key(SpecialCodeIndex::VINTR),
        key(SpecialCodeIndex::VQUIT),
        key(SpecialCodeIndex::VERASE),
        key(SpecialCodeIndex::VKILL),
        key(SpecialCodeIndex::VEOF),
        key(SpecialCodeIndex::VSUSP),
    );
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE));
    let mut byte = Zeroizing::new([0u8; 1]);
    loop {
        // One byte at a time, so that nothing past the line sits in an unwiped buffer.
        let n = match hidden.tty.read(&mut byte[..]) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => other?,
        };
        let b = Some(byte[0]);
        if n == 0 || b == Some(b'\n') || b == Some(b'\r') || (b == eof && line.is_empty()) {
            break;
        }
        if b == interrupt || b == quit {
            let _ = hidden.tty.write_all(b"\n");
            drop(hidden);
            let signal =
                if b == interrupt { signal_hook::consts::SIGINT } else { signal_hook::consts::SIGQUIT };
            // Ends the process as the key would have (restoring the default action first, so
            // a handler that `batch` registered does not catch it); returns only if it failed.
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "cancelled"));
        }
        // Suspending with echo off would leave the shell without it: the key is not taken.
        if b == suspend {
            continue;
        }
        if b == erase || b == Some(0x7f) || b == Some(0x08) {
            // A whole character: its continuation bytes, then its first byte.
            while line.last().is_some_and(|c| c & 0xC0 == 0x80) {
                line.pop();
            }
            line.pop();
            continue;
        }
        if b == kill {
            line.clear();
            continue;
        }
        if line.len() == MAX_LINE {
            return Err(std::io::Error::other(format!("the line is longer than {MAX_LINE} bytes")));
        }
        line.push(byte[0]);
    }
    // The Enter key moves to the next line (echo is off, so the terminal does not).
    hidden.tty.write_all(b"\n")?;
    let text =
        std::str::from_utf8(&line).map_err(|_| std::io::Error::other("what was typed is not UTF-8"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Writes `prompt` to stderr and reads one line that may be shown (an order id, not a
/// secret) from stdin, without its line ending; at most [`MAX_LINE`] bytes.
pub fn ask_line(prompt: &str) -> std::io::Result<String> {
    let mut err = std::io::stderr().lock();
    err.write_all(prompt.as_bytes())?;
    err.flush()?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::stdin().lock().take(MAX_LINE as u64 + 1), &mut line)?;
    if line.len() > MAX_LINE {
        return Err(std::io::Error::other(format!("the line is longer than {MAX_LINE} bytes")));
    }
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
