//! The small commands: init, public-key, templates, features, generate-docs.

use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use product_key::Feature;

use crate::cli::{Cli, InitArgs, KeyArgs, TemplatesArgs};
use crate::error::Error;
use crate::output::{print, warn};
use crate::{keyfile, template};

/// `keygen init`.
pub fn init(args: &InitArgs) -> Result<ExitCode, Error> {
    let made = keyfile::init(&args.dir, args.encrypt, args.passphrase_file.as_deref())?;
    warn(&format!(
        "Created {} (mode 0600{}) and {}.\nKeep the signing key offline and backed up; give out only the public key.",
        made.signing_key.display(),
        if args.encrypt { ", encrypted" } else { "" },
        made.public_key.display()
    ));
    print(&format!("{}\n", made.key_id))?;
    Ok(ExitCode::SUCCESS)
}

/// `keygen public-key`.
pub fn public_key(args: &KeyArgs) -> Result<ExitCode, Error> {
    let signer = keyfile::load(&args.key, args.passphrase_file.as_deref())?;
    let pem = keyfile::public_pem(&signer.public_key())?;
    print(&format!("{pem}key_id: {}\n", signer.key_id()))?;
    Ok(ExitCode::SUCCESS)
}

/// `keygen templates`: every good template, then the bad ones (exit 3 if any).
pub fn templates(args: &TemplatesArgs) -> Result<ExitCode, Error> {
    let all = template::load_all(&args.templates)?;
    let mut out = String::new();
    let mut bad = 0;
    for (_, parsed) in &all {
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
            }
            Err(e) => {
                bad += 1;
                warn(&format!("keygen: {e}"));
            }
        }
    }
    if all.is_empty() {
        warn(&format!("keygen: no templates (*.toml) in {}", args.templates.display()));
    }
    print(&out)?;
    Ok(if bad > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// `keygen features`: the catalog.
pub fn features() -> Result<ExitCode, Error> {
    let mut out = String::from("bit  name              shown as\n");
    for f in Feature::ALL {
        out.push_str(&format!("{:>3}  {:<17} {}\n", f.bit(), f.name(), f.shown()));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes bash, zsh and fish completions and the man page into `dir`.
pub fn generate_docs(dir: &Path) -> Result<ExitCode, Error> {
    write_docs(Cli::command(), dir)?;
    Ok(ExitCode::SUCCESS)
}

/// Completions, and a man page for the command and each subcommand.
fn write_docs(mut cmd: clap::Command, dir: &Path) -> Result<(), Error> {
    use clap_complete::Shell;
    std::fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    let name = cmd.get_name().to_owned();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd, &name, dir)
            .map_err(Error::io("cannot write completions"))?;
    }
    cmd.build();
    let subcommands: Vec<clap::Command> =
        cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect();
    let pages = std::iter::once((name.clone(), cmd))
        .chain(subcommands.into_iter().map(|s| (format!("{name}-{}", s.get_name()), s)));
    for (page_name, page_cmd) in pages {
        let mut page = Vec::new();
        clap_mangen::Man::new(page_cmd.name(page_name.clone()))
            .render(&mut page)
            .map_err(Error::io("cannot render the man page"))?;
        std::fs::write(dir.join(format!("{page_name}.1")), page)
            .map_err(Error::io("cannot write the man page"))?;
    }
    Ok(())
}
