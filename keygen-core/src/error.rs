//! Every way keygen's operations fail. `Display` is the message a person sees; the faces map
//! the kinds to what they speak: exit codes (the command line's `exit_code`), HTTP statuses
//! and form fields (the desk).

use std::path::{Path, PathBuf};

/// One thing wrong with one row of an input file: its Display is `FILE:LINE: column: what`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {column}: {what}")]
pub struct Problem {
    /// The input file as named on the command line.
    pub file: String,
    /// The physical line where the record starts, from 1.
    pub line: u64,
    /// The column at fault, `-` when no single one is.
    pub column: String,
    /// What is wrong.
    pub what: String,
    /// Problems of one group are always told as one summary line with this text (an order
    /// already issued, on a rerun of the whole file).
    pub group: Option<String>,
}

/// How many problem lines are printed one by one before the rest is summarized.
pub const MAX_PROBLEM_LINES: usize = 50;

/// The problems of a checked input, as a person can act on them: at most
/// [`MAX_PROBLEM_LINES`] lines of single problems, then one line per kind of problem with
/// its count and first lines, then a closing line.
pub fn summarize(file: &str, rows: u64, problems: &[Problem]) -> String {
    let (grouped, single): (Vec<&Problem>, Vec<&Problem>) = problems.iter().partition(|p| p.group.is_some());
    let mut out: Vec<String> = single.iter().take(MAX_PROBLEM_LINES).map(ToString::to_string).collect();
    // Kinds in order of first appearance, each counted whole: every single problem when
    // there are more than the limit, and the groups.
    let mut kinds: Vec<(String, Vec<u64>)> = Vec::new();
    let over = single.len() > MAX_PROBLEM_LINES;
    let rest = single.iter().filter(|_| over).map(|p| (format!("{}: {}", p.column, p.what), p.line));
    let groups =
        grouped.iter().map(|p| (format!("{}: {}", p.column, p.group.clone().unwrap_or_default()), p.line));
    for (kind, line) in rest.chain(groups) {
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, lines)) => lines.push(line),
            None => kinds.push((kind, vec![line])),
        }
    }
    if single.len() > MAX_PROBLEM_LINES {
        out.push(format!(
            "{file}: {} more problems; every problem by kind:",
            thousands((single.len() - MAX_PROBLEM_LINES) as u64)
        ));
    }
    for (kind, lines) in &kinds {
        let first: Vec<String> = lines.iter().take(3).map(u64::to_string).collect();
        out.push(format!(
            "{file}: {} {}: {kind}; first at line{} {}",
            thousands(lines.len() as u64),
            if lines.len() == 1 { "row" } else { "rows" },
            if first.len() == 1 { "" } else { "s" },
            first.join(", ")
        ));
    }
    let rows_with: std::collections::BTreeSet<u64> = problems.iter().map(|p| p.line).collect();
    out.push(format!(
        "{file}: {} rows checked, {} problems in {} rows; nothing was issued",
        thousands(rows),
        thousands(problems.len() as u64),
        thousands(rows_with.len() as u64)
    ));
    out.join("\n")
}

/// 1667 as "1,667".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A field of a request, as the core names it. The faces name it their way: the command
/// line by its flag, the desk by its form field, the API by its JSON member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// A key's serial.
    Serial,
    /// An order id.
    OrderId,
    /// The order whose current key is meant.
    ForOrder,
    /// The organization (or part of its name, in a search).
    Organization,
    /// The seats.
    Seats,
    /// The features.
    Features,
    /// A feature to add.
    AddFeature,
    /// A feature to remove.
    RemoveFeature,
    /// The last day.
    Expires,
    /// A term in days.
    ValidDays,
    /// The day of issue.
    Issued,
    /// The edition template.
    Template,
    /// A CSV delimiter.
    Delimiter,
    /// A text encoding.
    Encoding,
    /// Every key.
    All,
}

impl Field {
    /// Its name in the core (and a batch's CSV column, where it is one).
    pub fn name(self) -> &'static str {
        match self {
            Field::Serial => "serial",
            Field::OrderId => "order_id",
            Field::ForOrder => "for_order",
            Field::Organization => "organization",
            Field::Seats => "seats",
            Field::Features => "features",
            Field::AddFeature => "add_feature",
            Field::RemoveFeature => "remove_feature",
            Field::Expires => "expires",
            Field::ValidDays => "valid_days",
            Field::Issued => "issued",
            Field::Template => "template",
            Field::Delimiter => "delimiter",
            Field::Encoding => "encoding",
            Field::All => "all",
        }
    }

    /// The CSV column name (the same words).
    pub fn column(self) -> &'static str {
        self.name()
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// "a, b or c".
pub fn one_of(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}

/// A failure of a keygen operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One field of a request is invalid, and nothing was done (exit 3; the desk's form
    /// field, the API's 422 naming it).
    #[error("{field}: {what}")]
    Invalid {
        /// The field.
        field: Field,
        /// What is wrong with it.
        what: String,
    },
    /// A request lacks what it needs: one of `any_of` (exit 3).
    #[error("{}give {}", .context.map(|c| format!("{c}: ")).unwrap_or_default(), one_of(&.any_of.iter().map(|f| f.name()).collect::<Vec<_>>()))]
    Missing {
        /// What the request was about to do, when that helps ("nothing to change").
        context: Option<&'static str>,
        /// The fields of which one is needed.
        any_of: Vec<Field>,
    },
    /// What the request names is not in the ledger (exit 3; HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The order has a key already (exit 3; HTTP 409): an order is issued one key, which is
    /// then renewed or amended.
    #[error("order '{order}' was already issued a key ({})", ledger.display())]
    OrderIssued {
        /// The order.
        order: String,
        /// The ledger holding its key.
        ledger: PathBuf,
    },
    /// The request clashes with what the ledger holds: an order issued already, a key
    /// replaced or revoked already (exit 3; HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// Invalid input and nothing was done (exit 3).
    #[error("{0}")]
    Input(String),
    /// Many invalid inputs found at once, each on its own line (exit 3).
    #[error("{}", .0.join("\n"))]
    Inputs(Vec<String>),
    /// A checked input with problems: summarized for a person (exit 3).
    #[error("{}", summarize(file, *rows, problems))]
    Checked {
        /// The input as named.
        file: String,
        /// Rows read.
        rows: u64,
        /// Every problem of every row.
        problems: Vec<Problem>,
    },
    /// Rows of an input file that are wrong, each on its own line (exit 3).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<Problem>),
    /// A signing key problem (exit 4).
    #[error("{0}")]
    Key(#[from] KeyError),
    /// The ledger is not as its signed head, its schema or its checkpoint log say, so nothing
    /// is written to it (exit 5): what differs, and to run `keygen ledger verify`.
    #[error("{0}")]
    Integrity(String),
    /// Stopped by Ctrl-C or SIGTERM; what was recorded is said (exit 1).
    #[error("{0}")]
    Interrupted(String),
    /// A failure after keys were recorded in the ledger: the cause, how many keys are
    /// recorded, and how to finish (exit 1, never 3: something was done).
    #[error("{cause}\n{recorded}")]
    AfterRecording {
        /// What failed.
        cause: Box<Error>,
        /// What is recorded and how to finish.
        recorded: String,
    },
    /// The ledger's database failed (exit 1).
    #[error("{what}: {source}")]
    Db {
        /// What was being done, with the path.
        what: String,
        /// The cause.
        source: crate::db::store_error::StoreError,
    },
    /// Any other failure, I/O mostly (exit 1).
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// An invalid `field`.
    pub fn invalid(field: Field, what: impl Into<String>) -> Error {
        Error::Invalid { field, what: what.into() }
    }

    /// An I/O failure while doing `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }

    /// A failure of the ledger's database while doing `what`.
    pub fn db(what: impl Into<String>) -> impl FnOnce(crate::db::store_error::StoreError) -> Error {
        let what = what.into();
        move |source| Error::Db { what, source }
    }

    /// Whether this is the ledger's database out of reach for now (a server restarting, a
    /// connection lost): the same request may succeed later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Db { source, .. } if source.kind() == crate::db::store_error::StoreErrorKind::Unavailable)
    }

    /// A failure to write to stdout (a closed pipe is not one: see `cli_support::print`).
    pub fn stdout(source: std::io::Error) -> Error {
        Error::Io { what: "cannot write to stdout".into(), source }
    }

    /// Invalid input.
    pub fn input(message: impl Into<String>) -> Error {
        Error::Input(message.into())
    }

    /// This failure, after keys were recorded: `recorded` says what and how to finish.
    pub fn after_recording(self, recorded: impl Into<String>) -> Error {
        Error::AfterRecording { cause: Box::new(self), recorded: recorded.into() }
    }
}

impl From<cli_support::PublishError> for Error {
    fn from(e: cli_support::PublishError) -> Error {
        match e {
            cli_support::PublishError::Exists(_) => Error::Input(e.to_string()),
            cli_support::PublishError::Io { path, source } => {
                Error::Io { what: format!("cannot write {}", path.display()), source }
            }
        }
    }
}

/// The fewest characters a new passphrase may have (see docs/operations.md for why).
pub const MIN_NEW_PASSPHRASE_CHARS: usize = 12;

/// Why a signing key cannot be used (exit 4). Never carries secret bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No file at the path.
    #[error("no signing key at {}", .0.display())]
    Missing(PathBuf),
    /// The file exists but cannot be read.
    #[error("cannot read the signing key {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Group or others may read or write the file (the signing key or the passphrase file).
    #[error("{} is readable by others (mode {mode:03o}); fix it with: chmod 600 {}", path.display(), path.display())]
    UnsafePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A PEM, but not an Ed25519 private key.
    #[error("{} is not an Ed25519 signing key: {what}", path.display())]
    NotEd25519 {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        what: String,
    },
    /// The passphrase does not open the key.
    #[error("wrong passphrase for the signing key {}", .0.display())]
    WrongPassphrase(PathBuf),
    /// The key is encrypted and no passphrase source was given.
    #[error("the signing key {} is encrypted", .0.display())]
    NoPassphrase(PathBuf),
    /// `init --encrypt` has no source for the new key's passphrase.
    #[error("no passphrase to encrypt the new signing key {} with", .0.display())]
    NoNewPassphrase(PathBuf),
    /// A new passphrase below the stated strength.
    #[error("the passphrase is too short ({chars} of at least {min} characters): use several words (see docs/operations.md)", min = MIN_NEW_PASSPHRASE_CHARS)]
    WeakPassphrase {
        /// Its length in characters.
        chars: usize,
    },
    /// The passphrase file is not UTF-8 text.
    #[error("the passphrase file {} is not UTF-8 text", .0.display())]
    PassphraseFileNotText(PathBuf),
    /// An empty passphrase, which is refused.
    #[error("the passphrase is empty; an empty passphrase is refused")]
    EmptyPassphrase,
    /// The two passphrases typed at `init` differ.
    #[error("the passphrases do not match")]
    PassphraseMismatch,
    /// The passphrase file cannot be read.
    #[error("cannot read the passphrase file {}: {source}", path.display())]
    PassphraseFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// KEYGEN_PASSPHRASE holds bytes that are not UTF-8.
    #[error("KEYGEN_PASSPHRASE is not valid UTF-8 text")]
    PassphraseNotText,
    /// The passphrase could not be read from the terminal.
    #[error("cannot read the passphrase from the terminal: {0}")]
    Prompt(String),
    /// The key could not be encrypted or encoded.
    #[error("cannot encode the signing key: {0}")]
    Encode(String),
    /// The system's random generator failed.
    #[error("the system random generator failed: {0}")]
    Random(String),
    /// A key in a PKCS#11 token cannot be used (docs/token.md); never holds the PIN.
    #[error(transparent)]
    Token(#[from] crate::token::TokenError),
}

impl KeyError {
    /// A read failure of `path`, told apart into missing and unreadable.
    pub fn reading(path: &Path, source: std::io::Error) -> KeyError {
        if source.kind() == std::io::ErrorKind::NotFound {
            KeyError::Missing(path.to_owned())
        } else {
            KeyError::Unreadable { path: path.to_owned(), source }
        }
    }
}
