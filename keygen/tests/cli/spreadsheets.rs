//! Sales operations' real exports: Excel's encodings, rows of only delimiters, ERP headers,
//! template names as people type them, and errors summarized so the real problem shows.

use crate::util::*;

#[test]
fn a_german_excel_csv_in_windows_1252_goes_back_out_in_windows_1252() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    // Excel's "CSV (Trennzeichen-getrennt)": Windows-1252, ';', CRLF, and empty rows below.
    let input = b"Organization;Template;Features;Order_ID\r\nM\xfcller Logistik GmbH;Standard;\"dataflow,edi\";SO-1\r\nK\xf6ln Daten AG;trial;dataflow|workflow;SO-2\r\n;;;\r\n;;;\r\n";
    std::fs::write(t.path().join("export.csv"), input).expect("write");
    let o = batch(t.path(), &["--input", "export.csv", "--output", "keys.csv"]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(err.contains("export.csv:2: -: the text is not valid UTF-8: saved by Excel as 'CSV'? use --encoding windows-1252, or save as 'CSV UTF-8'"), "{err}");
    let o = batch(t.path(), &["--input", "export.csv", "--output", "keys.csv", "--encoding", "windows-1252"]);
    assert_exit(&o, 0);
    let out = std::fs::read(t.path().join("keys.csv")).expect("out");
    assert!(out.starts_with(b"Organization;Template;Features;Order_ID;serial;issued;valid_until;key\r\nM\xfcller Logistik GmbH;Standard;dataflow,edi;SO-1;"), "{}", String::from_utf8_lossy(&out));
    assert_eq!(out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count(), 3, "the empty rows are skipped");
    let ledger = ledger_rows(t.path());
    assert!(
        ledger.iter().any(|r| r["organization"] == "Müller Logistik GmbH" && r["features"] == "dataflow,edi"),
        "{ledger:?}"
    );
}

#[test]
fn excel_unicode_text_in_utf16_with_a_bom_is_read_and_written_back_alike() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let text = "organization\ttemplate\torder_id\r\nYıldız Bilişim A.Ş.\ttrial\tSO-7\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(t.path().join("unicode.txt"), bytes).expect("write");
    let o = batch(t.path(), &["--input", "unicode.txt", "--output", "keys.txt"]);
    assert_exit(&o, 0);
    let out = std::fs::read(t.path().join("keys.txt")).expect("out");
    assert!(out.starts_with(&[0xFF, 0xFE]), "the BOM is kept");
    let units: Vec<u16> = out[2..].chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let decoded = String::from_utf16(&units).expect("UTF-16");
    assert!(decoded.starts_with("organization\ttemplate\torder_id\tserial\tissued\tvalid_until\tkey\r\nYıldız Bilişim A.Ş.\ttrial\tSO-7\t"), "{decoded}");
}

#[test]
fn an_erp_export_maps_its_headers_and_template_names_match_in_any_case() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(t.path().join("erp.csv"), "Kunde;Edition;Lizenzen;Auftrag\nAcme GmbH;Standard;12;A-1\nBeta AG;;;A-2\nGamma SA;ENTERPRISE;;A-3\n")
        .expect("write");
    let o = batch(t.path(), &["--input", "erp.csv", "--output", "keys.csv", "--template", "trial"]);
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("erp.csv:1: organization: the required column is missing (name it here, or map it: --column organization=HEADER)"), "{}", stderr(&o));
    let mapped = [
        "--input",
        "erp.csv",
        "--output",
        "keys.csv",
        "--template",
        "trial",
        "--column",
        "organization=Kunde",
        "--column",
        "template=edition",
        "--column",
        "seats=Lizenzen",
        "--column",
        "order_id=Auftrag",
    ];
    let o = batch(t.path(), &mapped);
    assert_exit(&o, 0);
    let ledger = ledger_rows(t.path());
    // --template fills the empty template cell; a row that names a template keeps it.
    let got: Vec<(&str, &str, serde_json::Value)> = ledger
        .iter()
        .map(|r| (r["order_id"].as_str().expect("o"), r["template"].as_str().expect("t"), r["seats"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("A-1", "standard", 12.into()),
            ("A-2", "trial", 3.into()),
            ("A-3", "enterprise", serde_json::Value::Null)
        ]
    );
    let o = batch(t.path(), &["--input", "erp.csv", "--output", "x.csv", "--column", "customer=Kunde"]);
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("'customer' is not a known column"), "{}", stderr(&o));
    let help = stdout(&run(keygen(t.path()).args(["batch", "--help"])));
    for column in ["organization", "template", "seats", "features", "expires", "order_id", "contact"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(column)), "{column} not in:\n{help}");
    }
}

#[test]
fn thousands_of_the_same_problem_are_summarized_and_every_problem_of_a_row_is_told() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let mut input = String::from("organization,template,seats,features,order_id\n");
    for i in 0..5_000 {
        match i {
            1 => input.push_str("Two Problems,trial,0,teleport,O-1\n"),
            2 => input.push_str(",trial,,,O-2\n"),
            _ => input.push_str(&format!("Customer {i},Premium,,,O-{i}\n")),
        }
    }
    std::fs::write(t.path().join("in.csv"), input).expect("write");
    let o = batch(t.path(), &["--input", "in.csv", "--output", "out.csv"]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(err.lines().count() < 60, "{} lines", err.lines().count());
    assert!(
        err.contains("in.csv:3: seats: '0' is not a seat count")
            && err.contains("in.csv:3: features: unknown feature 'teleport'"),
        "{err}"
    );
    assert!(err.contains("in.csv:4: organization: the organization is empty"), "{err}");
    assert!(err.contains("in.csv: 4,998 rows: template: template 'Premium' not found (known: enterprise, professional, standard, trial); first at lines 2, 5, 6"), "{err}");
    assert!(
        err.contains("in.csv: 5,000 rows checked, 5,001 problems in 5,000 rows; nothing was issued"),
        "{err}"
    );
    assert!(ledger_keys(t.path()) == 0);

    // A rerun of a file already issued: one summary line, not one per row.
    let mut input = String::from("organization,order_id\n");
    for i in 0..3_000 {
        input.push_str(&format!("Customer {i},R-{i}\n"));
    }
    std::fs::write(t.path().join("rerun.csv"), input).expect("write");
    assert_exit(
        &batch(t.path(), &["--input", "rerun.csv", "--output", "keys.csv", "--template", "trial"]),
        0,
    );
    let o =
        batch(t.path(), &["--input", "rerun.csv", "--output", "keys.csv", "--template", "trial", "--force"]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("3,000 rows: order_id: already issued a key in ledger.sqlite; use --skip-issued to reuse those keys; first at lines 2, 3, 4"), "{err}");
}

#[test]
fn skip_issued_refuses_a_row_whose_terms_changed_and_points_at_amend() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    std::fs::write(
        t.path().join("in.csv"),
        "organization;template;seats;order_id\nAcme;trial;;SO-1\nBeta;trial;;SO-2\n",
    )
    .expect("write");
    assert_exit(&batch(t.path(), &["--input", "in.csv", "--output", "out.csv"]), 0);
    std::fs::write(
        t.path().join("in.csv"),
        "organization;template;seats;order_id\nAcme;enterprise;999;SO-1\nBeta;Trial;;SO-2\n",
    )
    .expect("write");
    let o = batch(t.path(), &["--input", "in.csv", "--output", "out.csv", "--force", "--skip-issued"]);
    assert_exit(&o, 3);
    let err = stderr(&o);
    assert!(
        err.contains("in.csv:2: order_id: 'SO-1' was issued key")
            && err.contains("template enterprise, not trial")
            && err.contains("seats 999, not 3"),
        "{err}"
    );
    assert!(err.contains("use: keygen amend --for-order SO-1"), "{err}");
    assert!(!err.contains("in.csv:3"), "an unchanged row (template named in another case) is fine: {err}");
}

#[test]
fn a_sales_desk_gets_a_block_for_the_customer_and_the_public_key_without_a_passphrase() {
    let t = tempfile::tempdir().expect("tempdir");
    private_file(&t.path().join("pass.txt"), "correct horse battery staple\n");
    assert_exit(&run(keygen(t.path()).args(["init", "--encrypt", "--passphrase-file", "pass.txt"])), 0);
    let o = run(keygen(t.path()).args([
        "issue",
        "--template",
        "standard",
        "--org",
        "Acme GmbH",
        "--order-id",
        "SO-1",
        "--format",
        "text",
        "--passphrase-file",
        "pass.txt",
    ]));
    assert_exit(&o, 0);
    let text = stdout(&o);
    for part in [
        "Organization:  Acme GmbH",
        "Edition:       Standard",
        "Client seats:  10",
        "Tools > Manage License",
        "Product Key:",
        "AST8-",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
    // No passphrase: public-key.pem beside the key is read.
    let o = run(keygen(t.path()).args(["public-key", "--format", "hex"]));
    assert_exit(&o, 0);
    let hex = stdout(&o);
    assert_eq!(hex.trim().len(), 64, "{hex}");
    assert!(stderr(&o).contains("key_id: "), "{}", stderr(&o));
    let o = run(keygen(t.path()).args(["public-key"]));
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("-----BEGIN PUBLIC KEY-----"), "{}", stdout(&o));
}

/// The README's ERP example (after `--key vault/signing-key.pem`), as written there.
fn readme_erp_example() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
    let start = readme.find("--input export.csv").expect("the README's ERP example");
    let command = &readme[start..];
    let end = command.find("# a German ERP export").expect("the example's comment");
    command[..end].replace('\\', " ").split_whitespace().map(str::to_owned).collect()
}

#[test]
fn the_readme_erp_example_reads_a_real_export_with_its_ansprechpartner_column_as_the_contact() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    // As the ERP exports it: a contact column under its German name.
    let export = b"Kunde;Edition;Pl\xe4tze;Auftrag;Ansprechpartner\r\nM\xfcller Logistik GmbH;Standard;12;A-1001;Jana M\xfcller\r\nK\xf6ln Daten AG;Professional;30;A-1002;\r\n";
    std::fs::write(t.path().join("export.csv"), export).expect("write");
    let args = readme_erp_example();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = batch(t.path(), &args);
    assert_exit(&o, 0);
    let contacts: Vec<serde_json::Value> =
        ledger_rows(t.path()).iter().map(|r| r["contact"].clone()).collect();
    assert_eq!(contacts, [serde_json::json!("Jana Müller"), serde_json::Value::Null]);
    // Two columns that could be the contact: the choice is the user's, and the message says how.
    std::fs::write(
        t.path().join("export.csv"),
        b"Kunde;Edition;Pl\xe4tze;Auftrag;Ansprechpartner;E-Mail\r\nA AG;Standard;1;A-2001;Jana;j@a.example\r\n",
    )
    .expect("write");
    let o = batch(t.path(), &[&args[..], &["--force"]].concat());
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("--column contact=Ansprechpartner"), "{}", stderr(&o));
    let o = batch(
        t.path(),
        &[&args[..], &["--force", "--column", "contact=E-Mail", "--ignore-column", "Ansprechpartner"]]
            .concat(),
    );
    assert_exit(&o, 0);
    assert_eq!(ledger_rows(t.path())[2]["contact"], "j@a.example");
}

/// Cells a spreadsheet would run as formulas (OWASP's CSV injection), each in a column the
/// batch carries through to its output.
const FORMULAS: [&str; 6] =
    ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3", "\tx", "'=1"];

#[test]
fn cells_from_the_input_that_a_spreadsheet_would_run_are_written_as_text_and_read_back_unchanged() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    let mut input = String::from("organization,template,order_id,contact,note\n");
    for (i, cell) in FORMULAS.iter().enumerate() {
        let quoted = format!("\"{}\"", cell.replace('"', "\"\""));
        input.push_str(&format!("{quoted},trial,SO-{i},{quoted},{quoted}\n"));
    }
    std::fs::write(t.path().join("orders.csv"), &input).expect("write");
    let o = batch(t.path(), &["--input", "orders.csv", "--output", "keys.csv", "--ignore-column", "note"]);
    assert_exit(&o, 0);
    let mut reader = csv::ReaderBuilder::new().from_path(t.path().join("keys.csv")).expect("keys.csv");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), FORMULAS.len());
    for (row, cell) in rows.iter().zip(FORMULAS) {
        for column in [0, 3, 4] {
            let written = &row[column];
            assert!(written.starts_with('\''), "{written:?} would run in a spreadsheet");
            assert_eq!(cli_support::csv_cell::restore(written), cell, "read back");
        }
        assert!(row[8].starts_with("AST8-"), "the key is written as it is: {:?}", &row[8]);
    }
    // The ledger holds what the input said, not the quoted form.
    let ledger = ledger_rows(t.path());
    let orgs: Vec<&str> = ledger.iter().map(|r| r["organization"].as_str().expect("org")).collect();
    assert_eq!(orgs, FORMULAS.map(str::trim));
    // A rerun of the same input with --skip-issued matches every order and its terms.
    let o = batch(
        t.path(),
        &[
            "--input",
            "orders.csv",
            "--output",
            "keys.csv",
            "--ignore-column",
            "note",
            "--skip-issued",
            "--force",
        ],
    );
    assert_exit(&o, 0);
    assert_eq!(ledger_keys(t.path()), FORMULAS.len());
    let again = std::fs::read_to_string(t.path().join("keys.csv")).expect("keys.csv");
    let first_keys: Vec<String> = rows.iter().map(|r| r[8].to_owned()).collect();
    for key in &first_keys {
        assert!(again.contains(key.as_str()), "the rerun gives the recorded key");
    }
}

#[test]
fn ledger_find_and_report_as_csv_write_peoples_cells_as_text() {
    let t = tempfile::tempdir().expect("tempdir");
    init(t.path());
    // A flag's value is trimmed, so a leading tab is no formula there.
    let formulas: Vec<&str> = FORMULAS.into_iter().filter(|c| !c.starts_with('\t')).collect();
    for (i, cell) in formulas.iter().enumerate() {
        let order = format!("SO-{i}");
        let (org, contact) = (format!("--org={cell}"), format!("--contact={cell}"));
        let o = run(keygen(t.path()).args([
            "issue",
            "--template",
            "trial",
            &org,
            "--order-id",
            &order,
            &contact,
        ]));
        assert_exit(&o, 0);
    }
    let find = run(keygen(t.path()).args(["ledger", "find", "--all", "--format", "csv"]));
    assert_exit(&find, 0);
    let report =
        run(keygen(t.path()).args(["ledger", "report", "--format", "csv", "--expiring-within", "400"]));
    assert_exit(&report, 0);
    for (output, columns) in
        [(stdout(&find), &[1][..]), (stdout(&report).trim_start_matches('\u{feff}').to_owned(), &[0, 2][..])]
    {
        let mut reader = csv::ReaderBuilder::new().from_reader(output.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), formulas.len(), "{output}");
        for row in &rows {
            for &column in columns {
                let written = &row[column];
                assert!(written.starts_with('\''), "{written:?} would run in a spreadsheet:\n{output}");
                assert!(formulas.contains(&&*cli_support::csv_cell::restore(written)), "{written:?}");
            }
        }
    }
}
