//! [`Postgres`]: the ledger's storage interface ([`crate::db::store`]) over one PostgreSQL
//! connection, held for the ledger's lifetime: its transactions, its marks, and the errors'
//! kinds. The verbs are in the sibling modules, one per trait group.

use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use super::{PgError, Target, WRITER_LOCK};
use crate::db::store::{Backend, StoreError, StoreErrorKind, StoreResult};

/// A parameter list.
pub(super) type Params<'a> = [&'a (dyn ToSql + Sync)];

/// A PostgreSQL ledger behind the storage interface: one connection (verbs take `&self`, so
/// it sits in a `RefCell`; the type is `Send`, not `Sync`, as a SQLite connection is), every
/// statement prepared once per connection. A connection lost outside a transaction is made
/// again by the next verb (or `begin_write`, `begin_read`); inside one, the error is the
/// caller's (the transaction is gone with it) and the verb after it reconnects.
pub struct Postgres {
    target: Target,
    location: PathBuf,
    /// `None` only while it is handed back ([`Drop`]).
    client: RefCell<Option<Client>>,
    statements: RefCell<HashMap<&'static str, Statement>>,
    in_tx: Cell<bool>,
    /// Inside a write (begun by `begin_write`): the schema check is the fingerprint's.
    pub(super) writing: Cell<bool>,
    lock_timeout: Duration,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").field("target", &self.target).finish()
    }
}

/// The kind of a driver's failure: a constraint (SQLSTATE class 23), the server out of
/// reach (a connection closed or failing, class 08, a server shutting down or starting,
/// 57P01 to 57P03), or anything else.
pub(super) fn kind_of(e: &postgres::Error) -> StoreErrorKind {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        return if code.starts_with("23") {
            StoreErrorKind::Constraint
        } else if code.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&code) {
            StoreErrorKind::Unavailable
        } else {
            StoreErrorKind::Other
        };
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return StoreErrorKind::Unavailable;
        }
        source = s.source();
    }
    if e.is_closed() { StoreErrorKind::Unavailable } else { StoreErrorKind::Other }
}

/// A [`PgError`] as a [`StoreError`]: a failure to connect is [`StoreErrorKind::Unavailable`]
/// but for a refused password or a database that is not there (class 28, 3D000), which
/// waiting does not mend.
pub fn pg_store_error(e: PgError) -> StoreError {
    let kind = match &e {
        PgError::Server { source, .. } | PgError::CommitUnknown { source, .. } => {
            match source.as_db_error() {
                Some(db) if db.code().code().starts_with("28") || db.code().code() == "3D000" => {
                    StoreErrorKind::Other
                }
                Some(_) => kind_of(source),
                None => StoreErrorKind::Unavailable,
            }
        }
        PgError::Pool { .. } => StoreErrorKind::Unavailable,
        PgError::Config(_) | PgError::Schema(_) => StoreErrorKind::Other,
    };
    StoreError::new(kind, e)
}

// The session's settings: no JIT. The ledger's statements are look-ups of a few rows, but
// a chunk's statement over a table just filled by a batch (not analyzed yet) is estimated at
// millions of rows, and compiling it cost more (a quarter of a second) than running it. Set
// by the Target in the connection's start-up message (`-c jit=off`): no round trip.

impl Postgres {
    /// Opens the ledger at `target` to write: connects, refuses a server older than 13 or
    /// not in UTF-8, and brings the schema to this keygen's version (an empty database is
    /// made a ledger, as SQLite's `migrate` does with an empty file; a database holding
    /// anything else is refused). A ledger of this version whose fingerprint is this
    /// keygen's ([`super::schema`]) costs one round trip; any other goes through
    /// [`super::make_schema`], which compares the whole schema.
    pub fn open_write(target: &Target, lock_timeout: Duration) -> Result<Postgres, PgError> {
        let (mut client, statements, current) = connected(target)?;
        let expected = super::schema::fingerprint();
        if !matches!(&current, Some((v, Some(f))) if *v == super::SCHEMA_VERSION && *f == expected) {
            super::make_schema(&mut client, &target.shown, false)?;
        }
        Ok(Postgres::with_client(target, client, statements, lock_timeout))
    }

    /// Opens the ledger at `target` to read: it must hold a ledger of this keygen's schema
    /// version (nothing is made or changed).
    pub fn open_read(target: &Target) -> Result<Postgres, PgError> {
        let (mut client, statements, current) = connected(target)?;
        match current {
            Some((v, _)) => super::version_is_current(Some(v), &target.shown)?,
            None => super::check_version(&mut client, &target.shown)?,
        }
        Ok(Postgres::with_client(target, client, statements, crate::db::sqlite::BUSY_TIMEOUT))
    }

    /// Makes a new ledger in the empty database at `target` (`keygen ledger init`, `ledger
    /// import`): refused when the database holds any table, the ledger's included.
    pub fn create(target: &Target, lock_timeout: Duration) -> Result<Postgres, PgError> {
        let mut client = target.connect()?;
        super::check_server(&mut client, target)?;
        super::make_schema(&mut client, &target.shown, true)?;
        Ok(Postgres::with_client(target, client, HashMap::new(), lock_timeout))
    }

    fn with_client(
        target: &Target,
        client: Client,
        statements: HashMap<&'static str, Statement>,
        lock_timeout: Duration,
    ) -> Postgres {
        Postgres {
            target: target.clone(),
            location: PathBuf::from(&target.shown),
            client: RefCell::new(Some(client)),
            statements: RefCell::new(statements),
            in_tx: Cell::new(false),
            writing: Cell::new(false),
            lock_timeout,
        }
    }

    /// The connection.
    fn client(&self) -> RefMut<'_, Client> {
        RefMut::map(self.client.borrow_mut(), |c| c.as_mut().expect("taken only by Drop"))
    }

    fn store_error(&self, source: postgres::Error) -> StoreError {
        StoreError::new(
            kind_of(&source),
            PgError::Server { what: format!("the ledger {}", self.target.shown), source },
        )
    }

    /// Outside a transaction, a connection that was lost is made again (nothing is lost
    /// with it); inside one, it is not: the transaction's writes went with the old one.
    fn ensure_connected(&self) -> StoreResult<()> {
        if self.in_tx.get() || !self.client().is_closed() {
            return Ok(());
        }
        self.reconnect()
    }

    fn reconnect(&self) -> StoreResult<()> {
        *self.client() = self.target.connect().map_err(pg_store_error)?;
        self.statements.borrow_mut().clear();
        Ok(())
    }

    /// `sql` prepared on this connection (once).
    fn statement(&self, sql: &'static str) -> StoreResult<Statement> {
        self.ensure_connected()?;
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.client().prepare(sql).map_err(|e| self.store_error(e))?;
        self.statements.borrow_mut().insert(sql, stmt.clone());
        Ok(stmt)
    }

    /// The rows of the prepared statement `sql`.
    pub(super) fn query(&self, sql: &'static str, params: &Params<'_>) -> StoreResult<Vec<Row>> {
        let stmt = self.statement(sql)?;
        self.client().query(&stmt, params).map_err(|e| self.store_error(e))
    }

    /// The row of `sql`, if it gives one.
    pub(super) fn query_opt(&self, sql: &'static str, params: &Params<'_>) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs the prepared statement `sql`: the rows it changed.
    pub(super) fn execute(&self, sql: &'static str, params: &Params<'_>) -> StoreResult<u64> {
        let stmt = self.statement(sql)?;
        self.client().execute(&stmt, params).map_err(|e| self.store_error(e))
    }

    /// The rows of `sql` made for this call (not kept prepared).
    pub(super) fn query_once(&self, sql: &str, params: &Params<'_>) -> StoreResult<Vec<Row>> {
        self.ensure_connected()?;
        self.client().query(sql, params).map_err(|e| self.store_error(e))
    }

    /// COPY ... FROM STDIN (FORMAT binary) of `rows`, each value of `types`' types in turn.
    pub(super) fn copy_in(
        &self,
        sql: &str,
        types: &[postgres::types::Type],
        rows: &mut dyn Iterator<Item = Vec<&(dyn ToSql + Sync)>>,
    ) -> StoreResult<u64> {
        self.ensure_connected()?;
        let mut client = self.client();
        let result = (|| {
            let sink = client.copy_in(sql)?;
            let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(sink, types);
            for row in rows {
                writer.write(&row)?;
            }
            writer.finish()
        })();
        drop(client);
        result.map_err(|e| self.store_error(e))
    }

    /// Statements without parameters, in one round trip.
    fn batch(&self, sql: &str) -> StoreResult<()> {
        self.client().batch_execute(sql).map_err(|e| self.store_error(e))
    }

    /// Starts a transaction with `begin` (its statements, in one round trip). A connection
    /// found lost is made again once: nothing was begun on it.
    fn begin(&self, begin: &str) -> StoreResult<()> {
        self.ensure_connected()?;
        let mut result = self.batch(begin);
        if result.is_err() && self.client().is_closed() {
            self.reconnect()?;
            result = self.batch(begin);
        }
        if let Err(e) = result {
            // The lock not had in time: the transaction begun is dropped.
            let _ = self.batch("ROLLBACK");
            return Err(e);
        }
        self.in_tx.set(true);
        Ok(())
    }
}

/// Whether a closed ledger's connection is kept for the next open of the same ledger
/// ([`keep_connections`]).
static KEEP: AtomicBool = AtomicBool::new(false);

/// The connections kept, each with its prepared statements, by ledger (its URL as given).
type Idle = (Client, HashMap<&'static str, Statement>);
static IDLE: Mutex<Vec<(String, Idle)>> = Mutex::new(Vec::new());

/// Connections kept per ledger at most: the desk's requests at once, beyond which a
/// connection is closed rather than kept.
const KEPT: usize = 16;

/// From now on, a ledger closed hands its connection back for the next open of the same
/// ledger in this process, rather than closing it: the desk, which opens the ledger once per
/// request, pays for the connection (TCP, SCRAM, a new server process) once, not each time.
/// A command line opens one ledger and ends, and keeps nothing.
pub fn keep_connections() {
    KEEP.store(true, Ordering::Relaxed);
}

fn idle() -> std::sync::MutexGuard<'static, Vec<(String, Idle)>> {
    IDLE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A connection to `target` and what [`super::open_check`] found on it: a kept one if there
/// is one, else a new one. The check's round trip is also the kept connection's test: one
/// that fails it (a server restarted since: its sessions were ended) is closed and the next
/// tried, never lent again, so a restarted server is used again without a restart of the
/// desk, and a server down is found as soon as a new connection is refused.
fn connected(target: &Target) -> Result<(Client, HashMap<&'static str, Statement>, OpenCheck), PgError> {
    loop {
        let kept = {
            let mut idle = idle();
            idle.iter().rposition(|(k, _)| *k == target.shown).map(|at| idle.swap_remove(at).1)
        };
        let Some((mut client, statements)) = kept else { break };
        if let Ok(found) = super::open_check(&mut client, target) {
            return Ok((client, statements, found));
        }
    }
    let mut client = target.connect()?;
    let found = super::open_check(&mut client, target)?;
    Ok((client, HashMap::new(), found))
}

/// What [`super::open_check`] answers.
type OpenCheck = Option<(i64, Option<String>)>;

impl Drop for Postgres {
    /// Kept for the next open when [`keep_connections`] was asked for, the connection is
    /// open and outside any transaction (one left in a transaction is closed: the server
    /// rolls it back).
    fn drop(&mut self) {
        let Some(client) = self.client.get_mut().take() else { return };
        if !KEEP.load(Ordering::Relaxed) || self.in_tx.get() || client.is_closed() {
            return;
        }
        let mut idle = idle();
        if idle.iter().filter(|(k, _)| *k == self.target.shown).count() < KEPT {
            idle.push((self.target.shown.clone(), (client, std::mem::take(self.statements.get_mut()))));
        }
    }
}

impl Backend for Postgres {
    fn location(&self) -> &Path {
        &self.location
    }

    /// BEGIN (READ COMMITTED) and the writer lock, waiting for the writer before on any
    /// machine ([`super::Ledger::begin_write`] says why READ COMMITTED): one round trip.
    fn begin_write(&mut self) -> StoreResult<()> {
        let ms = u64::try_from(self.lock_timeout.as_millis()).unwrap_or(u64::MAX).max(1);
        self.begin(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '{ms}ms'; \
             SELECT pg_advisory_xact_lock({WRITER_LOCK})"
        ))?;
        self.writing.set(true);
        Ok(())
    }

    /// COMMIT, after a statement that fails if the transaction is aborted: PostgreSQL
    /// answers COMMIT of an aborted transaction with a rollback and no error, and a write a
    /// statement of which failed (and was not undone to a mark) must never look committed.
    /// A connection lost before the answer leaves the outcome unknown: the error says so
    /// (the caller looks the rows up before it shows or retries anything).
    fn commit(&mut self) -> StoreResult<()> {
        let result = self.client().batch_execute("SELECT 1; COMMIT");
        self.in_tx.set(false);
        self.writing.set(false);
        match result {
            Ok(()) => Ok(()),
            Err(source) if self.client().is_closed() => Err(StoreError::new(
                StoreErrorKind::Unavailable,
                PgError::CommitUnknown { target: self.target.shown.clone(), source },
            )),
            Err(source) => {
                let _ = self.client().batch_execute("ROLLBACK");
                Err(self.store_error(source))
            }
        }
    }

    fn rollback(&mut self) {
        // Failing, the connection is lost, and the server rolled back with it.
        let _ = self.client().batch_execute("ROLLBACK");
        self.in_tx.set(false);
        self.writing.set(false);
    }

    fn mark(&self) -> StoreResult<()> {
        self.batch("SAVEPOINT one")
    }

    fn undo_to_mark(&self) -> StoreResult<()> {
        self.batch("ROLLBACK TO SAVEPOINT one")
    }

    fn forget_mark(&self) -> StoreResult<()> {
        self.batch("RELEASE SAVEPOINT one")
    }

    /// One snapshot for the whole read (REPEATABLE READ, READ ONLY): never waits for a
    /// writer.
    fn begin_read(&self) -> StoreResult<()> {
        self.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    }

    fn end_read(&self) {
        let _ = self.batch("ROLLBACK");
        self.in_tx.set(false);
    }

    /// Not yet: the copy is [`crate::db::transfer::copy`] into a new SQLite ledger, which
    /// needs the SQLite backend's writer (`db::sqlite`); until it is here, refused.
    fn copy_to_sqlite(&self, _to: &Path) -> StoreResult<bool> {
        Ok(false)
    }

    fn note_token_used(&self, name: &str, at: &str) -> StoreResult<()> {
        self.execute("UPDATE api_tokens SET last_used = $2 WHERE name = $1", &[&name, &at]).map(|_| ())
    }

    fn note_delivery(&self, shop: &str, id: &str, body_hash: &str, at: &str) -> StoreResult<()> {
        self.execute(
            "INSERT INTO webhook_deliveries (shop, id, body_hash, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (shop, id) DO NOTHING",
            &[&shop, &id, &body_hash, &at],
        )
        .map(|_| ())
    }
}
