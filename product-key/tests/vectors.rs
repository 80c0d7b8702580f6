//! Holds the library to every vector in `tests/vectors/`; each failure names its vector.

use std::path::PathBuf;

use product_key::{Check, Day, RevocationList, TrustedKeys, verify};
use serde::Deserialize;
use serde_json::Value;

#[path = "support/fields.rs"]
mod support;
use support::fields_of;

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
    #[serde(default)]
    revocations: Option<String>,
}

fn vectors() -> Vec<(PathBuf, Vector)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
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
            let v: Vector = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
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
