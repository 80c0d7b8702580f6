//! The ledger in one SQLite file: the default backend (docs/operations.md, "The ledger's
//! database"). It implements the traits of [`super::store`], and holds every line of the
//! SQLite SQL (its migrations are `keygen-core/migrations/`).
//!
//! Writes: WAL, foreign keys on, every write one `BEGIN IMMEDIATE` transaction (taken at the
//! start, so a writer waits for another instead of failing on upgrade), and
//! `synchronous = FULL`: in WAL mode NORMAL syncs only at checkpoints, so a commit could be
//! lost on power loss after its key was shown; FULL syncs the WAL at every commit.
//! Reads open the file read-only and never wait for writers (WAL readers see the last commit);
//! a reader that cannot read the WAL fails, rather than read the file without its last commits.

mod head;
mod keys;
mod lists;
mod people;
mod schema;

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::store::{Backend, StoreError, StoreErrorKind, StoreResult};
use crate::error::Error;

/// The migrations, in order: migration N takes the schema from version N-1 to N
/// (`PRAGMA user_version`).
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_ledger.sql"),
    include_str!("../../../migrations/0002_people.sql"),
    include_str!("../../../migrations/0003_signed_people.sql"),
    include_str!("../../../migrations/0004_api_tokens.sql"),
    include_str!("../../../migrations/0005_via_check.sql"),
];

/// The schema version this keygen writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another writer (a large batch holds the ledger for minutes)
/// before it gives up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(3600);

/// The page size of a ledger this keygen creates.
pub const NEW_PAGE_SIZE: u32 = 16384;

/// The WAL size (bytes) past which a commit folds it into the database.
pub const WAL_FOLD: u64 = 4 << 20;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        let kind = match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => StoreErrorKind::Constraint,
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreErrorKind::Unavailable
            }
            _ => StoreErrorKind::Other,
        };
        StoreError::new(kind, e)
    }
}

/// A failure of SQLite while doing `what`, as the core's error.
fn db_error(what: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Error {
    let what = what.into();
    move |e| Error::Db { what, source: e.into() }
}

/// An open SQLite ledger.
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

impl Sqlite {
    /// Opens the ledger at `path` to write; a missing ledger is refused by the caller first.
    /// The schema is brought to this keygen's version.
    pub fn open_write(path: &Path) -> Result<Sqlite, Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)
            .map_err(db_error(format!("cannot open the ledger {}", path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_error("cannot set the busy timeout"))?;
        // No checkpoint when a writer exits (SQLite's auto-checkpoint folds the WAL in during
        // commits, every 1,000 pages): `issue` then syncs once, for its commit, not four
        // times more for a checkpoint.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(db_error("cannot configure the ledger's connection"))?;
        // A new ledger gets 16 KiB pages (SQLite's default is 4 KiB): a batch writes eight
        // B-trees a row, and larger pages split less and are written in fewer calls (a
        // batch's inserts and commit measured about a fifth cheaper). The size is fixed once
        // the first table exists, and in WAL mode, so it is set first, on an empty file only.
        let empty = std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
        if empty {
            conn.execute_batch(&format!("PRAGMA page_size = {NEW_PAGE_SIZE};"))
                .map_err(db_error(format!("cannot open the ledger {}", path.display())))?;
        }
        // A 64 MiB page cache: a batch inserts into the serial's index in random order.
        let setup = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -65536;";
        conn.execute_batch(setup).map_err(db_error(format!("cannot open the ledger {}", path.display())))?;
        migrate(&mut conn, path)?;
        Ok(Sqlite { conn, path: path.to_owned() })
    }

    /// Makes a new, empty ledger (mode 0600: it holds customers' names and contacts) at
    /// `path`, which must not exist, and opens it to write.
    pub fn create(path: &Path) -> Result<Sqlite, Error> {
        // Made here, private, before SQLite opens it: SQLite would make it 0644, and gives
        // its -wal and -shm files the mode of the database.
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::input(format!(
                    "{} already exists; a new ledger is never made over one",
                    path.display()
                )));
            }
            Err(e) => {
                return Err(Error::Io {
                    what: format!("cannot create the ledger {}", path.display()),
                    source: e,
                });
            }
        }
        Sqlite::open_write(path)
    }

    /// Opens the ledger to read only (SQLITE_OPEN_READ_ONLY, `query_only`): nothing is
    /// written and no lock is waited for. Works for a user who may only read the file.
    pub fn open_read(path: &Path) -> Result<Sqlite, Error> {
        let cannot = || format!("cannot open the ledger {}", path.display());
        let flags =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let open = |uri: String| -> rusqlite::Result<Connection> {
            let conn = Connection::open_with_flags(uri, flags)?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.execute_batch("PRAGMA query_only = ON;")?;
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
            Ok(conn)
        };
        let conn = match open(uri_of(path, false)) {
            Ok(c) => c,
            // A WAL database needs its -shm file, which a reader who may not write the folder
            // cannot make. With no WAL (or an empty one) beside it, the file holds every
            // commit and is read as it stands. A WAL with commits is never skipped: that
            // read would miss them and answer from an older ledger.
            Err(first) => {
                if wal_len(path) > 0 {
                    return Err(Error::Db {
                        what: format!(
                            "cannot read the ledger {}: its WAL ({}-wal) holds commits that this user \
                             cannot read without write access to the folder (or its -shm file); \
                             run as a user who may write the folder, or copy it with \
                             keygen ledger backup as one",
                            path.display(),
                            path.display()
                        ),
                        source: first.into(),
                    });
                }
                open(uri_of(path, true)).map_err(|_| Error::Db { what: cannot(), source: first.into() })?
            }
        };
        let db = Sqlite { conn, path: path.to_owned() };
        db.check_version()?;
        Ok(db)
    }

    /// Folds the WAL into the file and leaves WAL mode, so that the file stands alone (a
    /// copy: a writer that opens it as a ledger puts WAL mode back).
    pub fn stand_alone(&self) -> Result<(), Error> {
        self.conn
            .query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .map_err(db_error(format!("cannot close the copy {}", self.path.display())))
    }

    fn check_version(&self) -> Result<(), Error> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db_error(format!("cannot read the ledger {}", self.path.display())))?;
        match version {
            v if v == SCHEMA_VERSION => Ok(()),
            0 => Err(Error::input(format!("{} is not a keygen ledger (no schema)", self.path.display()))),
            v if v > SCHEMA_VERSION => Err(Error::input(format!(
                "{} has schema version {v}, newer than this keygen's {SCHEMA_VERSION}: use a newer keygen",
                self.path.display()
            ))),
            v => Err(Error::input(format!(
                "{} has schema version {v}; a keygen command that writes brings it to {SCHEMA_VERSION}",
                self.path.display()
            ))),
        }
    }
}

/// The size of the ledger's WAL file (0 when there is none).
fn wal_len(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal).map_or(0, |m| m.len())
}

/// A `file:` URI for `path` (RFC 3986 percent-encoding of what a URI would read otherwise).
fn uri_of(path: &Path, immutable: bool) -> String {
    let mut uri = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(char::from(*b))
            }
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str(if immutable { "?mode=ro&immutable=1" } else { "?mode=ro" });
    uri
}

/// Brings the schema to [`SCHEMA_VERSION`], each migration in the same transaction as its
/// version number. A file of another program (tables but no version) is refused.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let what = || format!("cannot bring the ledger {} to schema version {SCHEMA_VERSION}", path.display());
    let tx =
        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_error(what()))?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(db_error(what()))?;
    if version > SCHEMA_VERSION {
        return Err(Error::input(format!(
            "{} has schema version {version}, newer than this keygen's {SCHEMA_VERSION}: use a newer keygen",
            path.display()
        )));
    }
    if version == 0 {
        let tables: i64 =
            tx.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(db_error(what()))?;
        if tables > 0 {
            return Err(Error::input(format!("{} is a database, but not a keygen ledger", path.display())));
        }
    }
    for (done, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        tx.execute_batch(sql).map_err(db_error(what()))?;
        if sql.contains("writable_schema") {
            // The schema's text was rewritten in place: a new cookie makes every connection,
            // this one included, parse it again.
            let cookie: i64 =
                tx.pragma_query_value(None, "schema_version", |r| r.get(0)).map_err(db_error(what()))?;
            tx.pragma_update(None, "schema_version", cookie + 1).map_err(db_error(what()))?;
        }
        tx.pragma_update(None, "user_version", done as i64 + 1).map_err(db_error(what()))?;
    }
    tx.commit().map_err(db_error(what()))
}

impl Backend for Sqlite {
    fn location(&self) -> &Path {
        &self.path
    }

    fn begin_write(&mut self) -> StoreResult<()> {
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn commit(&mut self) -> StoreResult<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    fn rollback(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    fn mark(&self) -> StoreResult<()> {
        Ok(self.conn.execute_batch("SAVEPOINT one")?)
    }

    fn undo_to_mark(&self) -> StoreResult<()> {
        Ok(self.conn.execute_batch("ROLLBACK TO one")?)
    }

    fn forget_mark(&self) -> StoreResult<()> {
        Ok(self.conn.execute_batch("RELEASE one")?)
    }

    fn begin_read(&self) -> StoreResult<()> {
        Ok(self.conn.execute_batch("BEGIN")?)
    }

    fn end_read(&self) {
        let _ = self.conn.execute_batch("COMMIT");
    }

    /// A WAL grown past [`WAL_FOLD`] is folded into the database and truncated, when no
    /// reader holds it (never waiting for one): every process that opens the ledger after
    /// the last one closed reads the whole WAL first, which must stay small.
    fn after_commit(&mut self) {
        if wal_len(&self.path) > WAL_FOLD {
            // Committed already: a checkpoint that cannot run now is the next writer's.
            let _ = self.conn.busy_timeout(Duration::ZERO);
            let _ = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
        }
    }

    /// SQLite's online backup: its WAL folded in and the WAL mode left (a writer that opens
    /// it as a ledger puts it back), so no -wal or -shm file follows it.
    fn copy_to_sqlite(&self, to: &Path) -> StoreResult<bool> {
        let mut copy = Connection::open(to)?;
        let backup = rusqlite::backup::Backup::new(&self.conn, &mut copy)?;
        // Every page in one step: one read transaction, so the copy is one committed state.
        loop {
            match backup.step(-1)? {
                rusqlite::backup::StepResult::Done => break,
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        drop(backup);
        copy.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
        Ok(true)
    }

    fn note_token_used(&self, name: &str, at: &str) -> StoreResult<()> {
        self.conn.execute("UPDATE api_tokens SET last_used = ?2 WHERE name = ?1", [name, at])?;
        Ok(())
    }

    fn note_delivery(&self, shop: &str, id: &str, body_hash: &str, at: &str) -> StoreResult<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO webhook_deliveries (shop, id, body_hash, at) VALUES (?1, ?2, ?3, ?4)",
            [shop, id, body_hash, at],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::store::SchemaRead;

    #[test]
    fn a_new_ledger_has_large_pages_and_an_opened_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("test setup");
        let new = dir.path().join("new.sqlite");
        drop(Sqlite::create(&new).expect("test setup"));
        let size = |p: &Path| -> i64 {
            Connection::open(p)
                .expect("test setup")
                .pragma_query_value(None, "page_size", |r| r.get(0))
                .expect("test setup")
        };
        assert_eq!(size(&new), i64::from(NEW_PAGE_SIZE));
        // A ledger made with SQLite's default pages is opened as it is, never rewritten.
        let old = dir.path().join("old.sqlite");
        Connection::open(&old)
            .expect("test setup")
            .execute_batch("PRAGMA page_size = 4096; VACUUM;")
            .expect("test setup");
        drop(Sqlite::open_write(&old).expect("test setup"));
        assert_eq!(size(&old), 4096);
    }

    #[test]
    fn version_5_rewrites_the_via_check_and_it_refuses_what_it_refused() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("v4.sqlite");
        {
            let conn = Connection::open(&path).expect("test setup");
            for sql in &MIGRATIONS[..4] {
                conn.execute_batch(sql).expect("test setup");
            }
            conn.pragma_update(None, "user_version", 4).expect("test setup");
        }
        let ledger = Sqlite::open_write(&path).expect("test setup");
        assert_eq!(ledger.schema_difference().expect("test setup"), None, "as a new ledger's schema");
        let conn = &ledger.conn;
        let sql: String = conn
            .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'keys'", [], |r| {
                r.get(0)
            })
            .expect("test setup");
        assert!(sql.contains("via = 'issue' OR via = 'batch'") && !sql.contains("via IN"), "{sql}");
        conn.execute_batch("PRAGMA foreign_keys = OFF;").expect("test setup");
        let insert = |serial: &str, via: &str| {
            conn.execute(
                "INSERT INTO keys (serial, position, organization, org_search, features, issued, key, \
                 signed_by, via, recorded_at, prev, hash) VALUES (?1, ?2, 'A', 'a|a', 'dataflow', \
                 '2026-12-08', 'K', 'abcdef01', ?3, 'now', ?4, ?4)",
                rusqlite::params![serial, 1, via, "0".repeat(64)],
            )
        };
        for (i, via) in ["issue", "batch", "renew", "amend", "import"].iter().enumerate() {
            insert(&format!("{i:016}"), via).expect("test setup");
            conn.execute("DELETE FROM keys", []).expect("test setup");
        }
        for bad in ["bogus", "Issue", "", "issue "] {
            let e = insert("ffffffffffffffff", bad).expect_err("refused");
            assert!(e.to_string().contains("CHECK"), "{bad:?}: {e}");
        }
    }
}
