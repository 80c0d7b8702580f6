//! Templates and the catalog.

use crate::util::*;

#[test]
fn lists_the_shipped_editions() {
    let t = tempfile::tempdir().expect("tempdir");
    let o = run(keygen(t.path()).args(["templates"]));
    assert_exit(&o, 0);
    let text = stdout(&o);
    for edition in ["trial", "standard", "professional", "enterprise"] {
        assert!(text.lines().any(|l| l.starts_with(edition)), "{edition} missing from:\n{text}");
    }
    assert!(text.contains("unlimited") && text.contains("perpetual") && text.contains("365 days"), "{text}");
}

#[test]
fn bad_templates_are_reported_with_file_and_line() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path().join("tpl");
    std::fs::create_dir(&d).expect("mkdir");
    std::fs::write(d.join("good.toml"), "name = \"Good\"\nseats = 5\nfeatures = [\"edi\"]\n").expect("write");
    std::fs::write(d.join("typo.toml"), "name = \"Typo\"\nseats = 5\nfeatures = [\"edi\",\n  \"dataflw\"]\n")
        .expect("write");
    std::fs::write(d.join("extra.toml"), "name = \"X\"\nseats = 5\nfeatures = [\"edi\"]\nprice = 100\n")
        .expect("write");
    std::fs::write(d.join("missing.toml"), "name = \"X\"\nfeatures = [\"edi\"]\n").expect("write");
    std::fs::write(d.join("mixed.toml"), "name = \"X\"\nseats = 5\nfeatures = [\"all\", \"edi\"]\n")
        .expect("write");
    let o = run(keygen(t.path()).args(["templates", "--templates", "tpl"]));
    assert_exit(&o, 3);
    assert!(stdout(&o).starts_with("good"), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("tpl/typo.toml:4: unknown feature 'dataflw'"), "{err}");
    assert!(err.contains("tpl/extra.toml:4: unknown field `price`"), "{err}");
    assert!(err.contains("tpl/missing.toml") && err.contains("missing field `seats`"), "{err}");
    assert!(err.contains("tpl/mixed.toml:3: 'all' cannot be combined"), "{err}");

    let issue =
        run(keygen(t.path()).args(["issue", "--templates", "tpl", "--template", "typo", "--org", "A"]));
    assert_exit(&issue, 3);
    assert!(stderr(&issue).contains("tpl/typo.toml:4"), "{}", stderr(&issue));
}

#[test]
fn prints_the_catalog() {
    let t = tempfile::tempdir().expect("tempdir");
    let o = run(keygen(t.path()).args(["features"]));
    assert_exit(&o, 0);
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 13);
    assert!(text.contains(" 11  cloud-connectors  Cloud Connectors"), "{text}");
}
