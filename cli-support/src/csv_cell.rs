//! Spreadsheet formula injection (OWASP's CSV injection rule): a cell written from people's
//! input that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula
//! by Excel, LibreOffice and Google Sheets. Such a cell is written with a `'` before it, which
//! spreadsheets show as text. [`restore`] undoes it exactly, so a program that reads our CSV
//! back (keygen's `--skip-issued`, `verifier batch`) sees the value that was written: a cell
//! that already starts with quotes before such a character gets one quote more, so the two
//! functions are inverse for every string.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` is, after any leading quotes, a formula trigger.
fn needs_quote(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// The cell as it is safe to write: `'` before a cell that a spreadsheet would run.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if needs_quote(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// The value [`neutralize`] was given, from what it wrote.
pub fn restore(cell: &str) -> Cow<'_, str> {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => Cow::Borrowed(rest),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::{neutralize, restore};

    #[test]
    fn formulas_are_quoted() {
        for cell in ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["Acme GmbH", "AST8-ABCD", "", "'quoted'", "a=b"] {
            assert_eq!(neutralize(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn restore_inverts_neutralize() {
        for cell in ["=1", "'=1", "''=1", "'", "''", "'x", "Acme", "", "-", "'-", "@", "x=1"] {
            assert_eq!(restore(&neutralize(cell)), cell, "{cell:?}");
        }
    }
}
