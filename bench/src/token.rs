//! `-- --token [ROWS]` (default 100,000): keygen batch with the signing key in a SoftHSM token
//! (issue 31) beside the same batch with a key file, in the same run, with where the time goes.
//!
//! The token's signatures are made inside the keygen process (SoftHSM is a library the module
//! loader maps in), so keygen's CPU time holds them. keygen also checks every signature the
//! token returns with a strict Ed25519 verification before using it (product_key's
//! ExternalSigner): the raw rates of both are printed, so that the token batch's time per row
//! can be read as file batch + token signing + one verification.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{RawRates, timed_cpu, write_orders};

const URI: &str = "pkcs11:token=vendor;object=signing";

pub fn run(rows: usize) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let keygen = super::release_keygen();
    let script = root.join("scripts/softhsm-token.sh");
    let install = Command::new(&script).arg("install").status().expect("softhsm-token.sh");
    assert!(install.success(), "softhsm2 and opensc are needed (scripts/softhsm-token.sh install)");

    let scratch = tempfile::tempdir().expect("scratch folder");
    let dir = scratch.path();
    let made = Command::new(&script).arg(dir.join("token")).arg("vendor").output().expect("make the token");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let module = String::from_utf8(Command::new(&script).arg("module").output().expect("module").stdout)
        .expect("path")
        .trim()
        .to_owned();
    // SoftHSM reads SOFTHSM2_CONF from its process's environment: the measuring half runs as
    // a child of its own with the token's environment, which keygen inherits.
    let status = Command::new(std::env::current_exe().expect("bench executable"))
        .args([MEASURE_TOKEN, &rows.to_string()])
        .arg(dir)
        .arg(&keygen)
        .env("SOFTHSM2_CONF", dir.join("token/softhsm2.conf"))
        .env("KEYGEN_PKCS11_MODULE", module)
        .env("KEYGEN_PKCS11_PIN_FILE", dir.join("token/pin"))
        .status()
        .expect("run the measuring half");
    assert!(status.success(), "the token bench failed");
}

/// The flag of the measuring half (run with the token's environment).
pub const MEASURE_TOKEN: &str = "--token-measure";

/// The measuring half: `args` are ROWS, the scratch folder (with the token) and keygen.
pub fn measure(args: &[String]) {
    let rows: usize = args[0].parse().expect("ROWS is a number");
    let dir = Path::new(&args[1]);
    let keygen = PathBuf::from(&args[2]);
    let cores = rayon::current_num_threads();
    super::print_machine(rows);
    let raw = RawRates::measure();
    println!(
        "raw ed25519-dalek: signing {:.0}/s, strict verification {:.0}/s on {cores} cores",
        raw.sign_all, raw.verify_all
    );
    for (vault, init) in
        [("file", &["init", "--dir", "file"][..]), ("hsm", &["init", "--pkcs11", URI, "--dir", "hsm"][..])]
    {
        let out = Command::new(&keygen).current_dir(dir).args(init).output().expect("init");
        assert!(out.status.success(), "init {vault}: {}", String::from_utf8_lossy(&out.stderr));
        write_orders(&dir.join(vault).join("orders.csv"), rows);
    }
    let batch = |vault: &str, key: &str| {
        let args = [
            "batch",
            "--quiet",
            "--key",
            key,
            "--ignore-column",
            "region",
            "--input",
            "orders.csv",
            "--output",
            "keys.csv",
        ];
        timed_cpu(&keygen, &dir.join(vault), &args)
    };
    let show = |what: &str, (elapsed, peak_kb, cpu): (std::time::Duration, i64, f64)| {
        let rate = rows as f64 / elapsed.as_secs_f64();
        println!(
            "{what}: {rate:.0} keys/s ({:.2} s; CPU {:.1} us/row, peak {:.0} MB)",
            elapsed.as_secs_f64(),
            cpu * 1e6 / rows as f64,
            peak_kb as f64 / 1024.0
        );
        (rate, cpu * 1e6 / rows as f64)
    };
    let (file_rate, file_cpu) = show("keygen batch, key file", batch("file", "signing-key.pem"));
    let (token_rate, token_cpu) = show("keygen batch, key in SoftHSM", batch("hsm", URI));
    let verify_us = 1e6 / (raw.verify_all / cores as f64);
    let sign_us = 1e6 / (raw.sign_all / cores as f64);
    let extra = token_cpu - file_cpu;
    println!(
        "token / file: {:.2} x the rate; the token adds {extra:.1} us of CPU a row: one strict verification \
         ({verify_us:.1} us with dalek) plus SoftHSM's signature in place of dalek's ({sign_us:.1} us): \
         SoftHSM's C_Sign with its session and object locking costs about {:.1} us",
        token_rate / file_rate,
        extra - verify_us + sign_us
    );
}
