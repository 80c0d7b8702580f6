//! Publishing files whole: written to a temporary file beside the target, synced, then
//! renamed, so a reader sees the old state or the complete new file, never half of one.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::Error;

/// A file being written; it appears at its path only on [`Pending::publish`].
pub struct Pending {
    target: PathBuf,
    writer: BufWriter<NamedTempFile>,
}

impl Pending {
    /// Starts writing `target`. Unless `force`, an existing target is refused now (exit 3),
    /// before any work is done.
    pub fn create(target: &Path, force: bool) -> Result<Pending, Error> {
        if !force && target.symlink_metadata().is_ok() {
            return Err(Error::input(format!(
                "{} already exists (use --force to replace it)",
                target.display()
            )));
        }
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".keygen-partial-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .tempfile_in(dir)
            .map_err(Error::io(format!("cannot create a file in {}", dir.display())))?;
        Ok(Pending { target: target.to_owned(), writer: BufWriter::with_capacity(1 << 20, tmp) })
    }

    /// Where the bytes go.
    pub fn writer(&mut self) -> &mut impl Write {
        &mut self.writer
    }

    /// Flushes, syncs and renames into place. Unless `force`, a target that appeared
    /// meanwhile is not replaced.
    pub fn publish(self, force: bool) -> Result<(), Error> {
        let what = format!("cannot write {}", self.target.display());
        let tmp =
            self.writer.into_inner().map_err(|e| Error::Io { what: what.clone(), source: e.into_error() })?;
        tmp.as_file().sync_all().map_err(Error::io(what.clone()))?;
        let persisted = if force { tmp.persist(&self.target) } else { tmp.persist_noclobber(&self.target) };
        persisted.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::input(format!("{} already exists (use --force to replace it)", self.target.display()))
            } else {
                Error::Io { what, source: e.error }
            }
        })?;
        let dir = self.target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}
