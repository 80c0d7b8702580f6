//! The batch's output, written so that no file anyone can open holds a key the ledger does
//! not (issue 26 item 5). While rows are signed, the output goes to an anonymous temporary
//! file (unlinked from the start: a killed process leaves nothing to open). Only after the
//! ledger's COMMIT is it copied to `.partial-batch-*` beside the output, synced and renamed
//! into place; that file holds committed keys only, and is locked while it is written, so a
//! later batch removes the ones whose writer died (a locked one belongs to a running batch).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The prefix of the files a batch publishes through.
const PREFIX: &str = ".partial-batch-";

/// The output while it is written: an anonymous file nobody can open by name.
pub struct Unpublished {
    target: PathBuf,
    force: bool,
    file: BufWriter<File>,
}

/// The I/O error of writing the output (exit 1).
fn cannot(target: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io { what: format!("cannot write {}", target.display()), source }
}

impl Unpublished {
    /// Starts writing `target`, refusing an existing one unless `force` (before any work);
    /// removes what killed batches left beside it.
    pub fn create(target: &Path, force: bool) -> Result<Unpublished, Error> {
        if !force && target.symlink_metadata().is_ok() {
            return Err(cli_support::PublishError::Exists(target.to_owned()).into());
        }
        let folder = cli_support::parent_dir(target);
        remove_leftovers(folder);
        let file = tempfile::tempfile_in(folder).map_err(cannot(target))?;
        Ok(Unpublished { target: target.to_owned(), force, file: BufWriter::with_capacity(1 << 20, file) })
    }

    /// Where the rows go.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.file
    }

    /// Call only after the ledger's commit: copies the output to a locked
    /// `.partial-batch-*` beside the target, syncs it and renames it into place.
    pub fn publish(self) -> Result<(), Error> {
        let target = self.target;
        let io = cannot(&target);
        let mut anonymous = self.file.into_inner().map_err(|e| io(e.into_error()))?;
        anonymous.seek(SeekFrom::Start(0)).map_err(&io)?;
        let mode = target.metadata().map_or(0o600, |m| permissions_of(&m));
        let builder = partial_builder(mode);
        let tmp = builder.tempfile_in(cli_support::parent_dir(&target)).map_err(&io)?;
        // Held until the rename: a later batch leaves a locked file alone.
        tmp.as_file().try_lock().map_err(|e| io(std::io::Error::other(e.to_string())))?;
        set_mode(tmp.as_file(), mode).map_err(&io)?;
        std::io::copy(&mut anonymous, &mut tmp.as_file()).map_err(&io)?;
        if let Some(crate::failpoint::Failpoint::Publishing) = crate::failpoint::from_env() {
            std::process::abort();
        }
        tmp.as_file().sync_all().map_err(&io)?;
        let persisted = if self.force { tmp.persist(&target) } else { tmp.persist_noclobber(&target) };
        persisted.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::from(cli_support::PublishError::Exists(target.clone()))
            } else {
                io(e.error)
            }
        })?;
        if let Ok(d) = File::open(cli_support::parent_dir(&target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

#[cfg(unix)]
fn permissions_of(m: &std::fs::Metadata) -> u32 {
    m.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn permissions_of(_: &std::fs::Metadata) -> u32 {
    0o600
}

/// A replaced output keeps its mode; a new one is 0600 (customers' names and keys).
#[cfg(unix)]
fn partial_builder(mode: u32) -> tempfile::Builder<'static, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(PREFIX).permissions(std::fs::Permissions::from_mode(mode));
    b
}

#[cfg(not(unix))]
fn partial_builder(_: u32) -> tempfile::Builder<'static, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(PREFIX);
    b
}

/// The umask may have narrowed the mode asked for: set it exactly.
#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> std::io::Result<()> {
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Removes the `.partial-batch-*` files in `folder` that no running batch holds (their
/// writer was killed between its commit and its rename: committed keys, but litter).
fn remove_leftovers(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::options().read(true).open(&path) else { continue };
        if file.try_lock().is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
}
