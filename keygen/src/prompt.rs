//! Asking for a passphrase on the terminal without showing it.
//!
//! Echo is turned off *before* the prompt is written, so whatever is typed once the prompt is
//! visible is never shown, even if it was typed ahead of the read (rpassword writes the prompt
//! first, leaving a window in which typed characters were echoed). The terminal's settings are
//! put back when the guard drops, also on an error.

use std::fs::File;
use std::io::{Read, Write};

use rustix::termios::{LocalModes, OptionalActions, Termios, tcgetattr, tcsetattr};
use zeroize::Zeroizing;

/// The longest line accepted: a passphrase is a few dozen characters; a pasted file is not one.
const MAX_LINE: usize = 4096;

/// The terminal with echo off until dropped.
struct Hidden {
    tty: File,
    saved: Termios,
}

impl Hidden {
    fn new(tty: File) -> std::io::Result<Self> {
        let saved = tcgetattr(&tty)?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        // The Enter key still moves to the next line, so the next output does not run on.
        quiet.local_modes.insert(LocalModes::ECHONL);
        tcsetattr(&tty, OptionalActions::Now, &quiet)?;
        Ok(Hidden { tty, saved })
    }
}

impl Drop for Hidden {
    fn drop(&mut self) {
        // Nothing more can be done if the terminal went away meanwhile.
        let _ = tcsetattr(&self.tty, OptionalActions::Now, &self.saved);
    }
}

/// Writes `prompt` to the controlling terminal with echo off and reads one line, without its
/// line ending. Every byte read is held in wiped memory.
pub fn ask(prompt: &str) -> std::io::Result<Zeroizing<String>> {
    let tty = File::options().read(true).write(true).open("/dev/tty")?;
    let mut hidden = Hidden::new(tty)?;
    hidden.tty.write_all(prompt.as_bytes())?;
    hidden.tty.flush()?;
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE));
    let mut byte = Zeroizing::new([0u8; 1]);
    loop {
        // One byte at a time, so that nothing past the line sits in an unwiped buffer.
        if hidden.tty.read(&mut byte[..])? == 0 || byte[0] == b'\n' {
            break;
        }
        if line.len() == MAX_LINE {
            return Err(std::io::Error::other(format!("the line is longer than {MAX_LINE} bytes")));
        }
        line.push(byte[0]);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text =
        std::str::from_utf8(&line).map_err(|_| std::io::Error::other("what was typed is not UTF-8"))?;
    Ok(Zeroizing::new(text.to_owned()))
}
