//! Reading a spreadsheet export the way both batch commands do: UTF-8 with or without a BOM,
//! CRLF or LF, a header row whose names are matched case-insensitively, the delimiter (`,`
//! `;` or tab) detected from the header, and every record tagged with the physical line it
//! starts on (right after quoted line breaks and skipped blank lines).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encoding;

pub use encoding::{Encoder, TextEncoding};

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
    /// Bytes that are not UTF-8 in a file read as UTF-8: probably saved in another encoding.
    #[error(
        "the text is not valid UTF-8: saved by Excel as 'CSV'? use --encoding windows-1252, or save as 'CSV UTF-8'"
    )]
    NotUtf8 {
        /// The line.
        line: u64,
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
            RowError::Width { line, .. } | RowError::NotUtf8 { line } | RowError::Unreadable { line, .. } => {
                *line
            }
        }
    }

    /// Whether reading cannot go on after this error.
    pub fn is_fatal(&self) -> bool {
        matches!(self, RowError::Unreadable { .. } | RowError::NotUtf8 { .. })
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
    /// An unknown `--encoding` value.
    #[error("unknown encoding '{0}': use {names}", names = TextEncoding::NAMES)]
    Encoding(String),
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

/// Reads an `--encoding` value.
pub fn parse_encoding(text: &str) -> Result<TextEncoding, TableError> {
    TextEncoding::parse(text).ok_or_else(|| TableError::Encoding(text.to_owned()))
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
    /// Whether the file starts with a byte order mark.
    pub bom: bool,
    /// The file's text encoding.
    pub encoding: TextEncoding,
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
        Table::from_reader(path, Box::new(file), delimiter, None)
    }

    /// Reads a table from `source`; `path` names it in messages. The encoding is `encoding`
    /// if given, else the one a byte order mark names, else UTF-8.
    pub fn from_reader(
        path: &Path,
        source: Source,
        delimiter: Option<u8>,
        encoding: Option<TextEncoding>,
    ) -> Result<Table, TableError> {
        let io = |source| TableError::Io { path: path.to_owned(), source };
        let mut raw = BufReader::with_capacity(1 << 16, source);
        let sniffed = TextEncoding::sniff(raw.fill_buf().map_err(io)?);
        let encoding = encoding.or(sniffed.map(|(e, _)| e)).unwrap_or(TextEncoding::Utf8);
        raw.consume(sniffed.map_or(0, |(_, len)| len));
        let bom = sniffed.is_some();
        // The start of the text, to find the delimiter and line ends: read until a line end
        // (or 64 KiB, or the end), since a decoder may hand out its text in small pieces.
        let mut decoder = encoding.decoder(raw);
        let mut head = Vec::with_capacity(1 << 16);
        let mut chunk = [0u8; 8192];
        while head.len() < 1 << 16 && !head.contains(&b'\n') {
            let n = decoder.read(&mut chunk).map_err(io)?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&chunk[..n]);
        }
        let body = head.as_slice();
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(TableError::Empty(path.to_owned()));
        }
        let header_line = body.split(|b| *b == b'\n').next().unwrap_or_default();
        let crlf = header_line.ends_with(b"\r");
        let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(body));
        let buffered: Source = Box::new(std::io::Cursor::new(head).chain(decoder));
        let buffered = BufReader::with_capacity(1 << 16, buffered);
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
            .map_err(|e| TableError::Header {
                path: path.to_owned(),
                what: match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => RowError::NotUtf8 { line: 1 }.to_string(),
                    _ => e.to_string(),
                },
            })?
            .iter()
            .map(str::to_owned)
            .collect();
        Ok(Table {
            path: path.to_owned(),
            reader,
            lines,
            line: 1,
            format: Format { delimiter, bom, encoding, crlf },
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
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(false) => return None,
                Ok(true) => {
                    let start = record.position().map_or(0, csv::Position::byte);
                    let line = self.line_at(start);
                    // A row of only delimiters (`;;;;`, which Excel leaves below the data)
                    // is skipped like a blank line.
                    if record.iter().all(|cell| cell.trim_ascii().is_empty()) {
                        continue;
                    }
                    if std::str::from_utf8(record.as_slice()).is_err() {
                        return Some(Err(RowError::NotUtf8 { line }));
                    }
                    if record.len() != self.headers.len() {
                        return Some(Err(RowError::Width {
                            line,
                            found: record.len(),
                            expected: self.headers.len(),
                        }));
                    }
                    return Some(Ok(Row { line, record }));
                }
                Err(e) => {
                    let start = e.position().map_or(0, csv::Position::byte);
                    let line = self.line_at(start);
                    return Some(Err(RowError::Unreadable { line, what: e.to_string() }));
                }
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

/// A CSV writer in the input's format (delimiter, line ends, encoding, and its BOM written
/// now if the input had one).
pub fn writer<W: std::io::Write>(out: W, format: Format) -> std::io::Result<csv::Writer<Encoder<W>>> {
    let out = encoded(out, format)?;
    Ok(csv::WriterBuilder::new()
        .delimiter(format.delimiter)
        .terminator(if format.crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(out))
}

/// `out` encoded as the input was, its BOM written now if the input had one: what UTF-8 is
/// written to it comes out in the input's encoding.
pub fn encoded<W: std::io::Write>(mut out: W, format: Format) -> std::io::Result<Encoder<W>> {
    if format.bom {
        out.write_all(format.encoding.bom())?;
    }
    Ok(Encoder::new(out, format.encoding))
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
    fn rows_of_only_delimiters_are_skipped_like_blank_lines() {
        let (_, r) = rows(b"a;b;c\r\n1;2;3\r\n;;\r\n ; ;\r\n4;5;6\r\n;;\r\n");
        assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), [2, 5]);
    }

    #[test]
    fn excel_encodings_are_read_and_text_that_is_not_utf8_is_refused_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let read = |bytes: &[u8], encoding: Option<TextEncoding>| {
            let path = dir.path().join("in.csv");
            std::fs::write(&path, bytes).expect("write");
            let mut t = Table::from_reader(&path, Box::new(File::open(&path).expect("open")), None, encoding)
                .expect("table");
            let rows: Vec<Result<Vec<String>, RowError>> = std::iter::from_fn(|| t.next_row())
                .map(|r| {
                    r.map(|row| row.record.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect())
                })
                .collect();
            (t.format, t.headers.clone(), rows)
        };
        // Windows-1252 (a German Excel's "CSV"): refused as UTF-8, read when named.
        let cp1252 = b"Kunde;Stadt\r\nM\xfcller GmbH;K\xf6ln\r\n";
        let (_, _, rows) = read(cp1252, None);
        assert_eq!(rows, [Err(RowError::NotUtf8 { line: 2 })]);
        let (format, _, rows) = read(cp1252, Some(TextEncoding::Windows1252));
        assert_eq!(rows, [Ok(vec!["Müller GmbH".to_owned(), "Köln".to_owned()])]);
        assert_eq!((format.encoding, format.bom, format.delimiter), (TextEncoding::Windows1252, false, b';'));
        // UTF-16 with a BOM (Excel's "Unicode Text", tab-separated), both byte orders.
        let text = "Kunde\tStadt\r\nMüller GmbH\tKöln\r\n";
        for (bom, order) in
            [(&b"\xFF\xFE"[..], TextEncoding::Utf16Le), (&b"\xFE\xFF"[..], TextEncoding::Utf16Be)]
        {
            let mut bytes = bom.to_vec();
            for unit in text.encode_utf16() {
                bytes.extend(if order == TextEncoding::Utf16Le {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                });
            }
            let (format, headers, rows) = read(&bytes, None);
            assert_eq!(headers, ["Kunde", "Stadt"]);
            assert_eq!(rows, [Ok(vec!["Müller GmbH".to_owned(), "Köln".to_owned()])]);
            assert_eq!((format.encoding, format.bom, format.delimiter), (order, true, b'\t'));
        }
        // A header that is not UTF-8 says so, with the hint.
        let path = dir.path().join("h.csv");
        std::fs::write(&path, b"K\xfcnde;x\n1;2\n").expect("write");
        let err = Table::open(&path, None).err().expect("refused").to_string();
        assert!(
            err.contains(":1: -: the header row cannot be read: the text is not valid UTF-8")
                && err.contains("--encoding windows-1252"),
            "{err}"
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
        assert_eq!(t.format, Format { delimiter: b';', bom: true, encoding: TextEncoding::Utf8, crlf: true });
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
