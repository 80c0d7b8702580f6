//! keygen's integration tests: the real binary, in temporary folders. One test binary.

mod batch;
mod desk;
mod desk_people;
mod issue;
mod keys;
mod ledger;
mod lifecycle;
mod newcomer;
mod promises;
mod secrets;
mod spreadsheets;
mod templates;
mod util;
