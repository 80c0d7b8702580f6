//! `cargo run --release -p bench -- --postgres [ROWS]`: the ledger in PostgreSQL (issue 30), on
//! a throwaway local server (scripts/pg-throwaway.sh): `keygen issue` and `ledger find
//! --order-id` start to exit (targets 20 ms), and `keygen batch` of ROWS rows (default 200,000)
//! as a ratio to raw 2-core signing measured in the same run (target 0.4 x); then two desks on
//! one new database, 25 sessions each issuing 20 keys (p95 target 50 ms; every key recorded
//! once, `ledger verify` intact, the rows counted).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Runs the measurements and prints them.
pub fn run(rows: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let keygen = super::release_keygen();
    let out = Command::new("bash")
        .arg(root.join("scripts/pg-throwaway.sh"))
        .args(["start", "--watch", &std::process::id().to_string()])
        .output()
        .expect("run pg-throwaway.sh");
    assert!(out.status.success(), "pg-throwaway.sh: {}", String::from_utf8_lossy(&out.stderr));
    let settings = String::from_utf8_lossy(&out.stdout).into_owned();
    let get = |name: &str| {
        settings
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(|v| v.trim_matches('\'').to_owned())
            .unwrap_or_default()
    };
    let passfile = get("PGPASSFILE");
    let url = get("PG_URL");
    super::print_machine(rows);
    println!("PostgreSQL at {url}");
    let raw = super::RawRates::measure();
    println!(
        "raw ed25519-dalek signing: {:.0}/s on 1 core, {:.0}/s on all cores",
        raw.sign_one, raw.sign_all
    );
    let scratch = tempfile::tempdir().expect("scratch folder");
    let dir = scratch.path();
    let keygen_at = |args: &[&str]| {
        let out = Command::new(&keygen)
            .current_dir(dir)
            .args(args)
            .env("PGPASSFILE", &passfile)
            .output()
            .expect("run");
        assert!(out.status.success(), "keygen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    keygen_at(&["init", "--dir", "."]);
    std::fs::remove_file(dir.join("ledger.sqlite")).expect("no SQLite ledger");
    keygen_at(&["ledger", "init", "--ledger", &url]);
    super::write_orders(&dir.join("orders.csv"), rows);
    let start = Instant::now();
    keygen_at(&[
        "batch",
        "--quiet",
        "--ignore-column",
        "region",
        "--input",
        "orders.csv",
        "--output",
        "keys.csv",
    ]);
    let rate = rows as f64 / start.elapsed().as_secs_f64();
    println!(
        "keygen batch into PostgreSQL, {rows} rows: {rate:.0} rows/s = {:.2} x raw signing on all cores [{} target 0.40 x]",
        rate / raw.sign_all,
        super::mark(rate / raw.sign_all >= 0.40)
    );
    let times = |args: &dyn Fn(usize) -> Vec<String>| {
        let mut t: Vec<f64> = (0..21)
            .map(|i| {
                let a = args(i);
                let a: Vec<&str> = a.iter().map(String::as_str).collect();
                let start = Instant::now();
                keygen_at(&a);
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        t.sort_by(f64::total_cmp);
        (t[10], t[19])
    };
    let (median, p95) = times(&|i| {
        ["issue", "--template", "trial", "--org", &format!("Bench {i}"), "--order-id", &format!("PG-{i}")]
            .map(str::to_owned)
            .to_vec()
    });
    println!(
        "keygen issue on a PostgreSQL ledger of {rows} keys, start to exit: median {median:.1} ms, p95 {p95:.1} ms [{} target 20 ms]",
        super::mark(median <= 20.0)
    );
    let (median, p95) = times(&|i| {
        ["ledger", "find", "--order-id", &format!("PO-{:08}", i * 7919 % rows.max(1))]
            .map(str::to_owned)
            .to_vec()
    });
    println!(
        "keygen ledger find --order-id on it, start to exit: median {median:.1} ms, p95 {p95:.1} ms [{} target 20 ms]",
        super::mark(median <= 20.0)
    );

    // Two desks on one database, a new one.
    let psql = |url: &str, sql: &str| {
        let out = Command::new(Path::new(&get("PG_BIN")).join("psql"))
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
            .env("PGPASSFILE", &passfile)
            .output()
            .expect("run psql");
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    psql(&get("PG_ADMIN_URL"), "CREATE DATABASE desks OWNER keygen TEMPLATE template0 ENCODING 'UTF8'");
    let desks_url = format!("{}/desks", url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base));
    let vault = tempfile::tempdir().expect("the desks' vault");
    let v = vault.path();
    let env = [("PGPASSFILE", passfile.as_str())];
    for args in [&["init", "--dir", "."][..], &["ledger", "init", "--ledger", &desks_url][..]] {
        let out = Command::new(&keygen).current_dir(v).args(args).envs(env).output().expect("run");
        assert!(out.status.success(), "keygen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let _ = std::fs::remove_file(v.join("ledger.sqlite"));
    }
    let keys = super::desk::load(keygen.parent().expect("the release folder"), v, 2, 25, &env);
    let counted = psql(
        &desks_url,
        "SELECT count(*) || ' ' || count(DISTINCT serial) || ' ' || count(DISTINCT order_id) FROM keys",
    );
    println!(
        "  rows in the desks' database: keys, distinct serials, distinct orders: {counted} (issued {keys})"
    );
    assert_eq!(counted, format!("{keys} {keys} {keys}"), "every key recorded once");
}
