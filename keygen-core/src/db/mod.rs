//! The ledger (docs/operations.md, "The ledger's database"): its rules above a storage
//! interface ([`store`]) that a backend implements ([`sqlite`], the default; `postgres` with
//! that feature). Above the interface, written once for every backend: the chain and the
//! row hashes ([`keys`], [`lists`], [`people`]), the signed head ([`head`]), the write door's
//! check ([`guard`]), the checkpoint log ([`checkpoint`]), the audit ([`verify`]) and the
//! JSON Lines form ([`jsonl`]). Nothing here holds SQL or names a database type.
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
pub mod rows;
pub mod search;
pub mod shops;
pub mod sqlite;
pub mod store;
pub mod store_error;
pub mod tokens;
pub mod transfer;
pub mod verify;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Error;
use store::{Backend, LedgerRead, LedgerWrite};

pub use sqlite::SCHEMA_VERSION;

/// The ledger's default file name, beside the signing key.
pub const FILE_NAME: &str = "ledger.sqlite";

/// `prev` of the first row of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The vault's setting that names its ledger when it is not the file beside the key: one
/// line, a `postgres://` URL (written by `keygen ledger init`), so that people need not
/// repeat `--ledger`.
pub const LOCATION_SETTING: &str = "ledger.url";

/// The ledger of the key at `key`, unless `explicit` names one: the vault's
/// [`LOCATION_SETTING`] if it has one, else the SQLite file beside the key. A setting that
/// cannot be read is named in place of a ledger, so that opening it fails saying so rather
/// than open another ledger.
pub fn path_for(explicit: Option<&Path>, key: &Path) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_owned();
    }
    let vault = crate::keyfile::beside(key, None);
    let setting = vault.join(LOCATION_SETTING);
    match std::fs::read_to_string(&setting) {
        Ok(text) => PathBuf::from(text.trim()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vault.join(FILE_NAME),
        // A bare file name keeps the ledger bare too (`ledger.sqlite`, not `./ledger.sqlite`).
        Err(_) => setting,
    }
}

/// Whether `location` names a PostgreSQL database (`postgres://` or `postgresql://`) rather
/// than a SQLite file (a path, or `sqlite://PATH`).
pub fn is_postgres(location: &Path) -> bool {
    location.to_str().is_some_and(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
}

/// The SQLite file `location` names: a path, or `sqlite://PATH`.
fn sqlite_file(location: &Path) -> PathBuf {
    match location.to_str().and_then(|s| s.strip_prefix("sqlite://")) {
        Some(p) => PathBuf::from(p),
        None => location.to_owned(),
    }
}

/// How a ledger is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// To read only.
    Read,
    /// To write (brought to this keygen's schema).
    Write,
    /// Made, empty, then opened to write.
    Create,
}

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An open ledger, in whichever backend.
pub struct Db {
    store: Box<dyn Backend>,
}

impl Db {
    /// A ledger over `store`, a backend opened by its module.
    pub fn over(store: Box<dyn Backend>) -> Db {
        Db { store }
    }

    /// Opens the ledger to write. A missing ledger is refused, naming the path: only `keygen
    /// init` and `ledger import` make one ([`Db::create`]), so a mistyped `--ledger` cannot
    /// start a second ledger. The schema is brought to this keygen's version.
    pub fn open_write(path: &Path) -> Result<Db, Error> {
        if is_postgres(path) {
            return open_postgres(path, Mode::Write);
        }
        let path = &sqlite_file(path);
        if !exists(path)? {
            return Err(missing(path));
        }
        Ok(Db::over(Box::new(sqlite::Sqlite::open_write(path)?)))
    }

    /// [`Db::open_write`] for a command that signs with the key at `key`: a missing ledger is
    /// refused naming the one the vault holds (beside the key).
    pub fn open_vault(path: &Path, key: &Path) -> Result<Db, Error> {
        if is_postgres(path) {
            return open_postgres(path, Mode::Write);
        }
        let path = &sqlite_file(path);
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
        Ok(Db::over(Box::new(sqlite::Sqlite::open_write(path)?)))
    }

    /// Makes a new, empty ledger at `path`, which must not exist, and opens it to write.
    pub fn create(path: &Path) -> Result<Db, Error> {
        if is_postgres(path) {
            return open_postgres(path, Mode::Create);
        }
        Ok(Db::over(Box::new(sqlite::Sqlite::create(&sqlite_file(path))?)))
    }

    /// Opens the ledger to read only: nothing is written and no lock is waited for.
    pub fn open_read(path: &Path) -> Result<Db, Error> {
        if is_postgres(path) {
            return open_postgres(path, Mode::Read);
        }
        let path = &sqlite_file(path);
        if !exists(path)? {
            return Err(missing(path));
        }
        Ok(Db::over(Box::new(sqlite::Sqlite::open_read(path)?)))
    }

    /// For a server that opens the ledger per request (the desk): a PostgreSQL ledger's
    /// connection is kept when its `Db` is dropped and lent to the next open of it (one found
    /// broken is closed, never lent). SQLite's opens are as they were.
    pub fn keep_connections() {
        // Our backend module (the driver itself is named only inside it).
        #[cfg(feature = "postgres")]
        {
            use self::postgres as backend;
            backend::keep_connections();
        }
    }

    /// The ledger, to read.
    pub fn conn(&self) -> &dyn LedgerRead {
        &*self.store
    }

    /// Where the ledger is.
    pub fn path(&self) -> &Path {
        self.store.location()
    }

    /// A read transaction: what is read until it ends ([`Db::end_read`]) is one committed
    /// state, and a large read holds no lock a writer would wait for.
    pub fn begin_read(&self) -> Result<(), Error> {
        self.store
            .begin_read()
            .map_err(Error::db(format!("cannot read the ledger {}", self.path().display())))
    }

    /// Ends a read transaction.
    pub fn end_read(&self) {
        self.store.end_read()
    }

    /// Copies the ledger, one committed state, into a new SQLite ledger file at `to` that
    /// stands alone. `to` is an empty file (made private by the caller).
    pub fn copy_to(&self, to: &Path) -> Result<(), Error> {
        let what = || format!("cannot copy the ledger {} to {}", self.path().display(), to.display());
        if self.store.copy_to_sqlite(to).map_err(Error::db(what()))? {
            return Ok(());
        }
        // Row by row, every row and the signed head as they are: a copy, not a write of the
        // ledger, so it needs no signing key and goes through no door (the copy's head still
        // covers its rows, which are the same).
        let mut copy = sqlite::Sqlite::open_write(to)?;
        self.store.begin_read().map_err(Error::db(what()))?;
        copy.begin_write().map_err(Error::db(what()))?;
        let copied =
            transfer::copy(self.conn(), &copy).and_then(|_| copy.commit().map_err(Error::db(what())));
        self.store.end_read();
        if copied.is_err() {
            copy.rollback();
        }
        copied?;
        copy.stand_alone()
    }

    /// Notes that the API token `name` was used (outside the door: no head covers it).
    pub fn note_token_used(&self, name: &str, at: &str) -> Result<(), Error> {
        self.store.note_token_used(name, at).map_err(Error::db("cannot note the token's use"))
    }

    /// Notes a webhook delivery answered (outside the door: no head covers it).
    pub fn note_delivery(&self, shop: &str, id: &str, body_hash: &str, at: &str) -> Result<(), Error> {
        self.store.note_delivery(shop, id, body_hash, at).map_err(Error::db("cannot note the delivery"))
    }

    /// The write door: starts a write transaction (waiting for other writers) and checks the
    /// ledger as it is against its signed head, its schema and the checkpoint log of the
    /// signing key at `key_path` ([`guard::check`]) before anything is written. Every write
    /// goes through here; [`Writer::commit`] checks the signing key and signs the new head.
    pub fn begin_write(&mut self, key_path: &Path) -> Result<Writer<'_>, Error> {
        let path = self.store.location().to_owned();
        self.store.begin_write().map_err(Error::db(format!("cannot write the ledger {}", path.display())))?;
        let log = checkpoint::path_for(key_path, &path);
        let w = Writer { store: &mut *self.store, path, key_path: key_path.to_owned(), log, finished: false };
        guard::check(w.conn(), &w.path, &w.log)?;
        Ok(w)
    }
}

/// A PostgreSQL ledger: its URL parsed (the password from a passfile), then connected.
#[cfg(feature = "postgres")]
fn open_postgres(location: &Path, mode: Mode) -> Result<Db, Error> {
    // Our backend module (the driver itself is named only inside it).
    use self::postgres as backend;
    let url = location.to_str().ok_or_else(|| Error::input("a postgres:// URL must be UTF-8"))?;
    let target = backend::Target::parse(url).map_err(|e| Error::input(e.to_string()))?;
    let wait = sqlite::BUSY_TIMEOUT;
    let opened = match mode {
        Mode::Read => backend::Postgres::open_read(&target),
        Mode::Write => backend::Postgres::open_write(&target, wait),
        Mode::Create => backend::Postgres::create(&target, wait),
    };
    match opened {
        Ok(pg) => Ok(Db::over(Box::new(pg))),
        Err(backend::PgError::Config(what) | backend::PgError::Schema(what)) => Err(Error::input(what)),
        Err(e) => Err(Error::Db {
            what: format!("cannot open the ledger {target}"),
            source: backend::store_error(e),
        }),
    }
}

/// A PostgreSQL ledger, with this keygen built without PostgreSQL.
#[cfg(not(feature = "postgres"))]
fn open_postgres(location: &Path, _: Mode) -> Result<Db, Error> {
    Err(Error::input(format!(
        "{} is a PostgreSQL ledger, and this keygen was built without PostgreSQL (its `postgres` feature)",
        location.display()
    )))
}

/// The refusal of a ledger that is not there.
fn missing(path: &Path) -> Error {
    Error::input(format!(
        "no ledger at {}: a ledger is made only by keygen init (or ledger import); \
         check where the ledger and the signing key are named (the vault's ledger is {FILE_NAME} beside its \
         signing key, or the one its {LOCATION_SETTING} names)",
        path.display()
    ))
}

/// Whether a ledger file is there; a folder or a device in its place is refused.
pub fn exists(path: &Path) -> Result<bool, Error> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(_) => Err(Error::input(format!("the ledger {} is not a regular file", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::Io { what: format!("cannot open the ledger {}", path.display()), source: e }),
    }
}

/// A write transaction: rolled back when dropped uncommitted (an error, Ctrl-C's unwinding).
/// A killed process leaves no commit either: the database drops what was never committed.
pub struct Writer<'a> {
    // The backend itself is 'static (the Db's box): only the borrow is 'a, so a Writer of a
    // shorter borrow stands in for one of a longer (covariant, as a reference is).
    store: &'a mut (dyn Backend + 'static),
    path: PathBuf,
    key_path: PathBuf,
    log: PathBuf,
    finished: bool,
}

impl Writer<'_> {
    /// The ledger inside the transaction.
    pub fn conn(&self) -> &dyn LedgerWrite {
        &*self.store
    }

    /// Where the ledger is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` inside a savepoint of this transaction: when it fails, what it wrote is
    /// undone and the transaction goes on (the desk's group commit: one request refused,
    /// the others recorded). The outer error is the database's own.
    pub fn savepoint<T, E>(&self, f: impl FnOnce(&Self) -> Result<T, E>) -> Result<Result<T, E>, Error> {
        let what = || Error::db(format!("cannot write the ledger {}", self.path.display()));
        self.store.mark().map_err(what())?;
        let result = f(self);
        if result.is_err() {
            self.store.undo_to_mark().map_err(what())?;
        }
        self.store.forget_mark().map_err(what())?;
        Ok(result)
    }

    /// Checks that `signer` is the ledger's current signing key (the first key to write a new
    /// ledger becomes it; a rotation makes its new key current before it commits), signs the
    /// head of the tables as they now are, commits, and appends that head to the checkpoint
    /// log (synced): durable when this returns, and only then may a command show what it
    /// wrote. The log is locked before the commit and written after it ([`checkpoint`]
    /// explains the order); a log that cannot be opened leaves nothing written.
    pub fn commit(mut self, signer: &crate::token::AnySigner) -> Result<(), Error> {
        head::ensure_current(self.conn(), signer, &self.key_path)?;
        people::chain_journal(self.conn()).map_err(Error::db("cannot chain the desk's journal"))?;
        let signed = head::sign(self.conn(), signer)?;
        let mut log = checkpoint::Appender::open(&self.log)?;
        self.store
            .commit()
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
        self.store.after_commit();
        Ok(())
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.store.rollback();
        }
    }
}
