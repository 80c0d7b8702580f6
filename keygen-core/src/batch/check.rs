//! Pass 1: every row checked before the first signature. The input is read once, here; a
//! private copy of exactly the bytes checked is what pass 2 signs, so a file that changes
//! meanwhile (an editor saving, a sync client, a FIFO) cannot slip in rows nobody checked.

use crate::db::store::LedgerRead;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use tabular::{Row, Table};

use super::plan::{Columns, Plan, RowPlan, Templates, plan_row};
use crate::db::keys;
use crate::db::store_error::{StoreError, StoreErrorKind};
use crate::error::{Error, Problem};
use crate::key_record::KeyRecord;

pub use super::orders::Orders;

/// With `--skip-issued`: the lines of the input whose order the ledger holds, in file order,
/// each with the serial of its order's current key (found once, here; the signing pass reads
/// that row by its serial). Kept by line in a sorted vector, 24 bytes a row: a map by order
/// took about 100 bytes a row, which for a million rows passed the batch's 200 MB.
#[derive(Default)]
pub struct Reused(Vec<(u64, [u8; SERIAL_LEN])>);

/// A serial's length in the ledger (16 hex digits; the schema's CHECK).
const SERIAL_LEN: usize = 16;

impl Reused {
    /// Notes that `line` takes the key `serial`; lines come in file order. A serial of
    /// another length is not one the ledger's schema lets in.
    fn push(&mut self, line: u64, serial: &str) -> Result<(), Error> {
        let bytes: [u8; SERIAL_LEN] = serial.as_bytes().try_into().map_err(|_| {
            let what =
                format!("the ledger holds a key whose serial '{serial}' is not {SERIAL_LEN} characters");
            Error::db("cannot read the ledger")(StoreError::new(StoreErrorKind::Other, what))
        })?;
        debug_assert!(self.0.last().is_none_or(|(last, _)| *last < line));
        self.0.push((line, bytes));
        Ok(())
    }

    /// The serial of the key that `line` takes, if it takes one.
    pub fn get(&self, line: u64) -> Option<&str> {
        let i = self.0.binary_search_by_key(&line, |(l, _)| *l).ok()?;
        std::str::from_utf8(&self.0[i].1).ok()
    }
}

/// Rows checked (and later signed) together.
pub const CHUNK: usize = 4096;

/// Reads the input and writes every byte read into the private copy. A failure to write the
/// copy (a full disk) is kept aside: the CSV reader sees only "cannot read", which would
/// read as bad input, while it is an I/O failure (exit 1).
struct Tee {
    input: File,
    copy: Arc<File>,
    failed: Arc<std::sync::Mutex<Option<std::io::Error>>>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buf)?;
        if let Err(e) = std::io::Write::write_all(&mut &*self.copy, &buf[..n]) {
            let kind = e.kind();
            if let Ok(mut failed) = self.failed.lock() {
                failed.get_or_insert(e);
            }
            return Err(std::io::Error::new(kind, "cannot write the private copy of the input"));
        }
        Ok(n)
    }
}

/// The copy's write failure, if there was one, as the I/O error it is.
fn copy_failed(failed: &std::sync::Mutex<Option<std::io::Error>>, file: &str) -> Option<Error> {
    let e = failed.lock().ok()?.take()?;
    Some(Error::Io { what: format!("cannot make a private copy of {file}"), source: e })
}

/// What pass 1 found in a good input.
pub struct Checked {
    /// The private copy of the input, to sign from.
    pub copy: File,
    /// How the input is written (the output is written the same way).
    pub format: tabular::Format,
    /// The header cells.
    pub headers: Vec<String>,
    /// Rows to issue.
    pub rows: u64,
    /// Every order_id of the input with its line.
    pub orders: Orders,
    /// With `--skip-issued`: the input's orders that the ledger holds (their rows take the
    /// order's current key).
    pub reused: Reused,
}

/// The ledger as the check reads it: inside the batch's write transaction, or (the desk's
/// Check) a read transaction that takes no lock from writers.
#[derive(Clone, Copy)]
pub struct Ledger<'a> {
    /// The connection, inside its transaction.
    pub conn: &'a dyn LedgerRead,
    /// The ledger's file, for messages.
    pub path: &'a std::path::Path,
}

/// Reads and checks the whole input. `ledger` (its write transaction open, so nothing
/// changes meanwhile) tells orders already issued.
pub fn check(
    args: &super::request::Request,
    plan: &Plan,
    templates: &mut Templates<'_>,
    ledger: Option<Ledger<'_>>,
    stop: &AtomicBool,
) -> Result<(Checked, Columns), Error> {
    let _checking = super::profile::span(super::profile::Stage::Check);
    let file = plan.file.as_str();
    let input = File::open(&args.input).map_err(|e| Error::input(format!("cannot read {file}: {e}")))?;
    let copy = Arc::new(
        tempfile::tempfile_in(cli_support::parent_dir(&args.output))
            .map_err(Error::io(format!("cannot make a private copy of {file}")))?,
    );
    let failed = Arc::new(std::sync::Mutex::new(None));
    let tee = Tee { input, copy: Arc::clone(&copy), failed: Arc::clone(&failed) };
    let mut table = Table::from_reader(&args.input, Box::new(tee), plan.delimiter, plan.encoding)
        .map_err(|e| copy_failed(&failed, file).unwrap_or_else(|| Error::input(e.to_string())))?;
    let columns = Columns::find(&table, args.template.is_some(), &plan.mapping).map_err(|problems| {
        Error::Rows(
            problems
                .into_iter()
                .map(|(column, what)| Problem { file: file.to_owned(), line: 1, column, what, group: None })
                .collect(),
        )
    })?;
    let problem = |line: u64, column: &str, what: String| Problem {
        file: file.to_owned(),
        line,
        column: column.to_owned(),
        what,
        group: None,
    };
    let mut problems = Vec::new();
    let mut orders = Orders::default();
    let mut reused = Reused::default();
    // An empty ledger holds no order: no row needs a look-up.
    let ledger = match ledger {
        Some(l) if l.conn.key_chain().map_err(Error::db("cannot read the ledger"))?.count > 0 => Some(l),
        _ => None,
    };
    // A row's plan is kept only when it may be compared with a recorded key (--skip-issued).
    let keep_plans = ledger.is_some() && args.skip_issued;
    let mut rows = 0u64;
    let mut more = true;
    while more {
        let (chunk, read_problems, more_rows) = read_chunk(&mut table);
        if let Some(e) = copy_failed(&failed, file) {
            return Err(e);
        }
        more = more_rows;
        problems.extend(read_problems.into_iter().map(|(line, what)| problem(line, "-", what)));
        for row in &chunk {
            if let Some(cell) = columns.template_cell(row) {
                templates.load(cell);
            }
        }
        if stop.load(Ordering::Relaxed) {
            return Err(Error::Interrupted(
                "interrupted while checking the input: nothing was issued".into(),
            ));
        }
        rows += chunk.len() as u64;
        // Rows are checked in parallel; order ids are then matched in file order. Plans not
        // needed later are dropped on the thread that made them, which keeps this loop, the
        // one part of the check that runs on one core, short.
        let planned: Vec<_> = chunk
            .par_iter()
            .map(|row| {
                let _planning = super::profile::span(super::profile::Stage::CheckPlans);
                plan_row(row, &columns, templates, plan.issued).map(|mut p| {
                    let order = p.order_id.take();
                    let kept = (keep_plans && order.is_some()).then_some(p);
                    (order, kept)
                })
            })
            .collect();
        let mut current = match ledger {
            Some(l) => chunk_keys(
                l,
                planned.iter().map(|p| match p {
                    Ok((o, _)) | Err((o, _)) => o.as_deref(),
                }),
            )?,
            None => Vec::new(),
        };
        for (i, (row, planned)) in chunk.iter().zip(planned).enumerate() {
            let line = row.line;
            let (order, row_plan) = match planned {
                Err((order, bad)) => {
                    problems.extend(bad.into_iter().map(|b| problem(line, b.column, b.what)));
                    (order, None)
                }
                Ok(kept) => kept,
            };
            let Some(o) = order else { continue };
            if let Some(first) = orders.get(o.as_str()) {
                problems.push(problem(
                    line,
                    columns.header("order_id"),
                    format!("'{o}' is also on line {first}"),
                ));
                continue;
            }
            if let Some(l) = ledger {
                let found = current.get_mut(i).and_then(Option::take);
                let (bad, current) =
                    issued_before(l, &o, found, row_plan.as_ref(), args.skip_issued, &args.words);
                problems.extend(bad.map(|(what, group)| Problem {
                    group,
                    ..problem(line, columns.header("order_id"), what)
                }));
                if let Some(serial) = current.filter(|_| args.skip_issued) {
                    reused.push(line, &serial)?;
                }
            }
            orders.insert(&o, line);
        }
    }
    if !problems.is_empty() {
        return Err(Error::Checked { file: file.to_owned(), rows, problems });
    }
    let (format, headers) = (table.format, std::mem::take(&mut table.headers));
    drop(table);
    let mut copy =
        Arc::try_unwrap(copy).map_err(|_| Error::input("the private copy of the input is still in use"))?;
    copy.seek(SeekFrom::Start(0)).map_err(Error::io(format!("cannot read the private copy of {file}")))?;
    Ok((Checked { copy, format, headers, rows, orders, reused }, columns))
}

/// The next rows of `table` (up to [`CHUNK`]), the problems met reading them (line, what),
/// and whether there may be more: false at the end or after an error that stops reading.
fn read_chunk(table: &mut Table) -> (Vec<Row>, Vec<(u64, String)>, bool) {
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut problems = Vec::new();
    while chunk.len() < CHUNK {
        match table.next_row() {
            Some(Ok(row)) => chunk.push(row),
            Some(Err(e)) => {
                problems.push((e.line(), e.to_string()));
                if e.is_fatal() {
                    return (chunk, problems, false);
                }
            }
            None => return (chunk, problems, false),
        }
    }
    (chunk, problems, true)
}

/// The current key (and whether it was revoked) of each row's order in a chunk, by the row's
/// place in it: one statement for the chunk (`db::chunks::current_of_orders`).
type Found = Vec<Option<(keys::Stored, bool)>>;

fn chunk_keys<'a>(
    ledger: Ledger<'_>,
    orders_of_rows: impl Iterator<Item = Option<&'a str>>,
) -> Result<Found, Error> {
    let mut rows = 0;
    let mut orders = Vec::new();
    let mut places = Vec::new();
    for (i, order) in orders_of_rows.enumerate() {
        rows = i + 1;
        if let Some(o) = order {
            orders.push(o);
            places.push(i);
        }
    }
    let read = || Error::db(format!("cannot read the ledger {}", ledger.path.display()));
    let found = crate::db::chunks::current_of_orders(ledger.conn, &orders).map_err(read())?;
    let mut by_row: Found = (0..rows).map(|_| None).collect();
    for (place, f) in places.into_iter().zip(found) {
        by_row[place] = f;
    }
    Ok(by_row)
}

/// Why a row's order cannot be issued or reused, and the group it is summarized in.
type Refusal = (String, Option<String>);

/// Why an order that the ledger already holds cannot be issued or reused, if it cannot,
/// and the group it is summarized in; and the serial of the order's current key, if it has
/// one. With `--skip-issued`, a row whose terms differ from the
/// order's current key cannot take that key: changing an issued key is `keygen amend`'s job.
fn issued_before(
    ledger: Ledger<'_>,
    order: &str,
    found: Option<(keys::Stored, bool)>,
    row: Option<&RowPlan>,
    skip_issued: bool,
    words: &super::words::Words,
) -> (Option<Refusal>, Option<String>) {
    // `found`: the order's current key and whether it was revoked (`chunk_keys`).
    let Some((stored, revoked)) = found else {
        return (None, None);
    };
    let current = Some(stored.record.serial.clone());
    let path = ledger.path.display();
    if !skip_issued {
        return (
            Some((
                format!(
                    "'{order}' was already issued a key ({path}: key {}); use {} to reuse it",
                    stored.record.serial, words.skip_issued
                ),
                Some(format!(
                    "already issued a key in {path}; use {} to reuse those keys",
                    words.skip_issued
                )),
            )),
            current,
        );
    }
    let record = stored.record;
    if revoked {
        return (
            Some((
                format!(
                    "the key of '{order}' (serial {}) was revoked; issue a new order instead",
                    record.serial
                ),
                None,
            )),
            current,
        );
    }
    let Some(row) = row else { return (None, current) };
    let differs = differences(&record, row);
    if differs.is_empty() {
        return (None, current);
    }
    (
        Some((
            format!(
                "'{order}' was issued key {} with other terms ({}); to change an issued key, use: keygen amend --for-order {order}",
                record.serial,
                differs.join("; ")
            ),
            None,
        )),
        current,
    )
}

/// What a row asks for that the recorded key does not have: organization, template, seats,
/// features, and the last day when the row states one (otherwise it follows from the day of
/// issue, which differs on a rerun).
fn differences(record: &KeyRecord, row: &RowPlan) -> Vec<String> {
    let t = &row.terms;
    let mut out = Vec::new();
    if t.organization.as_str() != record.organization {
        out.push(format!("organization '{}', not '{}'", t.organization, record.organization));
    }
    if record.template.as_deref().is_some_and(|r| !r.eq_ignore_ascii_case(&t.template)) {
        out.push(format!("template {}, not {}", t.template, record.template.as_deref().unwrap_or("-")));
    }
    if t.seats.limit() != record.seats {
        let shown = |s: Option<u16>| s.map_or("unlimited".to_owned(), |n| n.to_string());
        out.push(format!("seats {}, not {}", shown(t.seats.limit()), shown(record.seats)));
    }
    let features: Vec<&str> = t.features.features().map(product_key::Feature::name).collect();
    if features != record.features {
        out.push(format!("features {}, not {}", features.join(","), record.features.join(",")));
    }
    if row.expires_stated {
        let asked = t.expires.last_day().map(|d| d.to_string());
        if asked != record.expires {
            let shown = |e: &Option<String>| e.clone().unwrap_or_else(|| "never".into());
            out.push(format!("expires {}, not {}", shown(&asked), shown(&record.expires)));
        }
    }
    out
}
