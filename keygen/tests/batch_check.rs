//! The desk's batch Check reads the ledger in a read transaction: a writer holding the
//! ledger's write lock (a command-line issue, another batch) does not make it wait, and it
//! does not make them wait (issue 26, item 7).

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::sync::mpsc::channel;
use std::time::Duration;

use clap::Parser;

#[test]
fn the_check_of_a_batch_takes_no_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let o =
        Command::new(env!("CARGO_BIN_EXE_keygen")).arg("init").arg("--dir").arg(dir.path()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let input = dir.path().join("orders.csv");
    std::fs::write(&input, "organization,template,order_id\nAcme GmbH,standard,SO-1\n").unwrap();
    // Another writer holds the write lock for as long as this test runs.
    let writer = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();

    let cli = keygen::cli::Cli::try_parse_from([
        "keygen".as_ref(),
        "batch".as_ref(),
        "--key".as_ref(),
        dir.path().join("signing-key.pem").as_os_str(),
        "--input".as_ref(),
        input.as_os_str(),
        "--output".as_ref(),
        dir.path().join("keys.csv").as_os_str(),
    ] as [&std::ffi::OsStr; 8])
    .unwrap();
    let keygen::cli::Command::Batch(args) = cli.command else { panic!("not a batch") };
    let (done, checked) = channel();
    std::thread::spawn(move || {
        let _ = done.send(
            keygen_core::batch::check_only(&keygen::commands::batch::request(&args))
                .map_err(|e| e.to_string()),
        );
    });
    // A check that asked for the write lock would wait for it (up to an hour): the bound
    // here only turns that hang into a failure.
    let rows =
        checked.recv_timeout(Duration::from_secs(120)).expect("the check waited for the writer's lock");
    assert_eq!(rows, Ok(1));
    writer.execute_batch("ROLLBACK").unwrap();
}
