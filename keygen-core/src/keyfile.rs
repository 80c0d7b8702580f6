//! Signing key files: PKCS#8 PEM (plain, or PBES2-encrypted) that OpenSSL reads and writes.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use pkcs8::der::pem::LineEnding;
use pkcs8::{EncodePrivateKey, EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef, SecretDocument};
use product_key::{ExternalSigner, KeyId, Signer};
use rand::TryRng;
use zeroize::Zeroizing;

use crate::error::{Error, KeyError};
use crate::passphrase::{self, Purpose};
pub use crate::private_file::{Private, read_private};
use crate::token::{AnySigner, TokenSigner};

/// The file names `init` writes.
pub const SIGNING_KEY_FILE: &str = "signing-key.pem";
/// The public key's file name.
pub const PUBLIC_KEY_FILE: &str = "public-key.pem";

const ED25519_OID: &str = "1.3.101.112";

/// The file that names the vault's signing key when it is in a token: its first line is the
/// key's `pkcs11:` URI (never a PIN). `init --pkcs11` and `rotate --to` write it.
pub const TOKEN_REFERENCE_FILE: &str = "signing-key.uri";

/// The `pkcs11:` URI that `key` is, if it is one rather than a path.
pub fn token_uri(key: &Path) -> Option<&str> {
    key.to_str().filter(|k| crate::token::TokenUri::is_uri(k))
}

/// The folder of what lives beside the signing key `key` (the ledger, its checkpoint log): the
/// key file's folder; for a `pkcs11:` URI, which is no place, the ledger's folder (`ledger`),
/// else the current folder.
pub fn beside<'a>(key: &'a Path, ledger: Option<&'a Path>) -> &'a Path {
    match token_uri(key) {
        Some(_) => ledger.and_then(Path::parent).unwrap_or(Path::new("")),
        None => key.parent().unwrap_or(Path::new("")),
    }
}

/// Opens the signing key every signing command names with `--key`: a key file (PKCS#8 PEM,
/// plain or encrypted), a `pkcs11:` URI of a key in a token, or a file holding such a URI
/// ([`TOKEN_REFERENCE_FILE`]). A token key is refused here, before anything is recorded, if it
/// cannot sign. The token's PIN comes from the URI's `pin-source=`, `$KEYGEN_PKCS11_PIN_FILE`,
/// or a prompt (echo off) when stdin is a terminal.
pub fn open(key: &Path, passphrase_file: Option<&Path>) -> Result<AnySigner, KeyError> {
    open_as(key, passphrase_file, std::io::stdin().is_terminal())
}

/// As [`open`], never asking anyone (the desk, reading a key again in the middle of a request).
pub fn open_unattended(key: &Path, passphrase_file: Option<&Path>) -> Result<AnySigner, KeyError> {
    open_as(key, passphrase_file, false)
}

fn open_as(key: &Path, passphrase_file: Option<&Path>, ask: bool) -> Result<AnySigner, KeyError> {
    if let Some(uri) = token_uri(key) {
        return open_token(uri, ask).map(AnySigner::Token);
    }
    let bytes = read_key_file(key)?;
    match reference(&bytes) {
        Some(uri) => open_token(uri, ask).map(AnySigner::Token),
        None => parse(key, &bytes, passphrase_file).map(AnySigner::File),
    }
}

/// The URI a token reference file holds (its first line), if `bytes` are one.
fn reference(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.lines().next()?.trim();
    crate::token::TokenUri::is_uri(line).then_some(line)
}

/// Opens the token key `uri` names, asking for the PIN on the terminal only when `ask`.
pub fn open_token(uri: &str, ask: bool) -> Result<ExternalSigner<TokenSigner>, KeyError> {
    crate::token::open(uri, &token_options(ask)).map_err(KeyError::Token)
}

/// Generates the Ed25519 pair on the token `uri` names (`init --pkcs11`, `rotate --to`).
pub fn generate_token(uri: &str) -> Result<ExternalSigner<TokenSigner>, KeyError> {
    let ask = std::io::stdin().is_terminal();
    crate::token::generate(uri, &token_options(ask)).map_err(KeyError::Token)
}

fn token_options(ask: bool) -> crate::token::Options<'static> {
    // The face's prompt (the command line installs one); none, and a PIN must come from a file.
    fn prompt(token: &str) -> Option<std::io::Result<Zeroizing<String>>> {
        crate::passphrase::prompt().map(|ask| ask(&format!("PIN of token \"{token}\": ")))
    }
    crate::token::Options { prompt: ask.then_some(&prompt as crate::token::Prompt<'static>), sessions: None }
}

/// Loads the signing key file at `path`, refusing unsafe permissions, and decrypting it with a
/// passphrase when it is encrypted.
pub fn load(path: &Path, passphrase_file: Option<&Path>) -> Result<Signer, KeyError> {
    parse(path, &read_key_file(path)?, passphrase_file)
}

fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    read_private(path, MAX_KEY_FILE).map_err(|e| match e {
        Private::Io(source) => KeyError::reading(path, source),
        Private::Exposed(mode) => KeyError::UnsafePermissions { path: path.to_owned(), mode },
    })
}

fn parse(path: &Path, bytes: &[u8], passphrase_file: Option<&Path>) -> Result<Signer, KeyError> {
    let text = std::str::from_utf8(bytes).map_err(|_| KeyError::NotEd25519 {
        path: path.to_owned(),
        what: "the file is not PEM text".into(),
    })?;
    let not_ed25519 = |what: String| KeyError::NotEd25519 { path: path.to_owned(), what };
    let (label, doc) = SecretDocument::from_pem(text)
        .map_err(|e| not_ed25519(format!("no PKCS#8 PEM block found ({e})")))?;
    let der: Zeroizing<Vec<u8>> = match label {
        "PRIVATE KEY" => Zeroizing::new(doc.as_bytes().to_vec()),
        "ENCRYPTED PRIVATE KEY" => {
            let info = EncryptedPrivateKeyInfoRef::try_from(doc.as_bytes())
                .map_err(|e| not_ed25519(format!("the encrypted key cannot be read ({e})")))?;
            let pass = passphrase::obtain(passphrase_file, path, Purpose::Open)?;
            let plain =
                info.decrypt(pass.as_bytes()).map_err(|_| KeyError::WrongPassphrase(path.to_owned()))?;
            // A wrong passphrase can still yield valid CBC padding (about 1 in 256); what it
            // decrypts to is then not DER.
            if PrivateKeyInfoRef::try_from(plain.as_bytes()).is_err() {
                return Err(KeyError::WrongPassphrase(path.to_owned()));
            }
            Zeroizing::new(plain.as_bytes().to_vec())
        }
        other => return Err(not_ed25519(format!("it holds a '{other}' PEM block, not 'PRIVATE KEY'"))),
    };
    let info = PrivateKeyInfoRef::try_from(der.as_slice())
        .map_err(|e| not_ed25519(format!("the PKCS#8 structure is invalid ({e})")))?;
    let oid = info.algorithm.oid.to_string();
    if oid != ED25519_OID {
        return Err(not_ed25519(format!("its algorithm is {oid}, not Ed25519 ({ED25519_OID})")));
    }
    let key = SigningKey::from_pkcs8_der(&der)
        .map_err(|e| not_ed25519(format!("the Ed25519 key is invalid ({e})")))?;
    Ok(Signer::new(key))
}

/// The most a signing key file may hold: an Ed25519 PEM, encrypted or not, is under 1 KiB.
pub const MAX_KEY_FILE: usize = 64 << 10;

/// The raw public key of an SPKI PEM.
pub fn public_from_pem(text: &str) -> Result<[u8; 32], String> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    VerifyingKey::from_public_key_pem(text.trim()).map(|k| k.to_bytes()).map_err(|e| e.to_string())
}

/// The SPKI PEM of a public key.
pub fn public_pem(public: &[u8; 32]) -> Result<String, KeyError> {
    let key = VerifyingKey::from_bytes(public).map_err(|e| KeyError::Encode(e.to_string()))?;
    key.to_public_key_pem(LineEnding::LF).map_err(|e| KeyError::Encode(e.to_string()))
}

/// What `init` made.
pub struct Made {
    /// The signing key file.
    pub signing_key: PathBuf,
    /// The public key file.
    pub public_key: PathBuf,
    /// The new key's id.
    pub key_id: KeyId,
    /// The new key, so that its maker need not read it back (and ask for its passphrase).
    pub signer: Signer,
}

/// Makes a new signing key in `dir`. Neither file may exist; the signing key appears whole
/// (mode 0600) or not at all, and is never overwritten.
pub fn init(
    dir: &Path,
    encrypt: bool,
    passphrase_file: Option<&Path>,
    allow_weak: bool,
) -> Result<Made, Error> {
    init_for(dir, &dir.join(SIGNING_KEY_FILE), encrypt, passphrase_file, allow_weak)
}

/// As [`init`], the passphrase asked for the key's final place `shown` (`rotate` makes the
/// key in a staging folder, created only once the passphrase is given, then moves it there).
pub fn init_for(
    dir: &Path,
    shown: &Path,
    encrypt: bool,
    passphrase_file: Option<&Path>,
    allow_weak: bool,
) -> Result<Made, Error> {
    let signing_path = dir.join(SIGNING_KEY_FILE);
    let public_path = dir.join(PUBLIC_KEY_FILE);
    for p in [&signing_path, &public_path] {
        if p.symlink_metadata().is_ok() {
            return Err(key_file_exists(p));
        }
    }
    let pass = if encrypt {
        let pass = passphrase::obtain(passphrase_file, shown, Purpose::New)?;
        if !allow_weak {
            passphrase::check_strength(&pass)?;
        }
        Some(pass)
    } else {
        None
    };

    let mut secret = Zeroizing::new([0u8; 32]);
    rand::rngs::SysRng.try_fill_bytes(secret.as_mut()).map_err(|e| KeyError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&secret);
    // PKCS#8 v1 (no embedded public key): OpenSSL 3.0 cannot read the v2 form.
    let pair = ed25519_dalek::pkcs8::KeypairBytes { secret_key: *secret, public_key: None };
    let pem = match &pass {
        None => pair.to_pkcs8_pem(LineEnding::LF),
        Some(p) => pair.to_pkcs8_encrypted_pem(p.as_bytes(), LineEnding::LF),
    }
    .map_err(|e| KeyError::Encode(e.to_string()))?;
    let public = key.verifying_key().to_bytes();
    let public_pem = public_pem(&public)?;

    // A new key folder is private; an existing one is left as it is.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(Error::io(format!("cannot create {}", dir.display())))?;
    write_new(&signing_path, pem.as_bytes(), 0o600)?;
    write_new(&public_path, public_pem.as_bytes(), 0o644)?;
    Ok(Made {
        signing_key: signing_path,
        public_key: public_path,
        key_id: KeyId::of_public_key(&public),
        signer: Signer::new(key),
    })
}

/// Writes the files of a vault whose key is in a token: `dir`/signing-key.uri (the URI, mode
/// 0600 as every key file: it names no secret, but the loader reads key files as private) and
/// `dir`/public-key.pem. Neither may exist.
pub fn write_token_vault(dir: &Path, uri: &str, public_pem: &str) -> Result<(), Error> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(Error::io(format!("cannot create {}", dir.display())))?;
    write_new(&dir.join(TOKEN_REFERENCE_FILE), format!("{uri}\n").as_bytes(), 0o600)?;
    write_new(&dir.join(PUBLIC_KEY_FILE), public_pem.as_bytes(), 0o644)
}

fn key_file_exists(path: &Path) -> Error {
    Error::input(format!("{} already exists; keygen never overwrites a key file", path.display()))
}

/// Writes a file that must not exist: to a temporary file in the same folder, synced, then
/// hard-linked into place (which fails rather than replace a file that appeared meanwhile).
pub(crate) fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), Error> {
    let dir = cli_support::parent_dir(path);
    let tmp = tempfile::Builder::new()
        .prefix(".keygen-")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(Error::io(format!("cannot create a file in {}", dir.display())))?;
    let mut file: &File = tmp.as_file();
    file.write_all(contents).map_err(Error::io(format!("cannot write {}", path.display())))?;
    file.sync_all().map_err(Error::io(format!("cannot sync {}", path.display())))?;
    std::fs::hard_link(tmp.path(), path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            key_file_exists(path)
        } else {
            Error::Io { what: format!("cannot create {}", path.display()), source: e }
        }
    })?;
    // The temporary name goes away when `tmp` drops; the content stays under `path`.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_from_a_fifo_stays_in_the_one_buffer_allocated_for_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pass");
        let made =
            std::process::Command::new("mkfifo").args(["-m", "600"]).arg(&fifo).status().expect("mkfifo");
        assert!(made.success());
        // The FIFO reports a size of 0; the secret is longer than any guess made from that.
        let secret = vec![b'x'; 3000];
        let writer = {
            let (fifo, secret) = (fifo.clone(), secret.clone());
            std::thread::spawn(move || std::fs::write(fifo, secret).expect("write"))
        };
        let Ok(bytes) = read_private(&fifo, 4096) else { panic!("the FIFO cannot be read") };
        writer.join().expect("writer");
        assert_eq!(*bytes, secret);
        assert_eq!(bytes.capacity(), 4097, "the buffer was reallocated, leaving unwiped copies");
    }
}
