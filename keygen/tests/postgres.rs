//! The PostgreSQL ledger (keygen-core/src/db/postgres/) against a real server: its verbs, its
//! schema and grants, its locking and faults, and the command line and desks on it. One
//! throwaway PostgreSQL (scripts/pg-throwaway.sh, with TLS) for the whole file, one database
//! per test; the tests that stop a server start their own. Skipped, saying so, when
//! PostgreSQL's programs are not installed, unless KEYGEN_TEST_PG=required (CI sets it): then
//! their absence fails. The storage interface's verbs and constraints run on a SQLite ledger
//! too, the same test on both backends ([`on_both`]).
#![cfg(feature = "postgres")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use keygen_core::db::postgres::{self as pg, Ledger, Options, PgError, Target, Tls};

struct Server {
    dir: String,
    port: String,
    admin_url: String,
    passfile: String,
    bin: PathBuf,
    root_cert: String,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_owned()
}

fn installed() -> bool {
    std::env::var_os("PG_BIN").is_some()
        || std::fs::read_dir("/usr/lib/postgresql")
            .is_ok_and(|d| d.flatten().any(|e| e.path().join("bin/initdb").exists()))
}

/// The file's server, started once; `None` (the test returns) when PostgreSQL is absent
/// and not required. The script's watcher stops it when this test process ends.
fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            // scripts/test.sh runs this file in a lane of its own, and not again beside it.
            if std::env::var("KEYGEN_TEST_PG").as_deref() == Ok("elsewhere") {
                eprintln!("SKIPPED here: KEYGEN_TEST_PG=elsewhere (the PostgreSQL tests run in their own lane)");
                return None;
            }
            if !installed() {
                assert!(
                    std::env::var("KEYGEN_TEST_PG").as_deref() != Ok("required"),
                    "KEYGEN_TEST_PG=required, but PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): \
                     scripts/install-deps.sh installs it"
                );
                eprintln!(
                    "SKIPPED: the PostgreSQL tests need Debian's postgresql package (initdb, pg_ctl); \
                     set KEYGEN_TEST_PG=required to fail instead"
                );
                return None;
            }
            Some(start_server(true))
        })
        .as_ref()
}

/// A new throwaway server (with TLS when `tls`), stopped when this test process ends.
fn start_server(tls: bool) -> Server {
    let mut args = vec!["start", "--watch"];
    let pid = std::process::id().to_string();
    args.push(&pid);
    if tls {
        args.push("--tls");
    }
    let out = Command::new("bash")
        .arg(repo().join("scripts/pg-throwaway.sh"))
        .args(&args)
        .output()
        .expect("run scripts/pg-throwaway.sh");
    assert!(out.status.success(), "pg-throwaway.sh start: {}", String::from_utf8_lossy(&out.stderr));
    let settings: BTreeMap<String, String> = String::from_utf8(out.stdout)
        .expect("utf-8 settings")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect();
    let get = |k: &str| settings.get(k).cloned().unwrap_or_default();
    Server {
        dir: get("PG_DIR"),
        port: get("PG_PORT"),
        admin_url: get("PG_ADMIN_URL"),
        passfile: get("PGPASSFILE"),
        bin: PathBuf::from(get("PG_BIN")),
        root_cert: get("PG_ROOT_CERT"),
    }
}

impl Server {
    /// psql as the superuser on `db`, the SQL on its standard input: (success, stdout, stderr).
    fn psql(&self, db: &str, sql: &str) -> (bool, String, String) {
        use std::io::Write;
        let url = self.admin_url.replace("/postgres", &format!("/{db}"));
        let mut child = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-P", "pager=off", &url])
            .env("PGPASSFILE", &self.passfile)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run psql");
        child.stdin.take().expect("stdin").write_all(sql.as_bytes()).expect("write to psql");
        let out = child.wait_with_output().expect("psql");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A new, empty database owned by the role `keygen`, and its URL for that role.
    fn database(&self, name: &str) -> String {
        let (ok, _, err) = self.psql(
            "postgres",
            &format!("CREATE DATABASE {name} OWNER keygen TEMPLATE template0 ENCODING 'UTF8';"),
        );
        assert!(ok, "createdb {name}: {err}");
        format!("postgres://keygen@127.0.0.1:{}/{name}", self.port)
    }

    fn target(&self, url: &str) -> Target {
        Target::parse_with(url, Some(self.passfile.clone().into()), None).expect("the test's URL")
    }

    fn ledger(&self, url: &str) -> Ledger {
        Ledger::connect(&self.target(url), &Options::default()).expect("connect")
    }
}

/// `psql \d TABLE`'s columns: (name, type, collation, nullable).
fn described_columns(server: &Server, db: &str, table: &str) -> Vec<(String, String, String, String)> {
    let (ok, out, err) = server.psql(db, &format!("\\d {table}"));
    assert!(ok, "\\d {table}: {err}");
    out.lines()
        .skip_while(|l| !l.starts_with("--"))
        .skip(1)
        .take_while(|l| l.contains('|'))
        .map(|l| {
            let f: Vec<String> = l.split('|').map(|c| c.trim().to_owned()).collect();
            (f[0].clone(), f[1].clone(), f[2].clone(), f[3].clone())
        })
        .collect()
}

/// The tables and columns docs/operations.md documents (section 4, "What the database
/// holds"): table -> column names.
fn documented() -> BTreeMap<String, Vec<String>> {
    let doc = std::fs::read_to_string(repo().join("docs/operations.md")).expect("docs/operations.md");
    let section = doc.split("### What the database holds").nth(1).expect("the section");
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in section.lines().skip_while(|l| !l.starts_with("| table")).skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').collect();
        let table = cells[1].trim().trim_matches('`');
        if !table.is_empty() {
            current = table.to_owned();
        }
        for name in cells[2].split(',') {
            tables.entry(current.clone()).or_default().push(name.trim().trim_matches('`').to_owned());
        }
    }
    tables
}

#[test]
fn migrations_make_the_documented_tables_as_sqlite_has_them() {
    let Some(s) = server() else { return };
    let url = s.database("documented");
    let ledger = s.ledger(&url);
    assert_eq!(ledger.schema_version().expect("version"), None);
    ledger.init().expect("init an empty database");
    assert_eq!(ledger.schema_version().expect("version"), Some(pg::SCHEMA_VERSION));
    ledger.check_version().expect("the ledger's version");

    // The same tables, the same columns in the same order, with the same NOT NULL, as the
    // SQLite migrations make; INTEGER as bigint and TEXT as text in the "C" collation.
    let sqlite = rusqlite::Connection::open_in_memory().expect("sqlite");
    for sql in keygen_core::db::sqlite::MIGRATIONS {
        sqlite.execute_batch(sql).expect("the SQLite migrations");
    }
    let mut stmt =
        sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").expect("tables");
    let tables: Vec<String> =
        stmt.query_map([], |r| r.get(0)).expect("tables").map(|r| r.expect("name")).collect();
    assert_eq!(tables.len(), 10, "{tables:?}");
    let mut ours: Vec<&str> = pg::ledger_tables().into_iter().filter(|t| *t != pg::VERSION_TABLE).collect();
    ours.sort_unstable();
    assert_eq!(ours, tables, "the tables the PostgreSQL migrations create");
    let docs = documented();
    for table in &tables {
        let mut info = sqlite.prepare(&format!("PRAGMA table_info({table})")).expect("table_info");
        let want: Vec<(String, String, bool)> = info
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get::<_, bool>(3)? || r.get::<_, i64>(5)? > 0)))
            .expect("columns")
            .map(|r| r.expect("column"))
            .collect();
        let got = described_columns(s, "documented", table);
        assert_eq!(got.len(), want.len(), "{table}: {got:?} against SQLite's {want:?}");
        for ((name, ty, collation, nullable), (sname, stype, snotnull)) in got.iter().zip(&want) {
            assert_eq!(name, sname, "{table}: column order");
            match stype.as_str() {
                "INTEGER" => assert_eq!((ty.as_str(), collation.as_str()), ("bigint", ""), "{table}.{name}"),
                "TEXT" => assert_eq!((ty.as_str(), collation.as_str()), ("text", "C"), "{table}.{name}"),
                other => panic!("{table}.{name}: SQLite type {other}"),
            }
            assert_eq!(nullable == "not null", *snotnull, "{table}.{name}: NOT NULL");
        }
        // Every documented column is there, and only ledger_head's `id` is not documented.
        let documented =
            docs.get(table).unwrap_or_else(|| panic!("docs/operations.md documents no table {table}"));
        for d in documented {
            assert!(
                got.iter().any(|c| &c.0 == d),
                "docs name {table}.{d}, psql \\d {table} does not have it"
            );
        }
        for c in &got {
            assert!(
                documented.contains(&c.0) || (table == "ledger_head" && c.0 == "id"),
                "{table}.{} is not documented in docs/operations.md",
                c.0
            );
        }
    }
    // The same indexes by name (the partial ones as partial), besides the ones PostgreSQL
    // makes for primary keys and UNIQUE columns (SQLite's sqlite_autoindex_*).
    let mut stmt = sqlite
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .expect("indexes");
    let sqlite_indexes: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("indexes")
        .map(|r| r.expect("index"))
        .collect();
    let (ok, out, err) = s.psql(
        "documented",
        "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
         AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key' ORDER BY 1;",
    );
    assert!(ok, "{err}");
    let pg_indexes: Vec<&str> = out.lines().filter(|l| l.contains(" CREATE ")).map(str::trim).collect();
    assert_eq!(pg_indexes.len(), sqlite_indexes.len(), "{pg_indexes:#?} against {sqlite_indexes:#?}");
    for ((name, sql), line) in sqlite_indexes.iter().zip(&pg_indexes) {
        assert!(line.starts_with(&format!("{name} ")), "{line} against {name}");
        assert_eq!(sql.contains("UNIQUE"), line.contains("UNIQUE"), "{name}: unique");
        assert_eq!(sql.contains(" WHERE "), line.contains(" WHERE "), "{name}: partial");
    }
    // What `\d keys` shows for the order's rule.
    let (_, d, _) = s.psql("documented", "\\d keys");
    assert!(d.contains("\"keys_one_per_order\" UNIQUE, btree (order_id) WHERE supersedes IS NULL"), "{d}");
}

const SIGNER: &str = "INSERT INTO signing_keys (key_id, public_key, position, status, added_at) \
    VALUES ('0a1b2c3d', repeat('ab', 32), 1, 'current', '2026-12-07T00:00:00Z');";

/// An INSERT of a key row with the given serial, position, order and replaced serial.
fn key_row(serial: &str, position: i64, order: &str, supersedes: Option<&str>) -> String {
    let (sup, reason) = match supersedes {
        Some(s) => (format!("'{s}'"), "'renewal'"),
        None => ("NULL".to_owned(), "NULL"),
    };
    format!(
        "INSERT INTO keys (serial, position, order_id, organization, org_search, seats, features, issued, expires, \
         key, signed_by, supersedes, reason, via, recorded_at, prev, hash) VALUES ('{serial}', {position}, '{order}', \
         'Acme', 'acme|acme', 5, 'pro', '2026-12-07', NULL, 'AST8-{serial}', '0a1b2c3d', {sup}, {reason}, 'issue', \
         '2026-12-07T00:00:00Z', repeat('0', 64), repeat('{position}', 64));"
    )
}

#[test]
fn a_second_key_for_an_order_inserted_by_hand_is_refused() {
    let Some(s) = server() else { return };
    let url = s.database("orders");
    s.ledger(&url).init().expect("init");
    let (ok, _, err) = s.psql("orders", &format!("{SIGNER}{}", key_row("00000000000000a1", 1, "SO-1", None)));
    assert!(ok, "the first key of SO-1: {err}");
    let (ok, _, err) = s.psql("orders", &key_row("00000000000000a2", 2, "SO-1", None));
    assert!(!ok, "a second key for SO-1 was accepted");
    assert!(err.contains("keys_one_per_order"), "{err}");
    // A key that replaces another keeps its order.
    let (ok, _, err) = s.psql("orders", &key_row("00000000000000a3", 2, "SO-1", Some("00000000000000a1")));
    assert!(ok, "a renewal of SO-1's key: {err}");
    let (ok, out, _) = s.psql("orders", "SELECT count(*) FROM keys WHERE order_id = 'SO-1';");
    assert!(ok && out.contains(" 2"), "{out}");
}

#[test]
fn init_refuses_a_database_holding_other_tables_or_a_ledger() {
    let Some(s) = server() else { return };
    let url = s.database("others");
    let (ok, _, err) = s.psql("others", "CREATE SCHEMA shop; CREATE TABLE shop.orders (id int);");
    assert!(ok, "{err}");
    let ledger = s.ledger(&url);
    for attempt in [ledger.init(), ledger.migrate()] {
        match attempt {
            Err(PgError::Schema(m)) => assert!(m.contains("shop.orders"), "{m}"),
            other => panic!("a database holding shop.orders was made a ledger: {other:?}"),
        }
    }
    // Nothing was made: the refusal rolled everything back.
    assert_eq!(ledger.schema_version().expect("version"), None);
    let (_, out, _) = s.psql("others", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public';");
    assert!(out.contains(" 0"), "{out}");

    // A ledger is never made over a ledger; migrate on one is a no-op; a table added
    // beside a ledger is refused too.
    let url = s.database("twice");
    let ledger = s.ledger(&url);
    ledger.init().expect("the first init");
    match ledger.init() {
        Err(PgError::Schema(m)) => assert!(m.contains("holds a keygen ledger already"), "{m}"),
        other => panic!("a second init was not refused: {other:?}"),
    }
    ledger.migrate().expect("migrate an up-to-date ledger");
    let (ok, _, err) = s.psql("twice", "CREATE TABLE public.notes (t text);");
    assert!(ok, "{err}");
    match ledger.migrate() {
        Err(PgError::Schema(m)) => assert!(m.contains("public.notes"), "{m}"),
        other => panic!("a ledger with a table beside it was migrated: {other:?}"),
    }
}

/// The next position and the last hash, read inside a write.
fn head(tx: &mut pg::WriteTx) -> (i64, String) {
    let row = tx
        .client()
        .query_one(
            "SELECT coalesce(max(position), 0), coalesce((SELECT hash FROM keys ORDER BY position DESC LIMIT 1), repeat('0', 64)) FROM keys",
            &[],
        )
        .expect("the head");
    (row.get::<_, i64>(0), row.get(1))
}

fn append(tx: &mut pg::WriteTx, serial: &str) {
    let (position, prev) = head(tx);
    let hash = keygen_core::db::sha256_hex(format!("{prev}{serial}").as_bytes());
    tx.client()
        .execute(
            "INSERT INTO keys (serial, position, organization, org_search, features, issued, key, signed_by, via, \
             recorded_at, prev, hash) VALUES ($1, $2, 'Acme', 'acme|acme', 'pro', '2026-12-07', $1, '0a1b2c3d', \
             'issue', '2026-12-07T00:00:00Z', $3, $4)",
            &[&serial, &(position + 1), &prev, &hash],
        )
        .expect("append a row");
}

#[test]
fn writers_serialize_on_the_head() {
    let Some(s) = server() else { return };
    let url = s.database("writers");
    let ledger = s.ledger(&url);
    ledger.init().expect("init");
    let (ok, _, err) = s.psql("writers", SIGNER);
    assert!(ok, "{err}");

    // A holds the writer lock; B's begin_write waits (the server shows its lock request
    // not granted) and returns only after A commits, reading the head A wrote.
    let mut a = ledger.begin_write().expect("A begins");
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut b = ledger.begin_write().expect("B begins");
            tx.send(head(&mut b)).expect("send");
            append(&mut b, "00000000000000b2");
            b.commit().expect("B commits");
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (ok, out, err) = s.psql(
                "postgres",
                "SELECT 'waiting=' || count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = 'writers';",
            );
            assert!(ok, "{err}");
            if out.contains("waiting=1") {
                break;
            }
            assert!(Instant::now() < deadline, "B never waited for A's lock: {out}");
            std::thread::yield_now();
        }
        assert!(rx.try_recv().is_err(), "B began its write while A held the lock");
        append(&mut a, "00000000000000a1");
        a.commit().expect("A commits");
        let seen = rx.recv_timeout(Duration::from_secs(120)).expect("B went on after A's commit");
        assert_eq!(seen.0, 1, "B read the head before A's write");
    });

    // Many writers at once, each reading the head and appending to it: no fork, no
    // duplicate position, each succeeds.
    let threads = 4;
    let per = 10;
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (ledger, errors) = (&ledger, &errors);
            scope.spawn(move || {
                for i in 0..per {
                    let r = ledger.begin_write().and_then(|mut w| {
                        append(&mut w, &format!("{t:08x}{i:08x}"));
                        w.commit()
                    });
                    if let Err(e) = r {
                        errors.lock().expect("lock").push(e.to_string());
                    }
                }
            });
        }
    });
    assert_eq!(errors.into_inner().expect("errors"), Vec::<String>::new());
    let mut r = ledger.begin_read().expect("read");
    let rows = r
        .client()
        .query("SELECT position, prev, hash, serial FROM keys ORDER BY position", &[])
        .expect("rows");
    assert_eq!(rows.len(), 2 + threads * per);
    let mut prev = keygen_core::db::GENESIS.to_owned();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.get::<_, i64>(0), i as i64 + 1, "positions");
        assert_eq!(row.get::<_, String>(1), prev, "row {} does not extend the one before", i + 1);
        let serial: String = row.get(3);
        assert_eq!(
            row.get::<_, String>(2),
            keygen_core::db::sha256_hex(format!("{prev}{serial}").as_bytes())
        );
        prev = row.get(2);
    }
}

#[test]
fn a_write_dropped_uncommitted_leaves_nothing_and_frees_the_lock() {
    let Some(s) = server() else { return };
    let url = s.database("rollback");
    let ledger =
        Ledger::connect(&s.target(&url), &Options { pool_size: 1, ..Options::default() }).expect("connect");
    ledger.init().expect("init");
    let (ok, _, err) = s.psql("rollback", SIGNER);
    assert!(ok, "{err}");
    {
        let mut w = ledger.begin_write().expect("begin");
        append(&mut w, "00000000000000c1");
    }
    // The pool's one connection is lent again (its transaction ended) and the lock is free.
    let mut w = ledger.begin_write().expect("the next write");
    assert_eq!(head(&mut w).0, 0, "a dropped write left its row");
    w.commit().expect("commit");
}

#[test]
fn tls_is_verified_against_the_given_root() {
    let Some(s) = server() else { return };
    let url = s.database("tls");
    let tls_url =
        format!("{}?sslmode=verify-full&sslrootcert={}", url.replace("127.0.0.1", "localhost"), s.root_cert);
    let target = s.target(&tls_url);
    assert_eq!(target.tls(), Tls::Verify);
    let mut client = target.connect().expect("connect with TLS");
    let row = client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).expect("ssl");
    assert!(row.get::<_, bool>(0), "the connection is not encrypted");
    // Another authority (the system's roots) does not know the throwaway server's.
    let other = tls_url.replace(&s.root_cert, pg::SYSTEM_ROOTS);
    if Path::new(pg::SYSTEM_ROOTS).exists() {
        let Err(e) = s.target(&other).connect() else {
            panic!("a certificate from an unknown authority was accepted")
        };
        assert!(e.to_string().contains("cannot connect"), "{e}");
    }
}

#[test]
fn the_password_never_comes_from_the_url_and_the_passfile_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    for url in [
        "postgres://keygen:hunter2@db.example/ledger",
        "postgres://keygen@db.example/ledger?password=hunter2",
    ] {
        match Target::parse_with(url, None, None) {
            Err(PgError::Config(m)) => {
                assert!(m.contains("holds a password"), "{m}");
                assert!(!m.contains("hunter2"), "the password is in the message: {m}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pgpass");
    std::fs::write(
        &file,
        "# comment\nother.example:*:*:*:nope\ndb.example:5432:ledger:desk\\:1:pa:ss\\\\word\n*:*:*:keygen:fallback\n",
    )
    .expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    match Target::parse_with("postgres://keygen@db.example/ledger", Some(file.clone().into()), None) {
        Err(PgError::Config(m)) => assert!(m.contains("may be read by others"), "{m}"),
        other => panic!("a passfile readable by others was used: {other:?}"),
    }
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let pw = |host: &str, user: &str| {
        pg::password_for(&file, host, 5432, "ledger", user).expect("read").map(|p| p.to_string())
    };
    assert_eq!(pw("db.example", "desk:1").as_deref(), Some("pa:ss\\word"));
    assert_eq!(pw("db.example", "keygen").as_deref(), Some("fallback"));
    assert_eq!(pw("db.example", "nobody"), None);
    let t =
        Target::parse_with("postgres://keygen@db.example/ledger", Some(file.into()), None).expect("parse");
    assert!(t.has_password());
    // Not loopback and no sslmode: TLS is required.
    assert_eq!(t.tls(), Tls::Verify);
    assert!(!format!("{t:?}").contains("fallback"), "Debug shows the password");
    let t = Target::parse_with("postgres://keygen@127.0.0.1/ledger", None, None).expect("parse");
    assert_eq!(t.tls(), Tls::Disable);
    assert!(matches!(
        Target::parse_with("postgres://keygen@db.example/ledger?sslmode=allow", None, None),
        Err(PgError::Config(_))
    ));
}

#[test]
fn the_throwaway_server_is_unprivileged_and_scram_only() {
    // The file's server runs as an unprivileged user when the tests run as root, in a folder
    // of that user, listening on loopback only.
    let Some(s) = server() else { return };
    let (ok, out, err) = s.psql(
        "postgres",
        "SELECT 'listen=' || current_setting('listen_addresses'), 'pw=' || current_setting('password_encryption');",
    );
    assert!(ok, "{err}");
    assert!(out.contains("listen=127.0.0.1") && out.contains("pw=scram-sha-256"), "{out}");
    let (_, hba, _) = s.psql("postgres", "SELECT DISTINCT auth_method FROM pg_hba_file_rules;");
    assert!(hba.contains("scram-sha-256") && !hba.contains("trust") && !hba.contains("peer"), "{hba}");
    let data = std::fs::metadata(Path::new(&s.dir).join("server/data"));
    if let Ok(m) = data {
        use std::os::unix::fs::MetadataExt;
        assert_ne!(m.uid(), 0, "the server's data belongs to root");
    }
}

/// The `sql` block of docs/operations.md section 11 that follows `after`.
fn doc_sql(after: &str) -> String {
    let doc = std::fs::read_to_string(repo().join("docs/operations.md")).expect("docs/operations.md");
    let section = doc.split("## 11. Several desks: PostgreSQL").nth(1).expect("section 11");
    let rest = section.split(after).nth(1).unwrap_or_else(|| panic!("section 11 has no {after:?}"));
    let block = rest.split("```sql\n").nth(1).expect("an sql block");
    block.split("```").next().expect("its end").to_owned()
}

#[test]
fn the_documented_grants_let_the_desk_add_rows_but_never_change_or_delete_keys() {
    let Some(s) = server() else { return };
    let url = s.database("grants");
    s.ledger(&url).init().expect("init");
    let grants = doc_sql("give the desk its rights");
    let setup = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keygen_desk') THEN CREATE ROLE keygen_desk; END IF; END $$;\n\
         REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO keygen_desk;\n\
         SET ROLE keygen;\n{grants}\nRESET ROLE;"
    );
    let (ok, _, err) = s.psql("grants", &setup);
    assert!(ok, "the documented grants: {err}");
    let as_desk = |sql: &str| s.psql("grants", &format!("SET ROLE keygen_desk;\n{sql}"));
    let (ok, _, err) = as_desk(&format!("{SIGNER}{}", key_row("00000000000000d1", 1, "SO-9", None)));
    assert!(ok, "the desk may add a signing key and a key: {err}");
    let head = "INSERT INTO ledger_head (id, key_count, key_hash, list_count, list_hash, signers_hash, signed_by, signature) \
                VALUES (1, 1, repeat('1', 64), 0, repeat('0', 64), repeat('0', 64), '0a1b2c3d', repeat('0', 128)) \
                ON CONFLICT (id) DO UPDATE SET key_count = excluded.key_count;";
    for _ in 0..2 {
        let (ok, _, err) = as_desk(head);
        assert!(ok, "the desk may replace the head: {err}");
    }
    for refused in [
        "UPDATE keys SET organization = 'Other' WHERE serial = '00000000000000d1';",
        "DELETE FROM keys WHERE serial = '00000000000000d1';",
        "DELETE FROM ledger_head;",
        "UPDATE signing_keys SET status = 'retired', retired_at = 'now';",
        "CREATE TABLE public.extra (t text);",
    ] {
        let (ok, _, err) = as_desk(refused);
        assert!(!ok && err.contains("permission denied"), "the desk's role may: {refused} ({err})");
    }
    let (_, out, _) = s.psql("grants", "SELECT organization FROM keys;");
    assert!(out.contains("Acme"), "{out}");
}

// ---- The storage interface over PostgreSQL (db::postgres::Postgres) ----

use keygen_core::db::head::{DeskPart, Head, Signed, SigningKey};
use keygen_core::db::keys::{Filter, Stored};
use keygen_core::db::lists::StoredList;
use keygen_core::db::people::Event;
use keygen_core::db::postgres::Postgres;
use keygen_core::db::role::Role;
use keygen_core::db::shops::Shop;
use keygen_core::db::store::{
    Backend, HeadRead, HeadWrite, KeysRead, KeysWrite, LedgerRead, LedgerWrite, NewKey, PeopleRead,
    PeopleWrite, SchemaRead, StoreErrorKind, StoreResult,
};
use keygen_core::db::tokens::Token;
use keygen_core::key_record::KeyRecord;

const KEY_ID: &str = "0a1b2c3d";
const PW: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";

impl Server {
    /// A new database made a ledger, opened through the storage interface.
    fn backend(&self, name: &str) -> Postgres {
        let url = self.database(name);
        Postgres::open_write(&self.target(&url), Duration::from_secs(120)).expect("open the ledger")
    }
}

fn hex64(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

/// A key record as `issue` or `renew` records it.
fn record(serial: &str, order: Option<&str>, organization: &str, supersedes: Option<&str>) -> KeyRecord {
    KeyRecord {
        key: format!("AST8-{serial}"),
        serial: serial.to_owned(),
        key_id: KEY_ID.to_owned(),
        product: product_key::PRODUCT_CODE.to_owned(),
        major_version: product_key::MAJOR_VERSION,
        organization: organization.to_owned(),
        seats: Some(5),
        features: vec!["pro".to_owned(), "sso".to_owned()],
        issued: "2026-12-07".to_owned(),
        expires: Some("2027-12-06".to_owned()),
        template: Some("std".to_owned()),
        order_id: order.map(str::to_owned),
        contact: Some("it@example.com".to_owned()),
        supersedes: supersedes.map(str::to_owned),
        reason: supersedes.map(|_| "renewal".to_owned()),
        via: Some(if supersedes.is_some() { "renew" } else { "issue" }.to_owned()),
        issued_at: Some("2026-12-07T10:00:00Z".to_owned()),
        actor: Some("cli:test".to_owned()),
        prev: None,
    }
}

/// Appends `r` after the chain's end, hashed as the core hashes it; the row as stored.
fn append_key(db: &dyn LedgerWrite, mut r: KeyRecord) -> StoreResult<(KeyRecord, u64, String)> {
    let chain = db.key_chain()?;
    let position = chain.count + 1;
    r.prev = Some(chain.last.clone());
    let hash = keygen_core::db::keys::row_hash(position, &chain.last, &r);
    let org_search = keygen_core::db::search::column(&r.organization);
    let features = r.features.join(",");
    db.insert_key(&NewKey {
        record: &r,
        position,
        org_search: &org_search,
        features: &features,
        prev: &chain.last,
        hash: &hash,
    })?;
    Ok((r, position, hash))
}

fn row(s: &Stored) -> (KeyRecord, u64, String) {
    (s.record.clone(), s.position, s.hash.clone())
}

const K1: &str = "00000000000000a1";
const K2: &str = "00000000000000a2";
const K3: &str = "00000000000000a3";
const K4: &str = "00000000000000a4";

/// A ledger holding every kind of row: two signing keys (one retired), four keys (one
/// renewed, one revoked, one without order, seats or last day), a list, three people, a
/// token, a shop, three events (the last not chained yet) and a head.
fn fill(db: &mut dyn Backend) -> Vec<(KeyRecord, u64, String)> {
    db.begin_write().expect("begin");
    db.add_signing_key(&SigningKey {
        key_id: "99999999".to_owned(),
        public_key: hex64('c'),
        status: "retired".to_owned(),
        added_at: "2026-01-01T00:00:00Z".to_owned(),
        retired_at: Some("2026-06-01T00:00:00Z".to_owned()),
    })
    .expect("a retired signing key");
    db.add_signing_key(&SigningKey {
        key_id: KEY_ID.to_owned(),
        public_key: hex64('a'),
        status: "current".to_owned(),
        added_at: "2026-06-01T00:00:00Z".to_owned(),
        retired_at: None,
    })
    .expect("the signing key");
    let mut rows = vec![
        append_key(db, record(K1, Some("SO-1"), "Acme GmbH", None)).expect("k1"),
        append_key(db, record(K2, Some("SO-2"), "Zeta Ltd", None)).expect("k2"),
        append_key(db, record(K3, Some("SO-1"), "Acme GmbH", Some(K1))).expect("k3"),
    ];
    let mut k4 = record(K4, None, "Émile SARL", None);
    (k4.seats, k4.expires, k4.contact, k4.template, k4.actor) = (None, None, None, None, None);
    rows.push(append_key(db, k4).expect("k4"));
    let mut list = StoredList {
        sequence: 1,
        signed_by: KEY_ID.to_owned(),
        reason: Some("compromised".to_owned()),
        published_at: "2026-12-07T11:00:00Z".to_owned(),
        text: "-----BEGIN AST8 REVOCATION LIST-----\nabc\n-----END AST8 REVOCATION LIST-----\n".to_owned(),
        prev: keygen_core::db::GENESIS.to_owned(),
        hash: String::new(),
        actor: Some("desk:bob".to_owned()),
    };
    list.hash = keygen_core::db::lists::row_hash(&list);
    db.insert_list(&list, &[K2.to_owned()]).expect("a list");
    for name in ["bob", "Alice", "Zed"] {
        db.add_person(
            name,
            if name == "bob" { Role::Admin } else { Role::Sales },
            &format!("{PW}{name}"),
            "2026-12-07T09:00:00Z",
            "cli:root",
        )
        .expect("a person");
    }
    let token = Token {
        name: "ci".to_owned(),
        role: Role::Operations,
        expires: Some("2027-01-01".to_owned()),
        added_at: "2026-12-07T09:00:00Z".to_owned(),
        added_by: "bob".to_owned(),
        last_used: None,
    };
    db.add_token(&token, &hex64('d')).expect("a token");
    db.put_shop(&Shop {
        name: "shop1".to_owned(),
        secret_hash: hex64('e'),
        products: [("p-1".to_owned(), "std".to_owned())].into(),
        added_at: "2026-12-07T09:00:00Z".to_owned(),
        added_by: "bob".to_owned(),
    })
    .expect("a shop");
    let mut prev = keygen_core::db::GENESIS.to_owned();
    for id in 1..=3u64 {
        let fields =
            [format!("2026-12-07T09:0{id}:00Z"), "bob".to_owned(), "issue".to_owned(), format!("event {id}")];
        let hash =
            keygen_core::db::people::event_hash(id, &prev, &fields[0], &fields[1], &fields[2], &fields[3]);
        prev = hash.clone();
        db.insert_event(&Event { id, fields, hash: (id < 3).then_some(hash) }).expect("an event");
    }
    db.store_head(&head_of(4, &rows[3].2)).expect("the head");
    db.commit().expect("commit");
    rows
}

fn head_of(keys: u64, last: &str) -> Signed {
    Signed {
        head: Head {
            key_count: keys,
            key_hash: last.to_owned(),
            list_count: 1,
            list_hash: hex64('1'),
            signers_hash: hex64('2'),
            desk: Some(DeskPart { people_hash: hex64('3'), journal_id: 3, journal_hash: hex64('4') }),
        },
        by: KEY_ID.to_owned(),
        signature: "5".repeat(128),
    }
}

/// Runs `test` on a new ledger in each backend: SQLite always, PostgreSQL where the tests
/// have a server (the postgres lane). The storage interface's own tests run this way, so
/// that a verb that answers otherwise in one backend fails here.
fn on_both(name: &str, test: impl Fn(&mut dyn Backend)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sqlite =
        keygen_core::db::sqlite::Sqlite::create(&dir.path().join("ledger.sqlite")).expect("a SQLite ledger");
    println!("in SQLite");
    test(&mut sqlite);
    if let Some(s) = server() {
        println!("in PostgreSQL");
        test(&mut s.backend(name));
    }
}

#[test]
fn every_verb_answers_what_was_written() {
    on_both("verbs", |db| every_verb(db));
}

fn every_verb(db: &mut dyn Backend) {
    let rows = fill(db);
    let serials = |v: Vec<Stored>| v.into_iter().map(|s| s.record.serial).collect::<Vec<_>>();

    // Keys.
    let chain = db.key_chain().expect("chain");
    assert_eq!((chain.count, chain.last.as_str()), (4, rows[3].2.as_str()));
    assert_eq!(row(&db.key_by_serial(K1).expect("k1").expect("held")), rows[0]);
    assert_eq!(row(&db.key_by_serial(K4).expect("k4").expect("held")), rows[3], "NULLs read back as None");
    assert!(db.key_by_serial("ffffffffffffffff").expect("read").is_none());
    assert_eq!(row(&db.key_at(2).expect("at 2").expect("held")), rows[1]);
    assert!(db.key_at(5).expect("at 5").is_none());
    assert_eq!(db.keys_after(1, 2).expect("page").iter().map(row).collect::<Vec<_>>(), rows[1..3].to_vec());
    assert!(db.order_exists("SO-1").expect("SO-1") && !db.order_exists("SO-9").expect("SO-9"));
    assert_eq!(db.first_of_order("SO-1").expect("first").as_deref(), Some(K1));
    let next = db.successor(K1).expect("successor").expect("k1 was renewed");
    assert_eq!((next.serial.as_str(), next.reason.as_deref()), (K3, Some("renewal")));
    assert!(db.successor(K3).expect("successor").is_none());
    let revoked = db.revocation(K2).expect("revocation").expect("k2 was revoked");
    assert_eq!(
        (revoked.sequence, revoked.reason.as_deref(), revoked.actor.as_deref()),
        (1, Some("compromised"), Some("desk:bob"))
    );
    assert!(db.revocation(K1).expect("revocation").is_none());
    assert_eq!(serials(db.keys_matching(&Filter::default()).expect("all")), [K1, K2, K3, K4]);
    assert_eq!(
        serials(db.keys_matching(&Filter { order_id: Some("SO-1"), ..Filter::default() }).expect("SO-1")),
        [K1, K3]
    );
    assert_eq!(
        serials(db.keys_matching(&Filter { serial: Some(K2), ..Filter::default() }).expect("k2")),
        [K2]
    );
    let (form, folded) = keygen_core::db::search::needles("emile");
    assert_eq!(
        serials(
            db.keys_matching(&Filter { organization: Some((&form, &folded)), ..Filter::default() })
                .expect("org")
        ),
        [K4]
    );
    assert_eq!(serials(db.current_expiring("2027-01-01", "2027-12-31").expect("expiring")), [K3]);
    assert_eq!(
        db.replaced_unrevoked().expect("replaced"),
        [(K1.to_owned(), K3.to_owned(), "2026-12-07".to_owned())]
    );
    let firsts = db.first_of_orders(&["SO-1", "SO-9", "SO-2", "SO-1"]).expect("firsts");
    let firsts: Vec<Option<(String, bool, bool)>> =
        firsts.into_iter().map(|f| f.map(|f| (f.stored.record.serial, f.replaced, f.revoked))).collect();
    assert_eq!(
        firsts,
        [
            Some((K1.to_owned(), true, false)),
            None,
            Some((K2.to_owned(), false, true)),
            Some((K1.to_owned(), true, false))
        ]
    );
    let found = db.keys_by_serials(&[K4, "ffffffffffffffff", K1]).expect("by serials");
    assert_eq!(
        found.iter().map(|f| f.as_ref().map(row)).collect::<Vec<_>>(),
        [Some(rows[3].clone()), None, Some(rows[0].clone())]
    );
    let mut seen = Vec::new();
    db.each_org_search(&mut |at, serial, org, search| {
        seen.push((at, serial.to_owned(), org.to_owned(), search.to_owned()));
        at < 2
    })
    .expect("org_search");
    assert_eq!(seen.len(), 2, "each_org_search goes on after false");
    assert_eq!(
        seen[0],
        (1, K1.to_owned(), "Acme GmbH".to_owned(), keygen_core::db::search::column("Acme GmbH"))
    );

    // Lists.
    let lists = db.lists().expect("lists");
    assert_eq!(lists.len(), 1);
    assert_eq!(db.list_chain().expect("chain").last, lists[0].hash);
    assert_eq!(lists[0].hash, keygen_core::db::lists::row_hash(&lists[0]), "a list reads back as hashed");
    assert_eq!(db.last_list().expect("last").map(|l| l.text), Some(lists[0].text.clone()));
    assert_eq!(db.list_hash_at(1).expect("hash"), Some(lists[0].hash.clone()));
    assert_eq!(db.list_text(1).expect("text"), Some(lists[0].text.clone()));
    assert_eq!(db.list_text(2).expect("text"), None);
    assert_eq!(db.revoked().expect("revoked"), [K2]);
    assert_eq!(db.named_by(1).expect("named"), [(K2.to_owned(), Some("compromised".to_owned()))]);
    assert_eq!(db.revocation_count().expect("count"), 1);

    // Signing keys and the head.
    let keys = db.signing_keys().expect("signing keys");
    assert_eq!(keys.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(), ["99999999", KEY_ID]);
    assert_eq!(db.stored_head().expect("head"), Some(head_of(4, &rows[3].2)));

    // People, tokens, shops: by name in byte order (a locale's order would put bob before Zed).
    let names: Vec<String> = db.people().expect("people").into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Alice", "Zed", "bob"]);
    let with: Vec<(String, String)> =
        db.people_with_hashes().expect("people").into_iter().map(|(p, h)| (p.name, h)).collect();
    assert_eq!(with[2], ("bob".to_owned(), format!("{PW}bob")));
    let (bob, hash) = db.person("bob").expect("bob").expect("there");
    assert_eq!((bob.role, hash), (Role::Admin, format!("{PW}bob")));
    assert!(db.person("Bob").expect("Bob").is_none(), "a look-up by name is exact");
    assert_eq!(db.token_named("CI").expect("CI").as_deref(), Some("ci"), "any ASCII case");
    // Only ASCII letters fold, as SQLite's lower() (the database's collation, C.UTF-8 here,
    // would fold É to é too).
    db.begin_write().expect("begin");
    db.add_token(&Token { name: "émile".to_owned(), ..db.tokens().expect("tokens")[0].clone() }, &hex64('f'))
        .expect("a token named émile");
    db.commit().expect("commit");
    assert_eq!(db.token_named("éMILE").expect("éMILE").as_deref(), Some("émile"));
    assert_eq!(db.token_named("ÉMILE").expect("ÉMILE"), None, "É is not é in SQLite");
    assert_eq!(db.token_by_hash(&hex64('d')).expect("by hash").map(|(t, _)| t.name).as_deref(), Some("ci"));
    assert_eq!(db.tokens_with_hashes().expect("tokens")[0].1, hex64('d'));
    assert_eq!(
        db.tokens().expect("tokens").iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["ci", "émile"]
    );
    db.note_token_used("ci", "2026-12-07T12:00:00Z").expect("used");
    assert_eq!(db.tokens().expect("tokens")[0].last_used.as_deref(), Some("2026-12-07T12:00:00Z"));
    let shop = db.shop("shop1").expect("shop").expect("there");
    assert_eq!(shop.products.get("p-1").map(String::as_str), Some("std"));
    assert_eq!(db.shops().expect("shops"), [shop]);
    db.note_delivery("shop1", "d-1", &hex64('6'), "2026-12-07T12:00:00Z").expect("delivered");
    db.note_delivery("shop1", "d-1", &hex64('7'), "2026-12-07T12:01:00Z").expect("a second note");
    assert_eq!(db.delivery("shop1", "d-1").expect("delivery"), Some(hex64('6')), "the first note is kept");
    assert_eq!(db.delivery("shop1", "d-2").expect("delivery"), None);

    // The journal.
    assert_eq!(db.journal_last().expect("last"), Some((3, None)));
    assert_eq!(db.events_after(1).expect("after").iter().map(|e| e.id).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(db.last_events(2).expect("last").iter().map(|e| e.id).collect::<Vec<_>>(), [3, 2]);
    assert!(matches!(db.event_hash_at(1).expect("hash"), Some(Some(_))));
    assert_eq!(db.event_hash_at(9).expect("hash"), None);
    assert!(db.journal_unchained().expect("unchained") && db.journal_chained().expect("chained"));

    // Changes.
    db.begin_write().expect("begin");
    db.set_event_hash(3, &hex64('8')).expect("chain event 3");
    assert!(db.set_password("bob", &format!("{PW}new")).expect("set"));
    assert!(!db.set_password("nobody", &format!("{PW}new")).expect("set"));
    assert!(db.remove_person("Zed").expect("remove") && !db.remove_person("Zed").expect("again"));
    assert!(db.remove_token("ci").expect("remove") && !db.remove_token("ci").expect("again"));
    assert!(db.remove_token("émile").expect("remove"));
    let mut other = db.shop("shop1").expect("shop").expect("there");
    other.secret_hash = hex64('9');
    db.put_shop(&other).expect("replace the shop");
    db.retire_signing_key(KEY_ID, "2026-12-08T00:00:00Z").expect("retire");
    db.commit().expect("commit");
    assert!(!db.journal_unchained().expect("unchained"));
    assert_eq!(db.person("bob").expect("bob").map(|(_, h)| h), Some(format!("{PW}new")));
    assert_eq!(db.shops().expect("shops"), [other]);
    assert!(db.tokens().expect("tokens").is_empty());
    assert_eq!(db.signing_keys().expect("keys")[1].retired_at.as_deref(), Some("2026-12-08T00:00:00Z"));
    assert_eq!(db.schema_difference().expect("schema"), None);
}

#[test]
fn the_schema_refuses_duplicates_as_constraints_and_a_mark_undoes() {
    on_both("constraints", |db| constraints(db));
}

fn constraints(db: &mut dyn Backend) {
    let rows = fill(db);
    db.begin_write().expect("begin");
    for (what, r) in [
        ("a serial recorded already", record(K1, Some("SO-7"), "Acme", None)),
        ("a second first key of SO-2", record("00000000000000b1", Some("SO-2"), "Zeta Ltd", None)),
        ("a key replaced twice", record("00000000000000b2", Some("SO-1"), "Acme", Some(K1))),
    ] {
        db.mark().expect("mark");
        let e = append_key(&*db, r).expect_err(what);
        assert_eq!(e.kind(), StoreErrorKind::Constraint, "{what}: {e}");
        db.undo_to_mark().expect("undo");
        db.forget_mark().expect("forget");
    }
    // A chunk holding a serial recorded already: refused whole.
    db.mark().expect("mark");
    let fresh = record("00000000000000b5", Some("SO-B5"), "Acme", None);
    let twice = record(K2, Some("SO-B6"), "Acme", None);
    let (at, last) = (rows[3].1, rows[3].2.clone());
    let hashes = [keygen_core::db::keys::row_hash(at + 1, &last, &fresh), hex64('0')];
    let chunk: Vec<NewKey<'_>> = [&fresh, &twice]
        .iter()
        .enumerate()
        .map(|(i, r)| NewKey {
            record: r,
            position: at + 1 + i as u64,
            org_search: "acme",
            features: "pro,sso",
            prev: if i == 0 { &last } else { &hashes[0] },
            hash: &hashes[i],
        })
        .collect();
    let e = db.insert_keys(&chunk).expect_err("a chunk with a duplicate serial");
    assert_eq!(e.kind(), StoreErrorKind::Constraint, "{e}");
    db.undo_to_mark().expect("undo");
    db.forget_mark().expect("forget");
    db.mark().expect("mark");
    let e = db.add_person("BOB", Role::Support, PW, "2026-12-07T09:00:00Z", "root").expect_err("BOB and bob");
    assert!(e.is_constraint(), "{e}");
    db.undo_to_mark().expect("undo");
    db.forget_mark().expect("forget");
    // The transaction goes on after each undo; and a mark undoes a row that was accepted.
    db.mark().expect("mark");
    append_key(&*db, record("00000000000000b3", Some("SO-8"), "Acme", None)).expect("a new order");
    db.undo_to_mark().expect("undo");
    db.forget_mark().expect("forget");
    append_key(&*db, record("00000000000000b4", Some("SO-9"), "Acme", None)).expect("after the undo");
    db.commit().expect("commit");
    assert!(db.key_by_serial("00000000000000b3").expect("read").is_none(), "the mark did not undo");
    assert!(db.key_by_serial("00000000000000b5").expect("read").is_none(), "a refused chunk left a row");
    assert_eq!(db.key_chain().expect("chain").count, 5);
    assert_eq!(row(&db.key_at(4).expect("read").expect("k4")), rows[3]);
}

#[test]
fn a_write_with_a_failed_statement_is_never_committed() {
    let Some(s) = server() else { return };
    let mut db = s.backend("aborted");
    fill(&mut db);
    db.begin_write().expect("begin");
    append_key(&db, record("00000000000000c1", Some("SO-5"), "Acme", None)).expect("a new order");
    append_key(&db, record(K1, Some("SO-6"), "Acme", None)).expect_err("a duplicate serial");
    // PostgreSQL answers COMMIT of an aborted transaction with a rollback, not an error.
    let e = db.commit().expect_err("a commit of a failed write");
    assert_eq!(e.kind(), StoreErrorKind::Other, "{e}");
    assert!(db.key_by_serial("00000000000000c1").expect("read").is_none());
    // The connection is usable again.
    db.begin_write().expect("begin");
    append_key(&db, record("00000000000000c2", Some("SO-5"), "Acme", None)).expect("a new order");
    db.commit().expect("commit");
    assert_eq!(db.key_chain().expect("chain").count, 5);
}

#[test]
fn two_backends_write_in_turn_on_the_advisory_lock() {
    let Some(s) = server() else { return };
    let mut a = s.backend("turns");
    fill(&mut a);
    let url = format!("postgres://keygen@127.0.0.1:{}/turns", s.port);
    let mut b = Postgres::open_write(&s.target(&url), Duration::from_secs(120)).expect("B opens");
    a.begin_write().expect("A begins");
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            b.begin_write().expect("B begins");
            // B reads the chain's end only once it has the lock: A's row is there.
            let chain = b.key_chain().expect("chain");
            tx.send(chain.count).expect("send");
            append_key(&b, record("00000000000000e2", Some("SO-E2"), "Acme", None)).expect("B appends");
            b.commit().expect("B commits");
        });
        wait_for_lock_waiter(s, "turns");
        assert!(rx.try_recv().is_err(), "B began its write while A held the lock");
        append_key(&a, record("00000000000000e1", Some("SO-E1"), "Acme", None)).expect("A appends");
        a.commit().expect("A commits");
        assert_eq!(rx.recv_timeout(Duration::from_secs(120)).expect("B went on after A's commit"), 5);
    });
    assert_eq!(a.key_chain().expect("chain").count, 6);
    assert_eq!(
        a.key_at(6).expect("read").expect("B's row").record.prev,
        a.key_at(5).expect("read").map(|s| s.hash)
    );
}

/// Waits until a session of `db` waits for an advisory lock (the server's own view).
fn wait_for_lock_waiter(s: &Server, db: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (ok, out, err) = s.psql(
            "postgres",
            &format!(
                "SELECT 'waiting=' || count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = '{db}';"
            ),
        );
        assert!(ok, "{err}");
        if out.contains("waiting=1") {
            return;
        }
        assert!(Instant::now() < deadline, "no writer waited for the lock: {out}");
        std::thread::yield_now();
    }
}

#[test]
fn a_restarted_server_is_unavailable_then_used_again() {
    if server().is_none() {
        return;
    }
    // A server of its own: a restart would cut the other tests' sessions.
    let s = start_server(false);
    let mut db = s.backend("restart");
    fill(&mut db);
    db.begin_read().expect("a read");
    let restart = |s: &Server| {
        let out = Command::new("bash")
            .arg(repo().join("scripts/pg-throwaway.sh"))
            .args(["restart", &s.dir])
            .output()
            .expect("run pg-throwaway.sh restart");
        assert!(out.status.success(), "restart: {}", String::from_utf8_lossy(&out.stderr));
    };
    restart(&s);
    // Inside the read the session is gone with its snapshot: unavailable, not retried.
    let e = db.key_chain().expect_err("a read on a connection the server ended");
    assert_eq!(e.kind(), StoreErrorKind::Unavailable, "{e}");
    db.end_read();
    // The next transaction connects again, without a new Postgres.
    db.begin_write().expect("a write after the restart");
    append_key(&db, record("00000000000000f1", Some("SO-F1"), "Acme", None)).expect("append");
    db.commit().expect("commit");
    // Outside a transaction, a verb reconnects by itself (or fails once as unavailable).
    restart(&s);
    let first = db.key_chain();
    if let Err(e) = &first {
        assert_eq!(e.kind(), StoreErrorKind::Unavailable, "{e}");
    }
    assert_eq!(db.key_chain().expect("read after the restart").count, 5);
}

/// Copies `from` (read in one snapshot) into `to` (an empty ledger), then checks that every
/// row, hash and list is the same in both.
fn round_trip(from: &dyn Backend, to: &mut dyn Backend) {
    from.begin_read().expect("read the source");
    to.begin_write().expect("write the copy");
    let counts = keygen_core::db::transfer::copy(from, to).expect("copy");
    to.commit().expect("commit the copy");
    from.end_read();
    assert_eq!(
        (counts.keys, counts.lists, counts.revocations, counts.signing_keys),
        (4, 1, 1, 2),
        "{counts:?}"
    );
    assert_eq!((counts.people, counts.tokens, counts.shops, counts.events, counts.head), (3, 1, 1, 3, true));
    same(from, to);
}

fn same(a: &dyn LedgerRead, b: &dyn LedgerRead) {
    let keys = |l: &dyn LedgerRead| l.keys_after(0, 1000).expect("keys").iter().map(row).collect::<Vec<_>>();
    assert_eq!(keys(a), keys(b));
    assert_eq!(a.key_chain().expect("chain"), b.key_chain().expect("chain"));
    let lists = |l: &dyn LedgerRead| {
        l.lists()
            .expect("lists")
            .into_iter()
            .map(|x| (x.sequence, x.text, x.prev, x.hash, x.actor, x.reason))
            .collect::<Vec<_>>()
    };
    assert_eq!(lists(a), lists(b));
    assert_eq!(a.named_by(1).expect("named"), b.named_by(1).expect("named"));
    assert_eq!(a.signing_keys().expect("signers"), b.signing_keys().expect("signers"));
    assert_eq!(a.stored_head().expect("head"), b.stored_head().expect("head"));
    let people = |l: &dyn LedgerRead| {
        l.people_with_hashes()
            .expect("people")
            .into_iter()
            .map(|(p, h)| (p.name, p.role, p.added_at, p.added_by, h))
            .collect::<Vec<_>>()
    };
    assert_eq!(people(a), people(b));
    assert_eq!(a.tokens_with_hashes().expect("tokens"), b.tokens_with_hashes().expect("tokens"));
    assert_eq!(a.shops().expect("shops"), b.shops().expect("shops"));
    let events = |l: &dyn LedgerRead| {
        l.events_after(0).expect("events").into_iter().map(|e| (e.id, e.fields, e.hash)).collect::<Vec<_>>()
    };
    assert_eq!(events(a), events(b));
}

#[test]
fn a_copy_between_postgres_ledgers_keeps_every_row_and_hash() {
    let Some(s) = server() else { return };
    let mut source = s.backend("copy_from");
    fill(&mut source);
    let url = s.database("copy_to");
    let mut copy = Postgres::create(&s.target(&url), Duration::from_secs(120)).expect("an empty ledger");
    round_trip(&source, &mut copy);
    // And back again, into a third: the same.
    let url = s.database("copy_back");
    let mut back = Postgres::create(&s.target(&url), Duration::from_secs(120)).expect("an empty ledger");
    round_trip(&copy, &mut back);
    // A copy into a ledger holding keys is refused, and leaves it as it was.
    copy.begin_write().expect("begin");
    let e = keygen_core::db::transfer::copy(&source, &copy).expect_err("a copy over keys");
    copy.rollback();
    assert!(e.to_string().contains("not empty"), "{e}");
    same(&source, &copy);
    // A revocation whose reason is not its list's cannot be recorded as it is: refused.
    let (ok, _, err) = s.psql("copy_from", "UPDATE revocations SET reason = 'other';");
    assert!(ok, "{err}");
    let url = s.database("copy_refused");
    let target = Postgres::create(&s.target(&url), Duration::from_secs(120)).expect("an empty ledger");
    let e = keygen_core::db::transfer::copy(&source, &target).expect_err("a revocation changed by hand");
    assert!(e.to_string().contains("another reason than its list 1"), "{e}");
}

#[test]
fn the_schema_description_is_what_the_migrations_make_and_a_change_is_named() {
    let Some(s) = server() else { return };
    let db = s.backend("schema");
    let described = keygen_core::db::postgres::schema::describe(&db).expect("describe");
    if let Ok(file) = std::env::var("KEYGEN_PG_WRITE_SCHEMA") {
        std::fs::write(file, &described).expect("write the description");
    }
    assert_eq!(
        described,
        keygen_core::db::postgres::schema::EXPECTED,
        "migrations/postgres/schema.txt is not what the migrations make"
    );
    assert_eq!(db.schema_difference().expect("schema"), None);
    for (change, named) in [
        ("CREATE INDEX sneaky ON keys (contact);", "sneaky"),
        ("ALTER TABLE keys DROP CONSTRAINT keys_serial_check;", "keys_serial_check"),
        (
            "CREATE FUNCTION nop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; \
             CREATE TRIGGER quiet BEFORE INSERT ON keys FOR EACH ROW EXECUTE FUNCTION nop();",
            "quiet",
        ),
        (
            "DROP INDEX keys_one_per_order; CREATE UNIQUE INDEX keys_one_per_order ON keys (order_id);",
            "keys_one_per_order",
        ),
        ("ALTER TABLE people ALTER COLUMN role DROP NOT NULL;", "role"),
    ] {
        let (ok, _, err) = s.psql("schema", &format!("BEGIN; {change} COMMIT;"));
        assert!(ok, "{change}: {err}");
        let found =
            db.schema_difference().expect("schema").unwrap_or_else(|| panic!("{change} was not found"));
        assert!(found.contains(named), "{change}: {found}");
        let (ok, _, err) =
            s.psql("schema", "DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION keygen;");
        assert!(ok, "{err}");
        keygen_core::db::postgres::Ledger::connect(
            &s.target(&format!("postgres://keygen@127.0.0.1:{}/schema", s.port)),
            &Options::default(),
        )
        .expect("connect")
        .init()
        .expect("a new ledger");
        assert_eq!(db.schema_difference().expect("schema"), None);
    }
}

#[test]
fn the_write_door_checks_the_noted_fingerprint_and_a_migration_the_whole_schema() {
    let Some(s) = server() else { return };
    let (dir, _) = postgres_vault(s, "fingerprint");
    let d = dir.path();
    let noted = |s: &Server| {
        s.psql("fingerprint", "SELECT 'noted=' || coalesce(fingerprint, 'none') FROM schema_version;").1
    };
    let ours = format!("noted={}", keygen_core::db::postgres::schema::fingerprint());
    assert!(noted(s).contains(&ours), "{}", noted(s));
    // A fingerprint not this keygen's: the write door's own check refuses the write.
    let mut db = Postgres::open_write(
        &s.target(&format!("postgres://keygen@127.0.0.1:{}/fingerprint", s.port)),
        Duration::from_secs(120),
    )
    .expect("open");
    let (ok, _, err) = s.psql("fingerprint", "UPDATE schema_version SET fingerprint = 'another keygen';");
    assert!(ok, "{err}");
    db.begin_write().expect("begin");
    let found = db.schema_difference().expect("schema").expect("a fingerprint not ours is refused");
    assert!(found.contains("another keygen"), "{found}");
    db.rollback();
    // Outside a write the whole schema is compared: it is intact.
    assert_eq!(db.schema_difference().expect("schema"), None);
    // Opened to write, such a ledger takes the long way: the whole schema compared, then
    // the fingerprint noted again.
    keygen_ok(s, d, &["issue", "--template", "standard", "--org", "Acme", "--order-id", "F-1"]);
    assert!(noted(s).contains(&ours), "{}", noted(s));
    // A schema changed by hand, its fingerprint gone: refused before anything is written.
    let (ok, _, err) = s.psql(
        "fingerprint",
        "ALTER TABLE keys DROP CONSTRAINT keys_serial_check; UPDATE schema_version SET fingerprint = NULL;",
    );
    assert!(ok, "{err}");
    let out = keygen(s, d, &["issue", "--template", "standard", "--org", "Acme", "--order-id", "F-2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("keys_serial_check"), "{err}");
    assert!(noted(s).contains("noted=none"), "{}", noted(s));
    // ledger verify compares the whole schema whatever is noted.
    let (ok, _, err) =
        s.psql("fingerprint", &format!("UPDATE schema_version SET fingerprint = '{}';", &ours[6..]));
    assert!(ok, "{err}");
    let out = keygen(s, d, &["ledger", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && text.contains("keys_serial_check"), "{text}");
}

/// Figures, not a check (timings decide nothing): `cargo test -p keygen --features postgres
/// --test postgres performance -- --ignored --nocapture`. An issue's statements (begin with
/// the lock, the chain's end, the order's look-up, the row, the journal's end, the head,
/// commit), `ledger find --order-id`'s look-up on 200k keys, and 200k rows appended by
/// `insert_keys` against raw Ed25519 signing of as many messages on every core.
#[test]
#[ignore = "figures for the report, not a check"]
fn performance() {
    use ed25519_dalek::Signer;
    use rayon::prelude::*;
    let Some(s) = server() else { return };
    let mut db = s.backend("performance");
    fill(&mut db);
    let median_p95 = |mut v: Vec<Duration>| {
        v.sort();
        (v[v.len() / 2], v[v.len() * 95 / 100])
    };
    let mut issue = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        db.begin_write().expect("begin");
        let order = format!("PERF-{i}");
        assert!(!db.order_exists(&order).expect("order"));
        append_key(&db, record(&format!("{:016x}", 0x1000 + i), Some(&order), "Acme", None)).expect("append");
        db.journal_last().expect("journal");
        let chain = db.key_chain().expect("chain");
        db.store_head(&head_of(chain.count, &chain.last)).expect("head");
        db.commit().expect("commit");
        issue.push(t.elapsed());
    }
    let (m, p) = median_p95(issue);
    println!("issue's statements: median {m:?}, p95 {p:?} (200 writes)");
    let mut schema = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        assert_eq!(db.schema_difference().expect("schema"), None);
        schema.push(t.elapsed());
    }
    let (m, p) = median_p95(schema);
    println!("schema_difference (each write's check): median {m:?}, p95 {p:?}");

    let rows = 200_000u64;
    let chain = db.key_chain().expect("chain");
    let mut prev = chain.last.clone();
    let mut records = Vec::new();
    for i in 0..rows {
        let mut r = record(&format!("{:016x}", 0x10_0000 + i), Some(&format!("BATCH-{i}")), "Acme", None);
        r.via = Some("batch".to_owned());
        r.prev = Some(prev.clone());
        let hash = keygen_core::db::keys::row_hash(chain.count + 1 + i, &prev, &r);
        prev = hash.clone();
        records.push((r, hash));
    }
    let org_search = keygen_core::db::search::column("Acme");
    let features = "pro,sso".to_owned();
    let new: Vec<NewKey<'_>> = records
        .iter()
        .enumerate()
        .map(|(i, (r, hash))| NewKey {
            record: r,
            position: chain.count + 1 + i as u64,
            org_search: &org_search,
            features: &features,
            prev: r.prev.as_deref().unwrap_or_default(),
            hash,
        })
        .collect();
    let t = Instant::now();
    db.begin_write().expect("begin");
    for chunk in new.chunks(1000) {
        db.insert_keys(chunk).expect("insert");
    }
    db.commit().expect("commit");
    let insert = t.elapsed();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let t = Instant::now();
    let signed = (0..rows)
        .into_par_iter()
        .map(|i| key.sign(&i.to_le_bytes().repeat(4)).to_bytes()[0] as u64)
        .sum::<u64>();
    let sign = t.elapsed();
    let rate = |d: Duration| rows as f64 / d.as_secs_f64();
    println!(
        "200k rows: insert_keys {insert:?} ({:.0} rows/s); raw signing on {} threads {sign:?} ({:.0}/s, checksum {signed}); \
         insertion alone {:.2} x signing's rate; signing then inserting {:.2} x",
        rate(insert),
        rayon::current_num_threads(),
        rate(sign),
        rate(insert) / rate(sign),
        sign.as_secs_f64() / (sign + insert).as_secs_f64()
    );
    let mut find = Vec::new();
    for i in 0..200 {
        let order = format!("BATCH-{}", i * 997);
        let t = Instant::now();
        let found = db.keys_matching(&Filter { order_id: Some(&order), ..Filter::default() }).expect("find");
        for k in &found {
            db.successor(&k.record.serial).expect("successor");
            db.revocation(&k.record.serial).expect("revocation");
        }
        find.push(t.elapsed());
        assert_eq!(found.len(), 1);
    }
    let (m, p) = median_p95(find);
    println!("find --order-id on {} keys: median {m:?}, p95 {p:?}", db.key_chain().expect("chain").count);
    let t = Instant::now();
    let orders: Vec<String> = (0..5000).map(|i| format!("BATCH-{}", i * 37)).collect();
    let refs: Vec<&str> = orders.iter().map(String::as_str).collect();
    assert!(db.first_of_orders(&refs).expect("firsts").iter().all(Option::is_some));
    println!("first_of_orders of 5000 orders: {:?}", t.elapsed());
    if std::env::var_os("KEYGEN_PG_EXPLAIN").is_some() {
        let list = orders.iter().map(|o| format!("'{o}'")).collect::<Vec<_>>().join(",");
        let (_, out, err) = s.psql("performance", &format!("EXPLAIN ANALYZE SELECT DISTINCT ON (o.i) k.serial, o.i, (SELECT n.serial FROM keys n WHERE n.supersedes = k.serial) IS NOT NULL, (SELECT r.sequence FROM revocations r WHERE r.serial = k.serial) IS NOT NULL FROM unnest(ARRAY[{list}]::text[]) WITH ORDINALITY AS o(order_id, i) CROSS JOIN LATERAL (SELECT * FROM keys f WHERE f.order_id = o.order_id OFFSET 0) k ORDER BY o.i, k.position;"));
        println!("{out}{err}");
    }
    let serials: Vec<String> = (0..5000u64).map(|i| format!("{:016x}", 0x10_0000 + i * 37)).collect();
    let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
    let t = Instant::now();
    assert!(db.keys_by_serials(&refs).expect("by serials").iter().all(Option::is_some));
    println!("keys_by_serials of 5000 serials: {:?}", t.elapsed());
}

#[test]
fn the_desks_role_writes_through_the_backend_with_the_documented_grants() {
    use std::os::unix::fs::PermissionsExt;
    let Some(s) = server() else { return };
    drop(s.backend("deskrole"));
    let grants = doc_sql("give the desk its rights").replace("keygen_desk", "desk_writer");
    let (ok, _, err) = s.psql(
        "deskrole",
        &format!(
            "CREATE ROLE desk_writer LOGIN PASSWORD 'desk-writer-pw';\nGRANT USAGE ON SCHEMA public TO desk_writer;\n\
             SET ROLE keygen;\n{grants}\nRESET ROLE;"
        ),
    );
    assert!(ok, "the documented grants: {err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let passfile = dir.path().join("pgpass");
    std::fs::write(&passfile, format!("127.0.0.1:{}:deskrole:desk_writer:desk-writer-pw\n", s.port))
        .expect("write");
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let url = format!("postgres://desk_writer@127.0.0.1:{}/deskrole", s.port);
    let target = Target::parse_with(&url, Some(passfile.into()), None).expect("the desk's URL");
    let mut db = Postgres::open_write(&target, Duration::from_secs(120)).expect("the desk opens the ledger");
    for i in 0..2u64 {
        db.begin_write().expect("begin");
        if i == 0 {
            db.add_signing_key(&SigningKey {
                key_id: KEY_ID.to_owned(),
                public_key: hex64('a'),
                status: "current".to_owned(),
                added_at: "2026-06-01T00:00:00Z".to_owned(),
                retired_at: None,
            })
            .expect("the first signing key");
        }
        let (_, _, hash) =
            append_key(&db, record(&format!("00000000000000d{i}"), Some(&format!("SO-D{i}")), "Acme", None))
                .expect("a key");
        db.insert_event(&Event { id: i + 1, fields: Default::default(), hash: Some(hex64('b')) })
            .expect("an event");
        // The head is replaced in place: the desk may not DELETE it.
        db.store_head(&head_of(i + 1, &hash)).expect("the head");
        db.commit().expect("commit");
    }
    db.note_delivery("shop1", "d-1", &hex64('6'), "2026-12-07T12:00:00Z").expect("a delivery");
    assert_eq!(db.stored_head().expect("head").map(|h| h.head.key_count), Some(2));
    assert_eq!(db.schema_difference().expect("schema"), None);
}

// The command line on a PostgreSQL ledger, as a vendor runs it.

/// `keygen` in `dir`, its ledger's password from the server's passfile.
fn keygen(s: &Server, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keygen"))
        .current_dir(dir)
        .args(args)
        .env("PGPASSFILE", &s.passfile)
        .env_remove("KEYGEN_LEDGER")
        .env_remove("KEYGEN_SIGNING_KEY")
        .output()
        .expect("run keygen")
}

/// [`keygen`], which must succeed; its standard output.
fn keygen_ok(s: &Server, dir: &Path, args: &[&str]) -> String {
    let out = keygen(s, dir, args);
    assert!(out.status.success(), "keygen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A new database's URL over TLS, checked against the server's own authority.
fn tls_database(s: &Server, name: &str) -> String {
    format!("{}?sslmode=verify-full&sslrootcert={}", s.database(name), s.root_cert)
        .replace("127.0.0.1", "localhost")
}

/// A vault whose ledger is the new database `name` (noted in its ledger.url), and the URL.
fn postgres_vault(s: &Server, name: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    keygen_ok(s, dir.path(), &["init", "--dir", "."]);
    std::fs::remove_file(dir.path().join("ledger.sqlite")).expect("no SQLite ledger");
    let url = s.database(name);
    keygen_ok(s, dir.path(), &["ledger", "init", "--ledger", &url]);
    (dir, url)
}

/// A vault (SQLite ledger beside its key) holding keys, a renewal and a revocation.
fn filled_vault(s: &Server, dir: &Path) {
    keygen_ok(s, dir, &["init", "--dir", "."]);
    for (order, org) in [("RT-1", "Acme GmbH"), ("RT-2", "Zürich AG"), ("RT-3", "Ōsaka KK")] {
        keygen_ok(s, dir, &["issue", "--template", "standard", "--org", org, "--order-id", order]);
    }
    keygen_ok(s, dir, &["renew", "--for-order", "RT-1", "--order-id", "RT-1R"]);
    keygen_ok(s, dir, &["revoke", "--order-id", "RT-2", "--reason", "refund", "--out", "revoked.txt"]);
}

#[test]
fn a_round_trip_sqlite_postgres_sqlite_keeps_every_hash_and_list() {
    let Some(s) = server() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    filled_vault(s, d);
    let url = tls_database(s, "round_trip_cli");
    keygen_ok(s, d, &["ledger", "init", "--ledger", &url, "--no-setting"]);
    keygen_ok(s, d, &["ledger", "import", "--from", "ledger.sqlite", "--ledger", &url]);
    keygen_ok(s, d, &["ledger", "verify", "--ledger", &url]);
    // Back: as a copy of PostgreSQL's (ledger backup) and as an import into a new file.
    keygen_ok(s, d, &["ledger", "backup", "--ledger", &url, "--out", "backup.sqlite"]);
    keygen_ok(s, d, &["ledger", "import", "--from", &url, "--ledger", "back.sqlite"]);
    let head = |ledger: &str| keygen_ok(s, d, &["ledger", "head", "--ledger", ledger]);
    let export = |ledger: &str| keygen_ok(s, d, &["ledger", "export", "--ledger", ledger]);
    let original = (head("ledger.sqlite"), export("ledger.sqlite"));
    assert!(original.0.contains(" keys 4 ") && original.0.contains(" lists 1 "), "{}", original.0);
    for copy in [url.as_str(), "backup.sqlite", "back.sqlite"] {
        // The head names the last hash of each chain (a row's covers every row before it, a
        // list's its text), so an equal head is every row hash and list byte for byte.
        assert_eq!((head(copy), export(copy)), original, "{copy}");
        keygen_ok(s, d, &["ledger", "verify", "--ledger", copy, "--checkpoint-log", "none.checkpoints"]);
    }
}

/// A desk serving the vault in `dir` on a free loopback port, answering once this returns.
struct DeskProcess {
    child: std::process::Child,
    url: String,
}

impl DeskProcess {
    fn start(s: &Server, dir: &Path) -> DeskProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_keygen"))
            .current_dir(dir)
            .args(["desk", "--listen", &format!("127.0.0.1:{port}")])
            .env("PGPASSFILE", &s.passfile)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the desk");
        // Up when it accepts a connection (each try waits on the connect, not on a clock).
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the desk on port {port} never listened");
            std::thread::yield_now();
        }
        DeskProcess { child, url: format!("http://127.0.0.1:{port}") }
    }

    /// POSTs `json` to `path` with the Bearer `token`: the HTTP status.
    fn post(&self, token: &str, path: &str, json: &str) -> u16 {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json"])
            .args([
                "-H",
                &format!("Authorization: Bearer {token}"),
                "-d",
                json,
                &format!("{}{path}", self.url),
            ])
            .output()
            .expect("run curl");
        String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0)
    }
}

impl Drop for DeskProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_desks_and_three_command_lines_issue_at_once_with_no_duplicate_and_one_chain() {
    let Some(s) = server() else { return };
    // The vault notes the ledger: no command below names it.
    let (dir, _) = postgres_vault(s, "many_writers");
    let d = dir.path();
    let token = keygen_ok(s, d, &["desk", "token", "add", "crm", "--role", "sales"]).trim().to_owned();
    let desks = [DeskProcess::start(s, d), DeskProcess::start(s, d)];
    const EACH: usize = 8;
    std::thread::scope(|scope| {
        for p in 0..3 {
            scope.spawn(move || {
                for i in 0..EACH {
                    let order = format!("CLI{p}-{i}");
                    keygen_ok(
                        s,
                        d,
                        &["issue", "--template", "standard", "--org", "Acme", "--order-id", &order],
                    );
                }
            });
        }
        for (n, desk) in desks.iter().enumerate() {
            let token = &token;
            scope.spawn(move || {
                for i in 0..EACH {
                    let json =
                        format!(r#"{{"organization":"Acme","edition":"standard","order_id":"DESK{n}-{i}"}}"#);
                    assert_eq!(desk.post(token, "/api/v1/keys", &json), 201, "desk {n}, key {i}");
                }
            });
        }
    });
    // Each once: the same orders again are answered with the keys they have, none recorded.
    assert_eq!(
        desks[0].post(
            &token,
            "/api/v1/keys",
            r#"{"organization":"Acme","edition":"standard","order_id":"DESK1-0"}"#
        ),
        200
    );
    let out = keygen(s, d, &["issue", "--template", "standard", "--org", "Acme", "--order-id", "CLI2-3"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let verified = keygen_ok(s, d, &["ledger", "verify"]);
    assert!(
        verified.contains(&format!("{} keys", 5 * EACH)) && verified.contains("chain intact"),
        "{verified}"
    );
    let found = keygen_ok(s, d, &["ledger", "find", "--org", "Acme", "--format", "csv"]);
    assert_eq!(found.lines().count(), 5 * EACH + 1, "{found}");
}

impl Server {
    /// `pg-throwaway.sh ACTION DIR` on this server (halt, restart).
    fn control(&self, action: &str) {
        let out = Command::new("bash")
            .arg(repo().join("scripts/pg-throwaway.sh"))
            .args([action, &self.dir])
            .output()
            .expect("run pg-throwaway.sh");
        assert!(out.status.success(), "{action}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn postgresql_stopped_in_the_middle_of_a_batch_leaves_all_or_nothing() {
    if server().is_none() {
        return;
    }
    // A server of its own: it is stopped under the batch.
    let s = start_server(false);
    let (dir, _) = postgres_vault(&s, "halted");
    let d = dir.path();
    keygen_ok(&s, d, &["issue", "--template", "standard", "--org", "Before", "--order-id", "B-0"]);
    let before = keygen_ok(&s, d, &["ledger", "head"]);
    let mut csv = String::from("order_id,organization,template\n");
    for i in 0..60_000 {
        csv.push_str(&format!("H-{i},Org {i},standard\n"));
    }
    std::fs::write(d.join("in.csv"), csv).expect("input");
    let batch = Command::new(env!("CARGO_BIN_EXE_keygen"))
        .current_dir(d)
        .args(["batch", "--input", "in.csv", "--output", "out.csv"])
        .env("PGPASSFILE", &s.passfile)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the batch");
    // The batch has written rows when its transaction has an id (given at its first write).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (ok, written, err) = s.psql(
            "halted",
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'halted' AND backend_xid IS NOT NULL;",
        );
        assert!(ok, "{err}");
        if written.split_whitespace().any(|w| w == "1") {
            break;
        }
        assert!(Instant::now() < deadline, "the batch never wrote");
    }
    s.control("halt");
    let out = batch.wait_with_output().expect("the batch ends");
    assert!(!out.status.success(), "the batch cannot commit without its server");
    s.control("restart");
    // Nothing of it: the head, the rows and the output as before.
    assert_eq!(keygen_ok(&s, d, &["ledger", "head"]), before);
    let verified = keygen_ok(&s, d, &["ledger", "verify"]);
    assert!(verified.contains("1 keys"), "{verified}");
    assert!(!d.join("out.csv").exists(), "no output published");
    // And the same batch afterwards, whole.
    keygen_ok(&s, d, &["batch", "--input", "in.csv", "--output", "out.csv"]);
    assert!(keygen_ok(&s, d, &["ledger", "verify"]).contains("60001 keys"));
}

#[test]
fn a_desk_whose_database_restarts_says_so_meanwhile_and_works_again_by_itself() {
    if server().is_none() {
        return;
    }
    // A server of its own: it is stopped under the desk.
    let s = start_server(false);
    let (dir, _) = postgres_vault(&s, "restarted");
    let d = dir.path();
    let token = keygen_ok(&s, d, &["desk", "token", "add", "crm", "--role", "sales"]).trim().to_owned();
    let desk = DeskProcess::start(&s, d);
    let issue = |order: &str| {
        let json = format!(r#"{{"organization":"Acme","edition":"standard","order_id":"{order}"}}"#);
        desk.post(&token, "/api/v1/keys", &json)
    };
    assert_eq!(issue("R-1"), 201);
    s.control("halt");
    assert_eq!(issue("R-2"), 503, "the database is down: the desk says so, and nothing is recorded");
    s.control("restart");
    assert_eq!(issue("R-2"), 201, "the same desk, without a restart of its own");
    assert!(keygen_ok(&s, d, &["ledger", "verify"]).contains("2 keys"));
}
