//! keygen's library: everything the vendor's tools do, with no command line and no web
//! server in it. The command line (`keygen`) and the desk (`keygen-desk`) are faces over it.
//!
//! - The vault: signing keys in files ([`keyfile`], [`passphrase`]) or in a PKCS#11 token
//!   ([`token`]); where a passphrase comes from, not how it is prompted (a face installs its
//!   prompt with [`passphrase::set_prompt`]).
//! - The catalog: edition templates ([`template`]) and the terms built from them ([`terms`]).
//! - The ledger ([`db`]): the chain, the signed head, the checkpoint log and `verify`, and the
//!   one door every write goes through (`Db::begin_write` / `Writer::commit`).
//! - The operations ([`ops`], [`batch`]): typed requests in, typed results out, a typed
//!   [`error::Error`] that the faces map to exit codes or HTTP statuses.

pub mod batch;
pub mod dates;
pub mod db;
pub mod email_block;
pub mod error;
pub mod failpoint;
pub mod key_record;
pub mod keyfile;
pub mod ops;
pub mod passphrase;
pub mod private_file;
pub mod template;
pub mod terms;
pub mod text_rules;
pub mod token;
