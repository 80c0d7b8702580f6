//! The desk over HTTP, in-process (tower's `oneshot` on the app): every security rule of
//! issue 22 item 4 and every role, each shown to refuse what it must and to record nothing.

#![allow(clippy::unwrap_used)]

mod desk_util;

use axum::http::StatusCode;
use desk_util::*;

#[tokio::test]
async fn session_cookie_is_random_httponly_strict_and_made_at_sign_in() {
    let t = Desk::new(false);
    let r = t.get("/signin", None).await;
    // Viewing the sign-in page stores nothing (issue 27 item 4): its token is signed.
    assert_eq!(cookie_of(&r), None, "{}", r.header("set-cookie"));
    let csrf = csrf_of(&r.body).unwrap();
    let r =
        t.post("/signin", None, &[("user", "sam"), ("password", PASSWORD), ("csrf", csrf.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set = r.header("set-cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    assert!(!set.contains("Secure"), "plain HTTP on loopback: no Secure ({set})");
    let signed = cookie_of(&r).unwrap();
    assert_eq!(signed.len(), 64, "256 bits as hex");
    // An id the desk never gave is not a session.
    assert_eq!(t.get("/find", Some(&"0".repeat(64))).await.status, StatusCode::SEE_OTHER);
    assert_eq!(t.get("/find", Some(&signed)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn under_tls_the_cookie_is_secure() {
    let t = Desk::new(true);
    let r = t.sign_in_raw("sam", PASSWORD).await;
    assert!(r.header("set-cookie").contains("; Secure"), "{}", r.header("set-cookie"));
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer_and_repeated_failures_lock() {
    let t = Desk::new(false);
    let unknown = t.sign_in_raw("nobody", PASSWORD).await;
    let wrong = t.sign_in_raw("sam", "not the password at all").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(strip_tokens(&unknown.body), strip_tokens(&wrong.body));
    for _ in 0..4 {
        t.sign_in_raw("sam", "not the password at all").await;
    }
    // Five failures: the right password is refused now, with the same words.
    let locked = t.sign_in_raw("sam", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(strip_tokens(&locked.body), strip_tokens(&wrong.body));
    // Another person is not locked.
    assert!(t.sign_in("ada").await.is_some());
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_nothing_is_recorded() {
    let t = Desk::new(false);
    let (cookie, _csrf) = t.sign_in("sam").await.unwrap();
    let r = t.post("/issue", Some(&cookie), &issue_form("Acme", "wrong-token")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post("/issue", Some(&cookie), &issue_form("Acme", "")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.keys(), 0);
}

#[tokio::test]
async fn a_request_from_another_origin_is_refused_and_nothing_is_recorded() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let form = issue_form("Acme", &csrf);
    let r = t.post_from("/issue", Some(&cookie), &form, Some("http://evil.example")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post_from("/issue", Some(&cookie), &form, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no Origin and no Referer");
    assert_eq!(t.keys(), 0);
    // The same form from the desk itself is taken.
    let r = t.post("/issue", Some(&cookie), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(t.keys(), 1);
}

#[tokio::test]
async fn every_page_has_the_csp_no_inline_script_and_no_store() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("ada").await.unwrap();
    let issued = t.post("/issue", Some(&cookie), &issue_form("Acme", &csrf)).await;
    let serial = serial_of(&issued.body).unwrap();
    for path in
        ["/signin", "/find?q=acme", "/issue", &format!("/key/{serial}"), "/report", "/check", "/people"]
    {
        let r = t.get(path, Some(&cookie)).await;
        let csp = r.header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.header("cache-control"), "no-store", "{path}");
        assert_eq!(r.header("x-frame-options"), "DENY", "{path}");
        for script in r.body.split("<script").skip(1) {
            assert!(script.trim_start().starts_with("src=\"/static/"), "{path}: inline script: {script}");
        }
    }
    assert_eq!(issued.header("cache-control"), "no-store");
}

#[tokio::test]
async fn a_support_account_cannot_issue_renew_amend_revoke_or_manage_people() {
    let t = Desk::new(false);
    let (admin, admin_csrf) = t.sign_in("ada").await.unwrap();
    let issued = t.post("/issue", Some(&admin), &issue_form("Acme", &admin_csrf)).await;
    let serial = serial_of(&issued.body).unwrap();
    let (cookie, csrf) = t.sign_in("sue").await.unwrap();
    assert_eq!(t.get("/issue", Some(&cookie)).await.status, StatusCode::FORBIDDEN);
    let r = t.post("/issue", Some(&cookie), &issue_form("Other", &csrf)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post(&format!("/key/{serial}/renew"), Some(&cookie), &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post(&format!("/key/{serial}/amend"), Some(&cookie), &[("csrf", csrf.as_str()), ("seats", "9")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post("/revoke", Some(&cookie), &[("csrf", csrf.as_str()), ("serial", serial.as_str())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/people", Some(&cookie)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.keys(), 1, "nothing recorded");
    assert_eq!(t.lists(), 0);
    // What support may do.
    assert_eq!(t.get("/find?q=acme", Some(&cookie)).await.status, StatusCode::OK);
    assert_eq!(t.get(&format!("/key/{serial}"), Some(&cookie)).await.status, StatusCode::OK);
    assert_eq!(t.get("/report", Some(&cookie)).await.status, StatusCode::OK);
    let key = t.key_of(&serial);
    let r = t
        .post(
            "/check",
            Some(&cookie),
            &[("csrf", csrf.as_str()), ("key", key.as_str()), ("organization", "Acme")],
        )
        .await;
    assert!(r.body.contains("VALID: this key unlocks"), "{}", r.body);
}

#[tokio::test]
async fn sales_issues_renews_and_amends_but_cannot_revoke_operations_cannot_manage_people() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let issued = t.post("/issue", Some(&cookie), &issue_form("Acme", &csrf)).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    assert!(issued.body.contains("data-product-key=\"AST"), "{}", issued.body);
    let serial = serial_of(&issued.body).unwrap();
    let renewed = t.post(&format!("/key/{serial}/renew"), Some(&cookie), &[("csrf", csrf.as_str())]).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    let renewed_serial = serial_of(&renewed.body).unwrap();
    let amended = t
        .post(
            &format!("/key/{renewed_serial}/amend"),
            Some(&cookie),
            &[("csrf", csrf.as_str()), ("seats", "77")],
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.body);
    let r = t.post(&format!("/key/{serial}/revoke"), Some(&cookie), &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.keys(), 3);
    assert_eq!(t.actors(), vec!["sam", "sam", "sam"]);
    let (ops, _) = t.sign_in("olga").await.unwrap();
    assert_eq!(t.get("/people", Some(&ops)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_revokes_after_a_preview_and_the_list_records_who() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("ada").await.unwrap();
    let issued = t.post("/issue", Some(&cookie), &issue_form("Acme", &csrf)).await;
    let serial = serial_of(&issued.body).unwrap();
    let preview = t
        .post(
            &format!("/key/{serial}/revoke"),
            Some(&cookie),
            &[("csrf", csrf.as_str()), ("reason", "refund")],
        )
        .await;
    assert!(preview.body.contains("Revoke 1 key"), "{}", preview.body);
    assert_eq!(t.lists(), 0, "a preview writes nothing");
    let done = t
        .post(
            "/revoke",
            Some(&cookie),
            &[("csrf", csrf.as_str()), ("reason", "refund"), ("serial", serial.as_str())],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(t.lists(), 1);
    let list = t.get("/revoke/list/1", Some(&cookie)).await;
    assert!(list.header("content-disposition").contains("attachment"));
    assert!(list.body.starts_with("-----BEGIN REVOCATION LIST-----"), "{}", list.body);
    let actor: String =
        t.db().query_row("SELECT actor FROM revocation_lists WHERE sequence = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(actor, "ada");
    let story = t.get(&format!("/key/{serial}"), Some(&cookie)).await;
    assert!(story.body.contains("by <strong class=\"actor\">ada</strong>: refund"), "{}", story.body);
}

#[tokio::test]
async fn customer_text_is_escaped_everywhere() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("ada").await.unwrap();
    let org = "Evil <script>alert(\"x\")</script> 'Co' & Sons";
    let mut form = issue_form(org, &csrf);
    form.retain(|(k, _)| k != "contact");
    form.push(("contact".into(), "<img src=x onerror=alert(1)>".into()));
    let issued = t.post("/issue", Some(&cookie), &form).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    let serial = serial_of(&issued.body).unwrap();
    for path in [format!("/key/{serial}"), "/find?q=evil".to_owned()] {
        let r = t.get(&path, Some(&cookie)).await;
        assert!(
            r.body.contains("Evil &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"),
            "{path}: {}",
            r.body
        );
        assert!(!r.body.contains("<script>alert"), "{path}");
        assert!(!r.body.contains("<img src=x"), "{path}");
    }
    assert!(!issued.body.contains("<script>alert"));
}

#[tokio::test]
async fn a_session_past_its_idle_time_is_signed_out() {
    let t = Desk::with_limits(false, |l| l.idle = std::time::Duration::ZERO);
    // Even the sign-in form's session has lapsed by the time it is posted.
    assert!(t.sign_in("sam").await.is_none());
    let t = Desk::with_limits(false, |l| l.absolute = std::time::Duration::ZERO);
    assert!(t.sign_in("sam").await.is_none());
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let t = Desk::with_limits(false, |l| l.body_bytes = 4096);
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let big = "x".repeat(10_000);
    let r = t.post("/issue", Some(&cookie), &[("csrf", csrf.as_str()), ("organization", big.as_str())]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(t.keys(), 0);
}

#[tokio::test]
async fn no_page_shows_the_signing_key() {
    let t = Desk::new(false);
    let secret = t.secret_pem_body();
    let (cookie, csrf) = t.sign_in("ada").await.unwrap();
    let issued = t.post("/issue", Some(&cookie), &issue_form("Acme", &csrf)).await;
    let serial = serial_of(&issued.body).unwrap();
    for path in [
        "/",
        "/find?q=acme",
        &format!("/key/{serial}"),
        "/report",
        "/report.csv",
        "/people",
        "/static/desk.js",
    ] {
        let r = t.get(path, Some(&cookie)).await;
        assert!(!r.body.contains(&secret), "{path}");
    }
    assert!(!issued.body.contains(&secret));
}

#[tokio::test]
async fn operations_uploads_a_batch_sees_every_problem_then_issues_it() {
    let t = Desk::new(false);
    let (sales, sales_csrf) = t.sign_in("sam").await.unwrap();
    let good = b"organization,seats,order_id\nAcme,5,A-1\nGlobex,7,A-2\n";
    let r = t.upload("/batch", &sales, &[("csrf", &sales_csrf), ("template", "standard")], good).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "sales may not batch");
    let (cookie, csrf) = t.sign_in("olga").await.unwrap();
    let bad = b"organization,seats,order_id\nAcme,five,A-1\nGlobex,7,A-1\n";
    let r = t.upload("/batch", &cookie, &[("csrf", &csrf), ("template", "standard")], bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("export.csv"), "problems name the uploaded file: {}", r.body);
    assert!(r.body.contains("seats") && r.body.contains("A-1"), "every problem: {}", r.body);
    assert_eq!(t.keys(), 0);
    let r = t.upload("/batch", &cookie, &[("csrf", &csrf), ("template", "standard")], good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Issue 2 keys"), "{}", r.body);
    assert_eq!(t.keys(), 0, "checking signs nothing");
    let token =
        r.body.split("name=\"upload\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    // Another session cannot confirm it.
    let r = t
        .post("/batch/confirm", Some(&sales), &[("csrf", sales_csrf.as_str()), ("upload", token.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r =
        t.post("/batch/confirm", Some(&cookie), &[("csrf", csrf.as_str()), ("upload", token.as_str())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(t.actors(), vec!["olga", "olga"]);
    let csv = t.get(&format!("/batch/{token}/keys.csv"), Some(&cookie)).await;
    assert!(csv.header("content-disposition").contains("keys.csv"));
    assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);
    assert!(csv.body.lines().nth(1).unwrap().contains("AST"), "{}", csv.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issues_at_once_are_recorded_together_and_a_refused_one_leaves_the_others() {
    let t = std::sync::Arc::new(Desk::new(false));
    let (cookie, csrf) = t.sign_in("sam").await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (t, cookie, csrf) = (t.clone(), cookie.clone(), csrf.clone());
        tasks.push(tokio::spawn(async move {
            let mut form = issue_form(&format!("Org {i}"), &csrf);
            form.retain(|(k, _)| k != "order");
            // Two requests for one order: the ledger takes one of them.
            form.push(("order".into(), if i < 2 { "SAME".into() } else { format!("O-{i}") }));
            t.post("/issue", Some(&cookie), &form).await.status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 11, "{statuses:?}");
    // The order issued already is a conflict with the ledger, not a bad field.
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 1, "{statuses:?}");
    assert_eq!(t.keys(), 11);
    let db = keygen_core::db::Db::open_read(&t.ledger).unwrap();
    assert!(keygen_core::db::verify::verify(db.conn(), None).unwrap().is_ok(), "the chain is intact");
}

#[test]
fn a_schema_1_ledger_is_brought_to_schema_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(keygen_core::db::sqlite::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    drop(keygen_core::db::Db::open_write(&path).unwrap());
    let db = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, keygen_core::db::SCHEMA_VERSION);
    db.query_row("SELECT count(*) FROM people", [], |r| r.get::<_, i64>(0)).unwrap();
    db.query_row("SELECT count(actor) FROM keys", [], |r| r.get::<_, i64>(0)).unwrap();
    db.query_row("SELECT count(actor) FROM revocation_lists", [], |r| r.get::<_, i64>(0)).unwrap();
}

#[test]
fn a_non_loopback_address_without_tls_is_refused() {
    let outside: std::net::SocketAddr = "0.0.0.0:8417".parse().unwrap();
    assert!(keygen_desk::serve::check_address(outside, false).is_err());
    assert!(keygen_desk::serve::check_address(outside, true).is_ok());
    assert!(keygen_desk::serve::check_address("127.0.0.1:0".parse().unwrap(), false).is_ok());
    assert!(keygen_desk::serve::check_address("[::1]:0".parse().unwrap(), false).is_ok());
}

/// Issue 25: every POST route of the desk's table (the table is the only way a POST route is
/// made, and it takes no handler that does not check a token) refuses a form without its
/// session's token, or with another, and nothing is done: no key, no list, no person, no
/// password, and the session goes on (sign-out refused too).
#[tokio::test]
async fn every_post_route_refuses_a_form_without_the_sessions_token_and_does_nothing() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("ada").await.unwrap();
    let issued = t.post("/issue", Some(&cookie), &issue_form("Acme", &csrf)).await;
    let serial = serial_of(&issued.body).unwrap();
    let (_, other_csrf) = t.sign_in("ada").await.unwrap();
    let people = || -> i64 { t.db().query_row("SELECT count(*) FROM people", [], |r| r.get(0)).unwrap() };
    let hashes = || -> Vec<String> {
        let db = t.db();
        let mut stmt = db.prepare("SELECT password_hash FROM people ORDER BY name").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let before = (t.keys(), t.lists(), people(), hashes());
    let table = keygen_desk::routes::table();
    let posts = table.posts();
    assert!(posts.len() >= 15, "{posts:?}");
    for route in posts {
        let path = route.path.replace("{serial}", &serial);
        assert!(!path.contains('{'), "a route's value this test does not fill: {path}");
        for token in ["", "0".repeat(64).as_str(), other_csrf.as_str()] {
            // Every field a form of the desk has, filled so that the action would be done.
            let fields = [
                ("csrf", token),
                ("organization", "Acme"),
                ("edition", "standard"),
                ("serial", serial.as_str()),
                ("reason", "test"),
                ("valid_days", "30"),
                ("seats", "5"),
                ("name", "sue"),
                ("role", "admin"),
                ("user", "ada"),
                ("password", PASSWORD),
                ("current", PASSWORD),
                ("new", "another long password"),
                ("again", "another long password"),
                ("key", "AST8-0000"),
            ];
            let r = if route.multipart {
                t.upload(&path, &cookie, &fields, b"organization,order_id\nAcme,1\n").await
            } else {
                t.post(&path, Some(&cookie), &fields).await
            };
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} with token {token:?}: {}", r.body);
            assert!(r.body.contains("security token"), "{path}: {}", r.body);
        }
    }
    assert_eq!((t.keys(), t.lists(), people(), hashes()), before);
    assert_eq!(t.get("/find", Some(&cookie)).await.status, StatusCode::OK, "still signed in");
}

/// Issue 25: a ledger the desk cannot open (removed, or replaced by a file that is no
/// ledger) is an error page, not "no key matches" or "no key in this window".
#[tokio::test]
async fn a_ledger_the_desk_cannot_open_is_an_error_not_no_results() {
    for damage in ["removed", "not a ledger"] {
        let t = Desk::new(false);
        let (cookie, _) = t.sign_in("sue").await.unwrap();
        let (admin, admin_csrf) = t.sign_in("ada").await.unwrap();
        assert_eq!(
            t.post("/issue", Some(&admin), &issue_form("Acme", &admin_csrf)).await.status,
            StatusCode::OK
        );
        // Before: the pages answer from the ledger.
        let found = t.get("/find?q=acme", Some(&cookie)).await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(!found.body.contains("No key matches"), "{}", found.body);
        let ledger = t.ledger.display().to_string();
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{ledger}{suffix}"));
        }
        match damage {
            "removed" => std::fs::remove_file(&t.ledger).unwrap(),
            _ => {
                // An SQLite file without the ledger's schema, put in its place.
                let other = t.dir.path().join("other.sqlite");
                rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
                std::fs::rename(&other, &t.ledger).unwrap();
            }
        }
        for (path, empty) in [
            ("/find?q=acme", "No key matches"),
            ("/report?days=3650", "No key in this window"),
            ("/report.csv?days=3650", "organization"),
        ] {
            let r = t.get(path, Some(&cookie)).await;
            assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{damage}: {path}: {}", r.body);
            assert!(!r.body.contains(empty), "{damage}: {path}: {}", r.body);
            assert!(r.body.contains("ledger"), "{damage}: {path}: {}", r.body);
            assert!(!r.body.contains(&ledger), "{damage}: {path}: the ledger's path is shown: {}", r.body);
        }
    }
}

/// Issue 25: the desk tells what is not there (404) from an input that is not good (422) from
/// a ledger it cannot read (500).
#[tokio::test]
async fn not_found_invalid_and_a_broken_ledger_get_their_own_statuses() {
    let t = Desk::new(false);
    let (cookie, csrf) = t.sign_in("ada").await.unwrap();
    let issued = t.post("/issue", Some(&cookie), &issue_form("Acme", &csrf)).await;
    let serial = serial_of(&issued.body).unwrap();
    // A serial as the desk makes them, of a key recorded in another ledger.
    let elsewhere = Desk::new(false);
    let (other, other_csrf) = elsewhere.sign_in("ada").await.unwrap();
    let absent =
        serial_of(&elsewhere.post("/issue", Some(&other), &issue_form("Acme", &other_csrf)).await.body)
            .unwrap();
    assert_ne!(absent, serial);
    assert_eq!(t.get(&format!("/key/{absent}"), Some(&cookie)).await.status, StatusCode::NOT_FOUND);
    // Not a serial at all: the input is not good.
    assert_eq!(t.get("/key/not-a-serial", Some(&cookie)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.get("/revoke/list/999", Some(&cookie)).await.status, StatusCode::NOT_FOUND);
    let renew = format!("/key/{serial}/renew");
    let r = t.post(&renew, Some(&cookie), &[("csrf", csrf.as_str()), ("valid_days", "soon")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(t.get(&format!("/key/{serial}"), Some(&cookie)).await.status, StatusCode::OK);
    std::fs::remove_file(&t.ledger).unwrap();
    for path in [format!("/key/{serial}"), "/revoke/list/1".to_owned()] {
        let r = t.get(&path, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}: {}", r.body);
        assert!(r.body.contains("cannot read its ledger"), "{path}: {}", r.body);
    }
}
