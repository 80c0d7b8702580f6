//! `keygen ledger verify | find | import | export | backup`. Every one but import opens the
//! ledger read-only.

use keygen_core::db::store::LedgerRead;
use std::io::Write;
use std::process::ExitCode;

use product_key::TrustedKeys;

use crate::cli::{LedgerBackupArgs, LedgerExportArgs, LedgerFindArgs, LedgerImportArgs, LedgerVerifyArgs};
use cli_support::warn;
use keygen_core::db::keys::History;
use keygen_core::db::{self, Db};
use keygen_core::error::Error;

/// Checks the whole ledger with public keys only.
pub fn verify(args: &LedgerVerifyArgs) -> Result<ExitCode, Error> {
    let pinned = if args.public_keys.is_empty() {
        None
    } else {
        let mut trusted = TrustedKeys::new();
        for path in &args.public_keys {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::input(format!("cannot read the public key {}: {e}", path.display())))?;
            trusted.add_text(&text).map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        }
        Some(trusted)
    };
    let path = args.at.path();
    let ledger = Db::open_read(&path)?;
    let checked = db::verify::verify(ledger.conn(), pinned.as_ref())?;
    let checked = match checked {
        Ok(summary) => match checkpoints(ledger.conn(), args, &path)? {
            Ok(note) => Ok((summary, note)),
            Err(b) => Err(b),
        },
        Err(b) => Err(b),
    };
    match checked {
        Ok((summary, note)) => {
            let signers: Vec<String> =
                summary.signers.iter().map(|k| format!("{} ({})", k.key_id, k.status)).collect();
            cli_support::print(&format!(
                "{}: {} keys, {} revocation lists, chain intact, every key verifies with its signer, \
                 the signed head covers the last row; signing keys: {}{note}\n",
                path.display(),
                summary.keys,
                summary.lists,
                if signers.is_empty() { "none yet".to_owned() } else { signers.join(", ") }
            ))
            .map_err(Error::stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(broken) => {
            warn(&format!("keygen: {}: {}: {}", path.display(), broken.at, broken.what));
            Ok(ExitCode::from(3))
        }
    }
}

/// The ledger against the checkpoint log and an auditor's `--checkpoint`: it must extend
/// every head of the log, and each head must be genuine. What was checked, for the summary.
fn checkpoints(
    conn: &dyn LedgerRead,
    args: &LedgerVerifyArgs,
    path: &std::path::Path,
) -> Result<Result<String, db::verify::Broken>, Error> {
    let read = || Error::db(format!("cannot read the ledger {}", path.display()));
    let signers = conn.signing_keys().map_err(read())?;
    let check = |at: String, cp: &db::head::Signed| -> Result<Result<(), db::verify::Broken>, Error> {
        let why = match db::checkpoint::not_extended(conn, cp).map_err(read())? {
            Some(why) => Some(why),
            // Rows as the checkpoint says; its head must be one the ledger's key signed.
            None => db::head::check_signature(cp, &signers).err(),
        };
        Ok(match why {
            Some(what) => Err(db::verify::Broken { at, what }),
            None => Ok(()),
        })
    };
    let mut note = String::new();
    if let Some(file) = &args.checkpoint {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::input(format!("cannot read the checkpoint {}: {e}", file.display())))?;
        let cp = text.lines().rev().find_map(db::head::Signed::parse).ok_or_else(|| {
            Error::input(format!("{}: no signed head (a line of keygen ledger head) in it", file.display()))
        })?;
        if let Err(b) =
            check(format!("the checkpoint {} ({})", file.display(), db::guard::short(&cp.head)), &cp)?
        {
            return Ok(Err(b));
        }
        note.push_str(&format!("; extends the checkpoint {}", file.display()));
    }
    let log = db::checkpoint::path_for(&args.at.key, path);
    match db::checkpoint::read(&log)? {
        Some(heads) => {
            for (line, cp) in &heads {
                let at = format!(
                    "checkpoint {} of {} (line {line}: {})",
                    line,
                    log.display(),
                    db::guard::short(&cp.head)
                );
                if let Err(b) = check(at, cp)? {
                    return Ok(Err(b));
                }
            }
            note.push_str(&format!(
                "; extends the {} heads of the checkpoint log {}",
                heads.len(),
                log.display()
            ));
        }
        None => {
            if conn.stored_head().map_err(read())?.is_some() {
                warn(&format!(
                    "keygen: note: no checkpoint log at {}: a rollback of the ledger (an older copy, a cut WAL) \
                     cannot be told; give --checkpoint-log FILE or --checkpoint FILE",
                    log.display()
                ));
            }
        }
    }
    Ok(Ok(note))
}

/// `keygen ledger head`: the stored signed head in one line.
pub fn head(args: &crate::cli::LedgerHeadArgs) -> Result<ExitCode, Error> {
    let path = args.at.path();
    let ledger = Db::open_read(&path)?;
    let stored = ledger
        .conn()
        .stored_head()
        .map_err(Error::db(format!("cannot read the ledger {}", path.display())))?
        .ok_or_else(|| Error::input(format!("the ledger {} has no signed head yet", path.display())))?;
    cli_support::print(&format!("{}\n", stored.line())).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the matching keys, each checked, as a table, CSV or JSON Lines.
pub fn find(args: &LedgerFindArgs) -> Result<ExitCode, Error> {
    let format = args.format.to_ascii_lowercase();
    if !["table", "csv", "json"].contains(&format.as_str()) {
        return Err(Error::input(format!("--format: '{}' is not one of table, csv, json", args.format)));
    }
    let path = args.at.path();
    let query = keygen_core::ops::find::Query {
        serial: args.serial.clone(),
        order_id: args.order_id.clone(),
        org: args.org.clone(),
        all: args.all,
    };
    // The query is checked before the ledger is opened.
    if query.serial.is_none() && query.org.is_none() && query.order_id.is_none() && !query.all {
        return Err(Error::input("give --serial, --order-id, --org or --all"));
    }
    let ledger = Db::open_read(&path)?;
    let found = keygen_core::ops::find::find(ledger.conn(), &query).map_err(|e| match e {
        Error::Db { what, source } => Error::Db { what: format!("{what} {}", path.display()), source },
        e => e,
    })?;
    if found.is_empty() {
        warn(&format!("keygen: no key in {} matches", path.display()));
        return Ok(ExitCode::from(1));
    }
    let checked: Vec<(&History, Option<String>)> =
        found.iter().map(|f| (&f.history, f.not_genuine.clone())).collect();
    let text = match format.as_str() {
        "json" => json_lines(&checked)?,
        "csv" => csv_text(&checked)?,
        _ => table(&checked),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        return closed_pipe_is_success(e);
    }
    let bad = checked.iter().filter(|(_, b)| b.is_some()).count();
    if bad > 0 {
        warn(&format!("keygen: {bad} of these keys are NOT GENUINE: run keygen ledger verify"));
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a key stands: current, replaced, revoked.
fn state(k: &History) -> String {
    match (&k.revoked, &k.replaced_by) {
        (Some(r), _) => format!("revoked (list {})", r.sequence),
        (None, Some(by)) => format!("replaced by {}", by.serial),
        (None, None) => "current".to_owned(),
    }
}

const HEADER: [&str; 10] = [
    "serial",
    "organization",
    "order_id",
    "issued",
    "expires",
    "seats",
    "features",
    "state",
    "genuine",
    "actor",
];

fn cells(k: &History, bad: &Option<String>) -> [String; 10] {
    let r = k.record();
    [
        r.serial.clone(),
        r.organization.clone(),
        r.order_id.clone().unwrap_or_default(),
        r.issued.clone(),
        r.expires.clone().unwrap_or_else(|| "never".into()),
        r.seats.map_or("unlimited".into(), |n| n.to_string()),
        r.features.join(","),
        state(k),
        match bad {
            None => "yes".into(),
            Some(why) => format!("NOT GENUINE: {why}"),
        },
        // Who recorded it; "-" for keys of schema 1, recorded before anyone was named.
        r.actor.clone().unwrap_or_else(|| "-".into()),
    ]
}

fn table(found: &[(&History, Option<String>)]) -> String {
    // By display width, so that names in any script line up (wide characters take two columns).
    let mut table = cli_support::Table::new(&[cli_support::Align::Left; 10], 2);
    table.row(&HEADER);
    for (k, b) in found {
        table.row(&cells(k, b));
    }
    table.render()
}

fn csv_text(found: &[(&History, Option<String>)]) -> Result<String, Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail =
        |e: csv::Error| Error::Io { what: "cannot write the list".into(), source: std::io::Error::other(e) };
    out.write_record(HEADER).map_err(fail)?;
    for (k, b) in found {
        let mut row = cells(k, b);
        // People's cells (organization, order, actor) are written so no spreadsheet runs them.
        for i in [1, 2, 9].into_iter().filter(|&i| i != 9 || k.record().actor.is_some()) {
            row[i] = cli_support::csv_cell::neutralize(&row[i]).into_owned();
        }
        out.write_record(row).map_err(fail)?;
    }
    let bytes = out.into_inner().map_err(|e| Error::input(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| Error::input(e.to_string()))
}

fn json_lines(found: &[(&History, Option<String>)]) -> Result<String, Error> {
    let mut out = String::new();
    for (k, bad) in found {
        let mut value = serde_json::to_value(k.record()).map_err(|e| Error::input(e.to_string()))?;
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "story".into(),
                serde_json::json!({
                    "position": k.stored.position,
                    "issued_by": k.record().via,
                    "actor": k.record().actor,
                    "replaces": k.record().supersedes,
                    "replaced_by": k.replaced_by,
                    "revoked": k.revoked,
                }),
            );
            map.insert("genuine".into(), serde_json::Value::Bool(bad.is_none()));
            if let Some(why) = bad {
                map.insert("problem".into(), serde_json::Value::String(why.clone()));
            }
        }
        out.push_str(&value.to_string());
        out.push('\n');
    }
    Ok(out)
}

/// The reader of stdout went away (`keygen ledger find ... | head -1`): a normal end.
fn closed_pipe_is_success(e: std::io::Error) -> Result<ExitCode, Error> {
    if e.kind() == std::io::ErrorKind::BrokenPipe { Ok(ExitCode::SUCCESS) } else { Err(Error::stdout(e)) }
}

/// Brings a JSON Lines ledger into a new database ledger.
pub fn import(args: &LedgerImportArgs) -> Result<ExitCode, Error> {
    if is_ledger(&args.from)? {
        return copy_ledger(args);
    }
    let file = std::fs::File::open(&args.from)
        .map_err(|e| Error::input(format!("cannot read {}: {e}", args.from.display())))?;
    let signer = keygen_core::keyfile::open(&args.key.key, args.key.passphrase_file.as_deref())?;
    let mut trusted = TrustedKeys::new();
    trusted.add(&signer.public_key()).map_err(|e| Error::input(e.to_string()))?;
    let mut retired = Vec::new();
    for path in &args.public_keys {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::input(format!("cannot read the public key {}: {e}", path.display())))?;
        let raw = keygen_core::keyfile::public_from_pem(&text)
            .or_else(|_| {
                let mut raw = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut raw).map(|()| raw).map_err(|e| e.to_string())
            })
            .map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        let id = trusted.add(&raw).map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        if id != signer.key_id() {
            retired.push((id.to_string(), hex::encode(raw)));
        }
    }
    let path = db::path_for(args.ledger.as_deref(), &args.key.key);
    let new = std::fs::metadata(&path).is_err();
    let result = (|| -> Result<db::jsonl::Imported, Error> {
        // Into a new file, or a ledger that holds no key yet (`keygen init`'s).
        let mut ledger = if new { Db::create(&path)? } else { Db::open_vault(&path, &args.key.key)? };
        let tx = ledger.begin_write(&args.key.key)?;
        for (id, public) in &retired {
            db::head::add(tx.conn(), id, public, "retired")
                .map_err(Error::db("cannot record a signing key"))?;
        }
        db::head::ensure_current(tx.conn(), &signer, &args.key.key)?;
        let done =
            db::jsonl::import(tx.conn(), &args.from, std::io::BufReader::new(file), &trusted, &signer)?;
        tx.commit(&signer)?;
        Ok(done)
    })();
    finish_import("Imported", result.map(|d| (d.keys, d.lists)), &args.from, &path, new)
}

/// Says what an import brought in, or removes the SQLite ledger made for it when it failed
/// (left empty: nothing was committed).
fn finish_import(
    done_word: &str,
    result: Result<(u64, u64), Error>,
    from: &std::path::Path,
    path: &std::path::Path,
    new: bool,
) -> Result<ExitCode, Error> {
    match result {
        Ok((keys, lists)) => {
            warn(&format!(
                "{done_word} {keys} keys and {lists} revocation lists from {} into {}; check it with: keygen ledger verify --ledger {}",
                from.display(),
                path.display(),
                path.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if new {
                remove_sqlite(path);
            }
            Err(e)
        }
    }
}

/// Writes every record as chained JSON Lines to stdout.
pub fn export(args: &LedgerExportArgs) -> Result<ExitCode, Error> {
    if !args.format.eq_ignore_ascii_case("jsonl") {
        return Err(Error::input(format!("--format: '{}' is not jsonl", args.format)));
    }
    let path = args.at.path();
    let ledger = Db::open_read(&path)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match db::jsonl::export(ledger.conn(), &mut out) {
        Ok(_) => {}
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e),
    }
    if let Err(e) = out.flush() {
        return closed_pipe_is_success(e);
    }
    Ok(ExitCode::SUCCESS)
}

/// A consistent copy of the ledger (one read transaction), published whole, mode 0600.
pub fn backup(args: &LedgerBackupArgs) -> Result<ExitCode, Error> {
    use std::os::unix::fs::PermissionsExt;
    let path = args.at.path();
    let ledger = Db::open_read(&path)?;
    let dated = args.rotate.map(|_| rotation::dated(&args.out, &keygen_core::key_record::now_rfc3339()));
    let target = dated.as_ref().unwrap_or(&args.out);
    if target.exists() {
        return Err(Error::input(format!("{} exists; a backup never replaces a file", target.display())));
    }
    let cannot = || format!("cannot write the backup {}", target.display());
    let temp = tempfile::Builder::new()
        .prefix(".backup-")
        .tempfile_in(cli_support::parent_dir(target))
        .map_err(Error::io(cannot()))?;
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o600))
        .map_err(Error::io(cannot()))?;
    ledger.copy_to(temp.path())?;
    temp.as_file().sync_all().map_err(Error::io(cannot()))?;
    temp.persist_noclobber(target).map_err(|e| Error::Io { what: cannot(), source: e.error })?;
    let keys = Db::open_read(target)?.conn().key_chain().map_err(Error::db(cannot()))?.count;
    warn(&format!("Wrote {} ({keys} keys), a copy of {} as of now.", target.display(), path.display()));
    if let Some(keep) = args.rotate {
        for old in rotation::older_than_newest(&args.out, keep as usize)
            .map_err(Error::io(format!("cannot list the backups beside {}", args.out.display())))?
        {
            std::fs::remove_file(&old)
                .map_err(Error::io(format!("cannot remove the old backup {}", old.display())))?;
            warn(&format!("Removed the older backup {}.", old.display()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ledger backup --rotate`: dated names and pruning.
mod rotation {
    use std::path::{Path, PathBuf};

    /// `dir/stem` and `.ext` of the name the copies are named after.
    fn parts(out: &Path) -> (PathBuf, String, String) {
        let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let ext = out.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
        (cli_support::parent_dir(out).to_owned(), stem, ext)
    }

    /// `b/ledger.sqlite` at 2026-12-07T15:32:10Z: `b/ledger-20261207T153210Z.sqlite`.
    pub fn dated(out: &Path, now: &str) -> PathBuf {
        let (dir, stem, ext) = parts(out);
        let stamp: String = now.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        dir.join(format!("{stem}-{stamp}{ext}"))
    }

    /// The dated copies of `out` but the `keep` newest (a stamp sorts as its time does).
    pub fn older_than_newest(out: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
        let (dir, stem, ext) = parts(out);
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            let stamp = name.strip_prefix(&format!("{stem}-")).and_then(|r| r.strip_suffix(ext.as_str()));
            // Only what `dated` makes: 8 digits, T, 6 digits, Z.
            if let Some(s) = stamp
                && s.len() == 16
                && s.bytes().enumerate().all(|(i, b)| match i {
                    8 => b == b'T',
                    15 => b == b'Z',
                    _ => b.is_ascii_digit(),
                })
            {
                found.push(name);
            }
        }
        found.sort();
        let drop = found.len().saturating_sub(keep);
        Ok(found.into_iter().take(drop).map(|n| dir.join(n)).collect())
    }
}

/// Whether `from` is a ledger (a postgres:// URL or a SQLite database) rather than JSON Lines.
fn is_ledger(from: &std::path::Path) -> Result<bool, Error> {
    if db::is_postgres(from) {
        return Ok(true);
    }
    let mut magic = [0u8; 16];
    let mut file = std::fs::File::open(from)
        .map_err(|e| Error::input(format!("cannot read {}: {e}", from.display())))?;
    let n = std::io::Read::read(&mut file, &mut magic).unwrap_or(0);
    Ok(n == magic.len() && &magic == b"SQLite format 3\0")
}

/// `ledger import --from LEDGER`: the whole ledger checked (as `ledger verify` checks it),
/// then copied row for row into a ledger that holds no key, in one transaction; its head
/// signed again by the current signing key. Every row hash and list stays byte for byte.
fn copy_ledger(args: &LedgerImportArgs) -> Result<ExitCode, Error> {
    let source = Db::open_read(&args.from)?;
    source.begin_read()?;
    if let Err(b) = db::verify::verify(source.conn(), None)? {
        return Err(Error::Integrity(format!(
            "{} is not intact, nothing was imported: {}: {}",
            args.from.display(),
            b.at,
            b.what
        )));
    }
    let signer = keygen_core::keyfile::open(&args.key.key, args.key.passphrase_file.as_deref())?;
    let path = db::path_for(args.ledger.as_deref(), &args.key.key);
    let new = !db::is_postgres(&path) && std::fs::metadata(&path).is_err();
    let result = (|| -> Result<db::transfer::Counts, Error> {
        let mut ledger = if new { Db::create(&path)? } else { Db::open_vault(&path, &args.key.key)? };
        let tx = ledger.begin_write(&args.key.key)?;
        let done = db::transfer::copy(source.conn(), tx.conn())?;
        tx.commit(&signer)?;
        Ok(done)
    })();
    finish_import("Copied", result.map(|d| (d.keys, d.lists)), &args.from, &path, new)
}

/// Removes a SQLite ledger made for an import that failed, with its WAL and shared memory.
fn remove_sqlite(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.to_owned().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}
