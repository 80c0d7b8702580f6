//! keygen's commands with the signing key in a SoftHSM token (issue 31): `init --pkcs11`,
//! issue, batch, renew, amend, revoke, public-key, the ledger's head and the desk signing
//! through it; rotation from a file key to the token and back; a token key that cannot sign
//! refused with nothing recorded. Every key signed verifies with `verifier` and through the C
//! ABI under the public key that `pkcs11-tool` reads from the token.
//!
//! Each test makes its own token in a temporary folder (scripts/softhsm-token.sh); keygen runs
//! as a child process with `SOFTHSM2_CONF` naming it. The tests are skipped, saying why, only
//! when softhsm2 is missing and cannot be installed.

#![allow(clippy::unwrap_used)]

mod desk_util;
#[path = "../../tests/support/workspace_build.rs"]
mod workspace_build;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const URI: &str = "pkcs11:token=vendor;object=signing";

/// A SoftHSM token "vendor" in a folder of its own (with an EC P-256 key "p256" on it).
struct Token {
    dir: tempfile::TempDir,
    module: String,
    pin: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/softhsm-token.sh")
}

impl Token {
    fn new(test: &str) -> Option<Token> {
        let install = Command::new(script()).arg("install").output().unwrap();
        if !install.status.success() {
            eprintln!(
                "SKIPPED {test}: softhsm2/opensc cannot be installed: {}",
                String::from_utf8_lossy(&install.stderr).trim()
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let made = Command::new(script()).arg(dir.path().join("token")).arg("vendor").output().unwrap();
        assert!(made.status.success(), "softhsm-token.sh: {}", String::from_utf8_lossy(&made.stderr));
        let module = String::from_utf8(Command::new(script()).arg("module").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned();
        let pin = std::fs::read_to_string(dir.path().join("token/pin")).unwrap().trim().to_owned();
        let token = Token { dir, module, pin };
        let p256 = token.pkcs11_tool(&[
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
            "--label",
            "p256",
            "--id",
            "50",
        ]);
        assert!(p256.status.success(), "{}", String::from_utf8_lossy(&p256.stderr));
        Some(token)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn conf(&self) -> PathBuf {
        self.path().join("token/softhsm2.conf")
    }

    fn pin_file(&self) -> PathBuf {
        self.path().join("token/pin")
    }

    /// keygen in `dir`, with the token's module and PIN file in its environment.
    fn keygen(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_keygen"))
            .current_dir(dir)
            .env_remove("KEYGEN_SIGNING_KEY")
            .env_remove("KEYGEN_LEDGER")
            .env_remove("KEYGEN_PASSPHRASE")
            .env("KEYGEN_TEMPLATES", Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates"))
            .env("SOFTHSM2_CONF", self.conf())
            .env("KEYGEN_PKCS11_MODULE", &self.module)
            .env("KEYGEN_PKCS11_PIN_FILE", self.pin_file())
            .stdin(std::process::Stdio::null())
            .args(args)
            .output()
            .unwrap()
    }

    fn pkcs11_tool(&self, args: &[&str]) -> Output {
        Command::new("pkcs11-tool")
            .env("SOFTHSM2_CONF", self.conf())
            .args(["--module", &self.module, "--token-label", "vendor", "--login", "--pin", &self.pin])
            .args(args)
            .output()
            .unwrap()
    }

    /// The public key "signing" as pkcs11-tool reads it from the token, written as a PEM file.
    fn public_key_from_token(&self) -> PathBuf {
        let out = self.pkcs11_tool(&["--read-object", "--type", "pubkey", "--label", "signing"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let pem = String::from_utf8(out.stdout).unwrap();
        assert!(pem.contains("BEGIN PUBLIC KEY"), "{pem}");
        let path = self.path().join("from-token.pem");
        std::fs::write(&path, pem).unwrap();
        path
    }
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[track_caller]
fn refused(o: &Output, code: i32) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    err
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&ok(o)).unwrap()
}

fn ledger_counts(ledger: &Path) -> (i64, i64, i64, String) {
    let db = rusqlite::Connection::open(ledger).unwrap();
    let count =
        |table: &str| db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap();
    let head: String = db.query_row("SELECT signature FROM ledger_head", [], |r| r.get(0)).unwrap();
    (count("keys"), count("revocation_lists"), count("signing_keys"), head)
}

/// The verifier and the C ABI's shared library, as the workspace's tests build them
/// ([`workspace_build`]).
fn verifier_and_library() -> (PathBuf, PathBuf) {
    let file = |end: &str| workspace_build::artifact_files().find(|f| f.ends_with(end)).map(PathBuf::from);
    (
        file("/verifier").expect("the verifier was built"),
        file("libproduct_key.so").expect("libproduct_key.so was built"),
    )
}

/// Every key is valid (exit 0) for `verifier check` and through the C ABI (Python's ctypes
/// calling pk_public_key_from_text and pk_verify_json), under `public` (a PEM file), today.
fn assert_all_verify(keys: &[String], public: &Path) {
    assert!(!keys.is_empty());
    let (verifier, library) = verifier_and_library();
    for key in keys {
        let v = Command::new(&verifier)
            .env_remove("VERIFIER_PUBLIC_KEYS")
            .env_remove("VERIFIER_REVOCATIONS")
            .args(["check", key, "--public-key"])
            .arg(public)
            .output()
            .unwrap();
        assert_eq!(v.status.code(), Some(0), "verifier: {}", String::from_utf8_lossy(&v.stdout));
    }
    let script = r#"
import ctypes, datetime, json, sys
class Req(ctypes.Structure):
    _fields_ = [("text", ctypes.c_char_p), ("organization", ctypes.c_char_p), ("day", ctypes.c_int64),
                ("public_keys", ctypes.c_char_p), ("public_key_count", ctypes.c_size_t),
                ("revocation_list", ctypes.c_char_p), ("highest_sequence_seen", ctypes.c_uint32)]
lib = ctypes.CDLL(sys.argv[1])
lib.pk_public_key_from_text.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
lib.pk_verify_json.argtypes = [ctypes.POINTER(Req), ctypes.POINTER(ctypes.c_void_p)]
lib.pk_free_string.argtypes = [ctypes.c_void_p]
raw = ctypes.create_string_buffer(32)
assert lib.pk_public_key_from_text(open(sys.argv[2], "rb").read(), raw) == 0, "the PEM"
day = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.date(1970, 1, 1)).days
for key in sys.stdin.read().split():
    out = ctypes.c_void_p()
    req = Req(key.encode(), None, day, raw.raw, 1, None, 0)
    assert lib.pk_verify_json(ctypes.byref(req), ctypes.byref(out)) == 0, key
    verdict = json.loads(ctypes.string_at(out.value).decode())
    lib.pk_free_string(out)
    assert verdict["valid"] is True, verdict
print("ok")
"#;
    let mut python = Command::new("python3")
        .args(["-c", script])
        .arg(&library)
        .arg(public)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    python.stdin.take().unwrap().write_all(keys.join("\n").as_bytes()).unwrap();
    let out = python.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok", "{}", String::from_utf8_lossy(&out.stderr));
}

fn issue(token: &Token, dir: &Path, key: &str, org: &str, order: &str) -> Value {
    json(&token.keygen(
        dir,
        &["issue", "--json", "--key", key, "--template", "standard", "--org", org, "--order-id", order],
    ))
}

#[test]
fn init_on_the_token_then_every_command_signs_through_it_and_every_key_verifies() {
    let Some(token) = Token::new("init_on_the_token_then_every_command_signs_through_it") else { return };
    let vault = token.path().join("vault");
    let out = ok(&token.keygen(token.path(), &["init", "--pkcs11", URI, "--dir", "vault"]));
    let key_id = out.trim().strip_prefix("key_id: ").unwrap().to_owned();
    assert!(vault.join("public-key.pem").exists() && vault.join("signing-key.uri").exists());
    assert!(!vault.join("signing-key.pem").exists(), "no key file is made");
    assert_eq!(std::fs::read_to_string(vault.join("signing-key.uri")).unwrap().trim(), URI);

    // The private key stays in the token: sensitive, never extractable.
    let listing =
        String::from_utf8(token.pkcs11_tool(&["--list-objects", "--type", "privkey"]).stdout).unwrap();
    let object = listing.split("Private Key Object").find(|o| o.contains("label:      signing")).unwrap();
    let access = object.lines().find(|l| l.trim_start().starts_with("Access:")).unwrap();
    let flags: Vec<&str> = access.split(':').nth(1).unwrap().split(',').map(str::trim).collect();
    assert!(flags.contains(&"sensitive"), "CKA_SENSITIVE: {access}");
    assert!(!flags.contains(&"extractable"), "CKA_EXTRACTABLE: {access}");
    assert!(flags.contains(&"never extractable"), "{access}");
    assert!(object.contains("EC_EDWARDS"), "{object}");

    // The public key the token holds is the one keygen wrote and registered.
    let from_token = token.public_key_from_token();
    let shown = ok(&token.keygen(&vault, &["public-key", "--key", URI]));
    assert!(shown.contains(&format!("key_id: {key_id}")), "{shown}");
    assert_eq!(
        shown.split("key_id").next().unwrap().trim(),
        std::fs::read_to_string(&from_token).unwrap().trim(),
        "public-key through the token is the PEM pkcs11-tool reads"
    );
    assert_eq!(
        std::fs::read_to_string(vault.join("public-key.pem")).unwrap().trim(),
        std::fs::read_to_string(&from_token).unwrap().trim()
    );

    // The URI, with the ledger beside where the command runs, and the vault's reference file.
    let mut keys = Vec::new();
    let first = issue(&token, &vault, URI, "Acme GmbH", "SO-1");
    keys.push(first["key"].as_str().unwrap().to_owned());
    let by_file = issue(&token, token.path(), "vault/signing-key.uri", "Beta AG", "SO-2");
    keys.push(by_file["key"].as_str().unwrap().to_owned());
    let ledger = vault.join("ledger.sqlite");
    let ledger_arg = ledger.to_str().unwrap();
    let by_uri_elsewhere = json(&token.keygen(
        token.path(),
        &[
            "issue",
            "--json",
            "--key",
            URI,
            "--ledger",
            ledger_arg,
            "--template",
            "standard",
            "--org",
            "Gamma SA",
        ],
    ));
    keys.push(by_uri_elsewhere["key"].as_str().unwrap().to_owned());
    // A URI is no place: the ledger's checkpoint log is the one beside the ledger, whatever
    // folder the command runs in (a second log elsewhere would split its history).
    assert!(!token.path().join("ledger.sqlite.checkpoints").exists(), "a log beside the command");
    let heads = std::fs::read_to_string(vault.join("ledger.sqlite.checkpoints")).unwrap().lines().count();
    assert_eq!(heads, 4, "init and three issues, each head logged beside the ledger");

    let renewed = json(
        &token.keygen(&vault, &["renew", "--json", "--key", URI, "--for-order", "SO-1", "--no-order-id"]),
    );
    assert_eq!(renewed["supersedes"], first["serial"]);
    keys.push(renewed["key"].as_str().unwrap().to_owned());
    let amended = json(
        &token.keygen(&vault, &["amend", "--json", "--key", URI, "--for-order", "SO-2", "--seats", "3"]),
    );
    keys.push(amended["key"].as_str().unwrap().to_owned());

    // A batch, signed through the token's session pool.
    let mut csv = String::from("organization,template,order_id\n");
    for i in 0..200 {
        csv.push_str(&format!("Batch Org {i},standard,B-{i}\n"));
    }
    std::fs::write(vault.join("in.csv"), csv).unwrap();
    ok(&token.keygen(&vault, &["batch", "--key", URI, "--input", "in.csv", "--output", "out.csv"]));
    let output = std::fs::read_to_string(vault.join("out.csv")).unwrap();
    let batch_keys: Vec<String> =
        output.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().trim_matches('"').to_owned()).collect();
    assert_eq!(batch_keys.len(), 200, "{output}");
    assert!(batch_keys.iter().all(|k| k.starts_with("AST8-")), "{output}");
    keys.extend(batch_keys);

    ok(&token.keygen(
        &vault,
        &["revoke", "--key", URI, "--serial", first["serial"].as_str().unwrap(), "--out", "rev.txt"],
    ));
    let list = std::fs::read_to_string(vault.join("rev.txt")).unwrap();
    let (verifier, _) = verifier_and_library();
    let revoked = Command::new(&verifier)
        .env_remove("VERIFIER_PUBLIC_KEYS")
        .args(["check", &keys[0], "--public-key"])
        .arg(&from_token)
        .env("VERIFIER_REVOCATIONS", vault.join("rev.txt"))
        .output()
        .unwrap();
    assert_eq!(revoked.status.code(), Some(8), "the list verifies and revokes: {list}");

    let (n, lists, signing_keys, _) = ledger_counts(&ledger);
    assert_eq!((n, lists, signing_keys), (5 + 200, 1, 1));
    ok(&token.keygen(&vault, &["ledger", "verify"]));
    assert_all_verify(&keys, &from_token);
}

#[test]
fn a_token_key_that_cannot_sign_is_refused_and_nothing_is_recorded() {
    let Some(token) = Token::new("a_token_key_that_cannot_sign_is_refused_and_nothing_is_recorded") else {
        return;
    };
    let vault = token.path().join("vault");
    ok(&token.keygen(token.path(), &["init", "--pkcs11", URI, "--dir", "vault"]));
    issue(&token, &vault, URI, "Acme GmbH", "SO-1");
    let ledger = vault.join("ledger.sqlite");
    let log = vault.join("ledger.sqlite.checkpoints");
    let before = (ledger_counts(&ledger), std::fs::read(&log).unwrap());

    let wrong_pin = token.path().join("wrong-pin");
    std::fs::write(&wrong_pin, "000000\n").unwrap();
    std::fs::set_permissions(&wrong_pin, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let with_wrong_pin = format!("{URI}?pin-source=file:{}", wrong_pin.display());
    let absent = "pkcs11:token=nosuch;object=signing";
    let other_type = "pkcs11:token=vendor;object=p256";
    let no_key = "pkcs11:token=vendor;object=nothing";
    let cases: [(&str, &str); 4] = [
        (&with_wrong_pin, "PIN of token \"vendor\" is wrong"),
        (absent, "no token matches pkcs11:token=nosuch;object=signing (tokens present: \"vendor\")"),
        (other_type, "not Ed25519"),
        (no_key, "no private key matches"),
    ];
    for (key, says) in cases {
        let issue = token.keygen(
            &vault,
            &[
                "issue",
                "--key",
                key,
                "--ledger",
                "ledger.sqlite",
                "--template",
                "standard",
                "--org",
                "X",
                "--order-id",
                "SO-9",
            ],
        );
        let err = refused(&issue, 4);
        assert!(err.contains(says), "{key}: {err}");
        assert!(!err.contains(&token.pin) && !err.contains("000000"), "a PIN in the message: {err}");
        let revoke = token.keygen(
            &vault,
            &["revoke", "--key", key, "--ledger", "ledger.sqlite", "--order-id", "SO-1", "--out", "r.txt"],
        );
        refused(&revoke, 4);
        let renew = token.keygen(
            &vault,
            &["renew", "--key", key, "--ledger", "ledger.sqlite", "--for-order", "SO-1", "--no-order-id"],
        );
        refused(&renew, 4);
        std::fs::write(vault.join("in.csv"), "organization,template,order_id\nA,standard,B-1\n").unwrap();
        let batch = token.keygen(
            &vault,
            &["batch", "--key", key, "--ledger", "ledger.sqlite", "--input", "in.csv", "--output", "o.csv"],
        );
        refused(&batch, 4);
        assert!(!vault.join("o.csv").exists() && !vault.join("r.txt").exists());
        assert_eq!(
            (ledger_counts(&ledger), std::fs::read(&log).unwrap()),
            before,
            "{key}: something was recorded"
        );
    }
    // Without a module, the message says where to give one.
    let mut no_module = Command::new(env!("CARGO_BIN_EXE_keygen"));
    no_module
        .current_dir(&vault)
        .env_remove("KEYGEN_PKCS11_MODULE")
        .env("SOFTHSM2_CONF", token.conf())
        .env("KEYGEN_PKCS11_PIN_FILE", token.pin_file())
        .env("KEYGEN_TEMPLATES", Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates"))
        .stdin(std::process::Stdio::null())
        .args(["issue", "--key", URI, "--template", "standard", "--org", "X"]);
    let err = refused(&no_module.output().unwrap(), 4);
    assert!(err.contains("KEYGEN_PKCS11_MODULE"), "{err}");
    // init on a token that cannot sign writes nothing.
    let fresh = token.path().join("fresh");
    refused(
        &token.keygen(
            token.path(),
            &[
                "init",
                "--pkcs11",
                &format!("pkcs11:token=vendor;object=new?pin-source=file:{}", wrong_pin.display()),
                "--dir",
                "fresh",
            ],
        ),
        4,
    );
    assert!(!fresh.exists(), "init left files");
    assert_eq!((ledger_counts(&ledger), std::fs::read(&log).unwrap()), before);
}

#[test]
fn rotation_from_a_file_key_to_the_token_and_back_keeps_renewals_and_one_revocation_sequence() {
    let Some(token) = Token::new("rotation_from_a_file_key_to_the_token_and_back") else { return };
    let vault = token.path().join("vault");
    ok(&token.keygen(token.path(), &["init", "--dir", "vault"]));
    let file_public = vault.join("file-public.pem");
    std::fs::copy(vault.join("public-key.pem"), &file_public).unwrap();
    let k0 = issue(&token, &vault, "signing-key.pem", "Acme GmbH", "SO-1");
    let k1 = issue(&token, &vault, "signing-key.pem", "Beta AG", "SO-2");
    ok(&token.keygen(&vault, &["revoke", "--serial", k1["serial"].as_str().unwrap(), "--out", "rev1.txt"]));

    // A token key that cannot sign is refused before the vault or the ledger changes (each
    // rotation is a process of its own: PKCS#11 checks a PIN once per process and token).
    let ledger = vault.join("ledger.sqlite");
    let before = (ledger_counts(&ledger), std::fs::read(vault.join("ledger.sqlite.checkpoints")).unwrap());
    let wrong_pin = token.path().join("wrong-pin");
    std::fs::write(&wrong_pin, "000000\n").unwrap();
    std::fs::set_permissions(&wrong_pin, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let with_wrong_pin = format!("{URI}?pin-source=file:{}", wrong_pin.display());
    for (to, says) in [
        (with_wrong_pin.as_str(), "is wrong (CKR_PIN_INCORRECT)"),
        ("pkcs11:token=nosuch;object=signing", "no token matches"),
        ("pkcs11:token=vendor;object=p256", "not Ed25519"),
    ] {
        let err = refused(&token.keygen(token.path(), &["rotate", "--dir", "vault", "--to", to]), 4);
        assert!(err.contains(says), "{to}: {err}");
        assert!(!vault.join("retired").exists() && !vault.join("signing-key.uri").exists(), "{to}");
        assert!(vault.join("signing-key.pem").exists());
        let now = (ledger_counts(&ledger), std::fs::read(vault.join("ledger.sqlite.checkpoints")).unwrap());
        assert_eq!(now, before, "{to}: something was recorded");
    }

    // File key to token key.
    let out = ok(&token.keygen(token.path(), &["rotate", "--dir", "vault", "--to", URI]));
    let token_id = out.trim().strip_prefix("key_id: ").unwrap().to_owned();
    assert!(!vault.join("signing-key.pem").exists() && vault.join("signing-key.uri").exists());
    let retired: Vec<String> = std::fs::read_dir(vault.join("retired"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(retired.iter().any(|n| n.starts_with("signing-key-") && n.ends_with(".pem")), "{retired:?}");
    let from_token = token.public_key_from_token();
    assert_eq!(
        std::fs::read_to_string(vault.join("public-key.pem")).unwrap().trim(),
        std::fs::read_to_string(&from_token).unwrap().trim()
    );
    // The old key is refused now; the token signs the renewal of a key the file key signed.
    refused(
        &token.keygen(&vault, &["renew", "--key", "signing-key.pem", "--for-order", "SO-1", "--no-order-id"]),
        4,
    );
    let renewed = json(&token.keygen(
        &vault,
        &["renew", "--json", "--key", "signing-key.uri", "--for-order", "SO-1", "--no-order-id"],
    ));
    assert_eq!(renewed["supersedes"], k0["serial"]);
    let k2 = issue(&token, &vault, URI, "Gamma SA", "SO-3");
    ok(&token.keygen(
        &vault,
        &["revoke", "--key", URI, "--serial", k2["serial"].as_str().unwrap(), "--out", "rev2.txt"],
    ));
    let list2 = std::fs::read_to_string(vault.join("rev2.txt")).unwrap();
    assert_all_verify(&[renewed["key"].as_str().unwrap().to_owned()], &from_token);

    // Token key to a new file key.
    let out = ok(&token.keygen(token.path(), &["rotate", "--dir", "vault"]));
    let file_id = out.trim().strip_prefix("key_id: ").unwrap().to_owned();
    assert_ne!(file_id, token_id);
    assert!(vault.join("signing-key.pem").exists() && !vault.join("signing-key.uri").exists());
    assert!(vault.join(format!("retired/signing-key-{token_id}.uri")).exists());
    let again = json(&token.keygen(&vault, &["renew", "--json", "--for-order", "SO-1", "--no-order-id"]));
    assert_eq!(again["supersedes"], renewed["serial"]);
    ok(&token.keygen(&vault, &["revoke", "--serial", k0["serial"].as_str().unwrap(), "--out", "rev3.txt"]));

    // One sequence across the three keys: 1, 2, 3; every list and key in the ledger verifies.
    let db = rusqlite::Connection::open(vault.join("ledger.sqlite")).unwrap();
    let sequences: Vec<i64> = db
        .prepare("SELECT sequence FROM revocation_lists ORDER BY sequence")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(sequences, [1, 2, 3]);
    let keys: i64 = db.query_row("SELECT count(*) FROM signing_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(keys, 3);
    ok(&token.keygen(&vault, &["ledger", "verify"]));
    let (verifier, _) = verifier_and_library();
    let listed = Command::new(&verifier)
        .args(["check", k2["key"].as_str().unwrap(), "--public-key"])
        .arg(&from_token)
        .env("VERIFIER_REVOCATIONS", vault.join("rev2.txt"))
        .env_remove("VERIFIER_PUBLIC_KEYS")
        .output()
        .unwrap();
    assert_eq!(listed.status.code(), Some(8), "list 2, signed by the token, revokes k2: {list2}");
    assert_all_verify(&[k0["key"].as_str().unwrap().to_owned()], &file_public);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_signs_through_the_token_and_holds_no_key_file() {
    let Some(token) = Token::new("the_desk_signs_through_the_token_and_holds_no_key_file") else { return };
    let vault = token.path().join("vault");
    ok(&token.keygen(token.path(), &["init", "--pkcs11", URI, "--dir", "vault"]));
    let pw = vault.join("sam.pw");
    std::fs::write(&pw, desk_util::PASSWORD).unwrap();
    std::fs::set_permissions(&pw, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    ok(&token.keygen(
        &vault,
        &[
            "desk",
            "user",
            "add",
            "sam",
            "--role",
            "sales",
            "--password-file",
            "sam.pw",
            "--key",
            "signing-key.uri",
        ],
    ));

    let mut desk = Command::new(env!("CARGO_BIN_EXE_keygen"));
    desk.current_dir(&vault)
        .env_remove("KEYGEN_SIGNING_KEY")
        .env("KEYGEN_TEMPLATES", Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates"))
        .env("SOFTHSM2_CONF", token.conf())
        .env("KEYGEN_PKCS11_MODULE", &token.module)
        .env("KEYGEN_PKCS11_PIN_FILE", token.pin_file())
        .stdin(std::process::Stdio::null())
        .args(["desk", "--listen", "127.0.0.1:0", "--key", URI]);
    let (_desk, url) = serve(desk);
    let host = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let at: std::net::SocketAddr = host.parse().unwrap();
    let origin = format!("http://{host}");
    let signed_in = desk_util::raw_sign_in(at, "127.0.0.1", None, &host, &origin, "sam").await;
    let cookie = desk_util::raw_cookie(&signed_in).unwrap_or_else(|| panic!("{signed_in}"));
    let page = desk_util::http_from(
        "127.0.0.1",
        at,
        &desk_util::raw_request("GET /issue", &host, None, Some(&cookie), ""),
    )
    .await;
    let csrf = desk_util::csrf_of(&page).unwrap_or_else(|| panic!("{page}"));
    let body = desk_util::form_body(&desk_util::issue_form("Desk Customer", &csrf));
    let answer = desk_util::http_from(
        "127.0.0.1",
        at,
        &desk_util::raw_request("POST /issue", &host, Some(&origin), Some(&cookie), &body),
    )
    .await;
    assert_eq!(desk_util::status_of(&answer), 200, "{answer}");
    let serial = desk_util::serial_of(&answer).unwrap_or_else(|| panic!("{answer}"));
    let db = rusqlite::Connection::open(vault.join("ledger.sqlite")).unwrap();
    let key: String =
        db.query_row("SELECT key FROM keys WHERE serial = ?1", [&serial], |r| r.get(0)).unwrap();
    assert_all_verify(&[key], &token.public_key_from_token());
    ok(&token.keygen(&vault, &["ledger", "verify"]));
}

/// A running `keygen desk`, stopped when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and waits for its "serving on" line: the desk and the address it names.
fn serve(mut command: Command) -> (Running, String) {
    use std::io::BufRead;
    let mut child = command.stderr(std::process::Stdio::piped()).spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(at) = line.find("serving on ") {
            let url = line[at + "serving on ".len()..].split(' ').next().unwrap().to_owned();
            std::thread::spawn(move || lines.for_each(drop));
            return (Running(child), url);
        }
        seen.push_str(&line);
        seen.push('\n');
    }
    let _ = child.wait();
    panic!("the desk did not start:\n{seen}");
}
