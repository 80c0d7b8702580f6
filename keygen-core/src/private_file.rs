//! Files that hold a secret (a passphrase, a PIN, a password): read only when no one but the
//! owner may read them, into memory that is wiped.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use zeroize::Zeroizing;

/// Why a private file was not read.
pub enum Private {
    /// It cannot be opened or read.
    Io(std::io::Error),
    /// Group or others have a permission bit on it (its mode).
    Exposed(u32),
}

/// Reads a file that must be private (no permission bit for group or others) into wiped
/// memory. The mode is checked on the open handle that is then read, so the file cannot be
/// swapped between the check and the read.
///
/// The buffer is allocated once, `limit` + 1 bytes, and never grows: a FIFO or a process
/// substitution (`<(...)`) reports a size of 0, and a buffer sized from that would be
/// reallocated while reading, leaving copies of the secret that are never wiped. A file
/// longer than `limit` is refused (and a device cannot be read forever).
pub fn read_private(path: &Path, limit: usize) -> Result<Zeroizing<Vec<u8>>, Private> {
    let mut file = File::open(path).map_err(Private::Io)?;
    let meta = file.metadata().map_err(Private::Io)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Private::Exposed(mode));
    }
    let mut bytes = Zeroizing::new(vec![0u8; limit + 1]);
    let mut len = 0;
    while len < bytes.len() {
        match std::io::Read::read(&mut file, &mut bytes[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Private::Io(e)),
        }
    }
    if len > limit {
        return Err(Private::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is longer than {limit} bytes, the most such a file may hold"),
        )));
    }
    // Shortening keeps the allocation: what is past `len` is zeros, and all of it is wiped.
    bytes.truncate(len);
    Ok(bytes)
}
