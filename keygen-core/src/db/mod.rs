//! The ledger: one SQLite database (see docs/operations.md, "The ledger's database"). This
//! module is its interface: open it to read or to write, and the operations as functions
//! (`keys`, `lists`, `head`, `verify`, `jsonl`), so that commands hold no SQL of their own.
//!
//! Writes: WAL, foreign keys on, every write one `BEGIN IMMEDIATE` transaction (taken at the
//! start, so a writer waits for another instead of failing on upgrade), and
//! `synchronous = FULL`: in WAL mode NORMAL syncs only at checkpoints, so a commit could be
//! lost on power loss after its key was shown; FULL syncs the WAL at every commit.
//! Reads open the file read-only and never wait for writers (WAL readers see the last commit);
//! a reader that cannot read the WAL fails, rather than read the file without its last commits.
//!
//! The one write door: [`Db::begin_write`] takes the lock, then checks before anything is
//! written that the stored head is signed by the ledger's signing key and covers the tables
//! as they are, that the schema is the migrations', and that the ledger extends the last head
//! of the checkpoint log ([`guard`]); a ledger that fails is refused ([`Error::Integrity`],
//! exit 5). [`Writer::commit`] signs the new head, commits, and appends the head to the
//! checkpoint log ([`checkpoint`]). No other way to write exists.

pub mod checkpoint;
pub mod chunks;
pub mod guard;
pub mod head;
pub mod jsonl;
pub mod keys;
pub mod lists;
pub mod people;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod role;
pub mod schema;
pub mod search;
pub mod shops;
pub mod store;
pub mod tokens;
pub mod transfer;
pub mod verify;

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The ledger's default file name, beside the signing key.
pub const FILE_NAME: &str = "ledger.sqlite";

/// The migrations, in order: migration N takes the schema from version N-1 to N
/// (`PRAGMA user_version`).
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_ledger.sql"),
    include_str!("../../migrations/0002_people.sql"),
    include_str!("../../migrations/0003_signed_people.sql"),
    include_str!("../../migrations/0004_api_tokens.sql"),
];

/// The schema version this keygen writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another writer (a large batch holds the ledger for minutes)
/// before it gives up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(3600);

/// The WAL size (bytes) past which a commit folds it into the database.
pub const WAL_FOLD: u64 = 4 << 20;

/// `prev` of the first row of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The ledger beside `key`, unless `explicit` names one.
pub fn path_for(explicit: Option<&Path>, key: &Path) -> PathBuf {
    match explicit {
        Some(p) => p.to_owned(),
        // A bare file name keeps the ledger bare too (`ledger.sqlite`, not `./ledger.sqlite`).
        None => crate::keyfile::beside(key, None).join(FILE_NAME),
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An open ledger.
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl Db {
    /// Opens the ledger to write. A missing ledger is refused, naming the path: only `keygen
    /// init` and `ledger import` make one ([`Db::create`]), so a mistyped `--ledger` cannot
    /// start a second ledger. `_create` is no longer honoured and `Ok(None)` never returned:
    /// both stay only so that callers being changed elsewhere keep compiling (remove at merge).
    /// The schema is brought to this keygen's version.
    pub fn open_write(path: &Path, _create: bool) -> Result<Option<Db>, Error> {
        if !exists(path)? {
            return Err(missing(path));
        }
        Db::open_existing(path).map(Some)
    }

    /// [`Db::open_write`] for a command that signs with the key at `key`: a missing ledger is
    /// refused naming the one the vault holds (beside the key).
    pub fn open_vault(path: &Path, key: &Path) -> Result<Db, Error> {
        if !exists(path)? {
            let vault = path_for(None, key);
            let hint = if vault.as_path() == path {
                format!(
                    "{} holds no ledger: make the vault with keygen init (or sign with the vault's current key; \
                     a retired key's folder has no ledger)",
                    cli_support::parent_dir(key).display()
                )
            } else {
                format!("the ledger of the signing key {} is {}", key.display(), vault.display())
            };
            return Err(Error::input(format!(
                "no ledger at {}: {hint}. A ledger is made only by keygen init (or ledger import)",
                path.display()
            )));
        }
        Db::open_existing(path)
    }

    /// Makes a new, empty ledger (mode 0600: it holds customers' names and contacts) at
    /// `path`, which must not exist, and opens it to write.
    pub fn create(path: &Path) -> Result<Db, Error> {
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
        Db::open_existing(path)
    }

    fn open_existing(path: &Path) -> Result<Db, Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)
            .map_err(Error::db(format!("cannot open the ledger {}", path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(Error::db("cannot set the busy timeout"))?;
        // No checkpoint when a writer exits (SQLite's auto-checkpoint folds the WAL in during
        // commits, every 1,000 pages): `issue` then syncs once, for its commit, not four
        // times more for a checkpoint.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(Error::db("cannot configure the ledger's connection"))?;
        // A 64 MiB page cache: a batch inserts into the serial's index in random order.
        let setup = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -65536;";
        conn.execute_batch(setup).map_err(Error::db(format!("cannot open the ledger {}", path.display())))?;
        migrate(&mut conn, path)?;
        Ok(Db { conn, path: path.to_owned() })
    }

    /// Opens the ledger to read only (SQLITE_OPEN_READ_ONLY, `query_only`): nothing is
    /// written and no lock is waited for. Works for a user who may only read the file.
    pub fn open_read(path: &Path) -> Result<Db, Error> {
        if !exists(path)? {
            return Err(missing(path));
        }
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
                        source: first,
                    });
                }
                open(uri_of(path, true)).map_err(|_| Error::Db { what: cannot(), source: first })?
            }
        };
        let db = Db { conn, path: path.to_owned() };
        db.check_version()?;
        Ok(db)
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A read transaction: what is read until it ends is one committed state, and a large
    /// read holds no lock a writer would wait for (WAL).
    pub fn begin_read(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN")
    }

    /// Copies the ledger, one committed state, into a new SQLite file at `to` that stands
    /// alone: its WAL folded in and the WAL mode left (a writer that opens it as a ledger
    /// puts it back), so no -wal or -shm file follows it.
    pub fn copy_to(&self, to: &Path) -> rusqlite::Result<()> {
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
        copy.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
    }

    /// The write door: starts a write transaction (waiting for other writers) and checks the
    /// ledger as it is against its signed head, its schema and the checkpoint log of the
    /// signing key at `key_path` ([`guard::check`]) before anything is written. Every write
    /// goes through here; [`Writer::commit`] checks the signing key and signs the new head.
    pub fn begin_write(&mut self, key_path: &Path) -> Result<Writer<'_>, Error> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(Error::db(format!("cannot write the ledger {}", self.path.display())))?;
        let log = checkpoint::path_for(key_path, &self.path);
        let w = Writer {
            conn: &mut self.conn,
            path: &self.path,
            key_path: key_path.to_owned(),
            log,
            finished: false,
        };
        guard::check(w.conn, w.path, &w.log)?;
        Ok(w)
    }

    fn check_version(&self) -> Result<(), Error> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(Error::db(format!("cannot read the ledger {}", self.path.display())))?;
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

/// The refusal of a ledger that is not there.
fn missing(path: &Path) -> Error {
    Error::input(format!(
        "no ledger at {}: a ledger is made only by keygen init (or ledger import); \
         check --ledger, KEYGEN_LEDGER and --key (the vault's ledger is {FILE_NAME} beside its signing key)",
        path.display()
    ))
}

/// The size of the ledger's WAL file (0 when there is none).
fn wal_len(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal).map_or(0, |m| m.len())
}

/// Whether a ledger file is there; a folder or a device in its place is refused.
fn exists(path: &Path) -> Result<bool, Error> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(_) => Err(Error::input(format!("the ledger {} is not a regular file", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::Io { what: format!("cannot open the ledger {}", path.display()), source: e }),
    }
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
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let what = || format!("cannot bring the ledger {} to schema version {SCHEMA_VERSION}", path.display());
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(Error::db(what()))?;
    let version: i64 =
        tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(Error::db(what()))?;
    if version > SCHEMA_VERSION {
        return Err(Error::input(format!(
            "{} has schema version {version}, newer than this keygen's {SCHEMA_VERSION}: use a newer keygen",
            path.display()
        )));
    }
    if version == 0 {
        let tables: i64 = tx
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(Error::db(what()))?;
        if tables > 0 {
            return Err(Error::input(format!("{} is a database, but not a keygen ledger", path.display())));
        }
    }
    for (done, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        tx.execute_batch(sql).map_err(Error::db(what()))?;
        tx.pragma_update(None, "user_version", done as i64 + 1).map_err(Error::db(what()))?;
    }
    tx.commit().map_err(Error::db(what()))
}

/// A write transaction: rolled back when dropped uncommitted (an error, Ctrl-C's unwinding).
/// A killed process leaves no commit either: SQLite drops what was never committed.
pub struct Writer<'a> {
    conn: &'a mut Connection,
    path: &'a Path,
    key_path: PathBuf,
    log: PathBuf,
    finished: bool,
}

impl Writer<'_> {
    /// The connection inside the transaction.
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// The ledger's file.
    pub fn path(&self) -> &Path {
        self.path
    }

    /// Runs `f` inside a savepoint of this transaction: when it fails, what it wrote is
    /// undone and the transaction goes on (the desk's group commit: one request refused,
    /// the others recorded). The outer error is the database's own.
    pub fn savepoint<T, E>(&self, f: impl FnOnce(&Self) -> Result<T, E>) -> rusqlite::Result<Result<T, E>> {
        self.conn.execute_batch("SAVEPOINT one")?;
        let result = f(self);
        if result.is_err() {
            self.conn.execute_batch("ROLLBACK TO one")?;
        }
        self.conn.execute_batch("RELEASE one")?;
        Ok(result)
    }

    /// Checks that `signer` is the ledger's current signing key (the first key to write a new
    /// ledger becomes it; a rotation makes its new key current before it commits), signs the
    /// head of the tables as they now are, commits, and appends that head to the checkpoint
    /// log (synced): durable when this returns (`synchronous = FULL`), and only
    /// then may a command show what it wrote. The log is locked before the commit and
    /// written after it ([`checkpoint`] explains the order); a log that cannot be opened
    /// leaves nothing written. A WAL grown past [`WAL_FOLD`] is then folded into the database
    /// and truncated, when no reader holds it (never waiting for one): every process that
    /// opens the ledger after the last one closed reads the whole WAL first, which must stay
    /// small.
    pub fn commit(mut self, signer: &crate::token::AnySigner) -> Result<(), Error> {
        head::ensure_current(self.conn, signer, &self.key_path)?;
        people::chain_journal(self.conn).map_err(Error::db("cannot chain the desk's journal"))?;
        let signed = head::sign(self.conn, signer)?;
        let mut log = checkpoint::Appender::open(&self.log)?;
        self.conn
            .execute_batch("COMMIT")
            .map_err(Error::db(format!("cannot commit to the ledger {}", self.path.display())))?;
        self.finished = true;
        log.append(&signed).map_err(|e| {
            e.after_recording(format!(
                "the write is committed to the ledger {}, but its signed head is not in the checkpoint log; \
                 the next write logs its own",
                self.path.display()
            ))
        })?;
        drop(log);
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_FOLD) {
            // Committed already: a checkpoint that cannot run now is the next writer's.
            let _ = self.conn.busy_timeout(Duration::ZERO);
            let _ = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
        }
        Ok(())
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
