//! Holds the library to every vector in `tests/vectors/`; each failure names its vector.

use std::path::PathBuf;

use product_key::{Check, Day, RevocationList, TrustedKeys, verify};
use serde::Deserialize;
use serde_json::Value;

#[path = "support/fields.rs"]
mod support;
use support::{fields_of, found_of};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    key: String,
    trusted_public_keys: Vec<String>,
    org: Option<String>,
    at: String,
    status: String,
    fields: Option<Value>,
    found: Value,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    revocations: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListVector {
    name: String,
    list: String,
    trusted_public_keys: Vec<String>,
    product: String,
    highest_sequence_seen: u32,
    expect: String,
    sequence: Option<u32>,
    serials: Option<Vec<String>>,
}

fn vectors() -> Vec<(PathBuf, Vector)> {
    read_all("")
}

fn read_all<T: serde::de::DeserializeOwned>(folder: &str) -> Vec<(PathBuf, T)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors").join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let v: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, v)
        })
        .collect()
}

#[test]
fn every_vector_gets_its_verdict_and_fields() {
    let all = vectors();
    assert!(all.len() >= 25, "only {} vectors", all.len());
    let mut failures = Vec::new();
    for (path, v) in &all {
        assert_eq!(
            path.file_stem().and_then(|s| s.to_str()),
            Some(v.name.as_str()),
            "file name and name differ"
        );
        let mut trusted = TrustedKeys::new();
        for hex in &v.trusted_public_keys {
            trusted.add_hex(hex).unwrap_or_else(|e| panic!("{}: trusted key: {e}", v.name));
        }
        let list = v.revocations.as_ref().map(|t| {
            RevocationList::open(t, &trusted, product_key::PRODUCT_CODE)
                .unwrap_or_else(|e| panic!("{}: list: {e}", v.name))
        });
        let at: Day = v.at.parse().unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let verdict = verify(
            &v.key,
            &trusted,
            &Check { at, organization: v.org.as_deref(), revocations: list.as_ref() },
        );
        if verdict.status().name() != v.status {
            failures.push(format!(
                "{}: expected {}, got {} ({})",
                v.name,
                v.status,
                verdict.status(),
                verdict.finding
            ));
        }
        if fields_of(&verdict) != v.fields {
            failures.push(format!(
                "{}: fields differ: expected {:?}, got {:?}",
                v.name,
                v.fields,
                fields_of(&verdict)
            ));
        }
        let error = match &verdict.finding {
            product_key::Finding::Malformed(e) => Some(e.kind()),
            _ => None,
        };
        if error != v.error.as_deref() {
            failures.push(format!("{}: error kind {error:?}, expected {:?}", v.name, v.error));
        }
        if found_of(&verdict) != v.found {
            failures.push(format!("{}: found {}, expected {}", v.name, found_of(&verdict), v.found));
        }
        if verdict.trusted != (verdict.key.is_some() && v.status != "not_genuine") {
            failures.push(format!("{}: trusted is {} for status {}", v.name, verdict.trusted, v.status));
        }
    }
    assert!(failures.is_empty(), "{} vector(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_status_is_covered() {
    let all = vectors();
    for status in product_key::Status::ALL {
        assert!(all.iter().any(|(_, v)| v.status == status.name()), "no vector for {status}");
    }
}

#[test]
fn every_revocation_list_vector_is_opened_or_refused_as_declared() {
    let all: Vec<(PathBuf, ListVector)> = read_all("revocations");
    assert!(all.len() >= 10, "only {} list vectors", all.len());
    let mut failures = Vec::new();
    for (_, v) in &all {
        let mut trusted = TrustedKeys::new();
        for hex in &v.trusted_public_keys {
            trusted.add_hex(hex).unwrap_or_else(|e| panic!("{}: trusted key: {e}", v.name));
        }
        let opened = RevocationList::open_not_older(&v.list, &trusted, &v.product, v.highest_sequence_seen);
        let got = opened.as_ref().map_or_else(|e| e.kind(), |_| "ok");
        if got != v.expect {
            failures.push(format!("{}: expected {}, got {got} ({opened:?})", v.name, v.expect));
            continue;
        }
        let sequence = opened.as_ref().ok().map(|l| l.sequence);
        let serials =
            opened.as_ref().ok().map(|l| l.serials().iter().map(|s| s.to_string()).collect::<Vec<_>>());
        if sequence != v.sequence || serials != v.serials {
            failures.push(format!("{}: sequence {sequence:?} serials {serials:?}", v.name));
        }
    }
    for kind in ["ok", "malformed", "unknown_signer", "bad_signature", "other_product", "older"] {
        assert!(all.iter().any(|(_, v)| v.expect == kind), "no list vector for {kind}");
    }
    assert!(failures.is_empty(), "{} list vector(s) failed:\n{}", failures.len(), failures.join("\n"));
}
