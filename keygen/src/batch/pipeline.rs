//! Pass 2: sign and record. A reader thread parses the next chunk while the pool signs this
//! one and the writer chains, records and writes the one before, so both cores sign.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cli_support::Pending;
use product_key::{Day, Serial, Signer};
use rayon::prelude::*;
use tabular::{Row, Table};

use super::check::CHUNK;
use super::plan::{Columns, RowPlan, Templates, plan_row};
use crate::error::Error;
use crate::failpoint::{self, Failpoint};
use crate::ledger::{Ledger, Location};
use crate::record::KeyRecord;
use crate::strmap::StrMap;

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
    /// With `--skip-issued`: the orders the ledger holds, whose rows take the recorded key.
    pub reuse: Option<&'a StrMap<Location>>,
    /// The input, for messages.
    pub file: &'a str,
}

/// What pass 2 did, also when it failed.
#[derive(Default)]
pub struct Counts {
    /// Keys signed and appended to the ledger.
    pub new_keys: AtomicU64,
    /// Rows given the key the ledger holds.
    pub reused: AtomicU64,
}

enum Made {
    New(Signed),
    Reused(Location),
}

/// A key signed for a row, in one allocation: the ledger record as JSON (without `prev`),
/// then the output's cells (serial, issued, expires, key). The workers build and serialize
/// the record and free it themselves; the writer, the one thread every row goes through, only
/// copies bytes.
struct Signed {
    serial: u64,
    bytes: Vec<u8>,
    ends: [usize; 5],
}

impl Signed {
    fn new(record: &KeyRecord, json: Vec<u8>) -> Signed {
        let mut bytes = json;
        let mut ends = [0; 5];
        ends[0] = bytes.len();
        let cells =
            [&record.serial, &record.issued, record.expires.as_deref().unwrap_or("never"), &record.key];
        for (i, cell) in cells.into_iter().enumerate() {
            bytes.extend_from_slice(cell.as_bytes());
            ends[i + 1] = bytes.len();
        }
        Signed { serial: serial_of(record), bytes, ends }
    }

    fn json(&self) -> &[u8] {
        &self.bytes[..self.ends[0]]
    }

    fn cells(&self) -> impl Iterator<Item = &[u8]> {
        self.ends.windows(2).map(|w| &self.bytes[w[0]..w[1]])
    }
}

/// Signs every row of `table` (the checked private copy), appends the records to `ledger`
/// and the rows to `out`. Stops between chunks when `stop` is set.
pub fn sign_all(
    mut table: Table,
    signing: &Signing<'_>,
    ledger: &mut Ledger,
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
        if let Some(at) = plan.order_id.as_ref().and_then(|o| signing.reuse.and_then(|r| r.get(o))) {
            return Ok(Made::Reused(at));
        }
        sign(signing.signer, plan, rng, &signing.issued_at).map(|(r, j)| Made::New(Signed::new(&r, j)))
    };
    let (to_writer, signed) = std::sync::mpsc::sync_channel::<(Vec<Row>, Vec<Result<Made, String>>)>(2);
    std::thread::scope(|scope| -> Result<(), Error> {
        let writer = scope.spawn(|| -> Result<(), Error> {
            let mut ledger_buf = Vec::with_capacity(CHUNK * 700);
            for (index, (chunk, made)) in signed.into_iter().enumerate() {
                ledger_buf.clear();
                let mut chunk_new = 0u64;
                for (row, made) in chunk.iter().zip(made) {
                    match made.map_err(|e| Error::input(format!("cannot sign {e}")))? {
                        Made::Reused(at) => {
                            counts.reused.fetch_add(1, Ordering::Relaxed);
                            let record = recorded(ledger, at)?;
                            let expires = record.expires.as_deref().unwrap_or("never");
                            let cells =
                                [&record.serial, &record.issued, expires, &record.key].map(str::as_bytes);
                            out.write_record(row.record.iter().chain(cells)).map_err(output_error)?;
                        }
                        Made::New(mut signed) => {
                            // A repeated random serial is a 1 in 2^64 event per pair; sign anew.
                            while ledger.serials.contains(&signed.serial) {
                                if let Made::New(again) =
                                    sign_row(row, &mut rand::rng()).map_err(Error::input)?
                                {
                                    signed = again;
                                }
                            }
                            ledger.serials.insert(signed.serial);
                            ledger.chain(signed.json(), &mut ledger_buf);
                            chunk_new += 1;
                            out.write_record(row.record.iter().chain(signed.cells()))
                                .map_err(output_error)?;
                        }
                    }
                }
                let number = index as u64 + 1;
                if fail == Some(Failpoint::TearChunk(number)) {
                    let _ = ledger.write(&ledger_buf[..ledger_buf.len() / 2]);
                    std::process::abort();
                }
                // Whole lines in one write: a crash leaves complete records, or at worst one
                // incomplete last line that `keygen ledger repair` removes.
                ledger.write(&ledger_buf)?;
                counts.new_keys.fetch_add(chunk_new, Ordering::Relaxed);
                if let Some(Failpoint::AfterChunk(n, action)) = &fail
                    && *n == number
                {
                    failpoint::act(action);
                }
                progress.inc(chunk.len() as u64);
            }
            Ok(())
        });
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
        drop(to_writer);
        let read = reader.join().unwrap_or_else(|_| Err(thread_failed("reader")));
        let written = writer.join().unwrap_or_else(|_| Err(thread_failed("writer")));
        written.and(read)
    })
}

fn thread_failed(which: &str) -> Error {
    Error::Io { what: format!("the {which} thread failed"), source: std::io::Error::other("it panicked") }
}

/// The record of a reused order, read from the ledger on demand.
fn recorded(ledger: &Ledger, at: Location) -> Result<KeyRecord, Error> {
    let line = ledger.line_at(at.offset)?;
    serde_json::from_slice::<KeyRecord>(&line).map_err(|e| {
        Error::input(format!("{}:{}: the record cannot be read: {e}", ledger.path().display(), at.line))
    })
}

fn serial_of(record: &KeyRecord) -> u64 {
    record.serial().map_or(0, Serial::get)
}

/// A failure to write the output is an I/O failure (exit 1), whatever csv wraps it in.
fn output_error(e: csv::Error) -> Error {
    Error::Io { what: "cannot write the output".into(), source: std::io::Error::other(e) }
}

/// Signs one row's key and serializes its ledger record (without `prev`).
fn sign(
    signer: &Signer,
    plan: RowPlan,
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
    record.via = Some("batch".into());
    let json = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
    Ok((record, json))
}
