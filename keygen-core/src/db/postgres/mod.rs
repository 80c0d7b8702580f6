//! The ledger in PostgreSQL (issue 30): [`Postgres`], the storage interface
//! ([`super::store`]) over one connection, its verbs one module per trait group (`keys`,
//! `lists`, `head`, `people`, `schema`; transactions, marks and errors in `backend`). The
//! chain, the signed head, the checkpoint log and `ledger verify` are not here: they are the
//! core's, above the interface, written once for both backends.
//!
//! Here too: where the server is and how to reach it ([`Target`]: a `postgres://` URL, the
//! password from a passfile, TLS by rustls, SCRAM-SHA-256 by the driver), the schema
//! (`keygen-core/migrations/postgres/`, made or brought up to date in one transaction,
//! refusing a database that holds anything else), and a pool of connections ([`Ledger`],
//! with [`WriteTx`] and [`ReadTx`]: the groundwork's, kept for its tests and for a caller
//! that wants a pool; [`Postgres`] holds one connection, as a SQLite ledger does).
//! Writers on every machine take turns on an advisory lock held to the end of the
//! transaction, taken before anything is read.
//!
//! Synchronous: the `postgres` crate runs tokio-postgres on a runtime of its own, and no
//! async type appears in this module's API.

mod backend;
mod head;
mod keys;
mod lists;
mod people;
pub mod schema;

pub use backend::{Postgres, keep_connections, pg_store_error as store_error};

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::error::SqlState;
use postgres::{Client, Config};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;
use zeroize::Zeroizing;

/// The migrations, in order: migration N takes the schema from version N-1 to N, the same
/// numbers as the SQLite ones ([`super::MIGRATIONS`]), in PostgreSQL's dialect (the rules
/// of the translation are at the top of the first file).
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_ledger.sql"),
    include_str!("../../../migrations/postgres/0002_people.sql"),
    include_str!("../../../migrations/postgres/0003_signed_people.sql"),
    include_str!("../../../migrations/postgres/0004_api_tokens.sql"),
];

/// The schema version this keygen writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// SQLite keeps its schema version in `PRAGMA user_version`; PostgreSQL has no such field,
/// so a one-row table holds it, written in the same transaction as each migration.
pub const VERSION_TABLE: &str = "schema_version";
const CREATE_VERSION_TABLE: &str = "CREATE TABLE schema_version (\
     id BIGINT NOT NULL PRIMARY KEY CHECK (id = 1), \
     version BIGINT NOT NULL CHECK (version >= 1))";
/// The version table's second column: [`schema::fingerprint`] of the schema as the last
/// `init` or migration found it, compared whole with the migrations' (a ledger made before
/// the column is given it by its next migration).
const ADD_FINGERPRINT: &str =
    "ALTER TABLE schema_version ADD COLUMN IF NOT EXISTS fingerprint TEXT COLLATE \"C\"";

/// The oldest server the migrations and the locking are written for.
pub const MIN_SERVER_VERSION: i32 = 130000;

/// The advisory lock every writer of a ledger takes (and `init`, `migrate`): one number per
/// database, so writers of one ledger wait for each other and other databases are not
/// involved. The bytes spell "keygenLW".
pub const WRITER_LOCK: i64 = 0x6b65_7967_656e_4c57;

/// Where the server's certificate authorities are found when the URL names none
/// (`sslrootcert`): Debian's bundle of the system's trusted roots.
pub const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// What went wrong, with what was being done. No variant holds a password.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The URL, the passfile or the TLS settings are not usable: what and why.
    #[error("{0}")]
    Config(String),
    /// The database holds something that is not this keygen's ledger (or is one already,
    /// for `init`), or a schema newer or other than this keygen's.
    #[error("{0}")]
    Schema(String),
    /// The server refused or failed a statement, or the connection failed.
    #[error("{what}: {}", describe(.source))]
    Server {
        what: String,
        #[source]
        source: postgres::Error,
    },
    /// No connection could be had from the pool in time.
    #[error("{what}: {source}")]
    Pool {
        what: String,
        #[source]
        source: r2d2::Error,
    },
    /// The connection was lost after COMMIT was sent and before the server answered: the
    /// transaction may or may not be committed. The caller looks the rows up (a key by its
    /// serial) before it shows a key or retries; it never assumes either way.
    #[error("the connection to {target} was lost while committing: the write may or may not be recorded: {}", describe(.source))]
    CommitUnknown {
        target: String,
        #[source]
        source: postgres::Error,
    },
}

/// A server error's message, with its detail and hint when it has them.
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(&format!("; {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; {h}"));
            }
            s
        }
        None => e.to_string(),
    }
}

fn server(what: impl Into<String>) -> impl FnOnce(postgres::Error) -> PgError {
    let what = what.into();
    move |source| PgError::Server { what, source }
}

/// How the connection is protected, from the URL's `sslmode` (libpq's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `sslmode=disable`: no TLS (a unix socket, or loopback).
    Disable,
    /// `sslmode=prefer`: TLS when the server offers it, else none (an attacker on the path can
    /// strip it; accepted because it is libpq's default, never chosen by keygen).
    Prefer,
    /// `sslmode=require`, `verify-ca` or `verify-full`: TLS, the server's certificate checked
    /// against the roots and its name against the host (rustls always checks both, so all
    /// three mean libpq's `verify-full`).
    Verify,
}

/// A PostgreSQL ledger's address and credentials, parsed from a `postgres://` (or
/// `postgresql://`) URL, as libpq reads one, plus:
/// - no password in the URL (a command line is seen by `ps` and kept in shell histories):
///   it comes from the passfile, `passfile=` in the URL, else `PGPASSFILE`, else
///   `~/.pgpass` (libpq's format and matching; the file must not be readable by group or
///   others);
/// - `sslrootcert=FILE` names the certificate authorities (PEM) for TLS, else
///   [`SYSTEM_ROOTS`];
/// - without `sslmode`, TLS is required unless every host is a unix socket or a loopback
///   address.
#[derive(Clone)]
pub struct Target {
    config: Config,
    tls: Tls,
    root_cert: Option<PathBuf>,
    shown: String,
}

impl fmt::Debug for Target {
    // The config holds the password: show only the URL as given (which holds none).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target").field("url", &self.shown).field("tls", &self.tls).finish()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Whether `s` names a PostgreSQL ledger (rather than an SQLite file).
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl Target {
    /// Parses `url` and finds its password: [`Target`] says where from.
    pub fn parse(url: &str) -> Result<Target, PgError> {
        Target::parse_with(url, std::env::var_os("PGPASSFILE"), std::env::var_os("HOME"))
    }

    /// [`Target::parse`] with the environment given (`PGPASSFILE`, `HOME`), for tests.
    pub fn parse_with(
        url: &str,
        pgpassfile: Option<OsString>,
        home: Option<OsString>,
    ) -> Result<Target, PgError> {
        if !is_url(url) {
            return Err(PgError::Config(format!(
                "{url:?} is not a PostgreSQL URL: it starts with postgres:// or postgresql://"
            )));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut tls = None;
        let mut root_cert = None;
        let mut passfile = None;
        for param in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            match key {
                "sslmode" => {
                    tls = Some(match value {
                        "disable" => Tls::Disable,
                        "prefer" => Tls::Prefer,
                        "require" | "verify-ca" | "verify-full" => Tls::Verify,
                        other => {
                            return Err(PgError::Config(format!(
                                "sslmode={other} in the ledger's URL: use disable, prefer, require, verify-ca or verify-full"
                            )));
                        }
                    })
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(value, "sslrootcert")?)),
                "passfile" => passfile = Some(PathBuf::from(percent_decode(value, "passfile")?)),
                "password" => return Err(password_in_url()),
                _ => kept.push(param),
            }
        }
        let rebuilt = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
        let mut config = Config::from_str(&rebuilt)
            .map_err(|e| PgError::Config(format!("the ledger's URL {}: {e}", shown(url))))?;
        if config.get_password().is_some() {
            return Err(password_in_url());
        }
        let user = config
            .get_user()
            .ok_or_else(|| {
                PgError::Config(format!(
                    "the ledger's URL {url} names no user (postgres://USER@HOST/DATABASE)"
                ))
            })?
            .to_owned();
        if config.get_hosts().is_empty() {
            return Err(PgError::Config(format!("the ledger's URL {url} names no host")));
        }
        let dbname = config.get_dbname().unwrap_or(&user).to_owned();
        let local = config.get_hosts().iter().all(|h| match h {
            Host::Unix(_) => true,
            Host::Tcp(name) => is_loopback(name),
        });
        let tls = tls.unwrap_or(if local { Tls::Disable } else { Tls::Verify });
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Prefer => SslMode::Prefer,
            Tls::Verify => SslMode::Require,
        });
        let passfile = match passfile.or(pgpassfile.map(PathBuf::from)) {
            Some(p) => Some(p),
            None => home.map(|h| PathBuf::from(h).join(".pgpass")).filter(|p| p.exists()),
        };
        if let Some(file) = passfile {
            let ports = config.get_ports().to_vec();
            let mut found: Option<Zeroizing<String>> = None;
            for (i, host) in config.get_hosts().iter().enumerate() {
                let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
                let host = match host {
                    Host::Tcp(name) => name.clone(),
                    Host::Unix(dir) => dir.to_string_lossy().into_owned(),
                };
                let pw = password_for(&file, &host, port, &dbname, &user)?;
                match (&found, pw) {
                    (_, None) => {}
                    (None, Some(pw)) => found = Some(pw),
                    (Some(a), Some(b)) if *a == b => {}
                    (Some(_), Some(_)) => {
                        return Err(PgError::Config(format!(
                            "{} gives the hosts of {url} different passwords for {user}: the driver sends one",
                            file.display()
                        )));
                    }
                }
            }
            if let Some(pw) = found {
                config.password(pw.as_bytes());
            }
        }
        config.application_name("keygen");
        // No JIT (backend.rs says why), asked for in the connection's start-up message rather
        // than by a statement of its own.
        let options = match config.get_options() {
            Some(o) => format!("{o} -c jit=off"),
            None => "-c jit=off".to_owned(),
        };
        config.options(&options);
        Ok(Target { config, tls, root_cert, shown: url.to_owned() })
    }

    /// How the connection is protected.
    pub fn tls(&self) -> Tls {
        self.tls
    }

    /// Whether a password was found for it.
    pub fn has_password(&self) -> bool {
        self.config.get_password().is_some()
    }

    fn connector(&self) -> Result<MakeRustlsConnect, PgError> {
        let mut roots = rustls::RootCertStore::empty();
        if self.tls != Tls::Disable {
            let file = self.root_cert.as_deref().unwrap_or(Path::new(SYSTEM_ROOTS));
            let bad = |e: &dyn fmt::Display| {
                PgError::Config(format!("cannot read the certificate authorities in {}: {e}", file.display()))
            };
            for cert in CertificateDer::pem_file_iter(file).map_err(|e| bad(&e))? {
                roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
            }
            if roots.is_empty() {
                return Err(bad(&"it holds no certificate"));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PgError::Config(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    /// One connection outside any pool (for `init` before a pool exists, and for tests).
    pub fn connect(&self) -> Result<Client, PgError> {
        self.config.connect(self.connector()?).map_err(server(format!("cannot connect to the ledger {self}")))
    }
}

fn password_in_url() -> PgError {
    PgError::Config(
        "the ledger's URL holds a password: a command line is seen by other users (ps) and kept in shell \
         histories; put it in a passfile (PGPASSFILE, ~/.pgpass or passfile= in the URL; mode 0600)"
            .to_owned(),
    )
}

/// The URL without what follows a `user:` (a password there is never repeated in a message).
fn shown(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(c) => format!("{}:***{}", &url[..s + 3 + c], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// `%XX` decoding of a URL parameter's value, to bytes (a path may be any bytes).
fn percent_decode(value: &str, what: &str) -> Result<OsString, PgError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let b = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(|| {
                PgError::Config(format!(
                    "{what}= in the ledger's URL: a % at byte {i} is not followed by two hex digits"
                ))
            })?;
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(OsString::from_vec(out))
}

/// The password libpq would take from `file` for this connection: the first line
/// `host:port:database:user:password` whose first four fields match (`*` matches anything;
/// `\:` and `\\` are a colon and a backslash). `None` when no line matches. A file that
/// group or others may read is refused, as a secret file must be private.
pub fn password_for(
    file: &Path,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Result<Option<Zeroizing<String>>, PgError> {
    let meta = std::fs::metadata(file)
        .map_err(|e| PgError::Config(format!("cannot read the passfile {}: {e}", file.display())))?;
    if !meta.is_file() {
        return Err(PgError::Config(format!("the passfile {} is not a regular file", file.display())));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(PgError::Config(format!(
            "the passfile {} may be read by others (mode {:o}): chmod 600 it",
            file.display(),
            meta.mode() & 0o777
        )));
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(file)
            .map_err(|e| PgError::Config(format!("cannot read the passfile {}: {e}", file.display())))?,
    );
    let port = port.to_string();
    let wanted = [host, port.as_str(), dbname, user];
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass(line);
        if fields.len() < 5 {
            // libpq skips a line it cannot read; so does this (its text may hold a password,
            // so it is never quoted in a message).
            continue;
        }
        if fields[..4].iter().zip(wanted).all(|(f, w)| f.as_str() == "*" || f.as_str() == w) {
            // A password may hold unescaped colons after the fourth field.
            let mut pw = Zeroizing::new(String::new());
            for (i, f) in fields[4..].iter().enumerate() {
                if i > 0 {
                    pw.push(':');
                }
                pw.push_str(f);
            }
            return Ok(Some(pw));
        }
    }
    Ok(None)
}

fn split_pgpass(line: &str) -> Vec<Zeroizing<String>> {
    let mut fields = Vec::new();
    let mut field = Zeroizing::new(String::new());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.extend(chars.next()),
            ':' => fields.push(std::mem::replace(&mut field, Zeroizing::new(String::new()))),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Makes the pool's connections and checks them when they are taken out.
struct Manager {
    config: Config,
    tls: MakeRustlsConnect,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Client;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }

    /// `DISCARD ALL` fails inside a transaction: a connection handed back in one (its
    /// ROLLBACK lost) is dropped rather than lent again, and any session state is reset.
    fn is_valid(&self, client: &mut Client) -> Result<(), postgres::Error> {
        client.batch_execute("DISCARD ALL")
    }

    fn has_broken(&self, client: &mut Client) -> bool {
        client.is_closed()
    }
}

/// How a [`Ledger`]'s pool is sized and how long it waits.
#[derive(Debug, Clone)]
pub struct Options {
    /// Connections at most (a desk: its sessions that write or read at once).
    pub pool_size: u32,
    /// How long to wait for a connection from the pool (the server down: this long).
    pub connect_timeout: Duration,
    /// How long a writer waits for the writer before it (a batch holds the ledger for
    /// minutes); [`crate::db::sqlite::BUSY_TIMEOUT`] for SQLite's.
    pub lock_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pool_size: 8,
            connect_timeout: Duration::from_secs(10),
            lock_timeout: crate::db::sqlite::BUSY_TIMEOUT,
        }
    }
}

/// A PostgreSQL ledger: a pool of connections to one database.
pub struct Ledger {
    pool: r2d2::Pool<Manager>,
    target: String,
    lock_timeout: Duration,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger").field("target", &self.target).finish()
    }
}

impl Ledger {
    /// Connects: one connection first, to report why it fails (the server's answer, not the
    /// pool's timeout) and to refuse a server older than 13 or a database not in UTF-8;
    /// then the pool, which opens more connections as they are needed and replaces broken
    /// ones, so a restarted server is used again without restarting the program.
    pub fn connect(target: &Target, options: &Options) -> Result<Ledger, PgError> {
        let mut first = target.connect()?;
        check_server(&mut first, target)?;
        drop(first);
        let manager = Manager { config: target.config.clone(), tls: target.connector()? };
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.connect_timeout)
            .build_unchecked(manager);
        Ok(Ledger { pool, target: target.shown.clone(), lock_timeout: options.lock_timeout })
    }

    fn get(&self) -> Result<r2d2::PooledConnection<Manager>, PgError> {
        self.pool.get().map_err(|source| PgError::Pool {
            what: format!("cannot reach the ledger {}", self.target),
            source,
        })
    }

    /// The schema version of the database: `None` when it holds no ledger.
    pub fn schema_version(&self) -> Result<Option<i64>, PgError> {
        let mut conn = self.get()?;
        read_version(&mut *conn, &self.target)
    }

    /// Makes the ledger's tables in an empty database (`keygen ledger init`): refused when
    /// the database holds any table, view or sequence outside PostgreSQL's own schemas,
    /// the ledger's included. Every migration and the version go in one transaction.
    pub fn init(&self) -> Result<(), PgError> {
        self.schema_tx(true)
    }

    /// Brings an existing ledger to [`SCHEMA_VERSION`] (every migration and its version in
    /// one transaction); an empty database is made a ledger too (as SQLite's `migrate` does
    /// with an empty file). Refused: a newer schema, or a database holding other things.
    pub fn migrate(&self) -> Result<(), PgError> {
        self.schema_tx(false)
    }

    fn schema_tx(&self, only_empty: bool) -> Result<(), PgError> {
        let mut conn = self.get()?;
        make_schema(&mut conn, &self.target, only_empty)
    }

    /// Checks that the database holds a ledger of this keygen's schema version (what every
    /// command does before it reads or writes).
    pub fn check_version(&self) -> Result<(), PgError> {
        let mut conn = self.get()?;
        check_version(&mut conn, &self.target)
    }

    /// Starts a write: a transaction (READ COMMITTED) that first takes the ledger's writer
    /// lock, waiting up to the lock timeout for the writer before it, on this machine or
    /// another, to commit or roll back. Every statement after the lock sees every write
    /// committed before it (READ COMMITTED takes a new snapshot per statement; REPEATABLE
    /// READ would have taken its snapshot at the lock's own statement, before the wait, and
    /// missed the write it waited for). So the head read after the lock is the last one and
    /// two writers never extend the same one. The lock is released by COMMIT or ROLLBACK,
    /// also when the connection dies (the server ends the session).
    pub fn begin_write(&self) -> Result<WriteTx, PgError> {
        let mut conn = self.get()?;
        let what = || format!("cannot write the ledger {}", self.target);
        conn.batch_execute("BEGIN ISOLATION LEVEL READ COMMITTED").map_err(server(what()))?;
        let mut tx = WriteTx { conn, target: self.target.clone(), finished: false };
        let ms = i64::try_from(self.lock_timeout.as_millis()).unwrap_or(i64::MAX).max(1);
        tx.conn
            .execute("SELECT set_config('lock_timeout', $1, true)", &[&format!("{ms}ms")])
            .map_err(server(what()))?;
        tx.conn.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK]).map_err(server(format!(
            "{}: waiting for the writer before (up to {} s)",
            what(),
            self.lock_timeout.as_secs()
        )))?;
        Ok(tx)
    }

    /// Starts a read: one snapshot of the whole ledger (REPEATABLE READ, READ ONLY), so a
    /// `verify` or an export reads the chains, the head and the people as of one commit
    /// while writers go on; it never waits for a writer.
    pub fn begin_read(&self) -> Result<ReadTx, PgError> {
        let mut conn = self.get()?;
        conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(server(format!("cannot read the ledger {}", self.target)))?;
        Ok(ReadTx { conn })
    }
}

/// Makes the ledger's tables or brings them up to date ([`Ledger::init`], [`Ledger::migrate`]).
pub(crate) fn make_schema(client: &mut Client, target: &str, only_empty: bool) -> Result<(), PgError> {
    let what = || format!("cannot bring the ledger {target} to schema version {SCHEMA_VERSION}");
    let mut tx = client.transaction().map_err(server(what()))?;
    // Two keygens making one ledger at once: the second waits, then finds it made.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK]).map_err(server(what()))?;
    let version = read_version(&mut tx, target)?;
    let others = foreign_objects(&mut tx, version.is_some()).map_err(server(what()))?;
    if let Some((schema, name, kind)) = others.first() {
        let kind = match kind.as_str() {
            "r" | "p" => "table",
            "v" | "m" => "view",
            "S" => "sequence",
            "f" => "foreign table",
            _ => "relation",
        };
        return Err(PgError::Schema(format!(
            "{} holds a {kind} {schema}.{name} that is not the ledger's ({} in all): a ledger is made only in \
             an empty database (createdb), never beside other data",
            target,
            others.len()
        )));
    }
    if let Some(v) = version {
        if only_empty {
            return Err(PgError::Schema(format!(
                "{} holds a keygen ledger already (schema version {v}); a new ledger is never made over one",
                target
            )));
        }
        if v > SCHEMA_VERSION {
            return Err(newer(target, v));
        }
    } else {
        tx.batch_execute(CREATE_VERSION_TABLE).map_err(server(what()))?;
    }
    let done = usize::try_from(version.unwrap_or(0)).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.batch_execute(sql).map_err(server(format!("{}: migration {}", what(), i + 1)))?;
        let v = i as i64 + 1;
        tx.execute(
            "INSERT INTO schema_version (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = $1",
            &[&v],
        )
        .map_err(server(what()))?;
    }
    // The whole schema compared with the migrations' before its fingerprint is noted: the
    // write door's own check is then one read of it (schema::SchemaRead says so).
    tx.batch_execute(ADD_FINGERPRINT).map_err(server(what()))?;
    let found: String = tx
        .query(schema::DESCRIBE, &[])
        .map_err(server(what()))?
        .iter()
        .map(|r| format!("{}\n", r.get::<_, String>(0)))
        .collect();
    if let Some(d) = schema::difference(&found) {
        return Err(PgError::Schema(format!("{target} is not as keygen's migrations make it: {d}")));
    }
    tx.execute("UPDATE schema_version SET fingerprint = $1 WHERE id = 1", &[&schema::fingerprint()])
        .map_err(server(what()))?;
    tx.commit().map_err(server(what()))
}

/// What opening a ledger needs to know, in one round trip: the server (as [`check_server`]
/// refuses it) and, when the database holds a version table with its fingerprint, the version
/// and the fingerprint. `None`: no such table or column (not a ledger, or one made before the
/// fingerprint): the caller takes the long way ([`make_schema`], [`check_version`]).
pub(crate) fn open_check(
    client: &mut Client,
    target: &Target,
) -> Result<Option<(i64, Option<String>)>, PgError> {
    let what = || format!("cannot open the ledger {target}");
    let answer = client.simple_query(
        "SELECT current_setting('server_version_num'), current_setting('server_encoding'); \
         SELECT version::text, fingerprint FROM schema_version WHERE id = 1",
    );
    let messages = match answer {
        Ok(m) => m,
        Err(e)
            if e.code()
                .is_some_and(|c| *c == SqlState::UNDEFINED_TABLE || *c == SqlState::UNDEFINED_COLUMN) =>
        {
            check_server(client, target)?;
            return Ok(None);
        }
        Err(e) => return Err(server(what())(e)),
    };
    let rows: Vec<&postgres::SimpleQueryRow> = messages
        .iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        })
        .collect();
    let text =
        |row: Option<&&postgres::SimpleQueryRow>, i: usize| row.and_then(|r| r.get(i)).map(str::to_owned);
    let bad = |what: &str| PgError::Config(format!("{target} answered the opening's query without {what}"));
    let version: i32 =
        text(rows.first(), 0).and_then(|v| v.parse().ok()).ok_or_else(|| bad("its version"))?;
    let encoding = text(rows.first(), 1).ok_or_else(|| bad("its encoding"))?;
    server_is_usable(target, version, &encoding)?;
    match rows.get(1) {
        None => Err(PgError::Schema(format!(
            "{target} has a schema_version table with no version: not a keygen ledger"
        ))),
        Some(_) => {
            let v =
                text(rows.get(1), 0).and_then(|v| v.parse().ok()).ok_or_else(|| bad("the schema version"))?;
            Ok(Some((v, text(rows.get(1), 1))))
        }
    }
}

/// Refuses a server older than [`MIN_SERVER_VERSION`] or a database not in UTF-8.
pub(crate) fn check_server(client: &mut Client, target: &Target) -> Result<(), PgError> {
    let row = client
        .query_one(
            "SELECT current_setting('server_version_num')::int, current_setting('server_encoding')",
            &[],
        )
        .map_err(server(format!("cannot read the server's version at {target}")))?;
    let (version, encoding): (i32, String) = (row.get(0), row.get(1));
    server_is_usable(target, version, &encoding)
}

fn server_is_usable(target: &Target, version: i32, encoding: &str) -> Result<(), PgError> {
    if version < MIN_SERVER_VERSION {
        return Err(PgError::Config(format!(
            "{target} runs PostgreSQL {}.{}: the ledger needs 13 or later",
            version / 10000,
            version % 10000
        )));
    }
    if encoding != "UTF8" {
        return Err(PgError::Config(format!(
            "the database of {target} is in {encoding}: the ledger needs UTF8 (createdb -E UTF8)"
        )));
    }
    Ok(())
}

/// Checks that the database holds a ledger of this keygen's schema version.
pub(crate) fn check_version(client: &mut Client, target: &str) -> Result<(), PgError> {
    version_is_current(read_version(client, target)?, target)
}

/// [`check_version`] of the version read.
pub(crate) fn version_is_current(version: Option<i64>, target: &str) -> Result<(), PgError> {
    match version {
        Some(v) if v == SCHEMA_VERSION => Ok(()),
        None => Err(PgError::Schema(format!("{target} is not a keygen ledger (no schema)"))),
        Some(v) if v > SCHEMA_VERSION => Err(newer(target, v)),
        Some(v) => Err(PgError::Schema(format!(
            "{target} has schema version {v}; a keygen command that writes brings it to {SCHEMA_VERSION}"
        ))),
    }
}

fn newer(target: &str, v: i64) -> PgError {
    PgError::Schema(format!(
        "{target} has schema version {v}, newer than this keygen's {SCHEMA_VERSION}: use a newer keygen"
    ))
}

/// The version in `schema_version`, `None` when there is no such table.
fn read_version(client: &mut impl postgres::GenericClient, target: &str) -> Result<Option<i64>, PgError> {
    let what = || format!("cannot read the schema version of {target}");
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .map_err(server(what()))?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row =
        client.query_opt("SELECT version FROM schema_version WHERE id = 1", &[]).map_err(server(what()))?;
    match row {
        Some(r) => Ok(Some(r.get(0))),
        None => Err(PgError::Schema(format!(
            "{target} has a schema_version table with no version: not a keygen ledger"
        ))),
    }
}

/// The ledger's own tables: those the migrations create, and [`VERSION_TABLE`] (read from
/// the migrations, so that a new one's table is never taken for another program's).
pub fn ledger_tables() -> Vec<&'static str> {
    MIGRATIONS
        .iter()
        .flat_map(|sql| {
            sql.match_indices("CREATE TABLE ").filter_map(|(at, m)| {
                sql[at + m.len()..].split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()
            })
        })
        .chain([VERSION_TABLE])
        .collect()
}

/// Tables, views, sequences and foreign tables in the database outside PostgreSQL's own
/// schemas, but for the ledger's own in its schema when `ledger` says one is there:
/// (schema, name, relkind).
fn foreign_objects(
    tx: &mut postgres::Transaction<'_>,
    ledger: bool,
) -> Result<Vec<(String, String, String)>, postgres::Error> {
    let rows = tx.query(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
         ORDER BY 1, 2",
        &[],
    )?;
    let tables = ledger_tables();
    let ours = if ledger {
        let r = tx.query_one(
            "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = to_regclass('schema_version')",
            &[],
        )?;
        Some(r.get::<_, String>(0))
    } else {
        None
    };
    Ok(rows
        .into_iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, String>(2)))
        .filter(|(schema, name, _)| {
            ours.as_deref() != Some(schema.as_str()) || !tables.contains(&name.as_str())
        })
        .collect())
}

/// A write transaction holding the writer lock: rolled back when dropped uncommitted (an
/// error, a panic's unwinding); a killed process leaves no commit either (the server rolls
/// back a session that ends).
pub struct WriteTx {
    conn: r2d2::PooledConnection<Manager>,
    target: String,
    finished: bool,
}

impl WriteTx {
    /// The connection inside the transaction.
    pub fn client(&mut self) -> &mut Client {
        &mut self.conn
    }

    /// Commits. A connection lost before the answer is [`PgError::CommitUnknown`].
    pub fn commit(mut self) -> Result<(), PgError> {
        self.finished = true;
        match self.conn.batch_execute("COMMIT") {
            Ok(()) => Ok(()),
            Err(source) if self.conn.is_closed() => {
                Err(PgError::CommitUnknown { target: self.target.clone(), source })
            }
            Err(source) => {
                Err(PgError::Server { what: format!("cannot commit to the ledger {}", self.target), source })
            }
        }
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.finished {
            // Failing, the connection is dropped by the pool's check (Manager::is_valid).
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

/// A read-only snapshot of the ledger; ended when dropped.
pub struct ReadTx {
    conn: r2d2::PooledConnection<Manager>,
}

impl ReadTx {
    /// The connection inside the snapshot.
    pub fn client(&mut self) -> &mut Client {
        &mut self.conn
    }
}

impl Drop for ReadTx {
    fn drop(&mut self) {
        let _ = self.conn.batch_execute("ROLLBACK");
    }
}
