//! scripts/install-deps.sh on a fresh machine: what is missing is installed, and the README's
//! test command (scripts/test.sh) runs it before any test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository")
}

fn said(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn install_deps_installs_what_a_fresh_machine_lacks() {
    // A machine with bash and coreutils only: every package is asked of apt-get (a stand-in
    // that records its arguments), as root.
    let t = tempfile::tempdir().expect("tempdir");
    let bin = t.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    for tool in ["bash", "env", "grep", "dirname", "cat"] {
        let found = ["/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(tool)).find(|p| p.exists());
        std::os::unix::fs::symlink(found.unwrap_or_else(|| panic!("{tool} is missing")), bin.join(tool))
            .expect("symlink");
    }
    let log = t.path().join("log");
    let fake = |name: &str, body: &str| {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!{}/bash\n{body}\n", bin.display())).expect("write");
        let mut perms = std::fs::metadata(&path).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).expect("chmod");
    };
    fake("id", "echo 0");
    fake("apt-get", &format!("echo \"apt-get $*\" >> {}", log.display()));
    fake(
        "rustup",
        &format!(
            "echo \"rustup $*\" >> {}; [ \"$1\" != target ] || echo wasm32-unknown-unknown",
            log.display()
        ),
    );
    fake("cargo", "exit 0");
    fake("npm", &format!("echo \"npm $*\" >> {}", log.display()));
    let o = Command::new(bin.join("bash"))
        .arg(repo().join("scripts/install-deps.sh"))
        .env_clear()
        .env("PATH", &bin)
        .env("CHROMIUM", t.path().join("no-chromium"))
        .output()
        .expect("bash runs");
    assert!(o.status.success(), "{}", said(&o));
    let log = std::fs::read_to_string(&log).expect("apt-get was run");
    assert!(log.contains("apt-get update"), "{log}");
    assert!(
        log.contains("apt-get install -y -qq openssl gcc g++ python3 valgrind nodejs npm chromium"),
        "{log}"
    );
}

#[test]
fn the_readme_test_command_installs_before_it_tests() {
    let script = std::fs::read_to_string(repo().join("scripts/test.sh")).expect("test.sh");
    let install = script.find("\nscripts/install-deps.sh\n").expect("test.sh runs scripts/install-deps.sh");
    let first_test = script.find("cargo test").expect("test.sh runs cargo test");
    assert!(install < first_test, "install-deps.sh must run before the tests");
}
