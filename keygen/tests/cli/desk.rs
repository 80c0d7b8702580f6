//! The sales desk as people use it (issue 20): the README's ERP example run as written, no
//! column passed over silently, messages in the user's own headers.

use crate::util::*;

/// A German ERP export as Excel saves it: Windows-1252, `;`, CRLF; seats as the ERP writes
/// them (`1.000` is one thousand).
const GERMAN_EXPORT: &[u8] = b"Kunde;Edition;Pl\xe4tze;Auftrag\r\nM\xfcller Logistik GmbH;Standard;12;A-1001\r\nK\xf6ln Daten AG;Professional;30;A-1002\r\nGro\xdfhandel S\xfcd KG;Enterprise;1.000;A-1003\r\n";

/// The README's ERP example, as written there (after `--key vault/signing-key.pem`).
fn readme_erp_example() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
    let start = readme.find("--input export.csv").expect("the README's ERP example");
    let command = &readme[start..];
    let end = command.find("# a German ERP export").expect("the example's comment");
    command[..end].replace('\\', " ").split_whitespace().map(str::to_owned).collect()
}

#[test]
fn the_readme_erp_example_issues_the_files_seats_records_the_orders_and_a_rerun_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(t.path().join("export.csv"), GERMAN_EXPORT).expect("write");
    let args = readme_erp_example();
    assert!(args.iter().any(|a| a == "seats=Plätze"), "{args:?}");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = batch(t.path(), &args);
    assert_exit(&o, 0);
    let ledger = ledger_rows(t.path());
    let got: Vec<(&str, &str, serde_json::Value)> = ledger
        .iter()
        .map(|r| {
            (
                r["organization"].as_str().expect("org"),
                r["order_id"].as_str().expect("order"),
                r["seats"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Müller Logistik GmbH", "A-1001", 12.into()),
            ("Köln Daten AG", "A-1002", 30.into()),
            ("Großhandel Süd KG", "A-1003", 1000.into())
        ]
    );
    let mut again = args.clone();
    again.push("--force");
    let o = batch(t.path(), &again);
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("already issued a key"), "{}", stderr(&o));
    // Named by the input's header, not ours.
    assert!(stderr(&o).contains("3 rows: Auftrag: already issued"), "{}", stderr(&o));
    assert_eq!(ledger_keys(t.path()), 3);
}

#[test]
fn a_column_not_read_is_refused_by_name_with_the_mapping_it_needs_unless_ignored() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(t.path().join("export.csv"), GERMAN_EXPORT).expect("write");
    // The README's old example: Plätze and Auftrag passed over, every key the edition's seats.
    let old = [
        "--input",
        "export.csv",
        "--encoding",
        "windows-1252",
        "--column",
        "organization=Kunde",
        "--column",
        "template=Edition",
    ];
    let o = batch(t.path(), &[&old[..], &["--output", "keys.csv"]].concat());
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(
        err.contains("export.csv:1: Plätze: keygen does not read this column, and no cell is passed over silently: if it holds the seats, map it: --column seats=Plätze; or carry it through to the output unread: --ignore-column Plätze (or --ignore-other-columns for every such column). Known columns: organization, template, seats, features, expires, order_id, contact"),
        "{err}"
    );
    assert!(
        err.contains("export.csv:1: Auftrag: keygen does not read this column")
            && err.contains("--column order_id=Auftrag"),
        "{err}"
    );
    assert!(err.contains("export.csv:1: order_id: no column holds order ids: a row is recognised by its order, so running this file again would issue every key again"), "{err}");
    assert!(ledger_keys(t.path()) == 0 && !t.path().join("keys.csv").exists());

    // Named as not read: carried through, and without orders only when said so.
    let ignored =
        [&old[..], &["--output", "keys.csv", "--ignore-column", "plätze", "--ignore-column", "Auftrag"]]
            .concat();
    let o = batch(t.path(), &ignored);
    assert_exit(&o, 3);
    assert!(
        stderr(&o).contains("order_id: no column holds order ids") && !stderr(&o).contains("Plätze"),
        "{}",
        stderr(&o)
    );
    let o = batch(t.path(), &[&ignored[..], &["--no-order-ids"]].concat());
    assert_exit(&o, 0);
    let out = std::fs::read(t.path().join("keys.csv")).expect("out");
    assert!(out.starts_with(b"Kunde;Edition;Pl\xe4tze;Auftrag;serial;issued;valid_until;key\r\nM\xfcller Logistik GmbH;Standard;12;A-1001;"), "{}", String::from_utf8_lossy(&out));
    let o = batch(
        t.path(),
        &[&old[..], &["--ignore-other-columns", "--no-order-ids", "--output", "k2.csv"]].concat(),
    );
    assert_exit(&o, 0);

    // An ignored column that is not there, or that is read, is a mistake.
    let o = batch(
        t.path(),
        &[
            &old[..],
            &[
                "--ignore-other-columns",
                "--no-order-ids",
                "--ignore-column",
                "Region",
                "--ignore-column",
                "Kunde",
                "--output",
                "k3.csv",
            ],
        ]
        .concat(),
    );
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(err.contains("export.csv:1: Region: no such column (from --ignore-column Region); the input's columns are: Kunde, Edition, Plätze, Auftrag"), "{err}");
    assert!(err.contains("export.csv:1: Kunde: this column is read as organization, and --ignore-column Kunde says not to read it"), "{err}");
    // --no-order-ids with an order column is a contradiction.
    let o = batch(
        t.path(),
        &[
            &old[..],
            &[
                "--column",
                "order_id=Auftrag",
                "--column",
                "seats=Plätze",
                "--no-order-ids",
                "--output",
                "k4.csv",
            ],
        ]
        .concat(),
    );
    assert_exit(&o, 3);
    assert!(
        stderr(&o).contains(
            "export.csv:1: Auftrag: this column holds order ids, and --no-order-ids says there are none"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn messages_about_a_mapped_column_name_the_users_header() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(
        t.path().join("export.csv"),
        "Kunde;Edition;Plätze;Auftrag\nAcme;Standard;zwölf;A-1\nBeta;Standard;1.5;A-2\n;Standard;3;A-3\n",
    )
    .expect("write");
    let o = batch(
        t.path(),
        &[
            "--input",
            "export.csv",
            "--output",
            "keys.csv",
            "--column",
            "organization=Kunde",
            "--column",
            "template=Edition",
            "--column",
            "seats=Plätze",
            "--column",
            "order_id=Auftrag",
        ],
    );
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(
        err.contains("export.csv:2: Plätze: ")
            && err.contains("export.csv:3: Plätze: '1.5' is not a whole number of seats"),
        "{err}"
    );
    assert!(err.contains("export.csv:4: Kunde: "), "{err}");
    assert!(!err.contains(": seats:") && !err.contains(": organization:"), "{err}");
}

#[test]
fn dates_as_european_exports_write_them_are_read_and_ambiguous_slashes_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let args = [
        "--input",
        "in.csv",
        "--output",
        "keys.csv",
        "--template",
        "standard",
        "--column",
        "expires=Gültig bis",
    ];
    std::fs::write(
        t.path().join("in.csv"),
        "organization;Gültig bis;order_id\nAcme;01/02/2027;A-1\nBeta;31.12.2027;A-2\n",
    )
    .expect("write");
    let o = batch(t.path(), &args);
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(err.contains("in.csv:2: Gültig bis: '01/02/2027' can be read two ways: 2027-02-01 (day first) or 2027-01-02 (month first)"), "{err}");
    assert!(!err.contains("in.csv:3"), "{err}");
    std::fs::write(
        t.path().join("in.csv"),
        "organization;Gültig bis;order_id\nAcme;13/02/2027;A-1\nBeta;31.12.2027;A-2\n",
    )
    .expect("write");
    assert_exit(&batch(t.path(), &args), 0);
    let expires: Vec<String> =
        ledger_rows(t.path()).iter().map(|r| r["expires"].as_str().expect("day").to_owned()).collect();
    assert_eq!(expires, ["2027-02-13", "2027-12-31"]);
}

#[test]
fn an_unknown_edition_gets_the_nearest_name() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let o = run(keygen(t.path()).args(["issue", "--template", "standart", "--org", "Acme"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("template 'standart' not found (known: enterprise, professional, standard, trial); did you mean 'standard'?"), "{}", stderr(&o));
    std::fs::write(
        t.path().join("in.csv"),
        "organization,template,order_id\nAcme,Enterprize,A-1\nBeta,gold,A-2\n",
    )
    .expect("write");
    let o = batch(t.path(), &["--input", "in.csv", "--output", "keys.csv"]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(
        err.contains("in.csv:2: template: template 'Enterprize' not found")
            && err.contains("did you mean 'enterprise'?"),
        "{err}"
    );
    assert!(
        err.contains("in.csv:3: template: template 'gold' not found")
            && !err.contains("'gold' not found (known: enterprise, professional, standard, trial); did"),
        "{err}"
    );
}

#[test]
fn renewals_and_amendments_get_the_customer_block_saying_what_they_replace() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let issue = |args: &[&str]| {
        let o = run(keygen(t.path()).args(args));
        assert_exit(&o, 0);
        stdout(&o)
    };
    let first: serde_json::Value = serde_json::from_str(&issue(&[
        "issue",
        "--template",
        "standard",
        "--org",
        "Acme GmbH",
        "--order-id",
        "SO-1",
        "--json",
    ]))
    .expect("json");
    let renewed = issue(&["renew", "--for-order", "SO-1", "--order-id", "SO-2", "--format", "text"]);
    for part in [
        "Your renewed AST 8 product key",
        "Organization:  Acme GmbH",
        "Edition:       Standard",
        "Order:         SO-2",
        &format!(
            "Replaces:      the key with serial {} (issued {}, order SO-1)",
            first["serial"].as_str().expect("serial"),
            first["issued"].as_str().expect("day")
        ),
        "replace the old key",
        "Product key:\nAST8-",
    ] {
        assert!(renewed.contains(part), "{part:?} missing from:\n{renewed}");
    }
    let second: serde_json::Value =
        serde_json::from_str(&issue(&["ledger", "find", "--order-id", "SO-2", "--format", "json"]))
            .expect("json");
    let amended = issue(&["amend", "--for-order", "SO-2", "--seats", "60", "--format", "text"]);
    for part in [
        "Your new AST 8 product key".to_owned(),
        "Client seats:  60".to_owned(),
        format!("Replaces:      the key with serial {} (issued", second["serial"].as_str().expect("serial")),
    ] {
        assert!(amended.contains(&part), "{part:?} missing from:\n{amended}");
    }
    let o = run(keygen(t.path()).args(["amend", "--for-order", "SO-2", "--seats", "70", "--format", "html"]));
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("--format: 'html' is not key, json or text"), "{}", stderr(&o));
}

#[test]
fn a_key_dated_after_today_is_issued_with_a_warning_and_its_first_day_in_the_block() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let o = run(keygen(t.path()).args([
        "issue",
        "--template",
        "standard",
        "--org",
        "Acme",
        "--issued",
        "2149-01-01",
        "--expires",
        "2149-06-01",
        "--format",
        "text",
    ]));
    assert_exit(&o, 0);
    assert!(
        stderr(&o).contains("keygen: warning: the key is dated 2149-01-01, after today"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("Valid from:    2149-01-01 (the key is not accepted before this day)"),
        "{}",
        stdout(&o)
    );
    let o =
        run(keygen(t.path()).args(["issue", "--template", "standard", "--org", "Beta", "--format", "text"]));
    assert_exit(&o, 0);
    assert!(
        !stderr(&o).contains("warning") && !stdout(&o).contains("Valid from:"),
        "{}{}",
        stderr(&o),
        stdout(&o)
    );
}

/// The display column (East Asian wide characters count two) where `needle` starts in `line`.
fn display_column(line: &str, needle: &str) -> usize {
    let at = line.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {line:?}"));
    line[..at]
        .chars()
        .map(|c| {
            if ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn tables_line_up_names_in_any_script() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    for (org, order) in [("データ統合株式会社", "O-1"), ("Acme GmbH", "O-2"), ("Müller Straße AG", "O-3")]
    {
        let o = run(keygen(t.path()).args([
            "issue",
            "--template",
            "standard",
            "--org",
            org,
            "--order-id",
            order,
            "--issued",
            "2026-11-28",
            "--expires",
            "2026-12-20",
        ]));
        assert_exit(&o, 0);
    }
    let o = run(keygen(t.path()).args(["ledger", "report", "--expiring-within", "60", "--at", "2026-12-01"]));
    assert_exit(&o, 0);
    let table = stdout(&o);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    let order_column = display_column(lines[0], "order_id");
    for line in &lines[1..] {
        assert_eq!(display_column(line, " O-") + 1, order_column, "{table}");
    }

    // ledger find's table too: the order column starts at the same display column on every line.
    let o = run(keygen(t.path()).args(["ledger", "find", "--all"]));
    assert_exit(&o, 0);
    let table = stdout(&o);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    let order_column = display_column(lines[0], "order_id");
    for line in &lines[1..] {
        assert_eq!(display_column(line, " O-") + 1, order_column, "{table}");
    }

    let dir = t.path().join("editions");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(
        dir.join("jp.toml"),
        "name = \"エンタープライズ版\"\nseats = 5\nfeatures = [\"dataflow\"]\n",
    )
    .expect("write");
    std::fs::write(dir.join("de.toml"), "name = \"Groß\"\nseats = 5\nfeatures = [\"dataflow\"]\n")
        .expect("write");
    let o = run(keygen(t.path()).args(["templates", "--templates", "editions"]));
    assert_exit(&o, 0);
    let listing = stdout(&o);
    let rows: Vec<&str> = listing.lines().filter(|l| l.contains("seats:")).collect();
    assert!(rows.len() >= 6, "{listing}");
    let seats = display_column(rows[0], "seats:");
    assert!(rows.iter().all(|r| display_column(r, "seats:") == seats), "{listing}");
}
