//! The desk's input under attack (issue 27 items 2, 3, 6, 10–14; issue 28 items 4, 5, 7):
//! editions that name files, batches confirmed twice, uploads piling up or readable by
//! others, formula cells, invisible characters and endless texts, server paths in answers,
//! and a rotation while the desk runs. Each test performs the attack and checks the refusal
//! and that nothing was recorded.

#![allow(clippy::unwrap_used)]

mod desk_util;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use desk_util::*;
use tower::ServiceExt;

/// A multipart POST to /batch with an optional file (none: the kept upload is checked again).
async fn upload(t: &Desk, cookie: &str, fields: &[(&str, &str)], file: Option<&[u8]>) -> Answer {
    let boundary = "----deskinputboundary42";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    if let Some(file) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"orders.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let request = Request::post("/batch")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, format!("http://{HOST}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::COOKIE, format!("desk_session={cookie}"))
        .body(Body::from(body))
        .unwrap();
    let response = keygen_desk::app(t.state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn token_of(body: &str) -> String {
    body.split("name=\"upload\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

/// The upload folders (in the temporary folder) whose input holds `marker`.
fn upload_folders(marker: &str) -> Vec<PathBuf> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("keygen-desk-batch-")))
        .filter(|p| {
            std::fs::read(p.join("input.csv")).is_ok_and(|b| String::from_utf8_lossy(&b).contains(marker))
        })
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// No answer names a server path: the vault, the ledger, the temporary folder.
fn no_server_path(t: &Desk, a: &Answer) {
    let vault = t.dir.path().display().to_string();
    let tmp = std::env::temp_dir().display().to_string();
    assert!(!a.body.contains(&vault), "the vault's path is shown: {}", a.body);
    assert!(!a.body.contains(&format!("{tmp}/")), "a temporary path is shown: {}", a.body);
}

fn issue_with(csrf: &str, org: &str, edition: &str, order: &str, contact: &str) -> Vec<(String, String)> {
    let mut form = issue_form(org, csrf);
    for (k, v) in &mut form {
        match k.as_str() {
            "edition" => *v = edition.to_owned(),
            "order" => *v = order.to_owned(),
            "contact" => *v = contact.to_owned(),
            _ => {}
        }
    }
    form
}

#[tokio::test]
async fn an_edition_never_names_a_file() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let repo_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates/standard.toml");
    let attacks = [
        "/etc/shadow".to_owned(),
        "/etc/passwd".to_owned(),
        repo_file.display().to_string(),
        templates.display().to_string(),
        "/dev/zero".to_owned(),
        "../../../../../../etc/passwd".to_owned(),
        "../templates/standard".to_owned(),
        "standard.toml".to_owned(),
    ];
    for edition in &attacks {
        let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Acme", edition, "", "")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{edition}: {}", r.body);
        assert!(r.body.contains("is not an edition"), "{edition}: {}", r.body);
        for hint in
            ["key with no value", "workspace", "members", "unknown field", "No such file", "denied", "UTF-8"]
        {
            assert!(!r.body.contains(hint), "{edition} answers with a hint of the file ({hint}): {}", r.body);
        }
        no_server_path(&t, &r);
    }
    assert_eq!(t.keys(), 0);
    // The edition as listed still issues.
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Acme", "standard", "", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A batch's edition field, and a template cell, are editions too.
    let (ops, ops_csrf) = t.sign_in("olga").await.unwrap();
    let csv = b"organization,order_id\nGlobex,B-1\n";
    let r = upload(&t, &ops, &[("csrf", &ops_csrf), ("template", "/etc/passwd")], Some(csv)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("is not an edition") && !r.body.contains("root:"), "{}", r.body);
    for cell in ["/dev/zero", "/etc/shadow", "../../etc/passwd", "x.toml"] {
        let csv = format!("organization,template,order_id\nGlobex,{cell},B-2\n");
        let r = upload(&t, &ops, &[("csrf", &ops_csrf)], Some(csv.as_bytes())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{cell}: {}", r.body);
        assert!(r.body.contains("is not an edition"), "{cell}: {}", r.body);
        no_server_path(&t, &r);
    }
    assert_eq!(t.keys(), 1);
}

#[test]
fn the_command_line_reads_a_template_file_with_a_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let folder = keygen_core::template::Folder { dir: dir.path().join("none"), named: false };
    let err = keygen_core::template::load("/dev/zero", &folder).unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");
    let big = dir.path().join("big.toml");
    std::fs::write(&big, format!("name = \"{}\"\nseats = 1\nfeatures = [\"all\"]\n", "x".repeat(70_000)))
        .unwrap();
    let err = keygen_core::template::load(&big.display().to_string(), &folder).unwrap_err().to_string();
    assert!(err.contains("larger than 64 KiB"), "{err}");
    // A path still names a file on the command line.
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "name = \"G\"\nseats = 1\nfeatures = [\"all\"]\n").unwrap();
    assert_eq!(keygen_core::template::load(&good.display().to_string(), &folder).unwrap().name, "G");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_issues_once_however_often_it_is_confirmed() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("olga").await.unwrap();
    // No order ids: nothing else would stop a second run from issuing every row again.
    let csv = b"organization,template\nAcme,standard\nGlobex,standard\nInitech,trial\n";
    let r = upload(&t, &cookie, &[("csrf", &csrf), ("no_order_ids", "true")], Some(csv)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = token_of(&r.body);
    // An upload that passed is not checked again under another token (which could be
    // confirmed a second time).
    let again =
        upload(&t, &cookie, &[("csrf", &csrf), ("upload", &token), ("no_order_ids", "true")], None).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.body);
    assert!(again.body.contains("Choose the CSV export"), "{}", again.body);
    let form = [("csrf", csrf.as_str()), ("upload", token.as_str())];
    let (a, b) = tokio::join!(
        t.post("/batch/confirm", Some(&cookie), &form),
        t.post("/batch/confirm", Some(&cookie), &form)
    );
    let c = t.post("/batch/confirm", Some(&cookie), &form).await;
    for r in [&a, &b, &c] {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("3 keys issued") && r.body.contains("keys.csv"), "{}", r.body);
        no_server_path(&t, r);
    }
    assert_eq!(t.keys(), 3, "one batch, however many confirmations");
    let csv = t.get(&format!("/batch/{token}/keys.csv"), Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body.lines().count(), 4, "{}", csv.body);
}

#[tokio::test]
async fn uploads_are_capped_private_and_removed_at_sign_out() {
    // Under umask 022, as a service would run without `UMask=`: this test runs again in a
    // child process of this binary started by a shell that sets it.
    if std::env::var_os("DESK_INPUT_UMASK_022").is_none() {
        let me = std::env::current_exe().unwrap();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg("umask 022 && exec \"$0\" --exact uploads_are_capped_private_and_removed_at_sign_out --test-threads 1")
            .arg(&me)
            .env("DESK_INPUT_UMASK_022", "1")
            .status()
            .unwrap();
        assert!(status.success(), "the test under umask 022 failed (its output is above)");
        return;
    }
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("olga").await.unwrap();
    let marker = format!("marker-{}", std::process::id());
    for i in 0..6 {
        let csv = format!("organization,order_id,note\nAcme {i},{marker}-{i},x\n");
        let fields = [("csrf", csrf.as_str()), ("template", "standard"), ("ignore_columns", "note")];
        let r = upload(&t, &cookie, &fields, Some(csv.as_bytes())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert_eq!(
        t.state.uploads.count(),
        keygen_desk::batch::PER_SESSION,
        "one session keeps at most its share"
    );
    let folders = upload_folders(&marker);
    assert_eq!(
        folders.len(),
        keygen_desk::batch::PER_SESSION,
        "the dropped uploads left the disk: {folders:?}"
    );
    for f in &folders {
        assert_eq!(mode(f), 0o700, "{} under umask 022", f.display());
        assert_eq!(mode(&f.join("input.csv")), 0o600, "{} under umask 022", f.display());
    }
    // Issued: keys.csv is private too.
    let csv = format!("organization,order_id\nAcme,{marker}-issued\n");
    let r = upload(&t, &cookie, &[("csrf", &csrf), ("template", "standard")], Some(csv.as_bytes())).await;
    let token = token_of(&r.body);
    let r =
        t.post("/batch/confirm", Some(&cookie), &[("csrf", csrf.as_str()), ("upload", token.as_str())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let issued = upload_folders(&format!("{marker}-issued"));
    assert_eq!(issued.len(), 1);
    for entry in std::fs::read_dir(&issued[0]).unwrap() {
        let p = entry.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    // Signing out removes them from memory and disk.
    let r = t.post("/signout", Some(&cookie), &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(t.state.uploads.count(), 0);
    assert!(upload_folders(&marker).is_empty(), "uploads stay on disk after sign-out");
}

#[tokio::test]
async fn every_csv_the_desk_writes_neutralizes_formulas() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let (org, order, contact) =
        ("=HYPERLINK(\"http://evil.example/\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0");
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, org, "trial", order, contact)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let csv = t.get("/report.csv?days=60", Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let row = csv.body.lines().nth(1).unwrap();
    assert!(row.starts_with("\"'=HYPERLINK("), "{row}");
    assert!(row.contains(",'+cmd|"), "{row}");
    assert!(row.contains(",'@SUM("), "{row}");

    let (ops, ops_csrf) = t.sign_in("olga").await.unwrap();
    let input =
        "organization,order_id,note\n-Globex,C-1,@SUM(A1)\n\"=1+2\",C-2,\"=HYPERLINK(\"\"http://x\"\")\"\n";
    let r = upload(
        &t,
        &ops,
        &[("csrf", &ops_csrf), ("template", "standard"), ("ignore_columns", "note")],
        Some(input.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = token_of(&r.body);
    let r = t
        .post("/batch/confirm", Some(&ops), &[("csrf", ops_csrf.as_str()), ("upload", token.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let csv = t.get(&format!("/batch/{token}/keys.csv"), Some(&ops)).await;
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(lines[1].starts_with("'-Globex,C-1,'@SUM(A1),"), "{}", csv.body);
    assert!(lines[2].starts_with("'=1+2,C-2,\"'=HYPERLINK("), "{}", csv.body);
}

#[tokio::test]
async fn invisible_characters_and_endless_texts_are_refused_at_their_field() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let r = t
        .post(
            "/issue",
            Some(&cookie),
            &issue_with(&csrf, "Acme \u{202E}HbmG\u{202C} Ltd", "standard", "", ""),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"organization_problem\""), "shown at the field: {}", r.body);
    assert!(r.body.contains("U+202E (right-to-left override) at character 6"), "{}", r.body);
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Acme", "standard", "SO-1\u{200B}", "")).await;
    assert!(r.body.contains("order id: U+200B (zero width space) at character 5"), "{}", r.body);
    let r = t
        .post("/issue", Some(&cookie), &issue_with(&csrf, "Acme", "standard", &"9".repeat(100_000), ""))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("order id: 100000 characters, at most 128"),
        "{}",
        &r.body[..r.body.len().min(2000)]
    );
    assert!(!r.body.contains(&"9".repeat(129)), "the refused order is not sent back whole");
    // A contact of 7.9 MiB: refused (the body limit is 8 MiB, so it arrives and is measured).
    let big = "c".repeat(7_900 * 1024);
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Acme", "standard", "", &big)).await;
    assert!(
        r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        r.status
    );
    assert!(r.body.len() < 100_000, "the refused contact is not sent back whole: {} bytes", r.body.len());
    assert_eq!(t.keys(), 0, "nothing recorded");
    // Joiners inside a Persian word are writing, and pass.
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "می\u{200C}خواهم", "standard", "", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Renewals and amendments, and the batch cells, too.
    let serial = serial_of(&r.body).unwrap();
    let r = t
        .post(
            &format!("/key/{serial}/renew"),
            Some(&cookie),
            &[("csrf", csrf.as_str()), ("order", "R-\u{202E}1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("U+202E"), "{}", r.body);
    let r = t
        .post(
            &format!("/key/{serial}/amend"),
            Some(&cookie),
            &[("csrf", csrf.as_str()), ("org", "Acme\u{2066}")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("U+2066 (left-to-right isolate)"), "{}", r.body);
    let (ops, ops_csrf) = t.sign_in("olga").await.unwrap();
    let csv =
        "organization,order_id,contact\nAcme \u{202E}HbmG\u{202C} Ltd,D-1,x\nGlobex,D-2,sales-user\u{200B}\n";
    let r = upload(&t, &ops, &[("csrf", &ops_csrf), ("template", "standard")], Some(csv.as_bytes())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("orders.csv:2: organization: U+202E"), "{}", r.body);
    assert!(r.body.contains("orders.csv:3: contact: U+200B"), "{}", r.body);
    assert_eq!(t.keys(), 1);
}

#[test]
fn the_operations_refuse_invisible_characters_for_every_front_end() {
    let dir = tempfile::tempdir().unwrap();
    let made = keygen_core::keyfile::init(dir.path(), false, None, false).unwrap();
    let signer = keygen_core::keyfile::open(&made.signing_key, None).unwrap();
    let ledger = dir.path().join("ledger.sqlite");
    drop(keygen_core::db::Db::create(&ledger).unwrap());
    let folder = keygen_core::template::Folder { dir: dir.path().join("none"), named: false };
    let template = keygen_core::template::load("standard", &folder).unwrap();
    let day = product_key::Day::today().unwrap();
    let request = |order: &str| {
        let overrides = keygen_core::terms::Overrides { organization: "Acme", ..Default::default() };
        let terms = keygen_core::terms::build(&template, &overrides, day, &[',']).unwrap();
        keygen_core::ops::issue::Request {
            terms,
            serial: None,
            order_id: Some(order.to_owned()),
            contact: None,
            actor: "test".into(),
        }
    };
    let err = keygen_core::ops::issue::issue(&signer, &made.signing_key, &ledger, request("SO\u{202E}1"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.starts_with("order id: U+202E (right-to-left override) at character 3"), "{err}");
    let issued =
        keygen_core::ops::issue::issue(&signer, &made.signing_key, &ledger, request("SO-1")).unwrap();
    let renew = keygen_core::ops::replace::Request {
        serial: Some(issued.record.serial.clone()),
        for_order: None,
        reason: keygen_core::ops::replace::Reason::Renewal,
        order_id: Some("x".repeat(129)),
        issued: day,
        actor: "test".into(),
    };
    let err = keygen_core::ops::replace::replace(&signer, &made.signing_key, &ledger, renew, |old, _| {
        Ok(old.clone())
    })
    .err()
    .unwrap()
    .to_string();
    assert_eq!(err, "order id: 129 characters, at most 128 are kept");
}

#[tokio::test]
async fn renew_and_amend_ask_for_the_order_and_say_what_an_empty_one_records() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Acme", "trial", "SO-1", "")).await;
    let first = serial_of(&r.body).unwrap();
    // The ledger refuses the order a second time, and the answer does not say where it is.
    let again = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Acme", "trial", "SO-1", "")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("was already issued a key (the ledger)"), "{}", again.body);
    no_server_path(&t, &again);
    let page = t.get(&format!("/key/{first}"), Some(&cookie)).await;
    assert!(page.body.contains("id=\"renew_order\" name=\"order\""), "{}", page.body);
    assert!(page.body.contains("Left empty, the new key is recorded without an order."), "{}", page.body);
    assert!(page.body.contains("Left empty, the amended key keeps order SO-1."), "{}", page.body);
    let r = t
        .post(&format!("/key/{first}/renew"), Some(&cookie), &[("csrf", csrf.as_str()), ("order", "SO-2")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let second = serial_of(&r.body).unwrap();
    let order: Option<String> =
        t.db().query_row("SELECT order_id FROM keys WHERE serial = ?1", [&second], |r| r.get(0)).unwrap();
    assert_eq!(order.as_deref(), Some("SO-2"));
    let r = t
        .post(
            &format!("/key/{second}/amend"),
            Some(&cookie),
            &[("csrf", csrf.as_str()), ("seats", "9"), ("order", "SO-3")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let third = serial_of(&r.body).unwrap();
    let order: Option<String> =
        t.db().query_row("SELECT order_id FROM keys WHERE serial = ?1", [&third], |r| r.get(0)).unwrap();
    assert_eq!(order.as_deref(), Some("SO-3"));
}

#[tokio::test]
async fn the_batch_page_detects_windows_1252_speaks_its_own_words_and_keeps_the_file() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("olga").await.unwrap();
    // Excel's plain "CSV" in Germany: Windows-1252, no order column.
    let csv = b"organization;Bemerkung\nM\xfcller GmbH;f\xfcr Anna\n";
    let r = upload(&t, &cookie, &[("csrf", &csrf), ("template", "standard")], Some(csv)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("read as windows-1252"), "{}", r.body);
    assert!(
        !r.body.contains("--no-order-ids") && !r.body.contains("--column") && !r.body.contains("--ignore"),
        "{}",
        r.body
    );
    assert!(r.body.contains("&quot;no order_id column&quot;"), "{}", r.body);
    assert!(r.body.contains("&quot;Ignore columns&quot;"), "{}", r.body);
    assert!(r.body.contains("orders.csv") && r.body.contains("is kept"), "{}", r.body);
    no_server_path(&t, &r);
    // The same upload, a choice corrected, no file chosen again.
    let token = token_of(&r.body);
    let fields = [
        ("csrf", csrf.as_str()),
        ("upload", token.as_str()),
        ("template", "standard"),
        ("no_order_ids", "true"),
        ("ignore_columns", "Bemerkung"),
    ];
    let r = upload(&t, &cookie, &fields, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = token_of(&r.body);
    let r =
        t.post("/batch/confirm", Some(&cookie), &[("csrf", csrf.as_str()), ("upload", token.as_str())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let org: String = t.db().query_row("SELECT organization FROM keys", [], |r| r.get(0)).unwrap();
    assert_eq!(org, "Müller GmbH");
}

#[tokio::test]
async fn after_a_rotation_the_running_desk_signs_with_the_new_key_or_says_to_ask_the_operator() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Acme", "standard", "", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rotate = |encrypt: bool, passphrase_file: Option<PathBuf>| keygen::cli::RotateArgs {
        dir: t.key.parent().unwrap().to_owned(),
        encrypt,
        passphrase_file,
        old_passphrase_file: None,
        allow_weak_passphrase: true,
        ledger: Some(t.ledger.clone()),
        to: None,
    };
    keygen::commands::rotate::run(&rotate(false, None)).unwrap();
    let current: String = t
        .db()
        .query_row("SELECT key_id FROM signing_keys WHERE status = 'current'", [], |r| r.get(0))
        .unwrap();
    assert_ne!(current, t.state.signer.key_id().to_string());
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Globex", "standard", "", "")).await;
    assert_eq!(r.status, StatusCode::OK, "the desk reads the vault's new key: {}", r.body);
    let key = t.key_of(&serial_of(&r.body).unwrap());
    let decoded = product_key::text::decode(&key).unwrap();
    assert_eq!(decoded.payload.key_id.to_string(), current, "signed with the new key");

    // The next key is encrypted and the desk has no passphrase for it: it refuses, in words
    // a salesperson can act on.
    let pass = t.dir.path().join("pass.txt");
    std::fs::write(&pass, "a long enough passphrase for the test\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    keygen::commands::rotate::run(&keygen::cli::RotateArgs {
        old_passphrase_file: None,
        ..rotate(true, Some(pass.clone()))
    })
    .unwrap();
    let before = t.keys();
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Initech", "standard", "", "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Ask the desk&#39;s operator to restart the desk")
            || r.body.contains("Ask the desk's operator to restart the desk"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("signing-key.pem"), "{}", r.body);
    no_server_path(&t, &r);
    assert_eq!(t.keys(), before);
    // A desk started with --passphrase-file opens the new encrypted key with it.
    t.state.queue.set_passphrase_file(Some(pass));
    let r = t.post("/issue", Some(&cookie), &issue_with(&csrf, "Initech", "standard", "", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(t.keys(), before + 1);
}

#[tokio::test]
async fn the_desk_keeps_a_bounded_number_of_uploads_in_all() {
    use keygen_desk::batch::{IN_ALL, PER_SESSION};
    let t = Desk::new(false);
    let csv = b"organization,order_id\nAcme,E-1\n";
    let mut refused = None;
    for session in 0..IN_ALL.div_ceil(PER_SESSION) + 1 {
        let (cookie, csrf) = t.sign_in("olga").await.unwrap();
        for _ in 0..PER_SESSION {
            let r = upload(&t, &cookie, &[("csrf", &csrf), ("template", "standard")], Some(csv)).await;
            if r.status == StatusCode::SERVICE_UNAVAILABLE {
                refused.get_or_insert((session, r.body));
            }
        }
    }
    let (session, body) = refused.expect("more uploads than the desk keeps were refused");
    assert_eq!(session, IN_ALL / PER_SESSION, "refused only once the desk is full");
    assert!(body.contains("try again in a few minutes"), "{body}");
    assert_eq!(t.state.uploads.count(), IN_ALL);
}
