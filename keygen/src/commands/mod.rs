//! One module per command (or per family of commands that share their flags).

pub mod batch;
#[cfg(feature = "desk")]
pub mod desk;
#[cfg(feature = "desk")]
pub mod desk_access;
pub mod issue;
pub mod ledger;
pub mod ledger_init;
pub mod renew_amend;
pub mod report;
pub mod revoke;
pub mod rotate;
pub mod vault;
