//! Publishing a file whole: written to a temporary file beside the target, synced, then
//! renamed, so a reader sees the old state or the complete new file, never half of one.

use std::fs::File;
use std::io::{BufWriter, Write};
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
    /// any work is done. The new file takes the mode of the file it replaces, else 0600:
    /// outputs hold customers' names and keys.
    pub fn create(target: &Path, force: bool) -> Result<Pending, PublishError> {
        let existing = target.metadata();
        if !force && target.symlink_metadata().is_ok() {
            return Err(PublishError::Exists(target.to_owned()));
        }
        let mode = existing.map_or(0o600, |m| m.permissions().mode() & 0o777);
        let dir = parent_dir(target);
        let io = |source| PublishError::Io { path: target.to_owned(), source };
        let tmp = tempfile::Builder::new()
            .prefix(".partial-")
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(dir)
            .map_err(io)?;
        // The umask may have narrowed the mode asked for; set it exactly.
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode)).map_err(io)?;
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

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}
