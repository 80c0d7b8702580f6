//! The desk's API tokens (schema 4): a name, a role, the SHA-256 of the token, an optional
//! last day, who added it when, and when it was last used. The token itself is never stored:
//! it is printed once when made. Name, role, hash, last day and who added it when are under
//! the signed head with the people ([`super::people::digest`]); `last_used` is not.

pub use super::rows::Token;

/// What a token's text starts with (so that a leaked one is recognized in logs and scans).
pub const PREFIX: &str = "kgt_";

/// The actor a token's work is recorded as: `api:` and its name. People's names cannot start
/// so (`desk::cli::check_name`), and the command line's are `cli:...`, so no person and no
/// token share one.
pub fn actor(name: &str) -> String {
    format!("api:{name}")
}

/// The SHA-256 (hex) a token is stored and looked up by.
pub fn hash(token: &str) -> String {
    super::sha256_hex(token.as_bytes())
}
