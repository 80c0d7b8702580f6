//! Publishing a file whole: written to a temporary file beside the target, synced, then
//! renamed, so a reader sees the old state or the complete new file, never half of one.
//!
//! File modes are Unix's: there the new file takes the mode of the file it replaces, else
//! 0600. Windows has no modes; there the new file gets the access rules it inherits from its
//! directory (as any file created there), and replacing a file keeps the rename's meaning.

use std::fs::File;
use std::io::{BufWriter, Write};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::parent_dir;

/// Why a file could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The target exists and replacing it was not asked for.
    #[error("{} already exists (use --force to replace it)", .0.display())]
    Exists(PathBuf),
    /// Creating, writing, syncing or renaming failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The target.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A file being written; it appears at its path only on [`Pending::publish`].
pub struct Pending {
    target: PathBuf,
    force: bool,
    writer: BufWriter<NamedTempFile>,
}

impl Pending {
    /// Starts writing `target`. Unless `force`, an existing target is refused now, before
    /// any work is done. On Unix the new file takes the mode of the file it replaces, else
    /// 0600: outputs hold customers' names and keys. On Windows it takes its directory's
    /// inherited access rules (Windows has no modes).
    pub fn create(target: &Path, force: bool) -> Result<Pending, PublishError> {
        if !force && target.symlink_metadata().is_ok() {
            return Err(PublishError::Exists(target.to_owned()));
        }
        let io = |source| PublishError::Io { path: target.to_owned(), source };
        let tmp = temporary_beside(target).map_err(io)?;
        Ok(Pending { target: target.to_owned(), force, writer: BufWriter::with_capacity(1 << 20, tmp) })
    }

    /// Where the bytes go.
    pub fn writer(&mut self) -> &mut BufWriter<NamedTempFile> {
        &mut self.writer
    }

    /// The file being published.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames into place. Unless `force`, a target that appeared
    /// meanwhile is not replaced. Dropped unpublished, the temporary file is removed.
    pub fn publish(self) -> Result<(), PublishError> {
        let target = self.target;
        let io = |source| PublishError::Io { path: target.clone(), source };
        let tmp = self.writer.into_inner().map_err(|e| io(e.into_error()))?;
        tmp.as_file().sync_all().map_err(io)?;
        let persisted = if self.force { tmp.persist(&target) } else { tmp.persist_noclobber(&target) };
        persisted.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                PublishError::Exists(target.clone())
            } else {
                io(e.error)
            }
        })?;
        if let Ok(d) = File::open(parent_dir(&target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// The temporary file the output is written to, in the target's directory so that the
/// rename stays on one file system, with the mode of the file it replaces, else 0600.
#[cfg(unix)]
fn temporary_beside(target: &Path) -> std::io::Result<NamedTempFile> {
    let mode = target.metadata().map_or(0o600, |m| m.permissions().mode() & 0o777);
    let tmp = tempfile::Builder::new()
        .prefix(".partial-")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(parent_dir(target))?;
    // The umask may have narrowed the mode asked for; set it exactly.
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(tmp)
}

/// The temporary file the output is written to, in the target's directory so that the
/// rename stays on one volume. Windows has no file modes: the file gets the access rules
/// its directory passes on to new files.
#[cfg(not(unix))]
fn temporary_beside(target: &Path) -> std::io::Result<NamedTempFile> {
    tempfile::Builder::new().prefix(".partial-").tempfile_in(parent_dir(target))
}

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}
