//! `verifier batch`: every key of a CSV file, judged by the library's one verification
//! function (strict Ed25519, in parallel), so each row's verdict is `verifier check`'s.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use product_key::{Check, Status, Verdict, verify};
use rayon::prelude::*;
use tabular::{Row, Table};

use crate::cli::BatchArgs;
use crate::error::Error;
use crate::{output, report, trust};

const CHUNK: usize = 4096;

/// Runs `verifier batch`: exit 0 when every key is valid, 1 when any is not.
pub fn run(args: &BatchArgs) -> Result<ExitCode, Error> {
    let setup = trust::load(&args.trust)?;
    let delimiter = match &args.delimiter {
        Some(d) => Some(tabular::parse_delimiter(d).map_err(|e| Error::Usage(format!("--delimiter: {e}")))?),
        None => None,
    };
    let mut table = Table::open(&args.input, delimiter).map_err(|e| Error::Usage(e.to_string()))?;
    let key_col = table.column(&args.key_column).ok_or_else(|| {
        Error::Usage(format!(
            "{}: no column named '{}' (see --key-column)",
            args.input.display(),
            args.key_column
        ))
    })?;
    let org_col = table.column(&args.org_column);
    for reserved in ["status", "message"] {
        if !args.json && table.column(reserved).is_some() {
            return Err(Error::Usage(format!(
                "{}: the input has a '{reserved}' column, which the report adds; rename it",
                args.input.display()
            )));
        }
    }
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path).map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let sink = BufWriter::with_capacity(1 << 20, sink);
    let mut out = if args.json {
        Out::Json(sink)
    } else {
        let mut w = tabular::writer(sink, table.format).map_err(io_error)?;
        let mut header = csv::StringRecord::from(table.headers.clone());
        header.push_field("status");
        header.push_field("message");
        w.write_record(&header).map_err(csv_error)?;
        Out::Csv(Box::new(w))
    };

    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut rows: Vec<Row> = Vec::with_capacity(CHUNK);
    let at = setup.at;
    let judge = |row: &Row| -> Verdict {
        let cell = |i: usize| String::from_utf8_lossy(row.record.get(i).unwrap_or_default()).into_owned();
        let key = cell(key_col);
        let org = org_col.map(cell).map(|o| o.trim().to_owned()).filter(|o| !o.is_empty());
        let check = Check { at, organization: org.as_deref(), revocations: setup.revocations.as_ref() };
        verify(&key, &setup.trusted, &check)
    };
    let mut done = false;
    while !done {
        rows.clear();
        while rows.len() < CHUNK {
            match table.next_row() {
                Some(Ok(row)) => rows.push(row),
                Some(Err((line, e))) => {
                    return Err(Error::Usage(format!("{}:{line}: {e}", args.input.display())));
                }
                None => {
                    done = true;
                    break;
                }
            }
        }
        let verdicts: Vec<Verdict> = rows.par_iter().map(judge).collect();
        for (row, verdict) in rows.iter().zip(&verdicts) {
            let status = verdict.status();
            *counts.entry(status.name()).or_default() += 1;
            let message = report::headline(verdict, at);
            let written = match &mut out {
                Out::Csv(w) => {
                    let mut record = row.record.clone();
                    record.push_field(status.name().as_bytes());
                    record.push_field(message.as_bytes());
                    w.write_byte_record(&record).map_err(csv_error)
                }
                Out::Json(w) => {
                    let line = serde_json::json!({
                        "line": row.line, "status": status.name(), "message": message, "key": report::key_json(verdict),
                    });
                    writeln!(w, "{line}").map_err(io_error)
                }
            };
            if let Err(e) = written {
                return closed_pipe_ends(e);
            }
        }
    }
    let flushed = match &mut out {
        Out::Csv(w) => w.flush().map_err(io_error),
        Out::Json(w) => w.flush().map_err(io_error),
    };
    if let Err(e) = flushed {
        return closed_pipe_ends(e);
    }
    let total: u64 = counts.values().sum();
    let valid = counts.get(Status::Valid.name()).copied().unwrap_or(0);
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    output::warn(&format!(
        "{total} keys checked on {at}: {}",
        if summary.is_empty() { "none".into() } else { summary.join(", ") }
    ));
    Ok(if valid == total { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Where the report goes.
enum Out {
    Csv(Box<csv::Writer<BufWriter<Box<dyn Write>>>>),
    Json(BufWriter<Box<dyn Write>>),
}

fn io_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::ClosedPipe
    } else {
        Error::Io(format!("cannot write the report: {e}"))
    }
}

fn csv_error(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => io_error(e),
        other => Error::Io(format!("cannot write the report: {other:?}")),
    }
}

/// The report's reader went away (`verifier batch ... | head`): stop, without an error.
fn closed_pipe_ends(e: Error) -> Result<ExitCode, Error> {
    match e {
        Error::ClosedPipe => Ok(ExitCode::SUCCESS),
        e => Err(e),
    }
}
