//! The small commands: init, public-key, templates, features, generate-docs.

use std::path::Path;
use std::process::ExitCode;

use product_key::Feature;

use crate::cli::{InitArgs, KeyArgs, TemplatesArgs};
use crate::error::Error;
use crate::{keyfile, template};
use cli_support::warn;

/// `keygen init`.
pub fn init(args: &InitArgs) -> Result<ExitCode, Error> {
    let made =
        keyfile::init(&args.dir, args.encrypt, args.passphrase_file.as_deref(), args.allow_weak_passphrase)?;
    if !args.encrypt && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        warn(&format!(
            "keygen: warning: {} is stored in the clear: whoever can read it can issue keys. \
             For a production key, make it with --encrypt.",
            made.signing_key.display()
        ));
    }
    warn(&format!(
        "Created {} (mode 0600{}) and {}.\nKeep the signing key offline and backed up; give out only the public key.",
        made.signing_key.display(),
        if args.encrypt { ", encrypted" } else { "" },
        made.public_key.display()
    ));
    cli_support::print(&format!("{}\n", made.key_id)).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// `keygen public-key`.
pub fn public_key(args: &KeyArgs) -> Result<ExitCode, Error> {
    let signer = keyfile::load(&args.key, args.passphrase_file.as_deref())?;
    let pem = keyfile::public_pem(&signer.public_key())?;
    cli_support::print(&format!("{pem}key_id: {}\n", signer.key_id())).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// `keygen templates`: every good template, then the bad ones (exit 3 if any).
pub fn templates(args: &TemplatesArgs) -> Result<ExitCode, Error> {
    let all = template::load_all(&args.folder())?;
    let mut out = String::new();
    let mut bad = 0;
    for (source, parsed) in &all {
        match parsed {
            Ok(t) => {
                let features: Vec<&str> = t.features.features().map(Feature::name).collect();
                let validity = t.valid_days.map_or("perpetual".to_owned(), |d| format!("{d} days"));
                out.push_str(&format!(
                    "{:<14} {:<14} seats: {:<9} validity: {:<10} features: {}\n",
                    t.id,
                    t.name,
                    t.seats,
                    validity,
                    if t.features == product_key::FeatureSet::all() {
                        "all".to_owned()
                    } else {
                        features.join(", ")
                    }
                ));
                if let Some(d) = &t.description {
                    out.push_str(&format!("{:<14} {d}\n", ""));
                }
                out.push_str(&format!("{:<14} from: {source}\n", ""));
            }
            Err(e) => {
                bad += 1;
                warn(&format!("keygen: {e}"));
            }
        }
    }
    cli_support::print(&out).map_err(Error::stdout)?;
    Ok(if bad > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// `keygen features`: the catalog.
pub fn features() -> Result<ExitCode, Error> {
    let mut out = String::from("bit  name              shown as\n");
    for f in Feature::ALL {
        out.push_str(&format!("{:>3}  {:<17} {}\n", f.bit(), f.name(), f.shown()));
    }
    cli_support::print(&out).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes bash, zsh and fish completions and the man pages into `dir`.
pub fn generate_docs(dir: &Path) -> Result<ExitCode, Error> {
    cli_support::write_docs(crate::cli::command(), dir)
        .map_err(Error::io(format!("cannot write into {}", dir.display())))?;
    Ok(ExitCode::SUCCESS)
}
