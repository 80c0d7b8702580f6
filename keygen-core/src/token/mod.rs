//! The signing key in a PKCS#11 token (issue 31): a key named by an RFC 7512 URI
//! (`pkcs11:token=vendor;object=signing`), signing through the module's sessions, so that the
//! private key never leaves the token. See docs/token.md.
//!
//! [`open`] gives a [`product_key::ExternalSigner`], which issues keys, revocation lists and
//! ledger heads byte for byte as a file key does.

mod any;
pub mod pin;
mod signer;
pub mod uri;

use std::path::PathBuf;

use product_key::{ExternalError, ExternalSigner};

pub use any::{AnySigner, SignError};
pub use pin::{PIN_FILE_ENV, Pin, Prompt};
pub use signer::{MODULE_ENV, Options, TokenSigner};
pub use uri::{TokenUri, UriError};

/// Why a token key cannot be used. No message, and no `Debug`, ever holds a PIN.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The URI is not usable.
    #[error(transparent)]
    Uri(#[from] UriError),
    /// Neither `module-path=` nor `$KEYGEN_PKCS11_MODULE`.
    #[error(
        "no PKCS#11 module: give module-path=/path/to/module.so in the URI or set {MODULE_ENV} \
         (SoftHSM: /usr/lib/softhsm/libsofthsm2.so)"
    )]
    NoModule,
    /// The module cannot be loaded (no such file, not a library, no PKCS#11 entry point).
    #[error("the PKCS#11 module {path} cannot be loaded: {reason}")]
    ModuleLoad {
        /// The module.
        path: PathBuf,
        /// What the loader or the module said.
        reason: String,
    },
    /// No token matches the URI (absent, not plugged in, or another label).
    #[error("no token matches {key} (tokens present: {present})")]
    TokenAbsent {
        /// The URI without its query.
        key: String,
        /// The labels of the tokens the module sees, or "none".
        present: String,
    },
    /// Several tokens match.
    #[error("{count} tokens match {key}: give serial= or slot-id= too")]
    TokenAmbiguous {
        /// The URI without its query.
        key: String,
        /// How many match.
        count: usize,
    },
    /// CKR_PIN_INCORRECT (or a PIN of a length the token refuses).
    #[error("the PIN of token \"{token}\" is wrong (CKR_PIN_INCORRECT); repeated tries lock the token")]
    WrongPin {
        /// The token's label.
        token: String,
    },
    /// CKR_PIN_LOCKED.
    #[error("the PIN of token \"{token}\" is locked (CKR_PIN_LOCKED): its security officer must unlock it")]
    PinLocked {
        /// The token's label.
        token: String,
    },
    /// No PIN source and no one to ask.
    #[error(
        "no PIN for token \"{token}\": give pin-source=file:/path in the URI or set {PIN_FILE_ENV} \
         (a file only you can read), or run on a terminal to be asked"
    )]
    NoPin {
        /// The token's label.
        token: String,
    },
    /// An empty PIN.
    #[error("the token's PIN is empty")]
    EmptyPin,
    /// The PIN file cannot be read.
    #[error("cannot read the PIN file {path}: {reason}")]
    PinFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The PIN file can be read by others.
    #[error("the PIN file {path} can be read by others (mode {mode:o}): chmod 600 it")]
    PinFileExposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The prompt failed.
    #[error("cannot ask for the token's PIN: {0}")]
    Prompt(String),
    /// No private key matches.
    #[error("no private key matches {key} on the token")]
    NoSuchKey {
        /// The URI without its query.
        key: String,
    },
    /// Several private keys match.
    #[error("{count} private keys match {key}: give id= too")]
    KeyAmbiguous {
        /// The URI without its query.
        key: String,
        /// How many match.
        count: usize,
    },
    /// The key is not Ed25519.
    #[error(
        "{key} is a {found} key, not Ed25519 (CKK_EC_EDWARDS on edwards25519): it cannot sign product keys"
    )]
    WrongKeyType {
        /// The URI without its query.
        key: String,
        /// What it is.
        found: String,
    },
    /// CKA_SIGN is false.
    #[error("{key} is not allowed to sign (CKA_SIGN false)")]
    CannotSign {
        /// The URI without its query.
        key: String,
    },
    /// No public key object beside the private key.
    #[error(
        "the token holds no Ed25519 public key for {key} (an object of class public key with the same id or label)"
    )]
    NoPublicKey {
        /// The URI without its query.
        key: String,
    },
    /// The public key's CKA_EC_POINT is not 32 bytes, raw or as a DER OCTET STRING.
    #[error("the public key of {key} is not a 32-byte Ed25519 point (CKA_EC_POINT of {len} bytes)")]
    BadPublicKey {
        /// The URI without its query.
        key: String,
        /// The attribute's length.
        len: usize,
    },
    /// The token's signature does not verify, or its public key is one no product trusts.
    #[error("{key} does not make valid Ed25519 signatures under its public key: {reason}")]
    BadSignature {
        /// The URI without its query.
        key: String,
        /// What product-key found.
        reason: String,
    },
    /// The module lacks a mechanism.
    #[error("the PKCS#11 module offers no {mechanism} on token \"{token}\" (it needs PKCS#11 3.0 Ed25519)")]
    MechanismMissing {
        /// The token's label.
        token: String,
        /// The mechanism.
        mechanism: &'static str,
    },
    /// `generate` would make a second key of that name.
    #[error("the token already holds an object named {key}: choose another object= (or id=)")]
    KeyExists {
        /// The URI without its query.
        key: String,
    },
    /// The token made the private key extractable or not sensitive despite the template.
    #[error("the token made {key} {what}: it was destroyed; this token cannot keep the key in")]
    KeyExposed {
        /// The URI without its query.
        key: String,
        /// Which attribute came out wrong.
        what: &'static str,
    },
    /// Any other PKCS#11 failure.
    #[error("PKCS#11 {during}: {reason}")]
    Pkcs11 {
        /// The step.
        during: &'static str,
        /// The module's return value.
        reason: String,
    },
}

/// Opens the key `uri` names as a signer that issues exactly as a file key does, refusing it
/// (before anything is signed for real) if it cannot sign: absent token, wrong PIN, a key of
/// another type, a missing mechanism, a signature that does not verify.
pub fn open(uri: &str, options: &Options<'_>) -> Result<ExternalSigner<TokenSigner>, TokenError> {
    let uri = TokenUri::parse(uri)?;
    wrap(TokenSigner::open(&uri, options)?)
}

/// Generates an Ed25519 key pair on the token `uri` names (private key sensitive, not
/// extractable) and opens it as [`open`] does.
pub fn generate(uri: &str, options: &Options<'_>) -> Result<ExternalSigner<TokenSigner>, TokenError> {
    let uri = TokenUri::parse(uri)?;
    wrap(TokenSigner::generate(&uri, options)?)
}

fn wrap(signer: TokenSigner) -> Result<ExternalSigner<TokenSigner>, TokenError> {
    let key = signer.key_name().to_owned();
    ExternalSigner::new(signer).map_err(|e| from_external(&key, e))
}

/// The token's own error, or what product-key found wrong with what the token gave.
fn from_external(key: &str, e: ExternalError<TokenError>) -> TokenError {
    match e {
        ExternalError::Signer(e) => e,
        other => TokenError::BadSignature { key: key.to_owned(), reason: other.to_string() },
    }
}
