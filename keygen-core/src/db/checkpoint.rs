//! The checkpoint log: every signed head, appended to a text file outside the database after
//! each write's commit and synced before the command shows what it wrote. A ledger put back
//! to an older state (an older copy of the file, a cut WAL, rows deleted with an older head
//! put back, every table emptied) no longer extends the log's last head, which `ledger
//! verify` and every write check. The log's lines are signed heads ([`Signed::line`]), so
//! checking needs no secret; where to keep it is in docs/operations.md ("The checkpoint log").
//!
//! Crash order: the head is appended after the commit, under an exclusive lock on the log
//! taken before the commit (so the log's order is the commits' order). A crash between the
//! commit and the append leaves the database one write ahead of the log: it still extends
//! the last checkpoint, which is all that is asked of it, and the next write logs its own
//! head. The log is never ahead of the database: a database behind the last checkpoint is a
//! rollback, never a crash. A crash in the middle of an append leaves a last line without
//! its newline, which is ignored.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::store::{LedgerRead, StoreResult};

use super::head::Signed;
use crate::error::Error;

/// What the default log's name adds to the ledger's file name (`ledger.sqlite.checkpoints`).
pub const SUFFIX: &str = ".checkpoints";

/// The environment variable that names the log (as `--checkpoint-log` does).
pub const ENV: &str = "KEYGEN_CHECKPOINT_LOG";

static CONFIGURED: OnceLock<PathBuf> = OnceLock::new();

/// Sets the log for this process (`--checkpoint-log`, or `KEYGEN_CHECKPOINT_LOG` through
/// clap); set once, before any ledger is opened.
pub fn configure(path: PathBuf) {
    let _ = CONFIGURED.set(path);
}

/// The log of the ledger at `ledger`, signed with the key at `key`: as configured, else beside
/// the key, named after the ledger's file (`ledger.sqlite.checkpoints`): a copy of the ledger
/// elsewhere is checked against the vault's log.
pub fn path_for(key: &Path, ledger: &Path) -> PathBuf {
    if let Some(p) = CONFIGURED.get() {
        return p.clone();
    }
    if let Some(p) = std::env::var_os(ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let mut name = ledger.file_name().unwrap_or(super::FILE_NAME.as_ref()).to_owned();
    name.push(SUFFIX);
    crate::keyfile::beside(key, Some(ledger)).join(name)
}

/// Every head of the log, in order, with its line number. A missing log has none; a line
/// that is not a head is an error naming it (a damaged log is not silently skipped), except
/// a last line without its newline (an append cut by a crash).
pub fn read(path: &Path) -> Result<Option<Vec<(u64, Signed)>>, Error> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut f) => {
            let cannot = || format!("cannot read the checkpoint log {}", path.display());
            // A device has no end to read to (/dev/zero): only a file is read whole.
            if !f.metadata().map_err(Error::io(cannot()))?.is_file() {
                return Err(Error::input(format!(
                    "the checkpoint log {} is not a regular file",
                    path.display()
                )));
            }
            f.read_to_string(&mut text).map_err(Error::io(cannot()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Io {
                what: format!("cannot read the checkpoint log {}", path.display()),
                source: e,
            });
        }
    }
    let complete = text.rfind('\n').map_or("", |i| &text[..i]);
    let mut heads = Vec::new();
    for (i, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let head = Signed::parse(line).ok_or_else(|| {
            Error::Integrity(format!(
                "the checkpoint log {} line {}: not a signed head; restore the log from a copy",
                path.display(),
                i + 1
            ))
        })?;
        heads.push((i as u64 + 1, head));
    }
    Ok(Some(heads))
}

/// The last head of the log, read from its end only (a write must not read the whole log).
pub fn last(path: &Path) -> Result<Option<Signed>, Error> {
    let cannot = || format!("cannot read the checkpoint log {}", path.display());
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Io { what: cannot(), source: e }),
    };
    let len = f.metadata().map_err(Error::io(cannot()))?.len();
    // A v2 line is under 600 bytes: two lines' worth holds the last whole one.
    let from = len.saturating_sub(2048);
    f.seek(SeekFrom::Start(from)).map_err(Error::io(cannot()))?;
    let mut bytes = Vec::new();
    // At most what was asked for, whatever the file is (a device reads forever).
    (&mut f).take(2048).read_to_end(&mut bytes).map_err(Error::io(cannot()))?;
    let tail = String::from_utf8_lossy(&bytes);
    let Some(end) = tail.rfind('\n') else { return Ok(None) };
    let line = tail[..end].rsplit('\n').next().unwrap_or("");
    if line.trim().is_empty() {
        return Ok(None);
    }
    let head = Signed::parse(line).ok_or_else(|| {
        Error::Integrity(format!(
            "the checkpoint log {}: its last line is not a signed head; restore the log from a copy",
            path.display()
        ))
    })?;
    Ok(Some(head))
}

/// The log, opened to append (made 0600 when missing) and locked for this process until it
/// is dropped: taken before the commit, so that heads are logged in the commits' order.
pub struct Appender {
    file: File,
    path: PathBuf,
}

impl Appender {
    /// Opens and locks the log.
    pub fn open(path: &Path) -> Result<Appender, Error> {
        let cannot = || format!("cannot open the checkpoint log {}", path.display());
        let made = !path.exists();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(Error::io(cannot()))?;
        file.lock().map_err(Error::io(cannot()))?;
        if made && let Ok(d) = File::open(cli_support::parent_dir(path)) {
            let _ = d.sync_all();
        }
        cut_partial_line(&mut file).map_err(Error::io(cannot()))?;
        Ok(Appender { file, path: path.to_owned() })
    }

    /// Appends `head` as one line and syncs it.
    pub fn append(&mut self, head: &Signed) -> Result<(), Error> {
        let what = || format!("cannot write the checkpoint log {}", self.path.display());
        self.file.write_all(format!("{}\n", head.line()).as_bytes()).map_err(Error::io(what()))?;
        self.file.sync_data().map_err(Error::io(what()))
    }
}

/// Removes a last line without its newline (an append cut by a crash: never a whole head),
/// so that the next head starts a line of its own.
fn cut_partial_line(file: &mut File) -> std::io::Result<()> {
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() == 0 {
        return Ok(());
    }
    let from = meta.len().saturating_sub(4096);
    file.seek(SeekFrom::Start(from))?;
    let mut tail = Vec::new();
    (&mut *file).take(4096).read_to_end(&mut tail)?;
    if tail.last() == Some(&b'\n') {
        return Ok(());
    }
    let keep = match tail.iter().rposition(|&b| b == b'\n') {
        Some(i) => from + i as u64 + 1,
        // The whole log is one cut line.
        None if from == 0 => 0,
        // A last line longer than any head: not a cut append; the readers name it.
        None => return Ok(()),
    };
    file.set_len(keep)?;
    file.sync_data()
}

/// Why the ledger does not extend a checkpoint, if it does not: the ledger must hold at least
/// the checkpoint's rows, with the checkpoint's hash at its last position of each chain (keys,
/// lists, journal). The people and the signing keys change in place and are covered by the
/// head's signature instead.
pub fn not_extended(conn: &dyn LedgerRead, cp: &Signed) -> StoreResult<Option<String>> {
    let h = &cp.head;
    let keys = conn.key_chain()?.count;
    if keys < h.key_count {
        return Ok(Some(format!(
            "it covers {} key rows, the ledger holds {keys}: the ledger was rolled back (an older copy, rows deleted, or a cut WAL)",
            h.key_count
        )));
    }
    if h.key_count > 0 && conn.key_at(h.key_count)?.map(|k| k.hash).as_deref() != Some(h.key_hash.as_str()) {
        return Ok(Some(format!(
            "key row {} is not the one it covers: the ledger's history was rewritten",
            h.key_count
        )));
    }
    let lists = conn.list_chain()?.count;
    if lists < h.list_count {
        return Ok(Some(format!(
            "it covers {} revocation lists, the ledger holds {lists}: the ledger was rolled back",
            h.list_count
        )));
    }
    if h.list_count > 0 && conn.list_hash_at(h.list_count)?.as_deref() != Some(h.list_hash.as_str()) {
        return Ok(Some(format!(
            "revocation list {} is not the one it covers: the ledger's history was rewritten",
            h.list_count
        )));
    }
    if let Some(d) = &h.desk {
        let journal = super::people::journal_end(conn)?.count;
        if journal < d.journal_id {
            return Ok(Some(format!(
                "it covers the desk's journal to event {}, the ledger's ends at {journal}: the ledger was rolled back",
                d.journal_id
            )));
        }
        if d.journal_id > 0
            && conn.event_hash_at(d.journal_id)?.flatten().as_deref() != Some(d.journal_hash.as_str())
        {
            return Ok(Some(format!(
                "journal event {} is not the one it covers: the journal was rewritten",
                d.journal_id
            )));
        }
    }
    Ok(None)
}
