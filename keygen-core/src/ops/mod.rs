//! The operations, with typed inputs and results, used by both front ends: the command line
//! (which reads flags and prints) and the desk (which reads forms and renders pages). Each
//! operation records in the ledger who did it (its `actor`).

pub mod access;
pub mod find;
pub mod issue;
pub mod people;
pub mod replace;
pub mod report;
pub mod revoke;

/// Who the command line acts for: `cli:` and the OS user (`$USER`, else `$LOGNAME`), or
/// `cli` alone when neither is set.
pub fn cli_actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_default();
    let user: String = user.chars().filter(|c| !c.is_control()).take(64).collect();
    if user.is_empty() { "cli".to_owned() } else { format!("cli:{user}") }
}
