//! The repository's benchmark: `cargo run --release -p bench [-- ROWS]` (default 1,000,000);
//! `-- --library` measures the library alone; `-- --desk` the desk under load (src/desk.rs);
//! `-- --batch [ROWS]` keygen batch alone (fresh ledger, a full one, `--skip-issued`) against
//! raw signing and the Python peer (peer.py), with CPU time per row and, from a run of its own,
//! the CPU of each stage (`KEYGEN_BATCH_PROFILE`); `-- --token [ROWS]` keygen batch with the key
//! in a SoftHSM token beside a key file (src/token.rs).
//!
//! It builds the release binaries, measures raw Ed25519 signing and strict verification on
//! this machine (one core and all cores), generates a CSV export, and times `keygen batch`
//! (ledger on), `verifier batch` on its output, and `verifier check` from process start to
//! exit. Each figure is printed with its ratio to the raw rate of the same run, since shared
//! machines are noisy.

mod desk;
mod postgres;
mod token;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, Signer, SigningKey};
use nix::sys::resource::{UsageWho, getrusage};
use rayon::prelude::*;

/// The flag under which the bench runs one command and reports its peak memory: a fresh
/// process, so that no earlier child (cargo) counts.
const MEASURE: &str = "--measure-child";

/// The release `keygen`, built first (as `cargo build --release -p keygen`), where
/// CARGO_TARGET_DIR, else the workspace's target folder, holds it.
fn release_keygen() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let built = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["build", "--release", "--quiet", "--locked", "-p", "keygen"])
        .status()
        .expect("cargo build");
    assert!(built.success(), "building the release keygen failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    target.join("release/keygen")
}

/// The machine's cores and load average, and the rows measured, as the first line.
fn print_machine(rows: usize) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine: {} cores, load average {}; {rows} rows",
        rayon::current_num_threads(),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
}

/// A pass/fail mark for a target.
fn mark(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(MEASURE) {
        let status = Command::new(&args[2]).args(&args[3..]).status().expect("run the measured command");
        let usage = getrusage(UsageWho::RUSAGE_CHILDREN);
        let peak = usage.map(|u| u.max_rss()).unwrap_or(-1);
        let cpu = usage.map_or(0.0, |u| {
            let s = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
            s(u.user_time()) + s(u.system_time())
        });
        println!("{peak} {cpu}");
        std::process::exit(status.code().unwrap_or(1));
    }
    // `--desk`: the desk's load run alone (a release keygen desk, 50 sessions on loopback).
    if args.get(1).map(String::as_str) == Some("--desk") {
        let keygen = release_keygen();
        desk::run(keygen.parent().expect("the release folder"));
        return;
    }
    // `--postgres [ROWS]`: the ledger in PostgreSQL (issue, find, batch).
    if args.get(1).map(String::as_str) == Some("--postgres") {
        postgres::run(args.get(2).map_or(200_000, |a| a.parse().expect("ROWS is a number")));
        return;
    }
    // `--token [ROWS]`: keygen batch with the key in a SoftHSM token beside a key file.
    if args.get(1).map(String::as_str) == Some("--token") {
        token::run(args.get(2).map_or(100_000, |a| a.parse().expect("ROWS is a number")));
        return;
    }
    if args.get(1).map(String::as_str) == Some(token::MEASURE_TOKEN) {
        token::measure(&args[2..]);
        return;
    }
    // `--batch [ROWS]`: keygen batch alone, against raw signing and the Python peer.
    if args.get(1).map(String::as_str) == Some("--batch") {
        let rows = args.get(2).map_or(1_000_000, |a| a.parse().expect("ROWS is a number"));
        batch_only(rows);
        return;
    }
    // `--library` measures the library alone (raw rates, reading, verification): seconds.
    let library_only = args.get(1).map(String::as_str) == Some("--library");
    if args.get(1).map(String::as_str) == Some("--allocators") {
        let rows = args.get(2).map_or(200_000, |a| a.parse().expect("ROWS is a number"));
        compare_allocators(rows);
        return;
    }
    let rows: usize = if library_only {
        0
    } else {
        std::env::args().nth(1).map(|a| a.parse().expect("ROWS is a number")).unwrap_or(1_000_000)
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let built = if library_only {
        true
    } else {
        Command::new(env!("CARGO"))
            .current_dir(&root)
            .args(["build", "--release", "--quiet", "--locked", "-p", "keygen", "-p", "verifier"])
            .status()
            .expect("cargo build")
            .success()
    };
    assert!(built, "building the release binaries failed");
    let release = root.join("target/release");
    let cores = rayon::current_num_threads();

    println!("machine: {cores} cores; {rows} rows");
    let raw = RawRates::measure();
    println!(
        "raw ed25519-dalek: sign {:.0}/s on 1 core, {:.0}/s on {cores}; verify_strict {:.0}/s on 1 core, {:.0}/s on {cores}",
        raw.sign_one, raw.sign_all, raw.verify_one, raw.verify_all
    );

    let exact = exact_rate();
    println!(
        "exact verification through a trusted key's table (product-key/src/exact.rs): {:.0}/s on 1 core = {:.2} x raw \
         verify_strict [{} target 1.3 x]; building a table: {:.0} us and about {:.0} KB per trusted key",
        exact.rate,
        exact.rate / raw.verify_one,
        mark(exact.rate / raw.verify_one >= 1.3),
        exact.build.as_secs_f64() * 1e6,
        exact.kb_per_key
    );

    let (per_key, text_len) = library_verify();
    println!(
        "library decode+verify of a typical key ({text_len} characters): {:.1} us per key on 1 core; {:.2} x one raw verify_strict",
        per_key.as_secs_f64() * 1e6,
        per_key.as_secs_f64() * raw.verify_one
    );

    let (whole, clean, pasted) = library_read();
    let extra = clean.as_secs_f64() - whole.as_secs_f64();
    println!(
        "decoding a clean key: {:.2} us reading it out of the text (revision 2), {:.2} us reading the text whole \
         (revision 1); the reading costs {:+.1} % of one library verification [{} target at most 3 %]; {:.2} us \
         for the key inside an e-mail",
        clean.as_secs_f64() * 1e6,
        whole.as_secs_f64() * 1e6,
        100.0 * extra / per_key.as_secs_f64(),
        mark(extra / per_key.as_secs_f64() <= 0.03),
        pasted.as_secs_f64() * 1e6,
    );

    for (what, time) in long_texts() {
        println!(
            "judging 1 MiB of key symbols {what}, checksum broken (reading, verdict, typo search): {:.1} ms \
             median of 5 [{} target 50 ms]",
            time.as_secs_f64() * 1e3,
            mark(time.as_secs_f64() <= 0.050)
        );
    }

    if library_only {
        return;
    }
    let scratch = tempfile::tempdir().expect("scratch folder");
    let dir = scratch.path();
    run(&release.join("keygen"), dir, &["init", "--dir", "."]);
    let input = dir.join("orders.csv");
    write_orders(&input, rows);

    // The editions are built into keygen: no templates folder is needed.
    let keygen_batch = |extra: &[&str]| {
        let args = [
            &[
                "batch",
                "--quiet",
                "--ignore-column",
                "region",
                "--input",
                "orders.csv",
                "--output",
                "keys.csv",
            ][..],
            extra,
        ]
        .concat();
        timed(&release.join("keygen"), dir, &args)
    };
    let peer = python_peer(dir);
    let (elapsed, peak_kb) = keygen_batch(&[]);
    let rate = rows as f64 / elapsed.as_secs_f64();
    println!(
        "keygen batch into the SQLite ledger: {rate:.0} rows/s ({:.2} s), peak memory {:.0} MB; {:.2} x raw signing \
         on {cores} cores [{} target 0.60 x], {:.2} x on 1 core; memory [{} target 200 MB]{}",
        elapsed.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        rate / raw.sign_all,
        mark(rate / raw.sign_all >= 0.60),
        rate / raw.sign_one,
        mark(peak_kb <= 200 * 1024),
        peer.map_or(String::new(), |p| format!(
            "; {:.2} x the Python peer [{} target 4 x]",
            rate / p,
            mark(rate / p >= 4.0)
        ))
    );

    let issue_ms = issue_times(&release.join("keygen"), dir, "ledger.sqlite");
    let small = dir.join("small");
    std::fs::create_dir(&small).expect("mkdir");
    write_orders(&small.join("orders.csv"), 10_000);
    run(
        &release.join("keygen"),
        dir,
        &[
            "batch",
            "--quiet",
            "--ignore-column",
            "region",
            "--input",
            "small/orders.csv",
            "--output",
            "small/keys.csv",
            "--ledger",
            "small/ledger.sqlite",
        ],
    );
    let small_ms = issue_times(&release.join("keygen"), dir, "small/ledger.sqlite");
    println!(
        "keygen issue from start to exit (one durable commit), median of 10: {:.1} ms with a {rows}-key ledger \
         [{} target 20 ms], {:.1} ms with 10,000 keys (first runs: {:.0} ms and {:.0} ms)",
        issue_ms.1,
        mark(issue_ms.1 <= 20.0),
        small_ms.1,
        issue_ms.0,
        small_ms.0
    );

    let serial = {
        let text = std::fs::read_to_string(dir.join("keys.csv")).expect("keys.csv");
        text.lines().nth(1).and_then(|l| l.rsplit(',').nth(3)).expect("serial column").to_owned()
    };
    let find = |args: &[&str]| {
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let out =
                    Command::new(release.join("keygen")).current_dir(dir).args(args).output().expect("find");
                assert!(out.status.success(), "ledger find {args:?}");
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[2]
    };
    let by_serial = find(&["ledger", "find", "--serial", &serial]);
    let middle = format!("PO-{:08}", rows / 2);
    let by_order = find(&["ledger", "find", "--order-id", &middle]);
    // A part of one name (a scan of the search index, not of the rows).
    let by_org = find(&["ledger", "find", "--org", &format!("customer {} analytics", rows / 3)]);
    println!(
        "keygen ledger find on the {rows}-key ledger, median of 5: {by_serial:.1} ms by serial, {by_order:.1} ms by \
         order id [{} target 20 ms], {by_org:.1} ms by a part of the organization [{} target 200 ms]",
        mark(by_serial.max(by_order) <= 20.0),
        mark(by_org <= 200.0)
    );
    let report = find(&["ledger", "report", "--expiring-within", "400", "--format", "csv"]);
    println!(
        "keygen ledger report on the {rows}-key ledger, median of 5: {report:.0} ms [{} target 2000 ms]",
        mark(report <= 2000.0)
    );
    let (elapsed, peak_kb) = timed(&release.join("keygen"), dir, &["ledger", "verify"]);
    let rate = rows as f64 / elapsed.as_secs_f64();
    println!(
        "keygen ledger verify: {rate:.0} keys/s ({:.2} s), peak memory {:.0} MB; {:.2} x raw verify_strict on {cores} \
         cores [{} target 0.80 x]",
        elapsed.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        rate / raw.verify_all,
        mark(rate / raw.verify_all >= 0.80)
    );

    let (elapsed, peak_kb) = keygen_batch(&["--skip-issued", "--force"]);
    println!(
        "keygen batch --skip-issued over the same, fully issued file: {:.2} s, peak memory {:.0} MB [{} target 200 MB]",
        elapsed.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        mark(peak_kb <= 200 * 1024)
    );

    let (elapsed, _) = timed(
        &release.join("verifier"),
        dir,
        &["batch", "--input", "keys.csv", "--public-key", "public-key.pem", "--output", "report.csv"],
    );
    let rate = rows as f64 / elapsed.as_secs_f64();
    println!(
        "verifier batch: {rate:.0} keys/s ({:.2} s); {:.2} x raw verify_strict on {cores} cores [{} target 1.2 x]. \
         Exact verdicts: no batch verification, which accepts some signatures verify_strict refuses (README)",
        elapsed.as_secs_f64(),
        rate / raw.verify_all,
        mark(rate / raw.verify_all >= 1.2)
    );

    let key = first_key(&dir.join("keys.csv"));
    let mut times: Vec<Duration> = (0..25)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(release.join("verifier"))
                .current_dir(dir)
                .args(["check", &key, "--public-key", "public-key.pem"])
                .stdout(Stdio::null())
                .status()
                .expect("verifier check");
            assert_eq!(status.code(), Some(0), "the benchmark key must be valid");
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "verifier check: {:.2} ms median from start to exit over 25 runs; {:.1} x one raw verify_strict [{} target 10 ms]",
        median.as_secs_f64() * 1e3,
        median.as_secs_f64() * raw.verify_one,
        mark(median.as_secs_f64() <= 0.010)
    );
}

/// The spec's worked example.
const KEY: &str = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";

/// Time of reading and decoding (no signature check): a clean key, and the same key inside
/// an e-mail (label, quoting, a signature after an empty line).
fn library_read() -> (Duration, Duration, Duration) {
    let email = format!("Hallo,\n\n> Lizenzschlüssel: {KEY}.\n\nMit freundlichen Grüßen\nHans");
    let n = 50_000u32;
    let time = |decode: fn(&str) -> Result<product_key::DecodedKey, product_key::DecodeError>, text: &str| {
        let start = Instant::now();
        for _ in 0..n {
            assert!(std::hint::black_box(decode(std::hint::black_box(text))).is_ok());
        }
        start.elapsed() / n
    };
    let whole = time(product_key::raw::decode_whole_text, KEY);
    (whole, time(product_key::text::decode, KEY), time(product_key::text::decode, &email))
}

/// Time of `product_key::verify` (text to verdict) for the spec's worked example.
fn library_verify() -> (Duration, usize) {
    use product_key::{Check, Day, Status, TrustedKeys, verify};
    let mut trusted = TrustedKeys::new();
    trusted
        .add_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        .expect("RFC 8032 key");
    let check =
        Check { at: Day::from_days(20_819), organization: Some("ACME  analytics gmbh"), revocations: None };
    let n = 5_000u32;
    let start = Instant::now();
    for _ in 0..n {
        assert_eq!(std::hint::black_box(verify(KEY, &trusted, &check)).status(), Status::Valid);
    }
    (start.elapsed() / n, KEY.len())
}

/// Time of judging a 1 MiB text of key symbols whose checksum fails, as every host judges a
/// text: `verify`, then the typo search for a checksum failure (what the report's headline
/// asks for). Behind another product's prefix the whole text is read; behind `AST8-` the
/// reading stops at 2,048 characters and the typo search runs (issue 18).
fn long_texts() -> Vec<(&'static str, Duration)> {
    use product_key::{Check, Day, DecodeError, Finding, TrustedKeys, text, verify};
    let trusted = TrustedKeys::new();
    let check = Check::on(Day::from_days(20_819));
    let symbols = |prefix: &str| {
        let alphabet = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut state = 0x2545_f491_u32;
        let mut text: String = prefix.to_owned();
        // A length a blob can have, ending with a symbol with no padding bits.
        let n = (0..=(1 << 20) - prefix.len()).rev().find(|n| (5 * n) % 8 == 0).expect("a length");
        for _ in 1..n {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            text.push(char::from(alphabet[(state % 32) as usize]));
        }
        text.push('0');
        text
    };
    [("without a prefix", "XYZ9-"), ("behind AST8-", "AST8-")]
        .into_iter()
        .map(|(what, prefix)| {
            let text = symbols(prefix);
            let mut times: Vec<Duration> = (0..5)
                .map(|_| {
                    let start = Instant::now();
                    let verdict = verify(std::hint::black_box(&text), &trusted, &check);
                    assert_eq!(verdict.finding, Finding::Malformed(DecodeError::Checksum), "{what}");
                    std::hint::black_box(text::locate_typo(&text));
                    start.elapsed()
                })
                .collect();
            times.sort();
            (what, times[times.len() / 2])
        })
        .collect()
}

struct Exact {
    rate: f64,
    build: Duration,
    kb_per_key: f64,
}

/// `TrustedKeys::check_signature` (the library's verification of a signature) on one core,
/// over the same kind of messages as the raw rates; and what a table costs.
fn exact_rate() -> Exact {
    use product_key::TrustedKeys;
    let key = SigningKey::from_bytes(&[9; 32]);
    let mut trusted = TrustedKeys::new();
    let id = trusted.add(&key.verifying_key().to_bytes()).expect("key");
    let n = 20_000;
    let messages: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("license-key-v1 payload of a typical size, number {i:08}").into_bytes())
        .collect();
    let sigs: Vec<[u8; 64]> = messages.iter().map(|m| key.sign(m).to_bytes()).collect();
    let start = Instant::now();
    let ok = messages.iter().zip(&sigs).filter(|(m, s)| trusted.check_signature(id, m, s).is_ok()).count();
    let rate = n as f64 / start.elapsed().as_secs_f64();
    assert_eq!(ok, n, "every signature verifies");
    // Tables for many distinct keys: time, and resident memory grown per key.
    let keys: Vec<[u8; 32]> = (0..2_000u32)
        .map(|i| {
            SigningKey::from_bytes(&[
                (i % 251) as u8,
                (i / 251) as u8,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                9,
                10,
                11,
                12,
                13,
                14,
                15,
                16,
                17,
                18,
                19,
                20,
                21,
                22,
                23,
                24,
                25,
                26,
                27,
                28,
                29,
                30,
            ])
            .verifying_key()
            .to_bytes()
        })
        .collect();
    let before = resident_kb();
    let start = Instant::now();
    let mut many = TrustedKeys::new();
    for k in &keys {
        many.add(k).expect("key");
    }
    let build = start.elapsed() / keys.len() as u32;
    let kb_per_key = (resident_kb() - before) as f64 / keys.len() as f64;
    std::hint::black_box(&many);
    Exact { rate, build, kb_per_key }
}

/// This process's resident memory (KB), from /proc.
fn resident_kb() -> i64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<i64>().ok()))
        .map_or(0, |pages| pages * 4)
}

struct RawRates {
    sign_one: f64,
    sign_all: f64,
    verify_one: f64,
    verify_all: f64,
}

impl RawRates {
    fn measure() -> RawRates {
        let key = SigningKey::from_bytes(&[9; 32]);
        let vk = key.verifying_key();
        let n = 20_000;
        let messages: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("license-key-v1 payload of a typical size, number {i:08}").into_bytes())
            .collect();
        // Each closure returns a value that depends on every result, so none is skipped.
        let rate = |f: &dyn Fn() -> usize| {
            let start = Instant::now();
            std::hint::black_box(f());
            n as f64 / start.elapsed().as_secs_f64()
        };
        let sign_one = rate(&|| messages.iter().map(|m| usize::from(key.sign(m).to_bytes()[0])).sum());
        let sign_all = rate(&|| messages.par_iter().map(|m| usize::from(key.sign(m).to_bytes()[0])).sum());
        let sigs: Vec<Signature> = messages.iter().map(|m| key.sign(m)).collect();
        let verify_one =
            rate(&|| messages.iter().zip(&sigs).filter(|(m, s)| vk.verify_strict(m, s).is_ok()).count());
        let verify_all =
            rate(&|| messages.par_iter().zip(&sigs).filter(|(m, s)| vk.verify_strict(m, s).is_ok()).count());
        RawRates { sign_one, sign_all, verify_one, verify_all }
    }
}

/// `keygen batch` of `rows` rows into a fresh ledger, then into one holding `rows` keys, then
/// `--skip-issued` over the first file again; the Python peer on the same input; each as a
/// ratio to raw signing measured in the same run, with CPU time per row (what a loaded
/// machine does not change much) and peak memory.
fn batch_only(rows: usize) {
    let keygen = release_keygen();
    let cores = rayon::current_num_threads();
    print_machine(rows);
    let raw = RawRates::measure();
    println!(
        "raw ed25519-dalek signing: {:.0}/s on 1 core, {:.0}/s on {cores} cores",
        raw.sign_one, raw.sign_all
    );
    let scratch = tempfile::tempdir().expect("scratch folder");
    let dir = scratch.path();
    run(&keygen, dir, &["init", "--dir", "."]);
    write_orders(&dir.join("orders.csv"), rows);
    write_orders_from(&dir.join("more.csv"), rows, rows);
    let peer = python_peer(dir);
    let batch = |input: &str, extra: &[&str]| {
        let args = [
            &[
                "batch",
                "--quiet",
                "--ignore-column",
                "region",
                "--input",
                input,
                "--output",
                "keys.csv",
                "--force",
            ][..],
            extra,
        ]
        .concat();
        timed_cpu(&keygen, dir, &args)
    };
    let show = |what: &str, (elapsed, peak_kb, cpu): (Duration, i64, f64)| {
        let rate = rows as f64 / elapsed.as_secs_f64();
        println!(
            "{what}: {rate:.0} rows/s ({:.2} s; CPU {:.1} us/row), peak {:.0} MB; {:.2} x raw signing on {cores} cores [{} target 0.60 x]{}; memory [{} target 200 MB]",
            elapsed.as_secs_f64(),
            cpu * 1e6 / rows as f64,
            peak_kb as f64 / 1024.0,
            rate / raw.sign_all,
            mark(rate / raw.sign_all >= 0.60),
            peer.map_or(String::new(), |p| format!(
                ", {:.2} x the Python peer [{} target 4 x]",
                rate / p,
                mark(rate / p >= 4.0)
            )),
            mark(peak_kb <= 200 * 1024)
        );
        elapsed
    };
    let fresh = show("keygen batch into a fresh ledger", batch("orders.csv", &[]));
    show(&format!("keygen batch into a ledger holding {rows} keys"), batch("more.csv", &[]));
    let (elapsed, peak_kb, cpu) = batch("orders.csv", &["--skip-issued"]);
    println!(
        "keygen batch --skip-issued over the first file again: {:.2} s (CPU {:.1} us/row), peak {:.0} MB; {:.1} x faster than issuing it [{} target 5 x]",
        elapsed.as_secs_f64(),
        cpu * 1e6 / rows as f64,
        peak_kb as f64 / 1024.0,
        fresh.as_secs_f64() / elapsed.as_secs_f64(),
        mark(fresh.as_secs_f64() / elapsed.as_secs_f64() >= 5.0)
    );
    // Where the CPU goes: the first file again into a fresh ledger, each stage's thread CPU
    // time counted by keygen itself (a run of its own: the counting costs a little).
    let again = dir.join("profiled");
    std::fs::create_dir(&again).expect("profiled vault");
    run(&keygen, &again, &["init", "--dir", "."]);
    let out = Command::new(&keygen)
        .current_dir(&again)
        .env("KEYGEN_BATCH_PROFILE", "1")
        .args([
            "batch",
            "--quiet",
            "--ignore-column",
            "region",
            "--input",
            "../orders.csv",
            "--output",
            "keys.csv",
        ])
        .output()
        .expect("run keygen batch");
    assert!(out.status.success(), "profiled batch: {}", String::from_utf8_lossy(&out.stderr));
    print!("{}", String::from_utf8_lossy(&out.stderr));
}

/// The Python peer (bench/peer.py) on `orders.csv`: rows/s, or None (said why) when python3
/// or its `cryptography` package is missing.
fn python_peer(dir: &Path) -> Option<f64> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peer.py");
    let rows =
        std::fs::read_to_string(dir.join("orders.csv")).map_or(0, |t| t.lines().count().saturating_sub(1));
    let start = Instant::now();
    let out = Command::new("python3")
        .current_dir(dir)
        .arg(&script)
        .args(["orders.csv", "peer-keys.csv", "peer-ledger.sqlite"])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let rate = rows as f64 / start.elapsed().as_secs_f64();
            println!("Python peer (bench/peer.py: cryptography's Ed25519, sqlite3, csv): {rate:.0} rows/s");
            Some(rate)
        }
        Ok(o) => {
            println!(
                "Python peer skipped: {}",
                String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")
            );
            None
        }
        Err(e) => {
            println!("Python peer skipped: cannot run python3: {e}");
            None
        }
    }
}

/// As [`timed`], with the command's CPU time (user + system, seconds).
fn timed_cpu(program: &Path, dir: &Path, args: &[&str]) -> (Duration, i64, f64) {
    let start = Instant::now();
    let out = Command::new(std::env::current_exe().expect("bench executable"))
        .current_dir(dir)
        .arg(MEASURE)
        .arg(program)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("run");
    let elapsed = start.elapsed();
    assert!(out.status.success(), "{} {args:?} failed", program.display());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    let peak = fields.next().and_then(|p| p.parse().ok()).unwrap_or(-1);
    let cpu = fields.next().and_then(|c| c.parse().ok()).unwrap_or(0.0);
    (elapsed, peak, cpu)
}

fn run(program: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(program).current_dir(dir).args(args).output().expect("run");
    assert!(out.status.success(), "{} {args:?}: {}", program.display(), String::from_utf8_lossy(&out.stderr));
}

/// Runs to completion under a measuring copy of this program; returns the wall time and
/// the command's peak resident memory (KB).
fn timed(program: &Path, dir: &Path, args: &[&str]) -> (Duration, i64) {
    let start = Instant::now();
    let out = Command::new(std::env::current_exe().expect("bench executable"))
        .current_dir(dir)
        .arg(MEASURE)
        .arg(program)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("run");
    let elapsed = start.elapsed();
    assert!(out.status.success(), "{} {args:?} failed", program.display());
    let peak = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(-1);
    (elapsed, peak)
}

/// `keygen issue` on `ledger`: the first run, then the median of 10 more, in ms.
fn issue_times(keygen: &Path, dir: &Path, ledger: &str) -> (f64, f64) {
    let mut once = |i: usize| {
        let start = Instant::now();
        let org = format!("Bench Issue {i}");
        run(keygen, dir, &["issue", "--template", "trial", "--org", &org, "--ledger", ledger]);
        start.elapsed().as_secs_f64() * 1e3
    };
    let first = once(0);
    let mut times: Vec<f64> = (1..=10).map(&mut once).collect();
    times.sort_by(f64::total_cmp);
    (first, times[5])
}

fn write_orders(path: &Path, rows: usize) {
    write_orders_from(path, rows, 0);
}

/// `rows` orders numbered from `first`.
fn write_orders_from(path: &Path, rows: usize, first: usize) {
    use std::io::Write;
    let editions = ["trial", "standard", "professional", "enterprise"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create input"));
    writeln!(out, "organization,template,seats,order_id,contact,region").expect("write");
    for i in first..first + rows {
        writeln!(
            out,
            "Customer {i} Analytics GmbH,{},{},PO-{i:08},buyer{i}@example.com,EU",
            editions[i % 4],
            i % 200 + 1
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

fn first_key(report: &Path) -> String {
    let text = std::fs::read_to_string(report).expect("keys.csv");
    let line = text.lines().nth(1).expect("a row");
    line.rsplit(',').next().expect("key column").to_owned()
}

/// keygen batch and verifier batch built with mimalloc (the default) and with the system
/// allocator (`--no-default-features`), on the same input, in the same run.
fn compare_allocators(rows: usize) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut bins = Vec::new();
    for (name, extra) in [("mimalloc", None), ("system", Some("--no-default-features"))] {
        let target = root.join("target").join(format!("bench-{name}"));
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(&root)
            .args([
                "build",
                "--release",
                "--quiet",
                "--locked",
                "-p",
                "keygen",
                "-p",
                "verifier",
                "--target-dir",
            ])
            .arg(&target);
        if let Some(flag) = extra {
            cmd.arg(flag);
        }
        assert!(cmd.status().expect("cargo build").success(), "building with the {name} allocator failed");
        bins.push((name, target.join("release")));
    }
    let scratch = tempfile::tempdir().expect("scratch folder");
    let dir = scratch.path();
    run(&bins[0].1.join("keygen"), dir, &["init", "--dir", "."]);
    write_orders(&dir.join("orders.csv"), rows);
    println!("allocators: {rows} rows; each figure the best of 3 runs");
    for (name, bin) in &bins {
        let mut keygen = Duration::MAX;
        let mut verifier = Duration::MAX;
        for i in 0..3 {
            let ledger = format!("ledger-{name}-{i}.sqlite");
            let args = [
                "batch",
                "--quiet",
                "--ignore-column",
                "region",
                "--force",
                "--ledger",
                &ledger,
                "--input",
                "orders.csv",
                "--output",
                "keys.csv",
            ];
            keygen = keygen.min(timed(&bin.join("keygen"), dir, &args).0);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("{ledger}{suffix}")));
            }
            let args =
                ["batch", "--input", "keys.csv", "--public-key", "public-key.pem", "--output", "r.csv"];
            verifier = verifier.min(timed(&bin.join("verifier"), dir, &args).0);
        }
        println!(
            "{name:>8}: keygen batch {:.0} rows/s, verifier batch {:.0} keys/s",
            rows as f64 / keygen.as_secs_f64(),
            rows as f64 / verifier.as_secs_f64()
        );
    }
}
