//! `keygen ledger init`: the ledger's tables in an empty PostgreSQL database, and the vault's
//! note of where its ledger is.

use std::process::ExitCode;

use keygen_core::db::{self, Db};
use keygen_core::error::Error;

use crate::cli::LedgerInitArgs;
use cli_support::warn;

/// Makes the tables (refusing a database that holds anything else, or a ledger already),
/// then notes the ledger in the vault unless told not to.
pub fn run(args: &LedgerInitArgs) -> Result<ExitCode, Error> {
    if !db::is_postgres(&args.ledger) {
        return Err(Error::input(format!(
            "{} is not a postgres:// URL: a SQLite ledger is made by keygen init (or keygen ledger import)",
            args.ledger.display()
        )));
    }
    let ledger = Db::create(&args.ledger)?;
    let location = ledger.path().to_owned();
    drop(ledger);
    if !args.no_setting {
        let vault = keygen_core::keyfile::beside(&args.key, None);
        let setting = vault.join(db::LOCATION_SETTING);
        let mut line = args.ledger.as_os_str().to_owned();
        line.push("\n");
        keygen_core::ops::access::write_private(&setting, line.as_encoded_bytes())?;
        warn(&format!(
            "Made the ledger's tables in {}; {} notes it for every command that signs with {}.",
            location.display(),
            setting.display(),
            args.key.display()
        ));
    } else {
        warn(&format!("Made the ledger's tables in {}.", location.display()));
    }
    Ok(ExitCode::SUCCESS)
}
