//! Reading the ledger a line at a time, with each line's number and byte offset: the one
//! loop that indexing, verifying, scanning stories and building the index all share.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

/// One line of the ledger.
pub struct Line<'a> {
    /// Its number, from 1 (counted from where reading started, plus the lines before).
    pub number: u64,
    /// The byte offset of its start.
    pub offset: u64,
    /// Its bytes without the line end.
    pub text: &'a [u8],
    /// Whether it ended with `\n` (only a crash leaves a last line without one).
    pub complete: bool,
}

/// Lines of a ledger file from a byte offset, up to a limit.
pub struct Lines {
    reader: BufReader<std::io::Take<File>>,
    buf: Vec<u8>,
    number: u64,
    offset: u64,
}

impl Lines {
    /// Reads `file` (its own handle: the caller's position is not moved) from byte `from`,
    /// after `lines_before` lines, up to byte `to` (`None`: the end).
    pub fn new(file: &File, from: u64, lines_before: u64, to: Option<u64>) -> std::io::Result<Lines> {
        let mut file = file.try_clone()?;
        file.seek(SeekFrom::Start(from))?;
        let limit = to.map_or(u64::MAX, |to| to.saturating_sub(from));
        Ok(Lines {
            reader: BufReader::with_capacity(1 << 20, file.take(limit)),
            buf: Vec::new(),
            number: lines_before,
            offset: from,
        })
    }

    /// The next line, or `None` at the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        let offset = self.offset;
        self.offset += n as u64;
        self.number += 1;
        let complete = self.buf.last() == Some(&b'\n');
        let text = if complete { &self.buf[..self.buf.len() - 1] } else { &self.buf[..] };
        Ok(Some(Line { number: self.number, offset, text, complete }))
    }
}
