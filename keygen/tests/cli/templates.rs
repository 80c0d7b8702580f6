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
    // The built-in editions and the folder's good one, sorted by name, each with its source.
    let listed = stdout(&o);
    assert!(listed.contains("good           Good") && listed.contains("from: tpl/good.toml"), "{listed}");
    assert!(listed.starts_with("enterprise") && listed.contains("from: built in"), "{listed}");
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

#[test]
fn every_help_states_the_exit_codes_and_every_man_page_named_exists() {
    let t = tempfile::tempdir().expect("tempdir");
    for args in [&["--help"][..], &["issue", "--help"], &["ledger", "find", "--help"], &["batch", "--help"]] {
        let o = run(keygen(t.path()).args(args));
        assert_exit(&o, 0);
        assert!(
            stdout(&o).contains("Exit codes: 0 success; 1 any other failure"),
            "{args:?}: {}",
            stdout(&o)
        );
    }
    let o = run(keygen(t.path()).args(["generate-docs", "docs"]));
    assert_exit(&o, 0);
    let dir = t.path().join("docs");
    let pages: Vec<String> = std::fs::read_dir(&dir)
        .expect("docs")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for page in pages.iter().filter(|p| p.ends_with(".1")) {
        let text = std::fs::read_to_string(dir.join(page)).expect("page");
        // clap_mangen names subcommand pages as `name\-sub(1)` in SEE ALSO.
        for named in text.split_whitespace().filter_map(|w| w.strip_suffix("(1)")) {
            let file = format!(
                "{}.1",
                named.replace("\\-", "-").trim_start_matches("\\fB").trim_end_matches("\\fR")
            );
            assert!(pages.contains(&file), "{page} names {named}(1), which is not generated");
        }
    }
    assert!(pages.contains(&"keygen-ledger-find.1".to_owned()), "{pages:?}");
}

#[test]
fn built_in_editions_work_from_any_folder_and_a_file_of_the_same_name_wins() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    // No templates folder, no KEYGEN_TEMPLATES: the built-in editions, found in any case.
    let bare = |args: &[&str]| {
        let mut cmd = keygen(t.path());
        cmd.env_remove("KEYGEN_TEMPLATES").args(args);
        run(&mut cmd)
    };
    let o = bare(&["templates"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).matches("from: built in").count(), 4, "{}", stdout(&o));
    let o = bare(&["issue", "--template", "Standard", "--org", "Acme", "--json"]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!((v["template"].as_str(), v["seats"].as_u64()), (Some("standard"), Some(10)));
    // A folder's file overrides the edition of the same name.
    std::fs::create_dir(t.path().join("templates")).expect("mkdir");
    std::fs::write(
        t.path().join("templates/standard.toml"),
        "name = \"Standard\"\nseats = 12\nfeatures = [\"edi\"]\n",
    )
    .expect("write");
    let o = bare(&["templates"]);
    assert!(stdout(&o).contains("from: templates/standard.toml"), "{}", stdout(&o));
    let o = bare(&["issue", "--template", "STANDARD", "--org", "Beta", "--json"]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(v["seats"], 12);
    // A named folder must exist; an unknown edition lists the known ones.
    let o = bare(&["templates", "--templates", "nowhere"]);
    assert_exit(&o, 3);
    assert!(
        stderr(&o).contains("cannot read the templates folder nowhere")
            && stderr(&o).contains("KEYGEN_TEMPLATES"),
        "{}",
        stderr(&o)
    );
    let o = bare(&["issue", "--template", "premium", "--org", "Beta"]);
    assert_exit(&o, 3);
    assert!(
        stderr(&o)
            .contains("template 'premium' not found (known: enterprise, professional, standard, trial)"),
        "{}",
        stderr(&o)
    );
}
