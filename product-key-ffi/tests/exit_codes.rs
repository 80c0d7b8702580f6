//! Every table of exit codes a person reads (the header's status comments, embedding.md,
//! docs/key-format.md, docs/operations.md) says what `Status::exit_code` gives: the program
//! is the truth, and the documents are held to it.

use std::collections::BTreeMap;
use std::path::Path;

use product_key::Status;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The program's table: every status with its exit code.
fn program() -> BTreeMap<&'static str, u8> {
    Status::ALL.iter().map(|s| (s.name(), s.exit_code())).collect()
}

/// Rows `| \`status\` | N | ...` of the Markdown tables in `text` (other rows are skipped).
fn markdown_rows(text: &str) -> BTreeMap<String, u8> {
    let mut found = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // A row "| `name` | N | ..." splits into "", "`name`", "N", ...
        if let [_, name, code, ..] = cells.as_slice()
            && let Some(name) = name.strip_prefix('`').and_then(|n| n.strip_suffix('`'))
            && Status::from_name(name).is_some()
            && let Ok(code) = code.parse::<u8>()
        {
            found.insert(name.to_owned(), code);
        }
    }
    found
}

/// Rows `| \`status\` (N) | ...` of operations.md's table.
fn parenthesised_rows(text: &str) -> BTreeMap<String, u8> {
    let mut found = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("| `") else { continue };
        let Some((name, rest)) = rest.split_once('`') else { continue };
        let Some(code) = rest.strip_prefix(" (").and_then(|r| r.split_once(')')).map(|(c, _)| c) else {
            continue;
        };
        if Status::from_name(name).is_some()
            && let Ok(code) = code.parse::<u8>()
        {
            found.insert(name.to_owned(), code);
        }
    }
    found
}

/// The header's `PkStatus` members with the exit code their comment names: "(exit code 3)"
/// or "(4)" in the comment lines right above `PK_STATUS_NAME = n,`.
fn header_rows(header: &str) -> BTreeMap<String, u8> {
    let mut found = BTreeMap::new();
    let mut comment = String::new();
    for line in header.lines().map(str::trim) {
        if let Some(text) = line.strip_prefix("//") {
            comment.push_str(text);
            continue;
        }
        if let Some(member) = line.strip_prefix("PK_STATUS_") {
            let name = member.split(' ').next().unwrap_or_default().to_ascii_lowercase();
            let code = comment
                .rsplit_once('(')
                .and_then(|(_, c)| c.split_once(')'))
                .map(|(c, _)| c.trim_start_matches("exit code ").to_owned());
            if let Some(code) = code.and_then(|c| c.parse::<u8>().ok()) {
                found.insert(name, code);
            }
        }
        comment.clear();
    }
    found
}

fn assert_matches(what: &str, documented: BTreeMap<String, u8>) {
    let expected: BTreeMap<String, u8> = program().into_iter().map(|(n, c)| (n.to_owned(), c)).collect();
    assert_eq!(documented, expected, "{what}: the exit codes differ from Status::exit_code");
}

#[test]
fn the_header_names_each_status_exit_code() {
    assert_matches("include/product_key.h", header_rows(&read("include/product_key.h")));
}

#[test]
fn embedding_md_names_each_status_exit_code() {
    assert_matches("docs/embedding.md", markdown_rows(&read("../docs/embedding.md")));
}

#[test]
fn key_format_md_names_each_status_exit_code() {
    assert_matches("docs/key-format.md", markdown_rows(&read("../docs/key-format.md")));
}

#[test]
fn operations_md_names_each_status_exit_code() {
    assert_matches("docs/operations.md", parenthesised_rows(&read("../docs/operations.md")));
}

#[test]
fn the_readers_catch_a_wrong_code() {
    // The parsers must see a changed number, or the tests above could never fail.
    let table = "| `expired` | 6 | ... |\n| `valid` | 0 | ... |\n";
    assert_eq!(markdown_rows(table).get("expired"), Some(&6));
    assert_eq!(parenthesised_rows("| `org_mismatch` (7) | ... |\n").get("org_mismatch"), Some(&7));
    let header = "  // Issued after the day (6).\n  PK_STATUS_NOT_YET_VALID = 4,\n";
    assert_eq!(header_rows(header).get("not_yet_valid"), Some(&6));
}
