//! Pass 2: sign and record. A reader thread parses the next chunk while the pool signs this
//! one, and this thread (the one that holds the ledger's transaction) inserts and writes the
//! one before, so both cores sign.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cli_support::Pending;
use product_key::{Day, Serial, Signer};
use rayon::prelude::*;
use tabular::{Row, Table};

use super::check::CHUNK;
use super::plan::{Columns, RowPlan, Templates, plan_row};
use crate::db::{Writer, keys};
use crate::error::Error;
use crate::failpoint::{self, Failpoint};
use crate::record::KeyRecord;

/// What every row is signed with.
pub struct Signing<'a> {
    /// The signing key.
    pub signer: &'a Signer,
    /// Where the known columns are.
    pub columns: &'a Columns,
    /// The templates rows name.
    pub templates: &'a Templates<'a>,
    /// Day of issue.
    pub issued: Day,
    /// When the keys are recorded (RFC 3339).
    pub issued_at: String,
    /// Who the keys are recorded for.
    pub actor: &'a str,
    /// With `--skip-issued`: the orders the ledger holds, whose rows take the recorded key.
    pub reuse: &'a HashSet<Box<str>>,
    /// The input, for messages.
    pub file: &'a str,
}

/// What pass 2 did, also when it failed.
#[derive(Default)]
pub struct Counts {
    /// Keys signed and inserted.
    pub new_keys: AtomicU64,
    /// Rows given the key the ledger holds.
    pub reused: AtomicU64,
}

enum Made {
    New(Box<KeyRecord>),
    Reused(String),
}

type Signed = (Vec<Row>, Vec<Result<Made, String>>);

/// Signs every row of `table` (the checked private copy), inserts the keys into the ledger's
/// transaction `tx` and the rows into `out`. Stops between chunks when `stop` is set.
pub fn sign_all(
    mut table: Table,
    signing: &Signing<'_>,
    tx: &Writer<'_>,
    out: &mut csv::Writer<tabular::Encoder<&mut Pending>>,
    progress: &indicatif::ProgressBar,
    stop: &AtomicBool,
    counts: &Counts,
) -> Result<(), Error> {
    let fail = failpoint::from_env();
    let sign_row = |row: &Row, rng: &mut rand::rngs::ThreadRng| -> Result<Made, String> {
        let plan =
            plan_row(row, signing.columns, signing.templates, signing.issued).map_err(|(_, bad)| {
                let what: Vec<String> = bad.iter().map(|b| format!("{}: {}", b.column, b.what)).collect();
                format!("{}:{}: {}", signing.file, row.line, what.join("; "))
            })?;
        if let Some(o) = plan.order_id.as_deref().filter(|o| signing.reuse.contains(*o)) {
            return Ok(Made::Reused(o.to_owned()));
        }
        sign(signing.signer, plan, rng, &signing.issued_at, signing.actor).map(|r| Made::New(Box::new(r)))
    };
    let sign_row = &sign_row;
    let conn = tx.conn();
    let what = || Error::db(format!("cannot record the keys in the ledger {}", tx.path().display()));
    let mut chain = keys::chain(conn).map_err(what())?;
    let (to_writer, signed) = std::sync::mpsc::sync_channel::<Signed>(2);
    std::thread::scope(|scope| -> Result<(), Error> {
        let (to_pool, chunks) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
        let reader = scope.spawn(move || -> Result<(), Error> {
            loop {
                let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
                while chunk.len() < CHUNK {
                    match table.next_row() {
                        Some(Ok(row)) => chunk.push(row),
                        // The copy was checked whole; only the disk can fail here.
                        Some(Err(e)) => {
                            return Err(Error::Io {
                                what: format!(
                                    "cannot read the private copy of the input at line {}",
                                    e.line()
                                ),
                                source: std::io::Error::other(e.to_string()),
                            });
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
        let pool = scope.spawn(move || {
            for chunk in chunks {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let made: Vec<Result<Made, String>> =
                    chunk.par_iter().map_init(rand::rng, |rng, row| sign_row(row, rng)).collect();
                if to_writer.send((chunk, made)).is_err() {
                    break; // The writer stopped on an error, which it reports.
                }
            }
        });
        let mut written = Ok(());
        for (index, (chunk, made)) in signed.into_iter().enumerate() {
            written = write_chunk(&chunk, made, conn, &mut chain, out, counts, sign_row);
            if written.is_err() {
                break;
            }
            let number = index as u64 + 1;
            if let Some(Failpoint::AfterChunk(n, action)) = &fail
                && *n == number
            {
                failpoint::act(action);
            }
            progress.inc(chunk.len() as u64);
        }
        let pooled = pool.join().map_err(|_| thread_failed("signing"));
        let read = reader.join().unwrap_or_else(|_| Err(thread_failed("reader")));
        written.map_err(|e| match e {
            Written::Db(e) => what()(e),
            Written::Other(e) => e,
        })?;
        pooled?;
        read
    })
}

enum Written {
    Db(rusqlite::Error),
    Other(Error),
}

/// Inserts a chunk's new keys (chained) and writes its rows.
fn write_chunk(
    chunk: &[Row],
    made: Vec<Result<Made, String>>,
    conn: &rusqlite::Connection,
    chain: &mut keys::Chain,
    out: &mut csv::Writer<tabular::Encoder<&mut Pending>>,
    counts: &Counts,
    sign_row: &(dyn Fn(&Row, &mut rand::rngs::ThreadRng) -> Result<Made, String> + Sync),
) -> Result<(), Written> {
    for (row, made) in chunk.iter().zip(made) {
        match made.map_err(|e| Written::Other(Error::input(format!("cannot sign {e}"))))? {
            Made::Reused(order) => {
                counts.reused.fetch_add(1, Ordering::Relaxed);
                let record = keys::current_of_order(conn, &order)
                    .map_err(Written::Db)?
                    .ok_or_else(|| Written::Other(Error::input(format!("order '{order}' left the ledger"))))?
                    .record;
                let expires = record.expires.as_deref().unwrap_or("never");
                let cells = [&record.serial, &record.issued, expires, &record.key].map(str::as_bytes);
                out.write_record(row.record.iter().chain(cells)).map_err(output_error)?;
            }
            Made::New(mut record) => {
                // A repeated random serial is a 1 in 2^64 event per pair: the primary key
                // refuses it, and the row is signed anew.
                loop {
                    match keys::insert(conn, chain, &record) {
                        Ok(()) => break,
                        Err(e)
                            if keys::is_constraint(&e)
                                && keys::by_serial(conn, &record.serial).map_err(Written::Db)?.is_some() =>
                        {
                            if let Made::New(again) = sign_row(row, &mut rand::rng())
                                .map_err(|e| Written::Other(Error::input(e)))?
                            {
                                record = again;
                            }
                        }
                        Err(e) => return Err(Written::Db(e)),
                    }
                }
                counts.new_keys.fetch_add(1, Ordering::Relaxed);
                let expires = record.expires.as_deref().unwrap_or("never");
                let cells = [&record.serial, &record.issued, expires, &record.key].map(str::as_bytes);
                out.write_record(row.record.iter().chain(cells)).map_err(output_error)?;
            }
        }
    }
    Ok(())
}

fn thread_failed(which: &str) -> Error {
    Error::Io { what: format!("the {which} thread failed"), source: std::io::Error::other("it panicked") }
}

/// A failure to write the output is an I/O failure (exit 1), whatever csv wraps it in.
fn output_error(e: csv::Error) -> Written {
    Written::Other(Error::Io { what: "cannot write the output".into(), source: std::io::Error::other(e) })
}

/// Signs one row's key.
fn sign(
    signer: &Signer,
    plan: RowPlan,
    rng: &mut impl rand::Rng,
    issued_at: &str,
    actor: &str,
) -> Result<KeyRecord, String> {
    let serial = loop {
        if let Some(s) = Serial::new(rng.next_u64()) {
            break s;
        }
    };
    let mut payload = plan.terms.payload(serial);
    let key = signer.issue(&mut payload).map_err(|e| e.to_string())?;
    let mut record = KeyRecord::new(key, &payload, &plan.terms.template, plan.order_id, plan.contact);
    record.issued_at = Some(issued_at.to_owned());
    record.via = Some("batch".into());
    record.actor = Some(actor.to_owned());
    Ok(record)
}
