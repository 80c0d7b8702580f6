//! `keygen rotate`: the ceremony for a new signing key in the same vault. The new key becomes
//! `signing-key.pem`, or, with `--to URI`, a key in a PKCS#11 token that `signing-key.uri`
//! names; the old one (either kind) is retired: moved to `retired/` and marked retired in the
//! ledger, which keeps its public key, so that its keys are still verified, found, renewed,
//! amended and revoked. One transaction: the files move inside it, and move back if it
//! cannot commit.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};

use crate::cli::RotateArgs;
use cli_support::warn;
use keygen_core::db::{self, Db};
use keygen_core::error::Error;
use keygen_core::error::KeyError;
use keygen_core::key_record::now_rfc3339;
use keygen_core::keyfile::{self, PUBLIC_KEY_FILE, SIGNING_KEY_FILE, TOKEN_REFERENCE_FILE};
use keygen_core::token::{AnySigner, TokenError, TokenSigner};
use product_key::ExternalSigner;

/// The folder of retired keys in the vault.
pub const RETIRED_DIR: &str = "retired";

/// Runs `keygen rotate`.
pub fn run(args: &RotateArgs) -> Result<ExitCode, Error> {
    let vault = &args.dir;
    // The vault's current key: its key file, or the file naming its key in a token.
    let reference = vault.join(TOKEN_REFERENCE_FILE);
    let in_token = vault.join(SIGNING_KEY_FILE).symlink_metadata().is_err() && reference.exists();
    let (old_key, kind) = if in_token { (reference, "uri") } else { (vault.join(SIGNING_KEY_FILE), "pem") };
    let old_pass = args.old_passphrase_file.as_deref().or(args.passphrase_file.as_deref());
    let old = keyfile::open(&old_key, old_pass)?;
    let old_id = old.key_id().to_string();
    let retired = vault.join(RETIRED_DIR);
    let moves_old = [
        (old_key.clone(), retired.join(format!("signing-key-{old_id}.{kind}"))),
        (vault.join(PUBLIC_KEY_FILE), retired.join(format!("public-key-{old_id}.pem"))),
    ];
    for (_, to) in &moves_old {
        if to.symlink_metadata().is_ok() {
            return Err(Error::input(format!("{} exists: a retired key is never overwritten", to.display())));
        }
    }
    // A token key is opened (or made) and has signed a probe that verified before the ledger
    // is touched: one that cannot sign is refused with nothing recorded.
    let to_token = match &args.to {
        Some(uri) => Some((token_key(uri)?, uri)),
        None => None,
    };
    if let Some((t, uri)) = &to_token
        && t.key_id() == old.key_id()
    {
        return Err(Error::input(format!(
            "{uri} is the vault's current signing key already: nothing to rotate"
        )));
    }

    let path = db::path_for(args.ledger.as_deref(), &old_key);
    let mut ledger = Db::open_write(&path)?;
    let tx = ledger.begin_write(&old_key)?;
    db::head::ensure_current(tx.conn(), &old, &old_key)?;

    // The new key, made whole in a private folder of the vault, then moved into place. No
    // other rotation of this ledger runs now (the transaction holds it), so any staging
    // folder found is what an interrupted one left: a second private key, removed.
    remove_leftovers(vault)?;
    let staging = Staging::new(vault)?;
    let (new, new_files) = match to_token {
        Some((signer, uri)) => {
            let new = AnySigner::Token(signer);
            keyfile::write_token_vault(&staging.path, uri, &keyfile::public_pem(&new.public_key())?)?;
            let files =
                [TOKEN_REFERENCE_FILE, PUBLIC_KEY_FILE].map(|f| (staging.path.join(f), vault.join(f)));
            (new, files)
        }
        None => {
            let made = keyfile::init_for(
                &staging.path,
                &vault.join(SIGNING_KEY_FILE),
                args.encrypt,
                args.passphrase_file.as_deref(),
                args.allow_weak_passphrase,
            )?;
            let files = [
                (made.signing_key, vault.join(SIGNING_KEY_FILE)),
                (made.public_key, vault.join(PUBLIC_KEY_FILE)),
            ];
            (AnySigner::File(made.signer), files)
        }
    };
    let new_id = new.key_id().to_string();
    let write = || Error::db(format!("cannot record the rotation in {}", path.display()));
    tx.conn().retire_signing_key(&old_id, &now_rfc3339()).map_err(write())?;
    db::head::add(tx.conn(), &new_id, &hex::encode(new.public_key()), "current").map_err(write())?;

    std::fs::DirBuilder::new()
        .recursive(true)
        .mode_private()
        .create(&retired)
        .map_err(Error::io(format!("cannot make {}", retired.display())))?;
    let mut moves: Vec<(PathBuf, PathBuf)> =
        moves_old.into_iter().filter(|(from, _)| from.exists()).collect();
    moves.extend(new_files);
    let mut done: Vec<(PathBuf, PathBuf)> = Vec::new();
    // A signal waits until the files have moved and the ledger has committed (or both were
    // put back), so that it never ends the process between the two.
    let _moving = STAGING.lock().unwrap_or_else(PoisonError::into_inner);
    let moved = moves.iter().try_for_each(|(from, to)| {
        rename_new(from, to)?;
        done.push((from.clone(), to.clone()));
        Ok::<(), Error>(())
    });
    let committed = moved.and_then(|()| tx.commit(&new));
    if let Err(e) = committed {
        // Back as they were (the transaction is rolled back), newest move first.
        for (from, to) in done.iter().rev() {
            let _ = std::fs::rename(to, from);
        }
        return Err(e);
    }
    let now = if matches!(new, AnySigner::Token(_)) {
        vault.join(TOKEN_REFERENCE_FILE)
    } else {
        vault.join(SIGNING_KEY_FILE)
    };
    warn(&format!(
        "Rotated: {} is the new signing key (key_id {new_id}); the old key {old_id} is retired to {}.\n\
         Ship a product update that trusts both (keygen public-key --all); keys signed by {old_id} stay \
         in the ledger and can be renewed, amended and revoked.",
        now.display(),
        retired.display()
    ));
    cli_support::print(&format!("key_id: {new_id}\n")).map_err(Error::stdout)?;
    Ok(ExitCode::SUCCESS)
}

/// The key `uri` names, generated in the token when it holds no such key yet.
fn token_key(uri: &str) -> Result<ExternalSigner<TokenSigner>, Error> {
    match keyfile::open_token(uri, std::io::stdin().is_terminal()) {
        Err(KeyError::Token(TokenError::NoSuchKey { .. })) => Ok(keyfile::generate_token(uri)?),
        opened => Ok(opened?),
    }
}

/// Renames `from` to `to`, refusing to replace a file at `to`.
fn rename_new(from: &Path, to: &Path) -> Result<(), Error> {
    if to.symlink_metadata().is_ok() {
        return Err(Error::input(format!("{} exists: it is never overwritten", to.display())));
    }
    std::fs::rename(from, to).map_err(Error::io(format!(
        "cannot move {} to {}",
        from.display(),
        to.display()
    )))
}

trait Private {
    fn mode_private(&mut self) -> &mut Self;
}

impl Private for std::fs::DirBuilder {
    fn mode_private(&mut self) -> &mut Self {
        std::os::unix::fs::DirBuilderExt::mode(self, 0o700)
    }
}

/// The staging folder of the rotation under way, which an interrupting signal removes.
static STAGING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The prefix of staging folders in the vault.
const STAGING_PREFIX: &str = ".rotate-";

/// Where the new key is made: a folder of the vault that `keyfile::init_for` creates (mode
/// 0700) only once the new passphrase is given, so that Ctrl-C at the prompt leaves nothing.
/// It is removed when this drops, and on SIGINT, SIGTERM or SIGHUP before the process ends
/// by that signal. (SIGKILL, or a signal in the instant between its removal and the process's
/// end, can still leave it: the next rotation removes it.)
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn new(vault: &Path) -> Result<Self, Error> {
        let mut random = [0u8; 8];
        rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut random)
            .map_err(|e| Error::input(format!("no random name for the staging folder: {e}")))?;
        let path = vault.join(format!("{STAGING_PREFIX}{}", hex::encode(random)));
        *STAGING.lock().unwrap_or_else(PoisonError::into_inner) = Some(path.clone());
        remove_on_signals();
        Ok(Staging { path })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let mut held = STAGING.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = std::fs::remove_dir_all(&self.path);
        *held = None;
    }
}

/// On SIGINT, SIGTERM or SIGHUP: removes the staging folder, then ends the process by that
/// signal, as it would have ended without this. The work is done on a thread woken through a
/// socket pair (the signal handler itself only writes a byte), so it may take the lock.
fn remove_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        let Ok((mut wake, write)) = std::os::unix::net::UnixStream::pair() else { continue };
        if signal_hook::low_level::pipe::register(signal, write).is_err() {
            continue;
        }
        std::thread::spawn(move || {
            let mut byte = [0u8; 1];
            if wake.read(&mut byte).is_ok_and(|n| n == 1) {
                let held = STAGING.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(dir) = held.as_ref() {
                    let _ = std::fs::remove_dir_all(dir);
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
            }
        });
    }
}

/// Removes the staging folders an interrupted rotation left in `vault`, saying so.
fn remove_leftovers(vault: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(vault).map_err(Error::io(format!("cannot read {}", vault.display())))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || !name.to_str().is_some_and(|n| n.starts_with(STAGING_PREFIX)) {
            continue;
        }
        let path = entry.path();
        std::fs::remove_dir_all(&path).map_err(Error::io(format!(
            "cannot remove {}, left by an interrupted rotation (it may hold a private key)",
            path.display()
        )))?;
        warn(&format!("Removed {}, left by an interrupted rotation.", path.display()));
    }
    Ok(())
}
