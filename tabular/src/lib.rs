//! Reading a spreadsheet export the way both batch commands do: UTF-8 with or without a BOM,
//! CRLF or LF, a header row whose names are matched case-insensitively, the delimiter (`,`
//! `;` or tab) detected from the header, and every record tagged with the physical line it
//! starts on (right after quoted line breaks and skipped blank lines).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A record that cannot be used, with the physical line it starts on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// More or fewer fields than the header has: a cell would be read under the wrong
    /// column. The rows after it can still be read.
    #[error("{found} fields where the header has {expected}")]
    Width {
        /// The line.
        line: u64,
        /// Fields in the record.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// The CSV itself cannot be read from here on (an I/O failure, bad quoting).
    #[error("{what}")]
    Unreadable {
        /// The line.
        line: u64,
        /// Why.
        what: String,
    },
}

impl RowError {
    /// The physical line of the record, from 1.
    pub fn line(&self) -> u64 {
        match self {
            RowError::Width { line, .. } | RowError::Unreadable { line, .. } => *line,
        }
    }

    /// Whether reading cannot go on after this error.
    pub fn is_fatal(&self) -> bool {
        matches!(self, RowError::Unreadable { .. })
    }
}

/// A problem with the file as a whole (no single row at fault).
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file cannot be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No header row.
    #[error("{}:1: -: the file is empty; a header row is required", .0.display())]
    Empty(PathBuf),
    /// The header is not valid UTF-8 or not CSV.
    #[error("{}:1: -: the header row cannot be read: {what}", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// Why.
        what: String,
    },
    /// An unknown `--delimiter` value.
    #[error("unknown delimiter '{0}': use ',', ';' or 'tab'")]
    Delimiter(String),
}

/// Reads a `--delimiter` value: `,`, `;` or `tab` (a literal tab works too).
pub fn parse_delimiter(text: &str) -> Result<u8, TableError> {
    match text {
        "," => Ok(b','),
        ";" => Ok(b';'),
        "tab" | "\t" | "TAB" | "\\t" => Ok(b'\t'),
        other => Err(TableError::Delimiter(other.to_owned())),
    }
}

/// The delimiter of a header line: the one of `,` `;` tab that occurs most often outside
/// quotes, `,` when none does (ties go to the earlier of `,` `;` tab).
pub fn detect_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// Newline offsets seen by the reader and not yet passed by a record, each with whether a
/// `\r` stands just before it.
#[derive(Default)]
struct Lines {
    pending: VecDeque<(u64, bool)>,
    consumed: u64,
}

/// A reader that notes where every `\n` is, so that a record's byte offset gives its line.
struct CountingReader<R> {
    inner: R,
    offset: u64,
    last_was_cr: bool,
    lines: Arc<Mutex<Lines>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = lock(&self.lines);
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                lines.pending.push_back((self.offset + i as u64, self.last_was_cr));
            }
            self.last_was_cr = *b == b'\r';
        }
        self.offset += n as u64;
        Ok(n)
    }
}

// Only this crate locks it, never while panicking: a poisoned lock still holds sound offsets.
fn lock(lines: &Mutex<Lines>) -> MutexGuard<'_, Lines> {
    lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The shape of the input, to write output the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// `,` `;` or tab.
    pub delimiter: u8,
    /// Whether the file starts with a UTF-8 BOM.
    pub bom: bool,
    /// Whether the header line ends with CRLF.
    pub crlf: bool,
}

/// Any source of bytes a table is read from: a file, or a private copy of one.
pub type Source = Box<dyn Read + Send>;

/// An open CSV file with its header read.
pub struct Table {
    path: PathBuf,
    reader: csv::Reader<CountingReader<BufReader<Source>>>,
    lines: Arc<Mutex<Lines>>,
    line: u64,
    /// How the file is written.
    pub format: Format,
    /// The header cells, as written.
    pub headers: Vec<String>,
}

/// One record with the physical line it starts on.
pub struct Row {
    /// Line number, from 1.
    pub line: u64,
    /// The raw cells.
    pub record: csv::ByteRecord,
}

impl Table {
    /// Opens `path`, reads its header, and detects its delimiter unless one is given.
    pub fn open(path: &Path, delimiter: Option<u8>) -> Result<Table, TableError> {
        let file = File::open(path).map_err(|source| TableError::Io { path: path.to_owned(), source })?;
        Table::from_reader(path, Box::new(file), delimiter)
    }

    /// Reads a table from `source`; `path` names it in messages.
    pub fn from_reader(path: &Path, source: Source, delimiter: Option<u8>) -> Result<Table, TableError> {
        let io = |source| TableError::Io { path: path.to_owned(), source };
        let mut buffered = BufReader::with_capacity(1 << 16, source);
        let head = buffered.fill_buf().map_err(io)?;
        let bom = head.starts_with(b"\xEF\xBB\xBF");
        let body = if bom { &head[3..] } else { head };
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(TableError::Empty(path.to_owned()));
        }
        let header_line = body.split(|b| *b == b'\n').next().unwrap_or_default();
        let crlf = header_line.ends_with(b"\r");
        let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(body));
        let lines = Arc::new(Mutex::new(Lines::default()));
        let counting =
            CountingReader { inner: buffered, offset: 0, last_was_cr: false, lines: Arc::clone(&lines) };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            // The width rule is this crate's (see `next_row`): a bad row is an error of its line.
            .flexible(true)
            .has_headers(true)
            .from_reader(counting);
        let headers = reader
            .headers()
            .map_err(|e| TableError::Header { path: path.to_owned(), what: e.to_string() })?
            .iter()
            .map(str::to_owned)
            .collect();
        Ok(Table {
            path: path.to_owned(),
            reader,
            lines,
            line: 1,
            format: Format { delimiter, bom, crlf },
            headers,
        })
    }

    /// The index of the column named `name` (case-insensitive, surrounding space ignored).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next record, or `None` at the end. A record whose width differs from the
    /// header's is an error of its own line, and reading may go on after it.
    pub fn next_row(&mut self) -> Option<Result<Row, RowError>> {
        let mut record = csv::ByteRecord::new();
        match self.reader.read_byte_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let start = record.position().map_or(0, csv::Position::byte);
                let line = self.line_at(start);
                if record.len() != self.headers.len() {
                    return Some(Err(RowError::Width {
                        line,
                        found: record.len(),
                        expected: self.headers.len(),
                    }));
                }
                Some(Ok(Row { line, record }))
            }
            Err(e) => {
                let start = e.position().map_or(0, csv::Position::byte);
                Some(Err(RowError::Unreadable { line: self.line_at(start), what: e.to_string() }))
            }
        }
    }

    fn line_at(&mut self, byte: u64) -> u64 {
        let mut byte = byte;
        let mut lines = lock(&self.lines);
        loop {
            match lines.pending.front() {
                Some(&(nl, _)) if nl < byte => {}
                // The csv crate gives the offset before the blank lines (and the \n of a
                // CRLF) it skipped: the record starts after them.
                Some(&(nl, _)) if nl == byte => byte += 1,
                Some(&(nl, true)) if nl == byte + 1 => byte += 2,
                _ => break,
            }
            lines.pending.pop_front();
            lines.consumed += 1;
        }
        self.line = lines.consumed + 1;
        self.line
    }
}

/// A cell as text, trimmed; `Err` names the problem when it is not UTF-8.
pub fn cell(record: &csv::ByteRecord, index: usize) -> Result<&str, &'static str> {
    let raw = record.get(index).unwrap_or_default();
    std::str::from_utf8(raw).map(str::trim).map_err(|_| "not valid UTF-8")
}

/// A CSV writer in the input's format (delimiter, line ends, BOM written now).
pub fn writer<W: std::io::Write>(mut out: W, format: Format) -> std::io::Result<csv::Writer<W>> {
    if format.bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    Ok(csv::WriterBuilder::new()
        .delimiter(format.delimiter)
        .terminator(if format.crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8]) -> (Table, Vec<(u64, Vec<String>)>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.csv");
        std::fs::write(&path, text).expect("write");
        let mut t = Table::open(&path, None).expect("open");
        let mut out = Vec::new();
        while let Some(r) = t.next_row() {
            let r = r.expect("row");
            out.push((r.line, r.record.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect()));
        }
        (t, out)
    }

    #[test]
    fn a_row_of_another_width_is_an_error_of_its_line_and_reading_goes_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.csv");
        std::fs::write(&path, b"a,b,c\n1,2\n1,2,3,4\n1,2,3\n").expect("write");
        let mut t = Table::open(&path, None).expect("open");
        let got: Vec<_> = std::iter::from_fn(|| t.next_row()).map(|r| r.map(|row| row.line)).collect();
        assert_eq!(
            got,
            [
                Err(RowError::Width { line: 2, found: 2, expected: 3 }),
                Err(RowError::Width { line: 3, found: 4, expected: 3 }),
                Ok(4)
            ]
        );
    }

    #[test]
    fn detects_the_delimiter_outside_quotes() {
        assert_eq!(detect_delimiter(b"a,b;c;d\n"), b';');
        assert_eq!(detect_delimiter(b"\"a,b,c\";d\n1,2,3,4,5"), b';');
        assert_eq!(detect_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(detect_delimiter(b"a\n"), b',');
        assert_eq!(detect_delimiter(b"a,b;c\n"), b',');
    }

    #[test]
    fn physical_lines_after_quoted_breaks_blank_lines_and_crlf() {
        let (t, r) = rows(b"\xEF\xBB\xBForg;n\r\n\"A\r\nB\";1\r\n\r\nC;2\r\n");
        assert_eq!(t.format, Format { delimiter: b';', bom: true, crlf: true });
        assert_eq!(t.headers, ["org", "n"]);
        assert_eq!(
            r,
            [(2, vec!["A\r\nB".to_owned(), "1".to_owned()]), (5, vec!["C".to_owned(), "2".to_owned()])]
        );
        let (_, r) = rows(b"h,s\nA,2\n\nB,3\n");
        assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), [2, 4]);
    }
}

#[cfg(test)]
mod more_tests {
    #[test]
    fn lines_in_many_shapes() {
        let cases: &[(&[u8], &[u64])] = &[
            (b"h,s\r\nA,2\r\n\r\nB,3\r\n", &[2, 4]),
            (b"h,s\r\n\"A\r\nx\",2\r\nB,3", &[2, 4]),
            (b"h,s\n\n\n\"A\n\nx\",2\n\r\nB,3\n", &[4, 8]),
            (b"h,s\nA,\"2\n\"\nB,3\n", &[2, 4]),
        ];
        for (text, lines) in cases {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("in.csv");
            std::fs::write(&path, text).expect("write");
            let mut t = super::Table::open(&path, None).expect("open");
            let mut got = Vec::new();
            while let Some(r) = t.next_row() {
                got.push(r.expect("row").line);
            }
            assert_eq!(&got, lines, "{:?}", String::from_utf8_lossy(text));
        }
    }
}

/// A writer for single records in the input's format, into memory (no BOM), so rows can be
/// formatted in parallel and written in order.
pub fn row_writer(format: Format) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(format.delimiter)
        .has_headers(false)
        .terminator(if format.crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(Vec::new())
}
