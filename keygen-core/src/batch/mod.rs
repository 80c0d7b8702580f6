//! `keygen batch`: a key for every row of a CSV export. All or nothing: every row is
//! checked before the first signature (`check`), from a private copy of the input read once;
//! one ledger transaction runs from the duplicate check to the commit of the last row, so a
//! batch stopped or killed at any moment records no key; the ledger is committed before the
//! output file is renamed into place (`pipeline`).

mod cells;
mod check;
mod columns;
mod orders;
mod output;
mod pipeline;
mod plan;
pub mod profile;
mod request;
mod unread;
mod words;

pub use self::request::{Progress, Request, Silent};
pub use self::words::Words;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use tabular::Table;

use crate::db::{self, Db, Writer};
use crate::error::{Error, Problem};
use crate::failpoint::{self, Failpoint};
use crate::key_record::now_rfc3339;
use crate::keyfile;

use self::pipeline::{Counts, Signing};
use self::plan::{Plan, RESERVED, Templates};

/// Where a batch's signing key comes from.
pub enum SignerFrom<'a> {
    /// `--key` (and its passphrase), opened once every row is checked.
    File,
    /// One already open (the desk's).
    Given(&'a crate::token::AnySigner),
}

/// What a batch did.
#[derive(Clone, Debug)]
pub struct Done {
    /// The ledger the keys are recorded in.
    pub ledger: PathBuf,
    /// The day of issue of the new keys.
    pub issued: product_key::Day,
    /// Keys issued and recorded.
    pub new_keys: u64,
    /// Keys taken from the ledger (`--skip-issued`).
    pub reused: u64,
}

/// Checks every row as `keygen batch` does, and stops there (nothing is signed or recorded):
/// the rows read, or every problem.
pub fn check_only(args: &Request) -> Result<u64, Error> {
    let stop = AtomicBool::new(false);
    let plan = Plan::new(args)?;
    let mut templates = Templates::new(args.templates.clone(), args.template.as_deref(), args.words.template);
    if let Some(t) = &args.template {
        templates.load(t);
        templates.get(t).map_err(|bad| Error::input(format!("{}: {}", args.words.template, bad.what)))?;
    }
    // A read transaction: checking a large file holds no lock that a writer would wait for.
    let db = Db::open_read(&plan.ledger)?;
    db.begin_read()?;
    let ledger = check::Ledger { conn: db.conn(), path: &plan.ledger };
    let (checked, _) = check::check(args, &plan, &mut templates, Some(ledger), &stop)?;
    Ok(checked.rows)
}

/// The batch: every row checked, then signed and recorded as `actor` in one transaction,
/// then the output published.
pub fn execute(
    args: &Request,
    stop: &AtomicBool,
    from: SignerFrom<'_>,
    actor: &str,
    progress: &dyn Progress,
) -> Result<Done, Error> {
    let plan = Plan::new(args)?;
    let mut templates = Templates::new(args.templates.clone(), args.template.as_deref(), args.words.template);
    if let Some(t) = &args.template {
        templates.load(t);
        templates.get(t).map_err(|bad| Error::input(format!("{}: {}", args.words.template, bad.what)))?;
    }
    // One transaction from here to the commit, so no other keygen can issue one of these
    // orders meanwhile. A ledger that does not exist yet is made only when every row is good.
    // A PostgreSQL ledger is made only by `ledger init`; a SQLite file, by the first batch.
    let there = db::is_postgres(&plan.ledger) || db::exists(&plan.ledger)?;
    let mut existing = there.then(|| Db::open_write(&plan.ledger)).transpose()?;
    let existing_tx = match existing.as_mut() {
        Some(db) => Some(db.begin_write(&args.key)?),
        None => None,
    };

    let (checked, columns) = check::check(
        args,
        &plan,
        &mut templates,
        existing_tx.as_ref().map(|t| check::Ledger { conn: t.conn(), path: t.path() }),
        stop,
    )?;
    if let Some(Failpoint::AfterCheck(action)) = failpoint::from_env() {
        failpoint::act(&action);
    }

    let loaded;
    let signer = match from {
        SignerFrom::Given(s) => s,
        SignerFrom::File => {
            loaded = keyfile::open(&args.key, args.passphrase_file.as_deref())?;
            &loaded
        }
    };
    // The output's temporary file first: if it cannot be made, no ledger is created.
    let mut out = output::Unpublished::create(&args.output, args.force)?;
    let mut created;
    let tx = match existing_tx {
        Some(tx) => tx,
        None => {
            created = Db::create(&plan.ledger)?;
            let tx = created.begin_write(&args.key)?;
            refuse_clashes(&plan, &tx, &checked.orders)?;
            tx
        }
    };
    db::head::ensure_current(tx.conn(), signer, &args.key)?;
    drop(checked.orders);

    let table = Table::from_reader(
        &args.input,
        Box::new(checked.copy),
        Some(checked.format.delimiter),
        Some(checked.format.encoding),
    )
    .map_err(|e| Error::input(e.to_string()))?;
    let counts = Counts::default();
    progress.start(checked.rows);
    let signing = Signing {
        signer,
        actor,
        columns: &columns,
        templates: &templates,
        issued: plan.issued,
        issued_at: now_rfc3339(),
        reuse: &checked.reused,
        file: &plan.file,
        format: checked.format,
    };
    let signed = write_output(out.writer(), &checked.format, &checked.headers, |encoded| {
        pipeline::sign_all(table, &signing, &tx, encoded, progress, stop, &counts)
    });
    let new_keys = counts.new_keys.load(Ordering::Relaxed);
    let reused = counts.reused.load(Ordering::Relaxed);
    // Stopped or failed: the transaction is rolled back (dropped), so no key is recorded, and
    // the output, an anonymous file, goes with the process.
    signed?;
    if stop.load(Ordering::Relaxed) {
        return Err(Error::Interrupted("interrupted: nothing was issued, the ledger is as it was".into()));
    }
    // The ledger's part, in one place: the commit, which signs the head over the new rows.
    if failpoint::from_env() == Some(Failpoint::BeforeCommit) {
        std::process::abort();
    }
    let committing = profile::span(profile::Stage::Commit);
    tx.commit(signer)?;
    drop(committing);
    if failpoint::from_env() == Some(Failpoint::AfterCommit) {
        std::process::abort();
    }
    // Only now does any file that can be opened by name hold the keys: all are recorded.
    let published = match failpoint::from_env() {
        Some(Failpoint::FailPublish) => Err(Error::Io {
            what: format!("cannot write {}", args.output.display()),
            source: std::io::Error::from_raw_os_error(28),
        }),
        _ => out.publish(),
    };
    published.map_err(|e| {
        e.after_recording(format!(
            "stopped: {} was not written; {new_keys} new keys are recorded in {} and were never shown: \
             {} {} to finish (rows without order_id get new keys)",
            args.output.display(),
            plan.ledger.display(),
            args.words.again,
            args.words.skip_issued
        ))
    })?;
    progress.finish();
    profile::report(new_keys + reused);
    Ok(Done { new_keys, reused, ledger: plan.ledger, issued: plan.issued })
}

/// Checks the input's orders against a ledger that did not exist when the input was checked:
/// another keygen may have made it meanwhile.
fn refuse_clashes(plan: &Plan, tx: &Writer<'_>, orders: &check::Orders) -> Result<(), Error> {
    let read = || Error::db(format!("cannot read the ledger {}", plan.ledger.display()));
    if tx.conn().key_chain().map_err(read())?.count == 0 {
        return Ok(());
    }
    let mut clashes = Vec::new();
    for (order, line) in orders.iter() {
        if tx.conn().order_exists(order).map_err(read())? {
            clashes.push(Problem {
                file: plan.file.clone(),
                line,
                column: "order_id".into(),
                what: format!(
                    "'{order}' was issued a key by another keygen while this batch was checked ({}); \
                     nothing was issued: run the batch again",
                    plan.ledger.display()
                ),
                group: None,
            });
        }
    }
    if clashes.is_empty() {
        return Ok(());
    }
    clashes.sort_by_key(|p| p.line);
    Err(Error::Rows(clashes))
}

/// Writes the header, lets `body` write the rows (UTF-8, encoded as the input on the way),
/// then flushes; the file is published later.
fn write_output<W: std::io::Write>(
    out: W,
    format: &tabular::Format,
    headers: &[String],
    body: impl FnOnce(&mut tabular::Encoder<W>) -> Result<(), Error>,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io { what: "cannot write the output".into(), source: e };
    // The input's headers are people's input too: neutralized like its cells.
    let mut header: csv::StringRecord =
        headers.iter().map(|h| cli_support::csv_cell::neutralize(h).into_owned()).collect();
    for name in RESERVED {
        header.push_field(name);
    }
    let mut encoded = tabular::encoded(out, *format).map_err(io)?;
    let mut csv_out = tabular::writer(
        Vec::new(),
        tabular::Format { bom: false, encoding: tabular::TextEncoding::Utf8, ..*format },
    )
    .map_err(io)?;
    csv_out.write_record(&header).map_err(|e| io(std::io::Error::other(e)))?;
    let line = csv_out.into_inner().map_err(|e| io(e.into_error()))?.into_inner();
    std::io::Write::write_all(&mut encoded, &line).map_err(io)?;
    body(&mut encoded)?;
    std::io::Write::flush(&mut encoded).map_err(io)
}
