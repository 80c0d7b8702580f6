//! A backend's failure, apart from the interface so that the core's error can hold one
//! without depending on the rows the interface reads.

use std::fmt;

/// What kind of failure a backend met, for the layers above to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// A constraint of the schema refused a write (a serial or an order recorded already).
    Constraint,
    /// The database cannot be reached now (a server restarting, a connection lost): the
    /// same request may succeed later.
    Unavailable,
    /// Anything else.
    Other,
}

/// A backend's failure: its kind and the driver's error (never a password: drivers' errors
/// name hosts and statements, not credentials).
pub struct StoreError {
    kind: StoreErrorKind,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StoreError {
    /// A failure of `kind` caused by `source`.
    pub fn new(kind: StoreErrorKind, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError { kind, source: source.into() }
    }

    /// Its kind.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Whether a constraint refused the write.
    pub fn is_constraint(&self) -> bool {
        self.kind == StoreErrorKind::Constraint
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreError({:?}: {})", self.kind, self.source)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
