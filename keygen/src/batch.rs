//! `keygen batch`: a key for every row of a CSV export. All or nothing: every row is
//! checked before the first signature; the ledger is appended and synced before the output
//! file is renamed into place.

use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use product_key::{Day, Serial, Signer};
use rayon::prelude::*;
use tabular::{Row, Table};

use crate::atomic::Pending;
use crate::cli::BatchArgs;
use crate::error::Error;
use crate::ledger::{self, Ledger};
use crate::order::{self, Field, Overrides, Terms};
use crate::record::{KeyRecord, now_rfc3339};
use crate::template::{self, Template};
use crate::{keyfile, output};

/// Rows signed together: enough to keep every core busy, few enough to stay small in memory.
const CHUNK: usize = 4096;
/// Columns the output adds; an input holding one is refused.
const RESERVED: [&str; 4] = ["serial", "issued", "valid_until", "key"];
/// Separators of feature names in a cell.
const FEATURE_SEPARATORS: [char; 2] = [';', '|'];

/// Where each known column is.
struct Columns {
    organization: usize,
    template: Option<usize>,
    seats: Option<usize>,
    features: Option<usize>,
    expires: Option<usize>,
    order_id: Option<usize>,
    contact: Option<usize>,
}

/// What one row asks for.
struct Plan {
    terms: Terms,
    order_id: Option<String>,
    contact: Option<String>,
}

/// Templates by the name a row gives, read once each.
struct Templates<'a> {
    dir: &'a Path,
    default: Option<&'a str>,
    loaded: HashMap<String, Result<Template, String>>,
}

impl Templates<'_> {
    fn name<'c>(&'c self, cell: &'c str) -> Result<&'c str, (&'static str, String)> {
        match (cell, self.default) {
            ("", Some(d)) => Ok(d),
            ("", None) => Err(("template", "empty: name a template here or give --template".into())),
            (n, _) => Ok(n),
        }
    }

    /// Reads the template a cell names, once.
    fn load(&mut self, cell: &str) -> Result<(), (&'static str, String)> {
        let name = self.name(cell)?.to_owned();
        let dir = self.dir;
        self.loaded
            .entry(name.clone())
            .or_insert_with(|| template::load(&name, dir).map_err(|e| e.to_string()));
        Ok(())
    }

    /// The template a cell names, read by [`Templates::load`] before.
    fn get(&self, cell: &str) -> Result<&Template, (&'static str, String)> {
        let name = self.name(cell)?;
        match self.loaded.get(name) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(("template", e.clone())),
            None => Err(("template", format!("template '{name}' was not read"))),
        }
    }
}

/// Runs `keygen batch`.
pub fn run(args: &BatchArgs) -> Result<ExitCode, Error> {
    // Ctrl-C or SIGTERM stops the run between chunks, so the temporary output is removed and
    // the ledger synced; a second Ctrl-C ends the process at once.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop));
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    let delimiter = match &args.delimiter {
        Some(d) => Some(tabular::parse_delimiter(d).map_err(|e| Error::input(format!("--delimiter: {e}")))?),
        None => None,
    };
    let issued = match &args.issued {
        Some(text) => order::issue_day(text).map_err(|e| Error::input(format!("--issued: {e}")))?,
        None => Day::today().ok_or_else(|| Error::input("today is outside the days a key can hold"))?,
    };
    if !args.force && args.output.symlink_metadata().is_ok() {
        return Err(Error::input(format!(
            "{} already exists (use --force to replace it)",
            args.output.display()
        )));
    }
    let file = args.input.display().to_string();
    let file = file.as_str();
    let mut templates = Templates {
        dir: &args.templates.templates,
        default: args.template.as_deref(),
        loaded: HashMap::new(),
    };
    if let Some(t) = &args.template {
        templates
            .load(t)
            .and_then(|()| templates.get(t).map(|_| ()))
            .map_err(|(_, e)| Error::input(format!("--template: {e}")))?;
    }
    let ledger_path = ledger::path_for(args.ledger.as_deref(), &args.key.key);
    let existing = Ledger::open(&ledger_path, false)?;

    // Pass 1: check every row; nothing is signed or written.
    let mut table = Table::open(&args.input, delimiter).map_err(|e| Error::input(e.to_string()))?;
    let columns = find_columns(&table, args.template.is_some()).map_err(|problems| {
        Error::Inputs(problems.into_iter().map(|(c, e)| format!("{file}:1: {c}: {e}")).collect())
    })?;
    let mut problems = Vec::new();
    let mut orders: HashMap<String, u64> = HashMap::new();
    let mut reuse: HashMap<String, usize> = HashMap::new();
    let mut rows = 0u64;
    let width = table.headers.len();
    let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
    let mut reading = true;
    while reading {
        chunk.clear();
        while chunk.len() < CHUNK {
            match table.next_row() {
                Some(Ok(row)) => {
                    if let Some(i) = columns.template
                        && let Ok(cell) = tabular::cell(&row.record, i)
                    {
                        // Problems show up below, with the row's other problems.
                        let _ = templates.load(cell);
                    }
                    chunk.push(row);
                }
                Some(Err((line, e))) => {
                    problems.push(format!("{file}:{line}: -: {e}"));
                    reading = false;
                    break;
                }
                None => {
                    reading = false;
                    break;
                }
            }
        }
        if stop.load(Ordering::Relaxed) {
            return Err(Error::Interrupted(
                "interrupted while checking the input: nothing was issued".into(),
            ));
        }
        rows += chunk.len() as u64;
        // Rows are checked in parallel; order ids are then matched in file order.
        let planned: Vec<_> = chunk
            .par_iter()
            .map(|row| plan_row(row, width, &columns, &templates, issued).map(|plan| plan.order_id))
            .collect();
        for (row, planned) in chunk.iter().zip(planned) {
            let line = row.line;
            match planned {
                Err(errors) => {
                    problems.extend(errors.into_iter().map(|(c, e)| format!("{file}:{line}: {c}: {e}")))
                }
                Ok(None) => {}
                Ok(Some(o)) => {
                    if let Some(first) = orders.get(&o) {
                        problems.push(format!("{file}:{line}: order_id: '{o}' is also on line {first}"));
                        continue;
                    }
                    if let Some(&at) = existing.as_ref().and_then(|l| l.order_ids.get(&o)) {
                        if args.skip_issued {
                            reuse.insert(o.clone(), at);
                        } else {
                            problems.push(format!(
                                "{file}:{line}: order_id: '{o}' was already issued a key ({}:{at}); use --skip-issued to reuse it",
                                ledger_path.display()
                            ));
                        }
                    }
                    orders.insert(o, line);
                }
            }
        }
    }
    let reused = match &existing {
        Some(l) if !reuse.is_empty() => recorded_keys(l, &reuse, &orders, file, &mut problems)?,
        _ => HashMap::new(),
    };
    if !problems.is_empty() {
        return Err(Error::Inputs(problems));
    }
    drop(orders);

    // Pass 2: sign, record, write, publish.
    let signer = keyfile::load(&args.key.key, args.key.passphrase_file.as_deref())?;
    // The output's temporary file first: if it cannot be made, no ledger is created.
    let mut out = Pending::create(&args.output, args.force)?;
    let mut ledger = match existing {
        Some(l) => l,
        None => Ledger::open(&ledger_path, true)?
            .ok_or_else(|| Error::input(format!("cannot create the ledger {}", ledger_path.display())))?,
    };
    let mut table = Table::open(&args.input, delimiter).map_err(|e| Error::input(e.to_string()))?;
    let mut csv_out =
        tabular::writer(out.writer(), table.format).map_err(Error::io("cannot write the output"))?;
    let mut header = csv::StringRecord::from(table.headers.clone());
    for name in RESERVED {
        header.push_field(name);
    }
    csv_out.write_record(&header).map_err(output_error)?;

    let progress = progress_bar(rows, args.quiet);
    let issued_at = now_rfc3339();
    let sign_row = |row: &Row, rng: &mut rand::rngs::ThreadRng| -> Result<Made, String> {
        let plan =
            plan_row(row, width, &columns, &templates, issued).map_err(|e| changed(file, row.line, &e))?;
        if let Some(record) = plan.order_id.as_ref().and_then(|o| reused.get(o)) {
            return Ok(Made::Reused(record.clone()));
        }
        sign(&signer, plan, rng, &issued_at).map(Made::New)
    };
    // The pool signs one chunk while this writer chains and writes the one before.
    let (to_writer, chunks) = std::sync::mpsc::sync_channel::<(Vec<Row>, Vec<Result<Made, String>>)>(2);
    let (new_keys, reused_keys) = std::thread::scope(|scope| -> Result<(u64, u64), Error> {
        let writer = scope.spawn(|| -> Result<(u64, u64), Error> {
            let (mut new_keys, mut reused_keys) = (0u64, 0u64);
            let mut ledger_buf = Vec::with_capacity(CHUNK * 700);
            for (chunk, made) in chunks {
                ledger_buf.clear();
                for (row, made) in chunk.iter().zip(made) {
                    let record = match made.map_err(Error::input)? {
                        Made::Reused(record) => {
                            reused_keys += 1;
                            record
                        }
                        Made::New((mut record, mut json)) => {
                            // A repeated random serial is a 1 in 2^64 event per pair; sign anew.
                            while ledger.serials.contains(&record_serial(&record)) {
                                if let Made::New(again) =
                                    sign_row(row, &mut rand::rng()).map_err(Error::input)?
                                {
                                    (record, json) = again;
                                }
                            }
                            ledger.serials.insert(record_serial(&record));
                            ledger.chain(&json, &mut ledger_buf);
                            new_keys += 1;
                            record
                        }
                    };
                    let mut out_row = row.record.clone();
                    out_row.push_field(record.serial.as_bytes());
                    out_row.push_field(record.issued.as_bytes());
                    out_row.push_field(record.expires.as_deref().unwrap_or("never").as_bytes());
                    out_row.push_field(record.key.as_bytes());
                    csv_out.write_byte_record(&out_row).map_err(output_error)?;
                }
                // Whole lines in one write: a crash leaves complete records, or at worst one
                // incomplete last line that `keygen ledger repair` removes.
                ledger.write(&ledger_buf)?;
                progress.inc(chunk.len() as u64);
            }
            Ok((new_keys, reused_keys))
        });
        let (to_pool, chunks) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
        let reader = scope.spawn(move || -> Result<(), Error> {
            loop {
                let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
                while chunk.len() < CHUNK {
                    match table.next_row() {
                        Some(Ok(row)) => chunk.push(row),
                        Some(Err((line, e))) => {
                            return Err(Error::input(format!(
                                "{file}:{line}: -: {e} (the file changed while keygen ran)"
                            )));
                        }
                        None => break,
                    }
                }
                let last = chunk.len() < CHUNK;
                if to_pool.send(chunk).is_err() || last {
                    return Ok(());
                }
            }
        });
        for chunk in chunks {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let made: Vec<Result<Made, String>> =
                chunk.par_iter().map_init(rand::rng, |rng, row| sign_row(row, rng)).collect();
            if to_writer.send((chunk, made)).is_err() {
                break; // The writer stopped on an error, which join reports.
            }
        }
        reader.join().unwrap_or_else(|_| Err(Error::input("the reader thread failed")))?;
        drop(to_writer);
        writer.join().unwrap_or_else(|_| Err(Error::input("the writer thread failed")))
    })?;
    ledger.sync()?;
    drop(ledger);
    if stop.load(Ordering::Relaxed) {
        // `out` is dropped unpublished, which removes the temporary file.
        return Err(Error::Interrupted(format!(
            "interrupted: {} was not written; {new_keys} new keys are recorded in {} and were never shown: \
             run the same command with --skip-issued to finish (rows without order_id get new keys)",
            args.output.display(),
            ledger_path.display()
        )));
    }
    csv_out.flush().map_err(Error::io("cannot write the output"))?;
    drop(csv_out);
    out.publish(args.force)?;
    progress.finish_and_clear();
    if !args.quiet {
        output::warn(&format!(
            "{}: {new_keys} keys issued{}, recorded in {}",
            args.output.display(),
            if reused_keys > 0 { format!(", {reused_keys} taken from the ledger") } else { String::new() },
            ledger_path.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

enum Made {
    New((KeyRecord, Vec<u8>)),
    Reused(KeyRecord),
}

fn record_serial(record: &KeyRecord) -> u64 {
    record.serial().map_or(0, Serial::get)
}

/// A failure to write the output is an I/O failure (exit 1), whatever csv wraps it in.
fn output_error(e: csv::Error) -> Error {
    Error::Io { what: "cannot write the output".into(), source: std::io::Error::other(e) }
}

/// A row that passed pass 1 and fails now: the input was edited during the run.
fn changed(file: &str, line: u64, problems: &[(&'static str, String)]) -> String {
    let what: Vec<String> = problems.iter().map(|(c, e)| format!("{c}: {e}")).collect();
    format!("{file}:{line}: the file changed while keygen ran: {}", what.join("; "))
}

/// Signs one row's key and serializes its ledger record (without `prev`).
fn sign(
    signer: &Signer,
    plan: Plan,
    rng: &mut impl rand::Rng,
    issued_at: &str,
) -> Result<(KeyRecord, Vec<u8>), String> {
    let serial = loop {
        if let Some(s) = Serial::new(rng.next_u64()) {
            break s;
        }
    };
    let mut payload = plan.terms.payload(serial);
    let key = signer.issue(&mut payload).map_err(|e| e.to_string())?;
    let mut record = KeyRecord::new(key, &payload, &plan.terms.template, plan.order_id, plan.contact);
    record.issued_at = Some(issued_at.to_owned());
    let json = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
    Ok((record, json))
}

fn find_columns(table: &Table, have_template: bool) -> Result<Columns, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, h) in table.headers.iter().enumerate() {
        let name = h.trim().to_ascii_lowercase();
        if RESERVED.contains(&name.as_str()) {
            problems.push((h.clone(), "this column is written by keygen; remove it from the input".into()));
        }
        if seen.insert(name, i).is_some() {
            problems.push((h.clone(), "the column appears twice".into()));
        }
    }
    let organization = table.column("organization");
    if organization.is_none() {
        problems.push(("organization".into(), "the required column is missing".into()));
    }
    let template = table.column("template");
    if template.is_none() && !have_template {
        problems.push(("template".into(), "the column is missing and no --template was given".into()));
    }
    match organization {
        Some(organization) if problems.is_empty() => Ok(Columns {
            organization,
            template,
            seats: table.column("seats"),
            features: table.column("features"),
            expires: table.column("expires"),
            order_id: table.column("order_id"),
            contact: table.column("contact"),
        }),
        _ => Err(problems),
    }
}

fn plan_row(
    row: &Row,
    width: usize,
    columns: &Columns,
    templates: &Templates<'_>,
    issued: Day,
) -> Result<Plan, Vec<(&'static str, String)>> {
    if row.record.len() != width {
        return Err(vec![("-", format!("{} fields where the header has {width}", row.record.len()))]);
    }
    let mut problems = Vec::new();
    let mut text = |index: Option<usize>, name: &'static str| -> Option<&str> {
        let i = index?;
        match tabular::cell(&row.record, i) {
            Ok("") => None,
            Ok(t) => Some(t),
            Err(e) => {
                problems.push((name, e.to_owned()));
                None
            }
        }
    };
    let organization = text(Some(columns.organization), "organization").unwrap_or("");
    let template_cell = text(columns.template, "template").unwrap_or("");
    let seats = text(columns.seats, "seats");
    let features = text(columns.features, "features");
    let expires = text(columns.expires, "expires");
    let order_id = text(columns.order_id, "order_id").map(str::to_owned);
    let contact = text(columns.contact, "contact").map(str::to_owned);
    if !problems.is_empty() {
        return Err(problems);
    }
    let template = templates.get(template_cell).map_err(|e| vec![e])?;
    let overrides = Overrides { organization, seats, features, expires };
    let terms = order::build(template, &overrides, issued, &FEATURE_SEPARATORS)
        .map_err(|errors| errors.into_iter().map(|(f, e)| (Field::column(f), e)).collect::<Vec<_>>())?;
    Ok(Plan { terms, order_id, contact })
}

/// The ledger's records of the orders to reuse; a revoked one is a problem of its row.
fn recorded_keys(
    ledger: &Ledger,
    reuse: &HashMap<String, usize>,
    rows: &HashMap<String, u64>,
    file: &str,
    problems: &mut Vec<String>,
) -> Result<HashMap<String, KeyRecord>, Error> {
    let wanted: BTreeSet<usize> = reuse.values().copied().collect();
    let lines = ledger.read_lines(&wanted)?;
    let mut out = HashMap::new();
    for (order, at) in reuse {
        let line = rows.get(order).copied().unwrap_or_default();
        let record = lines.get(at).and_then(|bytes| serde_json::from_slice::<KeyRecord>(bytes).ok());
        let Some(record) = record else {
            problems.push(format!(
                "{file}:{line}: order_id: the ledger's record of '{order}' (line {at}) cannot be read"
            ));
            continue;
        };
        if ledger.revoked.contains(&record_serial(&record)) {
            problems.push(format!(
                "{file}:{line}: order_id: the key of '{order}' (serial {}) was revoked; issue a new order instead",
                record.serial
            ));
            continue;
        }
        out.insert(order.clone(), KeyRecord { issued_at: None, prev: None, ..record });
    }
    Ok(out)
}

fn progress_bar(rows: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(rows);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} keys, {eta} left")
    {
        bar.set_style(style);
    }
    bar
}
