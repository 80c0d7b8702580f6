//! Pass 2: sign and record. A reader thread parses the next chunk; the pool (every core)
//! signs this one and does everything of a row that does not need the ledger: its terms,
//! its signature, its record, the JSON its chain hash covers (all of it but its place and the
//! hash before it), its search column and its output line. This thread, which holds the
//! ledger's transaction, only hashes each row onto the chain (one SHA-256 of a few hundred
//! bytes), inserts it through one prepared statement, and appends the lines: the part that
//! cannot run on two cores at once is kept as short as it can be, so both cores sign.

use crate::db::store::LedgerWrite;
use crate::db::store::{NewKey, StoreError};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use product_key::{Day, Serial};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tabular::{Row, Table};

use super::check::CHUNK;
use super::plan::{Columns, RowPlan, Templates, plan_row};
use super::profile::{Stage, span};
use crate::db::{Writer, keys};
use crate::error::Error;
use crate::failpoint::{self, Failpoint};
use crate::key_record::KeyRecord;
use crate::token::AnySigner;

/// What every row is signed with.
pub struct Signing<'a> {
    /// The signing key.
    pub signer: &'a AnySigner,
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
    pub reuse: &'a super::check::Reused,
    /// The input, for messages.
    pub file: &'a str,
    /// How the output is written (delimiter, line ends).
    pub format: tabular::Format,
}

/// What pass 2 did, also when it failed.
#[derive(Default)]
pub struct Counts {
    /// Keys signed and inserted.
    pub new_keys: AtomicU64,
    /// Rows given the key the ledger holds.
    pub reused: AtomicU64,
}

/// A new key with everything the ledger's row needs but its place in the chain.
struct Prepared {
    record: KeyRecord,
    org_search: String,
    features: String,
    /// The row's hash input after `[[position,"prev",`: see [`tail`].
    tail: Vec<u8>,
}

enum Made {
    New(Box<Prepared>),
    /// The serial of the order's current key.
    Reused(String),
}

/// Rows signed together on one thread, with their output lines in one buffer (a reused
/// row's line is empty there: this thread writes it from the ledger).
struct Part {
    made: Vec<Result<Made, String>>,
    lines: Vec<u8>,
    ends: Vec<usize>,
}

/// Rows each pool thread takes at a time: enough that a part's buffers are reused.
const PART: usize = 256;

type Signed = (Vec<Row>, Vec<Part>);

/// A part's output lines, in order, and its rows as inserted (freed by the output thread).
type Lines = (Vec<u8>, Vec<Box<Prepared>>);

/// Signs every row of `table` (the checked private copy), inserts the keys into the ledger's
/// transaction `tx` and the rows into `out` (already holding the header, encoded as the
/// input). Stops between chunks when `stop` is set.
pub fn sign_all<W: Write + Send>(
    mut table: Table,
    signing: &Signing<'_>,
    tx: &Writer<'_>,
    out: &mut W,
    progress: &dyn super::request::Progress,
    stop: &AtomicBool,
    counts: &Counts,
) -> Result<(), Error> {
    let fail = failpoint::from_env();
    let conn = tx.conn();
    let what = || Error::db(format!("cannot record the keys in the ledger {}", tx.path().display()));
    let mut chain = conn.key_chain().map_err(what())?;
    let (to_writer, signed) = std::sync::mpsc::sync_channel::<Signed>(2);
    std::thread::scope(|scope| -> Result<(), Error> {
        let (to_pool, chunks) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
        let reader = scope.spawn(move || -> Result<(), Error> {
            let _reading = span(Stage::Read);
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
                let parts: Vec<Part> = chunk
                    .par_chunks(PART)
                    .map_init(rand::rng, |rng, rows| make_part(rows, signing, rng))
                    .collect();
                if to_writer.send((chunk, parts)).is_err() {
                    break; // The writer stopped on an error, which it reports.
                }
            }
        });
        // The output's writes, and the freeing of what was inserted, happen on a thread of
        // their own, in order, off this one.
        let (to_output, recorded) = std::sync::mpsc::sync_channel::<(Vec<Lines>, Vec<Row>)>(2);
        let output = scope.spawn(move || -> std::io::Result<()> {
            let _writing = span(Stage::Output);
            for (parts, rows) in recorded {
                for (lines, inserted) in parts {
                    out.write_all(&lines)?;
                    drop(inserted);
                }
                drop(rows);
            }
            Ok(())
        });
        let mut written = Ok(());
        let mut record = Record { conn, chain: &mut chain, signing, counts };
        for (index, (chunk, parts)) in signed.into_iter().enumerate() {
            let rows = chunk.len() as u64;
            let recording = span(Stage::Write);
            written = record.chunk(&chunk, parts).and_then(|lines| {
                // A send fails only when the output thread stopped on an error, told below.
                to_output.send((lines, chunk)).map_err(|_| Written::Other(Error::input("")))
            });
            drop(recording);
            if written.is_err() {
                break;
            }
            let number = index as u64 + 1;
            if let Some(Failpoint::AfterChunk(n, action)) = &fail
                && *n == number
            {
                failpoint::act(action);
            }
            progress.advance(rows);
        }
        drop(to_output);
        let wrote =
            output.join().unwrap_or_else(|_| Err(std::io::Error::other("the output thread panicked")));
        wrote.map_err(|e| Error::Io { what: "cannot write the output".into(), source: e })?;
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

/// Plans, signs and prepares a part of a chunk, and writes the lines of its new keys.
fn make_part(rows: &[Row], signing: &Signing<'_>, rng: &mut rand::rngs::ThreadRng) -> Part {
    let _making = span(Stage::Part);
    let mut lines = csv_writer(signing.format, Vec::with_capacity(rows.len() * 320));
    let mut part = Part {
        made: Vec::with_capacity(rows.len()),
        lines: Vec::new(),
        ends: Vec::with_capacity(rows.len()),
    };
    for row in rows {
        let made = sign_row(row, signing, rng);
        if let Ok(Made::New(p)) = &made {
            // A Vec cannot fail to take a line; an error would show as a short line anyway.
            let _ = write_line(&mut lines, row, &p.record);
        }
        let _ = lines.flush();
        part.ends.push(lines.get_ref().len());
        part.made.push(made);
    }
    part.lines = lines.into_inner().unwrap_or_default();
    part
}

/// The CSV writer of output lines: the input's delimiter and line ends, UTF-8 (the file's
/// encoder turns it into the input's encoding).
fn csv_writer<W: Write>(format: tabular::Format, w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        // A line's worth: the writer of a single line (a reused key's) is made for each such
        // row, and its default 8 KiB buffer, zeroed each time, cost more than the line.
        .buffer_capacity(1024)
        .delimiter(format.delimiter)
        .terminator(if format.crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(w)
}

/// A row's output line: its cells as read (each neutralized, so that no spreadsheet runs one
/// as a formula), then the key's serial, day of issue, last day and text.
fn write_line<W: Write>(w: &mut csv::Writer<W>, row: &Row, r: &KeyRecord) -> csv::Result<()> {
    for cell in &row.record {
        match std::str::from_utf8(cell) {
            Ok(text) => w.write_field(cli_support::csv_cell::neutralize(text).as_bytes())?,
            // Not text (the copy was decoded, so this cannot be): quoted alike, bytes kept.
            Err(_) => {
                if matches!(
                    cli_support::csv_cell::neutralize(&String::from_utf8_lossy(cell)),
                    std::borrow::Cow::Owned(_)
                ) {
                    w.write_field([b"'", cell].concat())?;
                } else {
                    w.write_field(cell)?;
                }
            }
        }
    }
    let expires = r.expires.as_deref().unwrap_or("never");
    w.write_record([&r.serial, &r.issued, expires, &r.key].map(str::as_bytes))
}

/// Plans and signs one row (or finds that it takes its order's recorded key).
fn sign_row(row: &Row, signing: &Signing<'_>, rng: &mut impl rand::Rng) -> Result<Made, String> {
    let plan = plan_row(row, signing.columns, signing.templates, signing.issued).map_err(|(_, bad)| {
        let what: Vec<String> = bad.iter().map(|b| format!("{}: {}", b.column, b.what)).collect();
        format!("{}:{}: {}", signing.file, row.line, what.join("; "))
    })?;
    if let Some(serial) = plan.order_id.as_ref().and_then(|_| signing.reuse.get(row.line)) {
        return Ok(Made::Reused(serial.to_string()));
    }
    let record = sign(signing.signer, plan, rng, &signing.issued_at, signing.actor)?;
    let org_search = crate::db::search::column(&record.organization);
    let features = record.features.join(",");
    let tail = tail(&record, &features);
    Ok(Made::New(Box::new(Prepared { record, org_search, features, tail })))
}

/// What the writer thread does with each chunk, in the ledger's transaction.
struct Record<'c, 's> {
    conn: &'c dyn LedgerWrite,
    chain: &'c mut keys::Chain,
    signing: &'c Signing<'s>,
    counts: &'c Counts,
}

enum Written {
    Db(StoreError),
    Other(Error),
}

impl Record<'_, '_> {
    /// Inserts a chunk's new keys (chained); returns each part's lines in order. A part's
    /// lines are the pool's as they are unless a row's line is written here (a reused key, a
    /// key signed again), in which case they are merged.
    fn chunk(&mut self, chunk: &[Row], parts: Vec<Part>) -> Result<Vec<Lines>, Written> {
        let mut out = Vec::with_capacity(parts.len());
        for (rows, part) in chunk.chunks(PART).zip(parts) {
            let mut reused = self.reused(&part.made)?.into_iter();
            let pool_lines = part.lines;
            let mut merged: Option<Vec<u8>> = None;
            let mut inserted = Vec::with_capacity(rows.len());
            // The part's new rows, chained (position, the hash before), inserted together.
            let mut chained: Vec<(Box<Prepared>, u64, String)> = Vec::with_capacity(rows.len());
            let mut start = 0;
            for ((row, made), end) in rows.iter().zip(part.made).zip(part.ends) {
                let (line, before) = (&pool_lines[start..end], &pool_lines[..start]);
                start = end;
                match made.map_err(|e| Written::Other(Error::input(format!("cannot sign {e}"))))? {
                    Made::Reused(serial) => {
                        self.counts.reused.fetch_add(1, Ordering::Relaxed);
                        // The ledger is in this transaction since the check: the key is there.
                        let record = reused
                            .next()
                            .flatten()
                            .ok_or_else(|| {
                                Written::Other(Error::input(format!("key {serial} left the ledger")))
                            })?
                            .record;
                        self.write_own_line(row, &record, merged.get_or_insert_with(|| before.to_vec()))?;
                    }
                    Made::New(p) => {
                        if let Some(m) = merged.as_mut() {
                            m.extend_from_slice(line);
                        }
                        let position = self.chain.count + 1;
                        let hash = chain_hash(position, &self.chain.last, &p.tail);
                        let prev = std::mem::replace(&mut self.chain.last, hash);
                        self.chain.count = position;
                        chained.push((p, position, prev));
                    }
                }
            }
            let inserting = span(Stage::Insert);
            self.insert(&chained)?;
            drop(inserting);
            self.counts.new_keys.fetch_add(chained.len() as u64, Ordering::Relaxed);
            inserted.extend(chained.into_iter().map(|(p, _, _)| p));
            out.push((merged.unwrap_or(pool_lines), inserted));
        }
        Ok(out)
    }

    /// The stored rows of a part's reused keys, in order: one statement for all of them (one
    /// a row cost more in SQLite's statement handling than in the look-up).
    fn reused(&self, made: &[Result<Made, String>]) -> Result<Vec<Option<keys::Stored>>, Written> {
        let serials: Vec<&str> = made
            .iter()
            .filter_map(|m| match m {
                Ok(Made::Reused(serial)) => Some(serial.as_str()),
                _ => None,
            })
            .collect();
        self.conn.keys_by_serials(&serials).map_err(Written::Db)
    }

    /// Inserts a part's new rows in one call (a backend may send them in one statement). A
    /// row the schema refuses is a serial drawn twice (a 1 in 2^64 event per pair: the
    /// orders were checked in this transaction): the batch stops and nothing is recorded.
    fn insert(&self, chained: &[(Box<Prepared>, u64, String)]) -> Result<(), Written> {
        let hashes: Vec<&str> = chained
            .iter()
            .skip(1)
            .map(|(_, _, prev)| prev.as_str())
            .chain(std::iter::once(self.chain.last.as_str()))
            .collect();
        let rows: Vec<NewKey<'_>> = chained
            .iter()
            .zip(hashes)
            .map(|((p, position, prev), hash)| NewKey {
                record: &p.record,
                position: *position,
                org_search: &p.org_search,
                features: &p.features,
                prev,
                hash,
            })
            .collect();
        self.conn.insert_keys(&rows).map_err(|e| {
            if e.is_constraint() {
                Written::Other(Error::input(
                    "a new key's random serial is one the ledger holds already (a 1 in 2^64 draw); \
                     nothing was recorded: run the batch again",
                ))
            } else {
                Written::Db(e)
            }
        })
    }

    fn write_own_line(&self, row: &Row, record: &KeyRecord, lines: &mut Vec<u8>) -> Result<(), Written> {
        let mut w = csv_writer(self.signing.format, lines);
        write_line(&mut w, row, record).map_err(|e| output_error(std::io::Error::other(e)))?;
        w.flush().map_err(output_error)
    }
}

/// The JSON that `keys::row_hash` hashes for a row with an actor, after its first elements
/// (`[[position,"prev",`): the record's fields in the same order and form (serde_json's
/// compact form), then the actor. Computed on the pool, so that the chain, which must be
/// walked in order, costs this thread one SHA-256 per row.
fn tail(r: &KeyRecord, features: &str) -> Vec<u8> {
    let rest = (
        &r.serial,
        &r.order_id,
        &r.organization,
        r.seats,
        features,
        &r.issued,
        &r.expires,
        &r.key,
        &r.key_id,
        &r.supersedes,
        &r.reason,
        &r.via,
        &r.template,
        (&r.contact, &r.issued_at),
    );
    let mut json = serde_json::to_vec(&rest).unwrap_or_default();
    // `[a,…]` → `a,…],"actor"]`: the fields continue the array the caller opened after
    // `[[position,"prev",`, whose `]` closes it; the actor follows.
    json.remove(0);
    json.push(b',');
    serde_json::to_writer(&mut json, &r.actor).unwrap_or_default();
    json.push(b']');
    json
}

/// `keys::row_hash` of a row from its [`tail`]: `[[position,"prev",` then the tail.
fn chain_hash(position: u64, prev: &str, tail: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"[[");
    h.update(position.to_string().as_bytes());
    h.update(b",\"");
    h.update(prev.as_bytes());
    h.update(b"\",");
    h.update(tail);
    hex::encode(h.finalize())
}

fn thread_failed(which: &str) -> Error {
    Error::Io { what: format!("the {which} thread failed"), source: std::io::Error::other("it panicked") }
}

/// A failure to write the output is an I/O failure (exit 1).
fn output_error(e: std::io::Error) -> Written {
    Written::Other(Error::Io { what: "cannot write the output".into(), source: e })
}

/// Signs one row's key.
fn sign(
    signer: &AnySigner,
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
    let signing = span(Stage::Sign);
    let key = signer.issue(&mut payload).map_err(|e| e.to_string())?;
    drop(signing);
    let mut record = KeyRecord::new(key, &payload, &plan.terms.template, plan.order_id, plan.contact);
    record.issued_at = Some(issued_at.to_owned());
    record.via = Some("batch".into());
    record.actor = Some(actor.to_owned());
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_hash_from_the_pools_tail_is_the_ledgers_row_hash() {
        let mut r = KeyRecord {
            key: "AST8-0000".into(),
            serial: "0123456789abcdef".into(),
            key_id: "fedcba9876543210".into(),
            product: "AST".into(),
            major_version: 8,
            organization: "Müller \"Quoted\" \\ GmbH\u{1}".into(),
            seats: Some(12),
            features: vec!["dataflow".into(), "edi".into()],
            issued: "2026-11-28".into(),
            expires: None,
            template: Some("standard".into()),
            order_id: Some("=HYPERLINK(\"x\")".into()),
            contact: None,
            supersedes: None,
            reason: None,
            via: Some("batch".into()),
            issued_at: Some("2026-11-28T10:00:00Z".into()),
            actor: Some("ada".into()),
            prev: None,
        };
        let prev = "a".repeat(64);
        for position in [1, 9, 10, 123_456_789] {
            let features = r.features.join(",");
            assert_eq!(
                chain_hash(position, &prev, &tail(&r, &features)),
                keys::row_hash(position, &prev, &r)
            );
            r.seats = None;
            r.expires = Some("2027-12-31".into());
            r.contact = Some("jana@example.com".into());
        }
    }
}
