//! The small commands: init, public-key, templates, features, generate-docs.

use std::path::Path;
use std::process::ExitCode;

use product_key::Feature;

use crate::cli::{InitArgs, PublicKeyArgs, TemplatesArgs};
use cli_support::warn;
use keygen_core::error::Error;
use keygen_core::token::AnySigner;
use keygen_core::{keyfile, template};

/// `keygen init`: a new signing key and its ledger (or, with `--key`, the ledger of an
/// existing key). The only command that makes a ledger (`ledger import` aside): every other
/// refuses one that is not there, so a mistyped `--ledger` cannot start a second one.
pub fn init(args: &InitArgs) -> Result<ExitCode, Error> {
    if let Some(uri) = &args.pkcs11 {
        return init_token(args, uri);
    }
    let key = args.key.clone().unwrap_or_else(|| args.dir.join(keyfile::SIGNING_KEY_FILE));
    let ledger = keygen_core::db::path_for(args.ledger.as_deref(), &key);
    // A key already there is refused by keyfile::init, with its own message.
    if args.key.is_some() || key.symlink_metadata().is_err() {
        new_ledger_allowed(&key, &ledger)?;
    }
    if let Some(key) = &args.key {
        let signer = keyfile::open(key, args.passphrase_file.as_deref())?;
        make_ledger(&ledger, key, &signer)?;
        warn(&format!("Created the ledger {} for the signing key {}.", ledger.display(), key.display()));
        cli_support::print(&format!("{}\n", signer.key_id())).map_err(Error::stdout)?;
        return Ok(ExitCode::SUCCESS);
    }
    let made =
        keyfile::init(&args.dir, args.encrypt, args.passphrase_file.as_deref(), args.allow_weak_passphrase)?;
    make_ledger(&ledger, &made.signing_key, &AnySigner::File(made.signer))?;
    if !args.encrypt && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        warn(&format!(
            "keygen: warning: {} is stored in the clear: whoever can read it can issue keys. \
             For a production key, make it with --encrypt.",
            made.signing_key.display()
        ));
    }
    warn(&format!(
        "Created {} (mode 0600{}), {} and the ledger {}.\nKeep the signing key offline and backed up; give out only the public key.",
        made.signing_key.display(),
        if args.encrypt { ", encrypted" } else { "" },
        made.public_key.display(),
        ledger.display()
    ));
    cli_support::print(&format!("key_id: {}\n", made.key_id)).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// `keygen init --pkcs11 URI`: the key pair generated in the token (refused before anything is
/// written if the token cannot make or use it), then DIR/public-key.pem, DIR/signing-key.uri
/// (the URI, which the other commands take as `--key`) and the ledger.
fn init_token(args: &InitArgs, uri: &str) -> Result<ExitCode, Error> {
    let reference = args.dir.join(keyfile::TOKEN_REFERENCE_FILE);
    let public_path = args.dir.join(keyfile::PUBLIC_KEY_FILE);
    let ledger = keygen_core::db::path_for(args.ledger.as_deref(), &reference);
    for p in [&reference, &public_path, &args.dir.join(keyfile::SIGNING_KEY_FILE)] {
        if p.symlink_metadata().is_ok() {
            return Err(Error::input(format!(
                "{} already exists: this folder holds a signing key already (keygen rotate --to URI moves it to a token)",
                p.display()
            )));
        }
    }
    new_ledger_allowed(&reference, &ledger)?;
    let signer = AnySigner::Token(keyfile::generate_token(uri)?);
    let public = keyfile::public_pem(&signer.public_key())?;
    keyfile::write_token_vault(&args.dir, uri, &public)?;
    make_ledger(&ledger, &reference, &signer)?;
    warn(&format!(
        "Generated the signing key in the token ({uri}; not extractable), wrote {}, {} and the ledger {}.\n\
         Give --key {} (or the URI) to the commands that sign; back the key up by the token's own procedure \
         (docs/operations.md).",
        public_path.display(),
        reference.display(),
        ledger.display(),
        reference.display()
    ));
    cli_support::print(&format!("key_id: {}\n", signer.key_id())).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses a new ledger where one is, or where the checkpoint log already holds heads (a
/// ledger of this vault was there: an empty one in its place would lose its keys).
fn new_ledger_allowed(key: &Path, ledger: &Path) -> Result<(), Error> {
    if ledger.symlink_metadata().is_ok() {
        return Err(Error::input(format!(
            "{} already exists; keygen never makes a ledger over one",
            ledger.display()
        )));
    }
    let log = keygen_core::db::checkpoint::path_for(key, ledger);
    if keygen_core::db::checkpoint::last(&log)?.is_some() {
        return Err(Error::Integrity(format!(
            "the checkpoint log {} holds the heads of a ledger at {}: that ledger is missing, not new. \
             Put it back (a backup; check it with keygen ledger verify), or move the log aside to start anew",
            log.display(),
            ledger.display()
        )));
    }
    Ok(())
}

/// Makes the ledger and signs its first head (recording `signer` as its signing key).
fn make_ledger(ledger: &Path, key: &Path, signer: &AnySigner) -> Result<(), Error> {
    let mut db = keygen_core::db::Db::create(ledger)?;
    db.begin_write(key)?.commit(signer)
}

/// `keygen public-key`.
/// The public half needs no passphrase: `public-key.pem` beside the signing key is read when
/// it exists (`init` writes it); otherwise the signing key is opened.
pub fn public_key(args: &PublicKeyArgs) -> Result<ExitCode, Error> {
    let hex = match args.format.to_ascii_lowercase().as_str() {
        "pem" => false,
        "hex" => true,
        other => return Err(Error::input(format!("--format: '{other}' is not pem or hex"))),
    };
    if args.all {
        return all_public_keys(args, hex);
    }
    let beside = cli_support::parent_dir(&args.key.key).join(keyfile::PUBLIC_KEY_FILE);
    // A pkcs11: URI is no place to look beside: the token is asked.
    let read = if keyfile::token_uri(&args.key.key).is_some() {
        Err(std::io::Error::from(std::io::ErrorKind::NotFound))
    } else {
        std::fs::read_to_string(&beside)
    };
    let public = match read {
        Ok(text) => {
            let mut trusted = product_key::TrustedKeys::new();
            trusted.add_text(&text).map_err(|e| Error::input(format!("{}: {e}", beside.display())))?;
            keyfile::public_from_pem(&text).map_err(|e| Error::input(format!("{}: {e}", beside.display())))?
        }
        Err(_) => keyfile::open(&args.key.key, args.key.passphrase_file.as_deref())?.public_key(),
    };
    let key_id = product_key::KeyId::of_public_key(&public);
    if hex {
        cli_support::print(&format!("{}\n", hex::encode(public))).map_err(Error::stdout)?;
        warn(&format!("key_id: {key_id}"));
    } else {
        let pem = keyfile::public_pem(&public)?;
        cli_support::print(&format!("{pem}key_id: {key_id}\n")).map_err(Error::stdout)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `keygen public-key --all`: every signing key the ledger knows, current and retired, as a
/// product should trust them (read-only; no passphrase).
fn all_public_keys(args: &PublicKeyArgs, hex: bool) -> Result<ExitCode, Error> {
    let path = keygen_core::db::path_for(args.ledger.as_deref(), &args.key.key);
    let ledger = keygen_core::db::Db::open_read(&path)?;
    let keys = ledger
        .conn()
        .signing_keys()
        .map_err(Error::db(format!("cannot read the ledger {}", path.display())))?;
    if keys.is_empty() {
        return Err(Error::input(format!("the ledger {} holds no signing key yet", path.display())));
    }
    let mut out = String::new();
    for k in &keys {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(&k.public_key, &mut raw)
            .map_err(|e| Error::input(format!("{}: signing key {}: {e}", path.display(), k.key_id)))?;
        if hex {
            out.push_str(&format!("{}  key_id: {} ({})\n", k.public_key, k.key_id, k.status));
        } else {
            out.push_str(&format!("{}key_id: {} ({})\n", keyfile::public_pem(&raw)?, k.key_id, k.status));
        }
    }
    cli_support::print(&out).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// `keygen templates`: every good template, then the bad ones (exit 3 if any).
pub fn templates(args: &TemplatesArgs) -> Result<ExitCode, Error> {
    let all = template::load_all(&args.folder())?;
    // Aligned by display width; the minimum widths keep the usual layout when names are short.
    let mut table = cli_support::Table::new(&[cli_support::Align::Left; 5], 1)
        .min_width(0, 14)
        .min_width(1, 14)
        .min_width(2, "seats: ".len() + 9)
        .min_width(3, "validity: ".len() + 10);
    let mut bad = 0;
    for (source, parsed) in &all {
        match parsed {
            Ok(t) => {
                let features: Vec<&str> = t.features.features().map(Feature::name).collect();
                let validity = t.valid_days.map_or("perpetual".to_owned(), |d| format!("{d} days"));
                let features = if t.features == product_key::FeatureSet::all() {
                    "all".to_owned()
                } else {
                    features.join(", ")
                };
                table.row(&[
                    t.id.clone(),
                    t.name.clone(),
                    format!("seats: {}", t.seats),
                    format!("validity: {validity}"),
                    format!("features: {features}"),
                ]);
                if let Some(d) = &t.description {
                    table.note(d);
                }
                table.note(&format!("from: {source}"));
            }
            Err(e) => {
                bad += 1;
                warn(&format!("keygen: {e}"));
            }
        }
    }
    cli_support::print(&table.render()).map_err(Error::stdout)?;
    Ok(if bad > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// `keygen features`: the catalog.
pub fn features() -> Result<ExitCode, Error> {
    use cli_support::Align;
    let mut table = cli_support::Table::new(&[Align::Right, Align::Left, Align::Left], 2);
    table.row(&["bit", "name", "shown as"]);
    for f in Feature::ALL {
        table.row(&[f.bit().to_string().as_str(), f.name(), f.shown()]);
    }
    cli_support::print(&table.render()).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes bash, zsh and fish completions and the man pages into `dir`.
pub fn generate_docs(dir: &Path) -> Result<ExitCode, Error> {
    cli_support::write_docs(crate::cli::command(), dir)
        .map_err(Error::io(format!("cannot write into {}", dir.display())))?;
    Ok(ExitCode::SUCCESS)
}
