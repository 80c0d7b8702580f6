//! The PostgreSQL ledger's groundwork (issue 30, src/db/postgres.rs) against a real server:
//! one throwaway PostgreSQL (scripts/pg-throwaway.sh, with TLS) for the whole file, one
//! database per test. Skipped, saying so, when PostgreSQL's programs are not installed,
//! unless KEYGEN_TEST_PG=required (CI sets it): then their absence fails.
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
            let out = Command::new("bash")
                .arg(repo().join("scripts/pg-throwaway.sh"))
                .args(["start", "--tls", "--watch", &std::process::id().to_string()])
                .output()
                .expect("run scripts/pg-throwaway.sh");
            assert!(out.status.success(), "pg-throwaway.sh start: {}", String::from_utf8_lossy(&out.stderr));
            let settings: BTreeMap<String, String> = String::from_utf8(out.stdout)
                .expect("utf-8 settings")
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
                .collect();
            let get = |k: &str| settings.get(k).unwrap_or_else(|| panic!("the script printed no {k}")).clone();
            Some(Server {
                dir: get("PG_DIR"),
                port: get("PG_PORT"),
                admin_url: get("PG_ADMIN_URL"),
                passfile: get("PGPASSFILE"),
                bin: PathBuf::from(get("PG_BIN")),
                root_cert: get("PG_ROOT_CERT"),
            })
        })
        .as_ref()
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
    for sql in keygen_core::db::MIGRATIONS {
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
