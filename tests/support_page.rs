//! scripts/support-page.sh as a vendor runs it: it never writes a key file's text into the
//! page, and it takes the library from where cargo put it (CARGO_TARGET_DIR included).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository")
}

fn said(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The vectors' public key (RFC 8032's TEST 1) as an SPKI PEM, the form `keygen init` writes.
const TEST_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
const TEST_KEY_HEX: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn support_page(scripts_root: &Path, key: &Path, out: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(scripts_root.join("scripts/support-page.sh")).arg("--public-key").arg(key).arg("--out").arg(out);
    cmd
}

#[test]
fn a_key_file_holding_markup_is_refused_and_no_page_is_written() {
    let t = tempfile::tempdir().expect("tempdir");
    let hostile = [
        "-----BEGIN PUBLIC KEY-----\n</script><script>alert(\"x\")</script>\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n\
         </script><script>alert('x')</script>\n",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\"; alert(1); \"\n",
    ];
    for (i, text) in hostile.iter().enumerate() {
        let key = t.path().join(format!("hostile-{i}.pem"));
        std::fs::write(&key, text).expect("write");
        let out = t.path().join(format!("page-{i}.html"));
        let o = support_page(&repo(), &key, &out).output().expect("bash runs");
        assert_eq!(o.status.code(), Some(2), "file {i} was not refused: {}", said(&o));
        assert!(said(&o).contains("is not a public key file"), "{}", said(&o));
        assert!(!out.exists(), "a page was written from file {i}");
    }
}

#[test]
fn the_key_is_decoded_into_hex_whatever_its_form() {
    // The page holds the decoded key, never the file's text: PEM and hex give the same line.
    let t = tempfile::tempdir().expect("tempdir");
    let pem = t.path().join("key.pem");
    std::fs::write(&pem, TEST_KEY_PEM).expect("write");
    let hex = t.path().join("key.hex");
    std::fs::write(&hex, format!("  {}\r\n", TEST_KEY_HEX.to_uppercase())).expect("write");
    let o = Command::new("python3")
        .arg(repo().join("scripts/support_page.py"))
        .args(["keys"])
        .arg(&pem)
        .arg(&hex)
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("{TEST_KEY_HEX}\n{TEST_KEY_HEX}\n"));
}

/// The files of the repository (committed or new, not ignored), copied to `to`.
fn copy_sources(to: &Path) {
    let o = Command::new("git")
        .current_dir(repo())
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .expect("git runs");
    assert!(o.status.success(), "{}", said(&o));
    for name in o.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = Path::new(std::str::from_utf8(name).expect("UTF-8 path"));
        let from = repo().join(name);
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let dest = to.join(name);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&from, &dest).expect("copy");
    }
}

#[test]
fn support_page_takes_the_library_cargo_built_under_cargo_target_dir() {
    // A copy of the sources with no target/ of its own: a script that read target/... by hand
    // finds nothing there (or, in the real tree, a stale library).
    let t = tempfile::tempdir().expect("tempdir");
    let copy = t.path().join("repo");
    copy_sources(&copy);
    // Kept between runs (CARGO_TARGET_TMPDIR), so that only the first run builds everything.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("support-page-target");
    let key = t.path().join("key.pem");
    std::fs::write(&key, TEST_KEY_PEM).expect("write");
    let out = t.path().join("support.html");
    let o = support_page(&copy, &key, &out).env("CARGO_TARGET_DIR", &target).output().expect("bash runs");
    assert!(o.status.success(), "{}", said(&o));
    assert!(!copy.join("target").exists(), "something was built outside CARGO_TARGET_DIR");
    let page = std::fs::read_to_string(&out).expect("the page");
    let wasm =
        std::fs::read(target.join("wasm32-unknown-unknown/wasm/product_key.wasm")).expect("the library");
    let inlined = page
        .split("const WASM_BASE64 = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page inlines the library");
    assert_eq!(decode_base64(inlined), wasm, "the page does not hold the library cargo built");
    assert!(page.contains(&format!("const TRUSTED_KEYS = [\"{TEST_KEY_HEX}\"];")), "the key, as hex");
}

fn decode_base64(text: &str) -> Vec<u8> {
    let o = Command::new("python3")
        .args(["-c", "import base64, sys; sys.stdout.buffer.write(base64.b64decode(sys.stdin.read()))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("python3 runs");
    assert!(o.status.success());
    o.stdout
}
