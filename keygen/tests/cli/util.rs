//! Helpers shared by the tests.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../../tests/support/process.rs"]
#[allow(dead_code)]
mod process;
pub use process::{assert_exit, run, stderr, stdout};

/// The RFC 8032 TEST 1 secret key, the spec's worked example signer.
pub const TEST1_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

/// The spec's worked example key.
pub const EXAMPLE_KEY: &str = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";

/// The repository's templates folder.
pub fn templates_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../templates")
}

/// A keygen command run in `dir`, with no KEYGEN_* variables from the caller and no stdin.
pub fn keygen(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keygen"));
    cmd.current_dir(dir)
        .env_remove("KEYGEN_SIGNING_KEY")
        .env_remove("KEYGEN_LEDGER")
        .env_remove("KEYGEN_PASSPHRASE")
        .env("KEYGEN_TEMPLATES", templates_dir())
        .stdin(std::process::Stdio::null());
    cmd
}

/// Runs the real openssl binary.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    let o = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(o.status.success(), "openssl {args:?}: {}", stderr(&o));
    o
}

/// Writes the RFC 8032 TEST 1 key as a PKCS#8 PEM made by openssl, mode 0600.
pub fn test1_key(dir: &Path) -> PathBuf {
    let der_hex = format!("302e020100300506032b657004220420{TEST1_SECRET}");
    let der: Vec<u8> = (0..der_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&der_hex[i..i + 2], 16).expect("hex"))
        .collect();
    std::fs::write(dir.join("test1.der"), der).expect("write");
    openssl(dir, &["pkey", "-inform", "DER", "-in", "test1.der", "-out", "test1.pem"]);
    let path = dir.join("test1.pem");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

/// A new signing key made by `keygen init` in `dir`.
pub fn init(dir: &Path) -> PathBuf {
    let o = run(keygen(dir).args(["init", "--dir", "."]));
    assert_exit(&o, 0);
    dir.join("signing-key.pem")
}

/// The ledger of an existing signing key (`key`, relative to `dir`), made as only `keygen
/// init` makes one; `extra`: more flags (`--ledger`, `--passphrase-file`).
pub fn make_ledger(dir: &Path, key: &str, extra: &[&str]) {
    let o = run(keygen(dir).args(["init", "--key", key]).args(extra));
    assert_exit(&o, 0);
}

/// Writes a file only its owner may read (mode 0600), as a passphrase file must be.
pub fn private_file(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// `keygen batch` in `dir`, issued on 2026-11-28, with these flags.
pub fn batch(dir: &Path, args: &[&str]) -> Output {
    run(keygen(dir).args(["batch", "--issued", "2026-11-28"]).args(args))
}

/// The ledger beside the signing key in `dir`, opened with SQL as an auditor would.
pub fn ledger_db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("ledger.sqlite")).expect("the ledger opens in SQLite")
}

/// Key rows in the ledger at `path` (0 when there is no ledger).
pub fn keys_in(path: &Path) -> usize {
    if !path.exists() {
        return 0;
    }
    let db = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the ledger");
    db.query_row("SELECT count(*) FROM keys", [], |r| r.get::<_, i64>(0)).expect("count") as usize
}

/// Key rows in the ledger beside the signing key in `dir`.
pub fn ledger_keys(dir: &Path) -> usize {
    keys_in(&dir.join("ledger.sqlite"))
}

/// The key rows of the ledger in `dir` as JSON objects (column → value), in chain order.
pub fn ledger_rows(dir: &Path) -> Vec<serde_json::Value> {
    let db = ledger_db(dir);
    let mut stmt = db.prepare("SELECT * FROM keys ORDER BY position").expect("select");
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    stmt.query_map([], |r| {
        let mut object = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            let value = match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => serde_json::Value::Null,
                rusqlite::types::ValueRef::Integer(n) => serde_json::json!(n),
                rusqlite::types::ValueRef::Text(t) => serde_json::json!(String::from_utf8_lossy(t)),
                other => serde_json::json!(format!("{other:?}")),
            };
            object.insert(name.clone(), value);
        }
        Ok(serde_json::Value::Object(object))
    })
    .expect("rows")
    .map(|r| r.expect("row"))
    .collect()
}
