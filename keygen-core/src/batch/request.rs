//! What a batch is asked to do, and how it tells its progress.

use std::path::PathBuf;

use crate::template::Folder;

/// A batch, as the command line or the desk asks for it. Values stay text where the
/// check names them in its messages (a day, a delimiter, an encoding), so that a bad one is
/// told as invalid input with the file it came from.
#[derive(Clone, Debug)]
pub struct Request {
    /// The CSV export: one row per key.
    pub input: PathBuf,
    /// Where the input rows are written with their keys.
    pub output: PathBuf,
    /// The template of rows whose `template` cell is empty.
    pub template: Option<String>,
    /// `NAME=HEADER`: a known column read from a header of another name.
    pub columns: Vec<String>,
    /// Headers carried through unread.
    pub ignore_columns: Vec<String>,
    /// Carry every unknown column through unread.
    pub ignore_other_columns: bool,
    /// Issue keys for an input without an order_id column.
    pub no_order_ids: bool,
    /// Field delimiter: ",", ";" or "tab" (default: detected).
    pub delimiter: Option<String>,
    /// The input's text encoding (default: its BOM's, else UTF-8).
    pub encoding: Option<String>,
    /// Day of issue for every row (default: today, UTC).
    pub issued: Option<String>,
    /// Rows whose order is already in the ledger get the key recorded there.
    pub skip_issued: bool,
    /// Replace an existing output file.
    pub force: bool,
    /// The ledger (default: beside the signing key).
    pub ledger: Option<PathBuf>,
    /// The signing key's path (the ledger's default place and the checkpoint log's).
    pub key: PathBuf,
    /// Where an encrypted key's passphrase is read from.
    pub passphrase_file: Option<PathBuf>,
    /// The edition templates beside the built-in ones.
    pub templates: Folder,
    /// What the caller's user calls the options above, for the checks' hints.
    pub words: super::words::Words,
}

/// How far a batch is: told once every row is checked, then as rows are signed.
pub trait Progress: Sync {
    /// Every row is checked; `rows` will be signed or taken from the ledger.
    fn start(&self, rows: u64);
    /// `rows` more rows are done.
    fn advance(&self, rows: u64);
    /// The output is published.
    fn finish(&self);
}

/// No progress to show (the desk, tests).
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _rows: u64) {}
    fn advance(&self, _rows: u64) {}
    fn finish(&self) {}
}
