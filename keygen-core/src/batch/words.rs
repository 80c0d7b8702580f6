//! What the caller's user calls the batch's options. The checks' hints name them ("map it:
//! --column organization=HEADER" on the command line), and each face says them its own way:
//! the command line gives its flags, the desk the words its page then turns into its fields
//! and boxes. The core names none itself.

/// The names of the batch's options, as the caller's user knows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Words {
    /// The template of rows with an empty template cell.
    pub template: &'static str,
    /// A known column read from a header of another name (`NAME=HEADER` follows it).
    pub column: &'static str,
    /// A header carried through unread.
    pub ignore_column: &'static str,
    /// Every unknown column carried through unread.
    pub ignore_other_columns: &'static str,
    /// An input without an order_id column.
    pub no_order_ids: &'static str,
    /// Rows whose order was issued get the recorded key.
    pub skip_issued: &'static str,
    /// The field delimiter.
    pub delimiter: &'static str,
    /// The input's text encoding.
    pub encoding: &'static str,
    /// The day of issue.
    pub issued: &'static str,
    /// How to run the same batch again ("run the same command with").
    pub again: &'static str,
}
