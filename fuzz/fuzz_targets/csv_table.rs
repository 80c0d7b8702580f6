//! CSV reading in `tabular`, as keygen batch and verifier batch read their input: any bytes,
//! any delimiter. Oracles: every record or error names a line, and lines only go forward;
//! no more records than the input has line ends plus one.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tabular::Table;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the delimiter: detected, or one of those a user may name.
    let Some((&choice, input)) = data.split_first() else { return };
    let delimiter = match choice % 5 {
        0 => None,
        1 => Some(b','),
        2 => Some(b';'),
        3 => Some(b'\t'),
        _ => Some(b'|'),
    };
    let source = Box::new(std::io::Cursor::new(input.to_vec()));
    let Ok(mut table) = Table::from_reader(Path::new("fuzz.csv"), source, delimiter, None) else { return };
    let _ = table.column("organization");
    let ends = input.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64;
    let mut last = 1;
    let mut rows = 0u64;
    while let Some(row) = table.next_row() {
        rows += 1;
        assert!(rows <= ends + 1, "more records than lines");
        let line = match &row {
            Ok(row) => row.line,
            Err(e) => e.line(),
        };
        assert!(line >= last, "line {line} after line {last}");
        last = line;
        if let Err(e) = &row {
            let _ = e.to_string();
            if e.is_fatal() {
                break;
            }
        } else if let Ok(row) = &row {
            for i in 0..row.record.len() {
                let _ = tabular::cell(&row.record, i);
            }
        }
    }
});
