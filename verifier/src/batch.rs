//! `verifier batch`: every key of a CSV file, judged by the library's one verification
//! function (strict Ed25519, in parallel), so each row's verdict is `verifier check`'s.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use cli_support::Pending;
use product_key::{Check, Status};
use rayon::prelude::*;
use tabular::{Row, Table};

use crate::cli::BatchArgs;
use crate::error::Error;
use crate::trust;
use product_key_report as report;

const CHUNK: usize = 4096;

/// The statuses of a group of rows, and their report lines.
type Judged = (Vec<Status>, Vec<u8>);

/// Runs `verifier batch`: exit 0 when every key is valid, 1 when any is not.
pub fn run(args: &BatchArgs) -> Result<ExitCode, Error> {
    let setup = trust::load(&args.trust)?;
    let delimiter = match &args.delimiter {
        Some(d) => Some(tabular::parse_delimiter(d).map_err(|e| Error::Usage(format!("--delimiter: {e}")))?),
        None => None,
    };
    let encoding = match &args.encoding {
        Some(e) => Some(tabular::parse_encoding(e).map_err(|e| Error::Usage(format!("--encoding: {e}")))?),
        None => detect_encoding(&args.input)?,
    };
    let file = std::fs::File::open(&args.input)
        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", args.input.display())))?;
    let mut table = Table::from_reader(&args.input, Box::new(file), delimiter, encoding)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let key_col = table.column(&args.key_column).ok_or_else(|| {
        Error::Usage(format!(
            "{}: no column named '{}' (see --key-column)",
            args.input.display(),
            args.key_column
        ))
    })?;
    // The default column is optional; a column named on the command line must exist, or a
    // typo would silently turn the organization check off.
    let org_col = match &args.org_column {
        None => table.column("organization"),
        Some(name) => Some(table.column(name).ok_or_else(|| {
            Error::Usage(format!("{}: no column named '{name}' (see --org-column)", args.input.display()))
        })?),
    };
    for reserved in ["status", "message"] {
        if table.column(reserved).is_some() {
            return Err(Error::Usage(format!(
                "{}: the input has a '{reserved}' column, which the report adds; rename it",
                args.input.display()
            )));
        }
    }
    // A report file appears whole: written beside its target, then renamed over it.
    let mut pending = match &args.output {
        Some(path) => Some(Pending::create(path, true).map_err(|e| Error::Io(e.to_string()))?),
        None => None,
    };
    // Sent to the writer thread: stdout unlocked (each buffered write takes the lock).
    let sink: Box<dyn Write + Send> = match &mut pending {
        Some(p) => Box::new(p),
        None => Box::new(std::io::stdout()),
    };
    let sink = BufWriter::with_capacity(1 << 20, sink);
    // JSON Lines are UTF-8; the CSV report is in the input's encoding, with its BOM.
    let mut sink = if args.json {
        tabular::Encoder::new(sink, tabular::TextEncoding::Utf8)
    } else {
        match tabular::encoded(sink, table.format) {
            Ok(sink) => sink,
            Err(e) => return closed_pipe_ends(io_error(e)),
        }
    };
    if !args.json {
        let mut header = csv::StringRecord::from(table.headers.clone());
        header.push_field("status");
        header.push_field("message");
        let mut w = tabular::row_writer(table.format);
        w.write_record(&header).map_err(csv_error)?;
        let bytes = w.into_inner().map_err(|e| io_error(e.into_error()))?;
        if let Err(e) = sink.write_all(&bytes).map_err(io_error) {
            return closed_pipe_ends(e);
        }
    }
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let at = setup.at;
    let format = table.format;
    let json = args.json;
    // Rows are judged 64 at a time: the library checks their signatures together, each with
    // exactly the verdict `verify` (and so `verifier check`) gives it.
    let judge = |rows: &[Row]| -> Result<Judged, Error> {
        let cell =
            |row: &Row, i: usize| String::from_utf8_lossy(row.record.get(i).unwrap_or_default()).into_owned();
        let keys: Vec<String> = rows.iter().map(|row| cell(row, key_col)).collect();
        // Given to the library as written (only a blank cell means "no check"), so that the
        // verdict is `check --org`'s for the same text, the 1,024-byte limit included.
        let orgs: Vec<Option<String>> =
            rows.iter().map(|row| org_col.map(|i| cell(row, i)).filter(|o| !o.trim().is_empty())).collect();
        let items: Vec<(&str, Check<'_>)> = keys
            .iter()
            .zip(&orgs)
            .map(|(key, org)| {
                (
                    key.as_str(),
                    Check { at, organization: org.as_deref(), revocations: setup.revocations.as_ref() },
                )
            })
            .collect();
        let verdicts = product_key::verify_each(&items, &setup.trusted);
        // The rows are formatted here, in parallel, into one buffer; the writer only copies.
        let mut statuses = Vec::with_capacity(rows.len());
        let mut csv_out = (!json).then(|| tabular::row_writer(format));
        let mut bytes = Vec::with_capacity(rows.len() * 400);
        for ((row, verdict), key) in rows.iter().zip(verdicts).zip(&keys) {
            let status = verdict.status();
            let message = report::headline(&verdict, key, at);
            match &mut csv_out {
                None => {
                    let line = serde_json::json!({
                        "line": row.line, "status": status.name(), "message": message, "key": report::key_json(&verdict),
                    });
                    bytes.extend_from_slice(line.to_string().as_bytes());
                    bytes.push(b'\n');
                }
                Some(w) => {
                    let mut record = row.record.clone();
                    record.push_field(status.name().as_bytes());
                    record.push_field(message.as_bytes());
                    w.write_byte_record(&record).map_err(csv_error)?;
                }
            }
            statuses.push(status);
        }
        if let Some(w) = csv_out {
            bytes = w.into_inner().map_err(|e| io_error(e.into_error()))?;
        }
        Ok((statuses, bytes))
    };
    // Reading, judging and writing overlap: a reader thread parses the next chunk while the
    // pool judges this one and a writer thread writes the one before, so that the pool never
    // waits for the output.
    let (to_pool, chunks) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
    let (to_writer, judged_chunks) = std::sync::mpsc::sync_channel::<Vec<Result<Judged, Error>>>(2);
    let input = args.input.display().to_string();
    let written = std::thread::scope(|scope| -> Result<(), Error> {
        let reader = scope.spawn(move || -> Result<(), Error> {
            loop {
                let mut rows = Vec::with_capacity(CHUNK);
                while rows.len() < CHUNK {
                    match table.next_row() {
                        Some(Ok(row)) => rows.push(row),
                        Some(Err(e)) => return Err(Error::Usage(format!("{input}:{}: {e}", e.line()))),
                        None => break,
                    }
                }
                let last = rows.len() < CHUNK;
                if to_pool.send(rows).is_err() || last {
                    return Ok(());
                }
            }
        });
        let counts = &mut counts;
        let sink = &mut sink;
        let writer = scope.spawn(move || -> Result<(), Error> {
            for judged in judged_chunks {
                for result in judged {
                    let (statuses, bytes) = result?;
                    for status in statuses {
                        *counts.entry(status.name()).or_default() += 1;
                    }
                    sink.write_all(&bytes).map_err(io_error)?;
                }
            }
            Ok(())
        });
        for rows in chunks {
            let judged: Vec<Result<Judged, Error>> = rows.par_chunks(64).map(judge).collect();
            if to_writer.send(judged).is_err() {
                break; // The writer stopped on an error, which join reports.
            }
        }
        drop(to_writer);
        let wrote = writer.join().unwrap_or_else(|_| Err(Error::Io("the writer thread failed".into())));
        let read = reader.join().unwrap_or_else(|_| Err(Error::Io("the reader thread failed".into())));
        wrote.and(read)
    });
    if let Err(e) = written {
        return closed_pipe_ends(e);
    }
    if let Err(e) = sink.flush().map_err(io_error) {
        return closed_pipe_ends(e);
    }
    drop(sink);
    if let Some(p) = pending {
        p.publish().map_err(|e| Error::Io(e.to_string()))?;
    }
    let total: u64 = counts.values().sum();
    let valid = counts.get(Status::Valid.name()).copied().unwrap_or(0);
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    cli_support::warn(&format!(
        "{total} keys checked on {at}: {}",
        if summary.is_empty() { "none".into() } else { summary.join(", ") }
    ));
    Ok(if valid == total { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The encoding of a file given without `--encoding`: `None` (the one its byte order mark
/// names, else UTF-8) when it has a BOM or is UTF-8 throughout, else Windows-1252, which
/// reads every byte: what a German or French Excel saves as "CSV", and what `keygen batch
/// --encoding windows-1252` writes its `keys.csv` in (it writes back in its input's
/// encoding). The file is read once to the end for this, as the desk's batch page detects it.
fn detect_encoding(path: &std::path::Path) -> Result<Option<tabular::TextEncoding>, Error> {
    let cannot = |e: std::io::Error| Error::Usage(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut buffer = vec![0u8; 1 << 16];
    // The bytes of a character that the last read cut in two, carried to the next.
    let mut carried = 0;
    let mut first = true;
    loop {
        let n = std::io::Read::read(&mut reader, &mut buffer[carried..]).map_err(cannot)?;
        if first && tabular::TextEncoding::sniff(&buffer[..carried + n]).is_some() {
            return Ok(None);
        }
        first = false;
        let filled = carried + n;
        match std::str::from_utf8(&buffer[..filled]) {
            Ok(_) if n == 0 => return Ok(None),
            Ok(_) => carried = 0,
            // A character cut by this read, not by the end of the file: read on.
            Err(e) if e.error_len().is_none() && n > 0 => {
                let valid = e.valid_up_to();
                buffer.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(e) => {
                let at = e.valid_up_to();
                cli_support::warn(&format!(
                    "{}: not UTF-8 (byte {:#04x}) and no byte order mark: read as Windows-1252 (give --encoding \
                     to choose another)",
                    path.display(),
                    buffer[at]
                ));
                return Ok(Some(tabular::TextEncoding::Windows1252));
            }
        }
    }
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
