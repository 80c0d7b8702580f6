//! One signing type for the commands, whether the key is a file or in a token: every command
//! opens its key with `keyfile::open` and signs through [`AnySigner`], with no branch of its own.

use product_key::{ExternalError, ExternalSigner, KeyId, Payload, PayloadError, RevocationList, Signer};

use super::{TokenError, TokenSigner};

/// The vendor's signing key: in memory (from a key file) or in a PKCS#11 token.
// One value per process, made once: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum AnySigner {
    /// A key file's key.
    File(Signer),
    /// A token's key.
    Token(ExternalSigner<TokenSigner>),
}

/// Why a key could not be signed with [`AnySigner`].
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The payload breaks a rule of the format (nothing was signed).
    #[error(transparent)]
    Payload(PayloadError),
    /// The token failed, or its signature did not verify.
    #[error(transparent)]
    Token(TokenError),
}

impl AnySigner {
    /// The id of the public key.
    pub fn key_id(&self) -> KeyId {
        match self {
            AnySigner::File(s) => s.key_id(),
            AnySigner::Token(s) => s.key_id(),
        }
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        match self {
            AnySigner::File(s) => s.public_key(),
            AnySigner::Token(s) => s.public_key(),
        }
    }

    /// As [`Signer::issue`].
    pub fn issue(&self, payload: &mut Payload) -> Result<String, SignError> {
        match self {
            AnySigner::File(s) => s.issue(payload).map_err(SignError::Payload),
            AnySigner::Token(s) => s.issue(payload).map_err(|e| token_error(s, e)),
        }
    }

    /// As [`Signer::sign_revocations`].
    pub fn sign_revocations(&self, list: &mut RevocationList) -> Result<String, SignError> {
        match self {
            AnySigner::File(s) => Ok(s.sign_revocations(list)),
            AnySigner::Token(s) => s.sign_revocations(list).map_err(|e| token_error(s, e)),
        }
    }

    /// As [`Signer::sign_ledger_head`].
    pub fn sign_ledger_head(&self, head: &[u8]) -> Result<[u8; 64], SignError> {
        match self {
            AnySigner::File(s) => Ok(s.sign_ledger_head(head)),
            AnySigner::Token(s) => s.sign_ledger_head(head).map_err(|e| token_error(s, e)),
        }
    }
}

fn token_error(signer: &ExternalSigner<TokenSigner>, e: ExternalError<TokenError>) -> SignError {
    match e {
        ExternalError::Payload(e) => SignError::Payload(e),
        other => SignError::Token(super::from_external(signer.inner().key_name(), other)),
    }
}

/// A payload error is the input's (exit 3, nothing signed); a token's is the signing key's
/// (exit 4).
impl From<SignError> for crate::error::Error {
    fn from(e: SignError) -> Self {
        match e {
            SignError::Payload(e) => crate::error::Error::input(e.to_string()),
            SignError::Token(e) => crate::error::Error::Key(e.into()),
        }
    }
}
