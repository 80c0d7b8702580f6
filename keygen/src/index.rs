//! A derived index beside the ledger (`LEDGER.idx`), so that `keygen issue` and `ledger find
//! --serial/--order-id` need not read the whole ledger: their cost stays flat as the ledger
//! grows. The ledger stays the one source of truth:
//! - the index records the ledger length and the SHA-256 of the last line it covers; before
//!   use, both are checked against the ledger, and a stale or broken index is rebuilt (or, when
//!   the ledger only grew, brought up to date from where it stopped);
//! - every hit is read back from the ledger and compared in full (the index holds 64-bit
//!   hashes of serials and order ids, and offsets), so the index can miss nothing that a full
//!   read would find, and never answers on its own.
//!
//! Layout: a header (magic, ledger length, lines, last line's hash, counts), a sorted base of
//! `(hash, offset)` pairs searched with a few reads, and an unsorted tail of recent entries.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::lines::Lines;

const MAGIC: &[u8; 8] = b"ASTLIDX2";
const HEADER: u64 = 8 + 8 + 8 + 32 + 8 + 8 + 4;
const ENTRY: u64 = 25;
/// Entries kept unsorted before the base is rewritten.
const MAX_TAIL: u64 = 4096;

/// What an entry points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// The record that issued a serial.
    Serial = 1,
    /// The record that issued a key for an order.
    Order = 2,
    /// The record of the key that replaced a serial.
    Replaced = 3,
    /// A revocation record naming a serial.
    Revoked = 4,
}

/// One entry: the hash of its text, its kind, where the ledger line starts and its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    hash: u64,
    kind: u8,
    offset: u64,
    line: u64,
}

/// Where a record is: its byte offset and line number (from 1) in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// Byte offset of the line.
    pub offset: u64,
    /// Line number, from 1.
    pub line: u64,
}

impl Entry {
    fn new(kind: Kind, text: &str, at: At) -> Entry {
        Entry { hash: key_hash(kind, text), kind: kind as u8, offset: at.offset, line: at.line }
    }

    fn to_bytes(self) -> [u8; ENTRY as usize] {
        let mut out = [0u8; ENTRY as usize];
        out[..8].copy_from_slice(&self.hash.to_be_bytes());
        out[8] = self.kind;
        out[9..17].copy_from_slice(&self.offset.to_be_bytes());
        out[17..].copy_from_slice(&self.line.to_be_bytes());
        out
    }

    fn from_bytes(b: &[u8]) -> Entry {
        let u = |at: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[at..at + 8]);
            u64::from_be_bytes(x)
        };
        Entry { hash: u(0), kind: b[8], offset: u(9), line: u(17) }
    }
}

fn key_hash(kind: Kind, text: &str) -> u64 {
    let digest = Sha256::new().chain_update([kind as u8]).chain_update(text.as_bytes()).finalize();
    let mut h = [0u8; 8];
    h.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(h)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Header {
    ledger_len: u64,
    lines: u64,
    last_hash: [u8; 32],
    base: u64,
    tail: u64,
    /// CRC-32 of every entry after the header: a torn write or a damaged file is found and
    /// the index rebuilt, so that an entry can never silently go missing.
    crc: u32,
}

impl Header {
    fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER as usize);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.ledger_len.to_be_bytes());
        out.extend_from_slice(&self.lines.to_be_bytes());
        out.extend_from_slice(&self.last_hash);
        out.extend_from_slice(&self.base.to_be_bytes());
        out.extend_from_slice(&self.tail.to_be_bytes());
        out.extend_from_slice(&self.crc.to_be_bytes());
        out
    }

    fn from_bytes(b: &[u8]) -> Option<Header> {
        if b.len() < HEADER as usize || &b[..8] != MAGIC {
            return None;
        }
        let u =
            |at: usize| b.get(at..at + 8).and_then(|s| <[u8; 8]>::try_from(s).ok()).map(u64::from_be_bytes);
        let mut last_hash = [0u8; 32];
        last_hash.copy_from_slice(&b[24..56]);
        let crc = u32::from_be_bytes(b.get(72..76).and_then(|s| <[u8; 4]>::try_from(s).ok())?);
        Some(Header { ledger_len: u(8)?, lines: u(16)?, last_hash, base: u(56)?, tail: u(64)?, crc })
    }
}

/// The index of a locked ledger, up to date with it.
pub struct Index {
    file: File,
    path: PathBuf,
    header: Header,
}

/// The index file of a ledger.
pub fn path_of(ledger: &Path) -> PathBuf {
    let mut p = ledger.as_os_str().to_owned();
    p.push(".idx");
    PathBuf::from(p)
}

impl Index {
    /// Opens the index of `ledger` (open and locked by the caller), checking it against the
    /// ledger and bringing it up to date, or rebuilding it.
    pub fn open(ledger_path: &Path, ledger: &File) -> Result<Index, Error> {
        let path = path_of(ledger_path);
        let ledger_len =
            ledger.metadata().map_err(Error::io(format!("cannot read {}", ledger_path.display())))?.len();
        if let Some(mut index) = Index::read(&path)
            && index.header.ledger_len <= ledger_len
            && last_line_hash(ledger, index.header.ledger_len)? == Some(index.header.last_hash)
        {
            if index.header.ledger_len < ledger_len {
                index.catch_up(ledger, ledger_len)?;
            }
            return Ok(index);
        }
        Index::rebuild(&path, ledger, ledger_len)
    }

    fn read(path: &Path) -> Option<Index> {
        let file = OpenOptions::new().read(true).write(true).open(path).ok()?;
        let mut head = [0u8; HEADER as usize];
        file.read_exact_at(&mut head, 0).ok()?;
        let header = Header::from_bytes(&head)?;
        let len = file.metadata().ok()?.len();
        (len == HEADER + (header.base + header.tail) * ENTRY).then_some(Index {
            file,
            path: path.to_owned(),
            header,
        })
    }

    /// Reads the whole ledger and writes a new index (to a temporary file, then renamed).
    fn rebuild(path: &Path, ledger: &File, ledger_len: u64) -> Result<Index, Error> {
        let (mut entries, lines, last_hash) = scan(ledger, 0, 0, ledger_len)?;
        entries.sort_unstable();
        let mut crc = crc32fast::Hasher::new();
        for e in &entries {
            crc.update(&e.to_bytes());
        }
        let header =
            Header { ledger_len, lines, last_hash, base: entries.len() as u64, tail: 0, crc: crc.finalize() };
        let dir = cli_support::parent_dir(path);
        let io = Error::io(format!("cannot write the ledger index {}", path.display()));
        let tmp = tempfile::Builder::new()
            .prefix(".ledger-index-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .tempfile_in(dir)
            .map_err(io)?;
        {
            let mut out = std::io::BufWriter::new(tmp.as_file());
            let write = |out: &mut std::io::BufWriter<&File>, bytes: &[u8]| {
                out.write_all(bytes)
                    .map_err(Error::io(format!("cannot write the ledger index {}", path.display())))
            };
            write(&mut out, &header.to_bytes())?;
            for e in &entries {
                write(&mut out, &e.to_bytes())?;
            }
            out.flush().map_err(Error::io(format!("cannot write the ledger index {}", path.display())))?;
        }
        tmp.persist(path)
            .map_err(|e| Error::Io { what: format!("cannot write {}", path.display()), source: e.error })?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .mode(0o600)
            .open(path)
            .map_err(Error::io(format!("cannot open {}", path.display())))?;
        Ok(Index { file, path: path.to_owned(), header })
    }

    /// Indexes the lines the ledger gained since the index was written.
    fn catch_up(&mut self, ledger: &File, ledger_len: u64) -> Result<(), Error> {
        let (entries, lines, last_hash) =
            scan(ledger, self.header.ledger_len, self.header.lines, ledger_len)?;
        let last_hash = if lines == 0 { self.header.last_hash } else { last_hash };
        self.add(&entries, ledger_len, self.header.lines + lines, last_hash, ledger)
    }

    /// Records entries of lines appended to the ledger, which now has `ledger_len` bytes and
    /// `lines` lines, the last with `last_hash`. The entries are on disk before the header
    /// says they are.
    fn add(
        &mut self,
        entries: &[Entry],
        ledger_len: u64,
        lines: u64,
        last_hash: [u8; 32],
        ledger: &File,
    ) -> Result<(), Error> {
        if self.header.tail + entries.len() as u64 > MAX_TAIL {
            *self = Index::rebuild(&self.path, ledger, ledger_len)?;
            return Ok(());
        }
        let io = || Error::io(format!("cannot write the ledger index {}", self.path.display()));
        let mut bytes = Vec::with_capacity(entries.len() * ENTRY as usize);
        for e in entries {
            bytes.extend_from_slice(&e.to_bytes());
        }
        let at = HEADER + (self.header.base + self.header.tail) * ENTRY;
        self.file.write_all_at(&bytes, at).map_err(io())?;
        self.file.sync_data().map_err(io())?;
        self.header = Header {
            ledger_len,
            lines,
            last_hash,
            tail: self.header.tail + entries.len() as u64,
            ..self.header
        };
        self.file.write_all_at(&self.header.to_bytes(), 0).map_err(io())
    }

    /// After the caller appended `line` (without its line end) at `offset`: records it.
    pub fn appended(&mut self, ledger: &File, offset: u64, line: &[u8]) -> Result<(), Error> {
        let entries = entries_of(line, At { offset, line: self.header.lines + 1 });
        let len = offset + line.len() as u64 + 1;
        self.add(&entries, len, self.header.lines + 1, Sha256::digest(line).into(), ledger)
    }

    /// The ledger's length the index covers (the whole ledger, after `open`).
    pub fn ledger_len(&self) -> u64 {
        self.header.ledger_len
    }

    /// The hex SHA-256 of the ledger's last line (64 zeros for an empty ledger).
    pub fn last_hash_hex(&self) -> String {
        if self.header.lines == 0 {
            crate::ledger::GENESIS.to_owned()
        } else {
            hex::encode(self.header.last_hash)
        }
    }

    /// The offsets of the ledger lines that may be of `kind` for `text` (hash hits): the
    /// caller reads each back from the ledger and compares.
    pub fn candidates(&self, kind: Kind, text: &str) -> Result<Vec<At>, Error> {
        let want = key_hash(kind, text);
        let io = || Error::io(format!("cannot read the ledger index {}", self.path.display()));
        let read = |i: u64| -> Result<Entry, Error> {
            let mut b = [0u8; ENTRY as usize];
            self.file.read_exact_at(&mut b, HEADER + i * ENTRY).map_err(io())?;
            Ok(Entry::from_bytes(&b))
        };
        let mut out = Vec::new();
        // The first base entry with this hash (binary search), then every one after it.
        let (mut lo, mut hi) = (0u64, self.header.base);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if read(mid)?.hash < want { lo = mid + 1 } else { hi = mid }
        }
        let mut i = lo;
        while i < self.header.base {
            let e = read(i)?;
            if e.hash != want {
                break;
            }
            if e.kind == kind as u8 {
                out.push(At { offset: e.offset, line: e.line });
            }
            i += 1;
        }
        let mut tail = vec![0u8; (self.header.tail * ENTRY) as usize];
        self.file.read_exact_at(&mut tail, HEADER + self.header.base * ENTRY).map_err(io())?;
        out.extend(
            tail.chunks_exact(ENTRY as usize)
                .map(Entry::from_bytes)
                .filter(|e| e.hash == want && e.kind == kind as u8)
                .map(|e| At { offset: e.offset, line: e.line }),
        );
        Ok(out)
    }
}

/// The fields an entry is made from.
#[derive(serde::Deserialize)]
struct Fields {
    serial: Option<String>,
    order_id: Option<String>,
    supersedes: Option<String>,
    revoked: Option<Vec<String>>,
}

fn entries_of(line: &[u8], at: At) -> Vec<Entry> {
    let Ok(f) = serde_json::from_slice::<Fields>(line) else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(s) = &f.serial {
        out.push(Entry::new(Kind::Serial, s, at));
    }
    if let Some(o) = &f.order_id {
        out.push(Entry::new(Kind::Order, o, at));
    }
    if let Some(s) = &f.supersedes {
        out.push(Entry::new(Kind::Replaced, s, at));
    }
    for s in f.revoked.iter().flatten() {
        out.push(Entry::new(Kind::Revoked, s, at));
    }
    out
}

/// The entries of the ledger's lines from byte `from` (after `lines_before` lines) to `to`,
/// their count, and the hash of the last one.
fn scan(ledger: &File, from: u64, lines_before: u64, to: u64) -> Result<(Vec<Entry>, u64, [u8; 32]), Error> {
    let mut reader =
        Lines::new(ledger, from, lines_before, Some(to)).map_err(Error::io("cannot read the ledger"))?;
    let mut entries = Vec::new();
    let (mut lines, mut last) = (0u64, [0u8; 32]);
    while let Some(line) = reader.next_line().map_err(Error::io("cannot read the ledger"))? {
        entries.extend(entries_of(line.text, At { offset: line.offset, line: line.number }));
        last = Sha256::digest(line.text).into();
        lines += 1;
    }
    Ok((entries, lines, last))
}

/// The SHA-256 of the line that ends at byte `end` of the ledger (`end` just past its `\n`);
/// zeros for `end` 0; `None` when no line ends there.
fn last_line_hash(ledger: &File, end: u64) -> Result<Option<[u8; 32]>, Error> {
    if end == 0 {
        return Ok(Some([0u8; 32]));
    }
    let io = || Error::io("cannot read the ledger");
    let mut at = end - 1;
    let mut byte = [0u8; 1];
    ledger.read_exact_at(&mut byte, at).map_err(io())?;
    if byte[0] != b'\n' {
        return Ok(None);
    }
    // Back to the line's start, a block at a time.
    let mut block = vec![0u8; 4096];
    let start = loop {
        if at == 0 {
            break 0;
        }
        let from = at.saturating_sub(block.len() as u64);
        let chunk = &mut block[..(at - from) as usize];
        ledger.read_exact_at(chunk, from).map_err(io())?;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            break from + i as u64 + 1;
        }
        at = from;
    };
    let mut line = vec![0u8; (end - 1 - start) as usize];
    ledger.read_exact_at(&mut line, start).map_err(io())?;
    Ok(Some(Sha256::digest(&line).into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_crc_goes_on_from_where_it_stopped() {
        let (a, b) = (b"first part of the entries".as_slice(), b"and the tail".as_slice());
        let mut whole = a.to_vec();
        whole.extend_from_slice(b);
        let mut going_on = crc32fast::Hasher::new_with_initial(crc32fast::hash(a));
        going_on.update(b);
        assert_eq!(going_on.finalize(), crc32fast::hash(&whole));
    }
}
