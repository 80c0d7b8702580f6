//! keygen batch finds a chunk's orders, and reads a part's reused keys, with one statement
//! each (issue 29): the rows, their places in the chain and the keys a rerun takes from the
//! ledger are what one statement a row gave, an amended order's last key included.

#![allow(clippy::unwrap_used)]

#[path = "cli/util.rs"]
#[allow(dead_code)]
mod util;

use std::path::Path;

use util::*;

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let o = run(keygen(dir).args(args).arg("--json"));
    assert_exit(&o, 0);
    serde_json::from_str(stdout(&o).trim()).unwrap()
}

/// The serial of each data line of a batch's output.
fn serials(out: &str) -> Vec<String> {
    let text = std::fs::read_to_string(out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == "serial").unwrap();
    lines.map(|l| l.split(',').nth(at).unwrap().to_owned()).collect()
}

#[test]
fn a_rerun_finds_each_orders_current_key_a_chunk_at_a_time_amended_and_revoked_ones_too() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    init(d);
    let mut input = String::from("organization,order_id,seats\n");
    for i in 0..100 {
        input.push_str(&format!("Customer {i},SO-{i},\n"));
    }
    std::fs::write(d.join("in.csv"), &input).unwrap();
    let args = ["--input", "in.csv", "--output", "out.csv", "--template", "trial"];
    assert_exit(&batch(d, &args), 0);
    let rows = ledger_rows(d);
    assert_eq!(rows.len(), 100);
    let first = serials(&d.join("out.csv").display().to_string());
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["position"], serde_json::json!(i + 1));
        assert_eq!(r["order_id"], format!("SO-{i}"));
        assert_eq!(r["serial"], first[i].as_str(), "line {} of the output is row {}", i + 1, i + 1);
    }
    assert_exit(&run(keygen(d).args(["ledger", "verify"])), 0);

    // SO-7's key amended twice (its first key replaced, then the replacement): a rerun takes
    // the last one; SO-9's key revoked: a rerun refuses it.
    json(d, &["amend", "--for-order", "SO-7", "--seats", "5"]);
    let last = json(d, &["amend", "--for-order", "SO-7", "--seats", "6"]);
    let rerun = input.replace("Customer 7,SO-7,\n", "Customer 7,SO-7,6\n");
    std::fs::write(d.join("in.csv"), &rerun).unwrap();
    let o = batch(d, &[&args[..], &["--force", "--skip-issued"]].concat());
    assert_exit(&o, 0);
    let again = serials(&d.join("out.csv").display().to_string());
    assert_eq!(again[7], last["serial"].as_str().unwrap());
    assert_eq!(again[..7], first[..7]);
    assert_eq!(again[8..], first[8..]);
    assert_eq!(ledger_keys(d), 102, "nothing new was issued");

    assert_exit(&run(keygen(d).args(["revoke", "--serial", &first[9], "--out", "rev.txt"])), 0);
    let o = batch(d, &[&args[..], &["--force", "--skip-issued"]].concat());
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("in.csv:11: order_id: the key of 'SO-9'"), "{}", stderr(&o));
    assert!(stderr(&o).contains("was revoked"), "{}", stderr(&o));
}
