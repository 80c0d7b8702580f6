//! Every test vector through the real binary: status, exit code, and the JSON fields.

use crate::util::*;

#[test]
fn every_vector_gets_its_status_and_exit_code() {
    let t = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut paths: Vec<_> =
        std::fs::read_dir(vectors_dir()).expect("vectors").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        let name = v["name"].as_str().expect("name");
        let mut cmd = verifier(t.path());
        cmd.args(["check", "--json", "--at", v["at"].as_str().expect("at")]);
        for (i, k) in v["trusted_public_keys"].as_array().expect("keys").iter().enumerate() {
            let file = t.path().join(format!("{name}-{i}.hex"));
            std::fs::write(&file, k.as_str().expect("hex")).expect("write");
            cmd.arg("--public-key").arg(file);
        }
        if let Some(org) = v["org"].as_str() {
            cmd.args(["--org", org]);
        }
        if let Some(list) = v["revocations"].as_str() {
            let file = t.path().join(format!("{name}.rev"));
            std::fs::write(&file, list).expect("write");
            cmd.arg("--revocations").arg(file);
        }
        // The key goes through stdin, as support pastes it.
        let o = run_with_stdin(&mut cmd, v["key"].as_str().expect("key").as_bytes());
        let status =
            product_key::Status::from_name(v["status"].as_str().expect("status")).expect("known status");
        if o.status.code() != Some(i32::from(status.exit_code())) {
            failures.push(format!(
                "{name}: exit {:?}, expected {} ({})",
                o.status.code(),
                status.exit_code(),
                stderr(&o)
            ));
            continue;
        }
        let got: serde_json::Value = match serde_json::from_str(&stdout(&o)) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{name}: not JSON ({e}): {}", stdout(&o)));
                continue;
            }
        };
        if got["status"] != v["status"] || got["valid"] != (status == product_key::Status::Valid) {
            failures.push(format!("{name}: {got}"));
        }
        match (&v["fields"], &got["key"]) {
            (serde_json::Value::Null, serde_json::Value::Null) => {}
            (fields, key) if !fields.is_null() && !key.is_null() => {
                for (field, expected) in fields.as_object().expect("fields") {
                    if &key[field] != expected {
                        failures.push(format!("{name}: {field} is {}, expected {expected}", key[field]));
                    }
                }
                if key["trusted"] != (v["status"] != "not_genuine") {
                    failures.push(format!("{name}: trusted is {}", key["trusted"]));
                }
            }
            (fields, key) => failures.push(format!("{name}: fields {fields} but key {key}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
