//! The ledger: every key issued and every revocation, as hash-chained JSON Lines, appended
//! under an exclusive lock and synced before a key is shown.

use std::collections::{BTreeSet, HashSet};

use crate::strmap::StrMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::index::{At, Index, Kind};
use crate::lines::Lines;

/// `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The ledger's default file name, beside the signing key.
pub const FILE_NAME: &str = "ledger.jsonl";

/// The ledger beside `key`, unless `explicit` names one.
pub fn path_for(explicit: Option<&Path>, key: &Path) -> PathBuf {
    match explicit {
        Some(p) => p.to_owned(),
        // A bare file name keeps the ledger bare too (`ledger.jsonl`, not `./ledger.jsonl`).
        None => key.parent().unwrap_or(Path::new("")).join(FILE_NAME),
    }
}

/// SHA-256 hex of a line's bytes without its line end.
pub fn line_hash(line: &[u8]) -> String {
    let mut hex = [0u8; 64];
    // Into a fixed buffer: hex::encode goes char by char, which showed in batch profiles.
    hex::encode_to_slice(Sha256::digest(line), &mut hex).unwrap_or_else(|e| unreachable!("64 digits: {e}"));
    std::str::from_utf8(&hex).map(str::to_owned).unwrap_or_default()
}

/// The fields every kind of record is indexed by; the rest is ignored when indexing.
#[derive(Deserialize)]
struct Indexed {
    serial: Option<String>,
    order_id: Option<String>,
    revoked: Option<Vec<String>>,
    sequence: Option<u32>,
}

/// Where a record is in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Line number, from 1.
    pub line: usize,
    /// Byte offset of the line's start.
    pub offset: u64,
}

/// An open, exclusively locked ledger with the index needed to append to it.
pub struct Ledger {
    file: File,
    path: PathBuf,
    last_hash: String,
    /// Serials issued.
    pub serials: HashSet<u64>,
    /// order_id → where the record that issued it is.
    pub order_ids: StrMap<Location>,
    /// Serials revoked so far.
    pub revoked: BTreeSet<u64>,
    /// Highest revocation list sequence written from this ledger (0: none).
    pub last_sequence: u32,
    lines: usize,
}

impl Ledger {
    /// Opens and locks the ledger at `path`, creating it when `create` is set (else
    /// `Ok(None)` when missing), and indexes it. A ledger whose last line is incomplete or
    /// that holds an unreadable line is refused (exit 3).
    pub fn open(path: &Path, create: bool) -> Result<Option<Ledger>, Error> {
        // Created private: it holds customers' names and contacts.
        let file = match OpenOptions::new().read(true).append(true).create(create).mode(0o600).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(None),
            Err(e) => {
                return Err(Error::Io {
                    what: format!("cannot open the ledger {}", path.display()),
                    source: e,
                });
            }
        };
        // A device or a fifo in its place would be read forever or written nowhere.
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(Error::input(format!("the ledger {} is not a regular file", path.display())));
        }
        file.lock().map_err(Error::io(format!("cannot lock the ledger {}", path.display())))?;
        let mut ledger = Ledger {
            file,
            path: path.to_owned(),
            last_hash: GENESIS.to_owned(),
            serials: HashSet::new(),
            order_ids: StrMap::default(),
            revoked: BTreeSet::new(),
            last_sequence: 0,
            lines: 0,
        };
        ledger.index()?;
        Ok(Some(ledger))
    }

    fn index(&mut self) -> Result<(), Error> {
        let read = Error::io(format!("cannot read the ledger {}", self.path.display()));
        let mut lines = Lines::new(&self.file, 0, 0, None).map_err(read)?;
        while let Some(line) =
            lines.next_line().map_err(Error::io(format!("cannot read the ledger {}", self.path.display())))?
        {
            self.lines = usize::try_from(line.number).unwrap_or(usize::MAX);
            if !line.complete {
                return Err(Error::input(format!(
                    "{}:{}: the last line is incomplete (a crash while writing: its key was never shown); \
                     keygen will not append until it is repaired: run 'keygen ledger repair'",
                    self.path.display(),
                    self.lines
                )));
            }
            let rec: Indexed = serde_json::from_slice(line.text).map_err(|e| {
                Error::input(format!("{}:{}: not a ledger record: {e}", self.path.display(), self.lines))
            })?;
            if let Some(s) = rec.serial.as_deref().and_then(|s| u64::from_str_radix(s, 16).ok()) {
                self.serials.insert(s);
            }
            if let Some(o) = rec.order_id {
                self.order_ids.insert(&o, Location { line: self.lines, offset: line.offset });
            }
            for s in rec.revoked.iter().flatten() {
                if let Ok(s) = u64::from_str_radix(s, 16) {
                    self.revoked.insert(s);
                }
            }
            if let Some(seq) = rec.sequence {
                self.last_sequence = self.last_sequence.max(seq);
            }
            self.last_hash = line_hash(line.text);
        }
        Ok(())
    }

    /// Appends records (chaining each with `prev`), then syncs. Either every record is
    /// written and synced, or an error is returned.
    pub fn append<'r, T: serde::Serialize + 'r>(
        &mut self,
        records: impl IntoIterator<Item = &'r T>,
    ) -> Result<(), Error> {
        let mut buf = Vec::new();
        for record in records {
            let json = serde_json::to_vec(record).map_err(|e| Error::input(format!("cannot record: {e}")))?;
            self.chain(&json, &mut buf);
        }
        self.write(&buf)?;
        self.sync()
    }

    /// Chains one record, serialized as a JSON object without `prev`, onto `buf` as its
    /// ledger line: `prev` is added as the last field and the line ends with `\n`.
    pub fn chain(&mut self, json: &[u8], buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.extend_from_slice(json.strip_suffix(b"}").unwrap_or(json));
        buf.extend_from_slice(b",\"prev\":\"");
        buf.extend_from_slice(self.last_hash.as_bytes());
        buf.extend_from_slice(b"\"}");
        self.last_hash = line_hash(&buf[start..]);
        buf.push(b'\n');
        self.lines += 1;
    }

    /// Appends whole lines made by [`Ledger::chain`] in one write, without syncing.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.file
            .write_all(bytes)
            .map_err(Error::io(format!("cannot write the ledger {}", self.path.display())))
    }

    /// Flushes what was written to disk.
    pub fn sync(&mut self) -> Result<(), Error> {
        self.file.sync_data().map_err(Error::io(format!("cannot sync the ledger {}", self.path.display())))
    }

    /// Opens and locks the ledger at `path` (creating it, mode 0600) with its index, reading
    /// no record: what `issue` needs, at a cost that does not grow with the ledger. The sets
    /// of this struct stay empty; ask the index (`Ledger::find`).
    pub fn open_indexed(path: &Path) -> Result<(Ledger, Index), Error> {
        let file =
            OpenOptions::new().read(true).append(true).create(true).mode(0o600).open(path).map_err(|e| {
                Error::Io { what: format!("cannot open the ledger {}", path.display()), source: e }
            })?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(Error::input(format!("the ledger {} is not a regular file", path.display())));
        }
        file.lock().map_err(Error::io(format!("cannot lock the ledger {}", path.display())))?;
        let len = file.metadata().map_err(Error::io(format!("cannot read {}", path.display())))?.len();
        let mut last = [0u8; 1];
        if len > 0 {
            file.read_exact_at(&mut last, len - 1)
                .map_err(Error::io(format!("cannot read {}", path.display())))?;
            if last[0] != b'\n' {
                // Rare: the full reading says which line, as every command does.
                drop(file);
                Ledger::open(path, false)?;
                return Err(Error::input(format!("{}: the last line is incomplete", path.display())));
            }
        }
        let index = Index::open(path, &file)?;
        let ledger = Ledger {
            file,
            path: path.to_owned(),
            last_hash: index.last_hash_hex(),
            serials: HashSet::new(),
            order_ids: StrMap::default(),
            revoked: BTreeSet::new(),
            last_sequence: 0,
            lines: 0,
        };
        Ok((ledger, index))
    }

    /// The offset of the record that `index` points at for `kind` and `text`, read back from
    /// the ledger and compared in full (the index only narrows the search).
    pub fn find(&self, index: &Index, kind: Kind, text: &str) -> Result<Option<At>, Error> {
        #[derive(Deserialize)]
        struct Fields {
            serial: Option<String>,
            order_id: Option<String>,
        }
        for at in index.candidates(kind, text)? {
            let line = self.line_at(at.offset)?;
            let Ok(f) = serde_json::from_slice::<Fields>(&line) else { continue };
            let hit = match kind {
                Kind::Serial => f.serial.as_deref() == Some(text),
                Kind::Order => f.order_id.as_deref() == Some(text),
                Kind::Replaced | Kind::Revoked => true,
            };
            if hit {
                return Ok(Some(at));
            }
        }
        Ok(None)
    }

    /// Appends one record (chained, synced) and returns its line without the line end.
    pub fn append_one<T: serde::Serialize>(&mut self, record: &T) -> Result<Vec<u8>, Error> {
        let json = serde_json::to_vec(record).map_err(|e| Error::input(format!("cannot record: {e}")))?;
        let mut buf = Vec::new();
        self.chain(&json, &mut buf);
        self.write(&buf)?;
        self.sync()?;
        buf.pop();
        Ok(buf)
    }

    /// The open ledger file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Whether nothing is recorded yet.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// The ledger's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line that starts at `offset`, without its line end: one record read on demand,
    /// so that reusing recorded keys needs no copy of the ledger in memory.
    pub fn line_at(&self, offset: u64) -> Result<Vec<u8>, Error> {
        let mut line = Vec::with_capacity(1024);
        let mut block = [0u8; 1024];
        let mut at = offset;
        loop {
            let n = self
                .file
                .read_at(&mut block, at)
                .map_err(Error::io(format!("cannot read the ledger {}", self.path.display())))?;
            if n == 0 {
                return Ok(line);
            }
            if let Some(end) = block[..n].iter().position(|b| *b == b'\n') {
                line.extend_from_slice(&block[..end]);
                return Ok(line);
            }
            line.extend_from_slice(&block[..n]);
            at += n as u64;
        }
    }
}

/// Truncates the ledger after its last `\n`, under the lock; returns the bytes removed.
pub fn cut_incomplete_tail(path: &Path) -> Result<u64, Error> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::input(format!("cannot open the ledger {}: {e}", path.display())))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Error::input(format!("the ledger {} is not a regular file", path.display())));
    }
    file.lock().map_err(Error::io(format!("cannot lock the ledger {}", path.display())))?;
    let what = format!("cannot repair the ledger {}", path.display());
    let len = file.metadata().map_err(Error::io(what.clone()))?.len();
    // Scan back from the end for the last line end, a block at a time.
    let mut end = len;
    let mut block = vec![0u8; 64 * 1024];
    let keep = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(block.len() as u64);
        let chunk = &mut block[..(end - start) as usize];
        std::os::unix::fs::FileExt::read_exact_at(&file, chunk, start).map_err(Error::io(what.clone()))?;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            break start + i as u64 + 1;
        }
        end = start;
    };
    if keep < len {
        file.set_len(keep).map_err(Error::io(what.clone()))?;
        file.sync_all().map_err(Error::io(what))?;
    }
    Ok(len - keep)
}

/// What `ledger verify` found wrong, with the line it is on.
pub struct Broken {
    /// Line number from 1.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// Reads a ledger line by line, calling `each(line_number, bytes)` on every complete line after
/// checking its `prev`. Stops at the first broken line.
pub fn walk(
    path: &Path,
    mut each: impl FnMut(usize, &[u8]) -> Result<(), String>,
) -> Result<usize, Result<Broken, Error>> {
    let file = File::open(path)
        .map_err(|e| Err(Error::input(format!("cannot open the ledger {}: {e}", path.display()))))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Err(Error::input(format!("the ledger {} is not a regular file", path.display()))));
    }
    let read = |e| Err(Error::io(format!("cannot read {}", path.display()))(e));
    let mut lines = Lines::new(&file, 0, 0, None).map_err(read)?;
    let mut expected = GENESIS.to_owned();
    let mut number = 0;
    loop {
        let Some(line) = lines.next_line().map_err(read)? else { return Ok(number) };
        number = usize::try_from(line.number).unwrap_or(usize::MAX);
        let broken = |what: String| Ok(Broken { line: number, what });
        if !line.complete {
            return Err(broken("the line is incomplete (a crash while writing?)".into()));
        }
        let line = line.text;
        #[derive(Deserialize)]
        struct Prev {
            prev: Option<String>,
        }
        match serde_json::from_slice::<Prev>(line) {
            Err(e) => return Err(broken(format!("not a JSON record: {e}"))),
            Ok(Prev { prev: None }) => return Err(broken("the record has no 'prev'".into())),
            Ok(Prev { prev: Some(p) }) if p != expected => {
                return Err(broken(
                    "its 'prev' does not match the line before: a record was edited, removed or reordered"
                        .into(),
                ));
            }
            Ok(_) => {}
        }
        each(number, line).map_err(|what| Ok(Broken { line: number, what }))?;
        expected = line_hash(line);
    }
}
