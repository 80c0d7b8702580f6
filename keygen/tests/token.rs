//! The signing key in a SoftHSM token (issue 31): generated on the token, kept in it, signing
//! keys, lists and ledger heads that verify with the public key pkcs11-tool reads, refused
//! with the right error when it cannot sign, and signing from many threads.
//!
//! SoftHSM reads SOFTHSM2_CONF once, when this process first loads it, and a test cannot set
//! its own environment without unsafe code: so each test makes a token in a folder of its own,
//! then runs itself again in a child process whose environment names it. The tests are
//! skipped, saying why, only when softhsm2 is missing and cannot be installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::Session;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, VerifyingKey};
use keygen_core::token::{self, Options, TokenError};
use product_key::{
    Check, Day, Ed25519Sign, ExternalSigner, KeyId, Payload, Product, RevocationList, Serial, Status,
    TrustedKeys, ledger_head_message,
};

const CHILD: &str = "KEYGEN_TOKEN_TEST_DIR";
const KEY: &str = "pkcs11:token=vendor;object=signing";

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/softhsm-token.sh")
}

/// The test `name`'s body, run in a child process with a fresh SoftHSM token "vendor" (and an
/// EC P-256 key "p256" on it, made by pkcs11-tool), its PIN in `$KEYGEN_PKCS11_PIN_FILE`.
fn with_token(name: &str, body: impl FnOnce(&Path)) {
    if let Some(dir) = std::env::var_os(CHILD) {
        body(Path::new(&dir));
        return;
    }
    let install = Command::new(scripts()).arg("install").output().expect("run softhsm-token.sh");
    if !install.status.success() {
        eprintln!(
            "SKIPPED {name}: softhsm2/opensc cannot be installed: {}",
            String::from_utf8_lossy(&install.stderr).trim()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let made = Command::new(scripts()).arg(dir.path()).arg("vendor").output().expect("make the token");
    assert!(made.status.success(), "softhsm-token.sh: {}", String::from_utf8_lossy(&made.stderr));
    let conf = dir.path().join("softhsm2.conf");
    let module = String::from_utf8(Command::new(scripts()).arg("module").output().expect("module").stdout)
        .expect("path")
        .trim()
        .to_owned();
    let pin = std::fs::read_to_string(dir.path().join("pin")).expect("pin");
    let p256 = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &conf)
        .args(["--module", &module, "--token-label", "vendor", "--login", "--pin", pin.trim()])
        .args(["--keypairgen", "--key-type", "EC:prime256v1", "--label", "p256", "--id", "50"])
        .output()
        .expect("pkcs11-tool");
    assert!(p256.status.success(), "{}", String::from_utf8_lossy(&p256.stderr));
    // An Ed25519 key made outside keygen, as a vendor's HSM tools would make it.
    let outside = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &conf)
        .args(["--module", &module, "--token-label", "vendor", "--login", "--pin", pin.trim()])
        .args(["--keypairgen", "--key-type", "EC:edwards25519", "--label", "outside", "--id", "51"])
        .output()
        .expect("pkcs11-tool");
    assert!(outside.status.success(), "{}", String::from_utf8_lossy(&outside.stderr));

    let mut args = vec![name, "--exact", "--nocapture", "--test-threads=1"];
    if std::env::args().any(|a| a == "--ignored" || a == "--include-ignored") {
        args.push("--include-ignored");
    }
    let child = Command::new(std::env::current_exe().expect("this test"))
        .args(args)
        .env(CHILD, dir.path())
        .env("SOFTHSM2_CONF", &conf)
        .env("KEYGEN_PKCS11_MODULE", &module)
        .env("KEYGEN_PKCS11_PIN_FILE", dir.path().join("pin"))
        .output()
        .expect("run the child");
    let out = String::from_utf8_lossy(&child.stdout);
    eprintln!("{out}{}", String::from_utf8_lossy(&child.stderr));
    assert!(child.status.success(), "the child failed");
    // A filter that matched nothing would pass too: the one test must have run.
    assert!(out.contains("test result: ok. 1 passed"), "the child ran no test");
}

/// A session of this process on the token "vendor", through the module the signer loaded
/// (already initialized: the same library, found again by the loader).
fn vendor_session() -> Session {
    let module = std::env::var("KEYGEN_PKCS11_MODULE").expect("module");
    let context = cryptoki::context::Pkcs11::new(module).expect("module");
    let slot = context
        .get_slots_with_token()
        .expect("slots")
        .into_iter()
        .find(|s| context.get_token_info(*s).is_ok_and(|t| t.label() == "vendor"))
        .expect("the token");
    context.open_ro_session(slot).expect("session")
}

fn pkcs11_tool(dir: &Path, args: &[&str]) -> std::process::Output {
    let module = std::env::var("KEYGEN_PKCS11_MODULE").expect("module");
    let pin = std::fs::read_to_string(dir.join("pin")).expect("pin");
    Command::new("pkcs11-tool")
        .args(["--module", &module, "--token-label", "vendor", "--login", "--pin", pin.trim()])
        .args(args)
        .output()
        .expect("pkcs11-tool")
}

/// The one object of `kind` labelled `label` in pkcs11-tool's listing (its `--label` does not
/// filter a listing, so the listing is cut into objects here).
fn listed(dir: &Path, kind: &str, label: &str) -> String {
    let out = pkcs11_tool(dir, &["--list-objects", "--type", kind]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut objects: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') || objects.is_empty() {
            objects.push(String::new());
        }
        let last = objects.last_mut().expect("an object");
        last.push_str(line);
        last.push('\n');
    }
    let wanted = format!("label:      {label}\n");
    let mut matching = objects.into_iter().filter(|o| o.contains(&wanted));
    let object = matching.next().unwrap_or_else(|| panic!("no {kind} labelled {label} in:\n{text}"));
    assert!(matching.next().is_none(), "two {kind} labelled {label}");
    object
}

/// The public key `label` as pkcs11-tool reads it from the token, trusted as a product would.
fn trusted_from_pkcs11_tool(dir: &Path, label: &str) -> (TrustedKeys, KeyId) {
    let out = pkcs11_tool(dir, &["--read-object", "--type", "pubkey", "--label", label]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut trusted = TrustedKeys::new();
    let id = trusted.add_text(&String::from_utf8_lossy(&out.stdout)).expect("an Ed25519 public key PEM");
    (trusted, id)
}

/// A payload with every field set: the documented example key, read rather than built.
fn payload(serial: u64) -> Payload {
    let key = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-\
               0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-\
               WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";
    let mut payload = product_key::text::decode(key).expect("the documented key").payload;
    payload.serial = Serial::new(serial).expect("serial");
    payload
}

fn check() -> Check<'static> {
    Check {
        at: "2027-01-01".parse::<Day>().expect("day"),
        organization: Some("ACME  analytics gmbh"),
        revocations: None,
    }
}

fn assert_valid(key: &str, trusted: &TrustedKeys) {
    let verdict = product_key::verify(key, trusted, &check());
    assert_eq!(verdict.status(), Status::Valid, "{key}");
}

#[test]
fn a_key_generated_on_the_token_stays_in_it_and_signs_what_verifies() {
    with_token("a_key_generated_on_the_token_stays_in_it_and_signs_what_verifies", |dir| {
        let signer = token::generate(KEY, &Options::default()).expect("generate");

        // The private key's attributes, as pkcs11-tool sees them.
        let private = listed(dir, "privkey", "signing");
        let access = private.lines().find(|l| l.trim_start().starts_with("Access:")).expect("Access line");
        let flags: Vec<&str> = access.split(':').nth(1).expect("flags").split(',').map(str::trim).collect();
        assert!(flags.contains(&"sensitive"), "CKA_SENSITIVE: {access}");
        assert!(!flags.contains(&"extractable"), "CKA_EXTRACTABLE: {access}");
        assert!(flags.contains(&"never extractable"), "{access}");
        assert!(private.contains("EC_EDWARDS"), "{private}");
        let public = listed(dir, "pubkey", "signing");
        let params = public.lines().find(|l| l.contains("EC_PARAMS")).expect("EC_PARAMS");
        // SoftHSM 2.6 takes the first form keygen offers, RFC 8410's OID 1.3.101.112.
        assert!(params.contains("06032b6570"), "{params}");
        // pkcs11-tool cannot read private keys at all, so ask the module directly (this
        // process is logged in): CKA_VALUE must not come out.
        let session = vendor_session();
        let private = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(b"signing".to_vec()),
            ])
            .expect("find");
        assert_eq!(private.len(), 1);
        let value = session.get_attributes(private[0], &[AttributeType::Value, AttributeType::Extractable]);
        let value = value.expect("attributes");
        assert!(!value.iter().any(|a| matches!(a, Attribute::Value(_))), "the private key was read out");
        assert!(value.contains(&Attribute::Extractable(false)), "{value:?}");

        let (trusted, id) = trusted_from_pkcs11_tool(dir, "signing");
        assert_eq!(id, signer.key_id());
        let pin = std::fs::read_to_string(dir.join("pin")).expect("pin");
        assert!(!format!("{signer:?} {:?}", signer.inner()).contains(pin.trim()), "the PIN in Debug");

        let key = signer.issue(&mut payload(4242)).expect("issue");
        assert_valid(&key, &trusted);

        let issued = "2026-03-01".parse::<Day>().expect("day");
        let serials = vec![Serial::new(7).expect("serial"), Serial::new(4242).expect("serial")];
        let mut list =
            RevocationList::new(KeyId([0; 4]), Product::new("AST").expect("product"), 3, issued, serials);
        let text = signer.sign_revocations(&mut list).expect("list");
        let opened = RevocationList::open(&text, &trusted, "AST").expect("the list verifies");
        assert!(opened.contains(Serial::new(4242).expect("serial")));

        let head = b"ledger head bytes";
        let signature = signer.sign_ledger_head(head).expect("head");
        // Under the public key as pkcs11-tool reads it, not as the signer says it is.
        let pem = pkcs11_tool(dir, &["--read-object", "--type", "pubkey", "--label", "signing"]).stdout;
        let public = VerifyingKey::from_public_key_pem(&String::from_utf8_lossy(&pem)).expect("the PEM");
        assert_eq!(public.to_bytes(), signer.public_key());
        public
            .verify_strict(&ledger_head_message(head), &Signature::from_bytes(&signature))
            .expect("the head verifies");

        // The same name twice is refused rather than making a second key.
        let again = token::generate(KEY, &Options::default()).expect_err("exists");
        assert!(matches!(again, TokenError::KeyExists { .. }), "{again:?}");

        // Opened again (a later run), it is the same key.
        let reopened = token::open(&format!("{KEY};type=private"), &Options::default()).expect("open");
        assert_eq!(reopened.key_id(), signer.key_id());
    });
}

#[test]
fn a_token_key_that_cannot_sign_is_refused_naming_why() {
    with_token("a_token_key_that_cannot_sign_is_refused_naming_why", |dir| {
        token::generate(KEY, &Options::default()).expect("generate");

        let wrong = dir.join("wrong-pin");
        std::fs::write(&wrong, "000000\n").expect("write");
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        std::fs::set_permissions(&wrong, private).expect("chmod");
        let err = token::open(&format!("{KEY}?pin-source=file:{}", wrong.display()), &Options::default())
            .expect_err("wrong PIN");
        assert!(matches!(&err, TokenError::WrongPin { token } if token == "vendor"), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("000000"), "the PIN is shown: {err}");
        let right = std::fs::read_to_string(dir.join("pin")).expect("pin");
        assert!(!format!("{err} {err:?}").contains(right.trim()));

        let err =
            token::open("pkcs11:token=elsewhere;object=signing", &Options::default()).expect_err("absent");
        assert!(
            matches!(&err, TokenError::TokenAbsent { present, .. } if present == "\"vendor\""),
            "{err:?}"
        );

        let err = token::open("pkcs11:token=vendor;object=p256", &Options::default()).expect_err("P-256");
        assert!(matches!(&err, TokenError::WrongKeyType { found, .. } if found == "CKK_EC"), "{err:?}");

        let err = token::open("pkcs11:token=vendor;object=nothing", &Options::default()).expect_err("no key");
        assert!(matches!(err, TokenError::NoSuchKey { .. }), "{err:?}");

        let err = token::open(&format!("{KEY}?module-path=/nonexistent/libpkcs11.so"), &Options::default())
            .expect_err("no module");
        assert!(matches!(err, TokenError::ModuleLoad { .. }), "{err:?}");
        let not_a_module = dir.join("pin");
        let err = token::open(&format!("{KEY}?module-path={}", not_a_module.display()), &Options::default())
            .expect_err("not a module");
        assert!(matches!(err, TokenError::ModuleLoad { .. }), "{err:?}");

        let err =
            token::open(&format!("{KEY}?pin-value=1234"), &Options::default()).expect_err("PIN in the URI");
        assert!(matches!(err, TokenError::Uri(token::UriError::PinValue)), "{err:?}");
    });
}

#[test]
fn keys_are_found_by_id_and_keys_made_by_other_tools_sign_too() {
    with_token("keys_are_found_by_id_and_keys_made_by_other_tools_sign_too", |dir| {
        let made = token::generate("pkcs11:token=vendor;object=second;id=%c0%01", &Options::default())
            .expect("generate");
        let found = token::open("pkcs11:token=vendor;id=%C0%01", &Options::default()).expect("open by id");
        assert_eq!(found.key_id(), made.key_id());

        // pkcs11-tool names the curve "edwards25519", not by OID.
        let outside = token::open("pkcs11:token=vendor;object=outside", &Options::default()).expect("open");
        let (trusted, id) = trusted_from_pkcs11_tool(dir, "outside");
        assert_eq!(id, outside.key_id());
        assert_valid(&outside.issue(&mut payload(77)).expect("issue"), &trusted);

        // Through the type the commands will hold.
        let any = token::AnySigner::Token(outside);
        assert_eq!(any.key_id(), id);
        assert_valid(&any.issue(&mut payload(78)).expect("issue"), &trusted);
        let issued = "2026-03-01".parse::<Day>().expect("day");
        let serials = vec![Serial::new(78).expect("serial")];
        let mut list =
            RevocationList::new(KeyId([0; 4]), Product::new("AST").expect("product"), 1, issued, serials);
        let text = any.sign_revocations(&mut list).expect("list");
        RevocationList::open(&text, &trusted, "AST").expect("the list verifies");
        // A payload that breaks the format is the payload's error, not the token's.
        let mut bad = payload(79);
        bad.expires = product_key::Expiry::LastDay(Day::EPOCH);
        assert!(matches!(any.issue(&mut bad), Err(token::SignError::Payload(_))));
    });
}

#[test]
fn many_threads_sign_through_the_session_pool() {
    with_token("many_threads_sign_through_the_session_pool", |dir| {
        token::generate(KEY, &Options::default()).expect("generate");
        let signer = token::open(KEY, &Options { sessions: Some(4), ..Options::default() }).expect("open");
        assert_eq!(signer.inner().sessions(), 4);
        let (trusted, _) = trusted_from_pkcs11_tool(dir, "signing");
        let keys: Vec<String> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8u64)
                .map(|t| {
                    let signer = &signer;
                    scope.spawn(move || {
                        (0..40)
                            .map(|i| signer.issue(&mut payload(1 + t * 1000 + i)).expect("issue"))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
        });
        assert_eq!(keys.len(), 320);
        for key in &keys {
            assert_valid(key, &trusted);
        }
    });
}

#[test]
fn a_lost_login_is_restored_by_connecting_again() {
    with_token("a_lost_login_is_restored_by_connecting_again", |_| {
        token::generate(KEY, &Options::default()).expect("generate");
        let signer = token::open(KEY, &Options { sessions: Some(2), ..Options::default() }).expect("open");
        signer.issue(&mut payload(1)).expect("before");

        // Logging out one session logs out every session of this process on the token, as a
        // token pulled out and put back leaves them.
        vendor_session().logout().expect("logout");
        signer.issue(&mut payload(2)).expect("after the logout, the signer logs in again");
    });
}

/// The throughput of token signing, one session against several, beside a file key:
/// `cargo test -p keygen --test token throughput -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn throughput() {
    with_token("throughput", |_| {
        token::generate(KEY, &Options::default()).expect("generate");
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).max(2);
        let count = 4000u64;
        let run = |name: &str, sign: &(dyn Fn(u64) + Sync), threads: u64| {
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                for t in 0..threads {
                    scope.spawn(move || {
                        for i in (t..count).step_by(threads as usize) {
                            sign(i + 1);
                        }
                    });
                }
            });
            let secs = start.elapsed().as_secs_f64();
            println!("{name}: {count} keys in {secs:.2} s = {:.0} keys/s", count as f64 / secs);
        };
        let one = token::open(KEY, &Options { sessions: Some(1), ..Options::default() }).expect("open");
        run("token, 1 session, 1 thread", &|i| drop(one.issue(&mut payload(i)).expect("issue")), 1);
        let many =
            token::open(KEY, &Options { sessions: Some(threads), ..Options::default() }).expect("open");
        let label = format!("token, {} sessions, {threads} threads", many.inner().sessions());
        run(&label, &|i| drop(many.issue(&mut payload(i)).expect("issue")), threads as u64);
        let file = ExternalSigner::new(ed25519_dalek::SigningKey::from_bytes(&[9; 32])).expect("file key");
        run("file key (same path), 1 thread", &|i| drop(file.issue(&mut payload(i)).expect("issue")), 1);
        run(
            &format!("file key (same path), {threads} threads"),
            &|i| drop(file.issue(&mut payload(i)).expect("issue")),
            threads as u64,
        );
        let raw = token::open(KEY, &Options { sessions: Some(1), ..Options::default() }).expect("open");
        run(
            "token raw C_Sign (no verification), 1 session",
            &|i| {
                let _ = raw.inner().sign(&i.to_be_bytes()).expect("sign");
            },
            1,
        );
        run(
            &format!("token raw C_Sign (no verification), {} sessions", many.inner().sessions()),
            &|i| {
                let _ = many.inner().sign(&i.to_be_bytes()).expect("sign");
            },
            threads as u64,
        );
    });
}
