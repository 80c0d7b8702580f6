//! The columns of a batch's input and output, and how the input's are read.

use std::collections::HashMap;

/// The columns a row may have.
pub const KNOWN: [&str; 7] =
    ["organization", "template", "seats", "features", "expires", "order_id", "contact"];
/// Columns the output adds; an input holding one is refused.
pub const RESERVED: [&str; 4] = ["serial", "issued", "valid_until", "key"];

/// How the input's columns are read: `--column`, `--ignore-column`, `--ignore-other-columns`
/// and `--no-order-ids`.
pub struct Mapping {
    /// Known column → the header it is read from (`--column NAME=HEADER`).
    pub columns: HashMap<String, String>,
    /// Headers carried through unread (`--ignore-column`).
    pub ignored: Vec<String>,
    /// Whether every column not read is carried through (`--ignore-other-columns`).
    pub ignore_others: bool,
    /// Whether the input may have no order_id column (`--no-order-ids`).
    pub no_order_ids: bool,
    /// What the caller's user calls these options.
    pub words: super::words::Words,
}
