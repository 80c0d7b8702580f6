//! Every test vector through the real binary: status, exit code, and the JSON fields.

use crate::util::*;

#[test]
fn every_vector_gets_its_status_and_exit_code() {
    let t = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut paths: Vec<_> =
        std::fs::read_dir(vectors_dir()).expect("vectors").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let vectors = paths.iter().filter(|p| p.extension().is_some_and(|e| e == "json"));
    for path in vectors {
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
        let found = got["found"].as_object().map(|f| serde_json::json!({"from": f["from"], "to": f["to"]}));
        if found.unwrap_or(serde_json::Value::Null) != v["found"] {
            failures.push(format!("{name}: found {}, expected {}", got["found"], v["found"]));
        }
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
        // The clean key: present exactly when a key was decoded, in its canonical text (what
        // reading it again gives back), the key of the text given.
        let decoded = product_key::text::decode(v["key"].as_str().expect("key")).ok();
        match (got["key"].is_null(), got["key_text"].as_str()) {
            (true, None) if got["key_text"].is_null() => {}
            (false, Some(clean)) => {
                let again = product_key::text::decode(clean).map(|k| k.to_text());
                if again.as_deref() != Ok(clean)
                    || decoded.as_ref().map(|k| k.to_text()).as_deref() != Some(clean)
                {
                    failures
                        .push(format!("{name}: key_text {clean:?} is not the key read, in canonical text"));
                }
            }
            _ => failures.push(format!("{name}: key {} but key_text {}", got["key"], got["key_text"])),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_json_gives_the_clean_key_not_the_quoted_span() {
    let t = tempfile::tempdir().expect("tempdir");
    let path = vectors_dir().join("paste_email_quoting_over_lines.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let keys = t.path().join("trusted.hex");
    std::fs::write(&keys, v["trusted_public_keys"][0].as_str().expect("hex")).expect("write");
    let mut cmd = verifier(t.path());
    cmd.args(["check", "--json", "--at", "2027-01-01", "--public-key"]).arg(&keys);
    let o = run_with_stdin(&mut cmd, v["key"].as_str().expect("key").as_bytes());
    let got: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let span = got["found"]["text"].as_str().expect("found text");
    assert!(span.contains("\n> "), "the span read holds the quote markers: {span:?}");
    let clean = got["key_text"].as_str().expect("key_text");
    assert!(clean.starts_with("AST8-04GZW-CEZ0D-"), "{clean}");
    assert!(clean.ends_with("-DPNWW-SA"), "{clean}");
    assert!(!clean.contains(['>', '\n', '\r', ' ']), "{clean:?}");
    assert_eq!(
        clean.chars().filter(|c| *c != '-').count(),
        span.chars().filter(|c| c.is_ascii_alphanumeric()).count()
    );
}

/// The vectors checked on 2027-01-01 against TEST 1 alone, through `verifier batch`: each
/// row's verdict is the vector's (pasted e-mails, other versions, organizations included).
#[test]
fn batch_reads_key_cells_as_check_does() {
    let t = tempfile::tempdir().expect("tempdir");
    let mut paths: Vec<_> =
        std::fs::read_dir(vectors_dir()).expect("vectors").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let test1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let mut rows = Vec::new();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        if v["at"] == "2027-01-01"
            && v["trusted_public_keys"] == serde_json::json!([test1])
            && v["revocations"].is_null()
        {
            rows.push(v);
        }
    }
    assert!(rows.len() > 80, "{} vectors", rows.len());
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["name", "key", "organization"]).expect("header");
    for v in &rows {
        let org = v["org"].as_str().unwrap_or("");
        out.write_record([v["name"].as_str().expect("name"), v["key"].as_str().expect("key"), org])
            .expect("row");
    }
    std::fs::write(t.path().join("keys.csv"), out.into_inner().expect("csv")).expect("write");
    std::fs::write(t.path().join("test1.hex"), test1).expect("write");
    let o = verifier(t.path())
        .args(["batch", "--input", "keys.csv", "--at", "2027-01-01", "--json", "--public-key", "test1.hex"])
        .output()
        .expect("run");
    assert_exit(&o, 1);
    let lines: Vec<serde_json::Value> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), rows.len());
    let mut failures = Vec::new();
    for (v, got) in rows.iter().zip(&lines) {
        // An empty organization cell means no check; vectors with an empty entered org
        // expect org_mismatch, which only `check --org ""` gives.
        if v["org"] == "" {
            continue;
        }
        if got["status"] != v["status"] {
            failures.push(format!("{}: batch says {}, the vector {}", v["name"], got["status"], v["status"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn support_sees_where_the_key_was_read_and_what_differs() {
    let t = tempfile::tempdir().expect("tempdir");
    let vector = |name: &str| -> serde_json::Value {
        let path = vectors_dir().join(format!("{name}.json"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
    };
    std::fs::write(
        t.path().join("test1.hex"),
        vector("worked_example")["trusted_public_keys"][0].as_str().expect("hex"),
    )
    .expect("write");
    let check = |text: &str, org: Option<&str>| {
        let mut cmd = verifier(t.path());
        cmd.args(["check", "--at", "2027-01-01", "--public-key", "test1.hex"]);
        if let Some(org) = org {
            cmd.args(["--org", org]);
        }
        run_with_stdin(&mut cmd, text.as_bytes())
    };
    let pasted = vector("paste_label_before");
    let o = check(pasted["key"].as_str().expect("key"), Some("ACME analytics, gmbh"));
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("read the key from characters 18 to 252 of the text"), "{}", stdout(&o));
    // A clean key needs no such line.
    let o = check(vector("worked_example")["key"].as_str().expect("key"), None);
    assert!(!stdout(&o).contains("read the key"), "{}", stdout(&o));
    // A typo inside an e-mail is pointed at, in the text's own positions.
    let o = check(vector("paste_typo_inside_an_email")["key"].as_str().expect("key"), None);
    assert_exit(&o, 3);
    assert!(stdout(&o).contains("character 127 is probably 'C', not 'G'"), "{}", stdout(&o));
    // A version 7 key is no typo.
    let o = check("AST7-2F4K-9QW3-LM7P-X2D8-KK4N", None);
    assert_exit(&o, 5);
    assert!(
        stdout(&o).starts_with("NOT VALID: this key is for version 7; version 8 needs a new key"),
        "{}",
        stdout(&o)
    );
    // What differs, in the words people typed; never "case and spacing do not matter".
    let o = check(vector("org_turkish_other_name")["key"].as_str().expect("key"), Some("Yilmaz Bilisim AS"));
    assert_exit(&o, 6);
    assert!(stdout(&o).contains("the key says 'Yıldız', you entered 'Yilmaz'"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("case and spacing"), "{}", stdout(&o));
    // Invisible characters are named, not escaped.
    let o = check(&format!("AST8-\u{200b}*{}", "0".repeat(10)), None);
    assert!(!stdout(&o).contains("\\u{"), "{}", stdout(&o));
    // --json has the key as found.
    let mut cmd = verifier(t.path());
    cmd.args(["check", "--json", "--at", "2027-01-01", "--public-key", "test1.hex"]);
    let o = run_with_stdin(&mut cmd, pasted["key"].as_str().expect("key").as_bytes());
    let got: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(got["found"]["from"], 18);
    assert!(got["found"]["text"].as_str().is_some_and(|t| t.starts_with("AST8-04GZW")), "{got}");
}
