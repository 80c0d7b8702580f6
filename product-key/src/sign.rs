//! Issuing: signing payloads and revocation lists. Only built with the `sign` feature, so a
//! product that verifies links none of it.

use ed25519_dalek::{Signer as _, SigningKey};

use crate::error::PayloadError;
use crate::ids::KeyId;
use crate::payload::Payload;
use crate::revocation::{self, RevocationList};
use crate::textform as text;
use crate::verify::signed_message;

/// A signing key with its key_id. `Debug` never shows the secret.
pub struct Signer {
    key: SigningKey,
    key_id: KeyId,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl Signer {
    /// Wraps a signing key (ed25519-dalek zeroizes it on drop).
    pub fn new(key: SigningKey) -> Signer {
        let key_id = KeyId::of_public_key(key.verifying_key().as_bytes());
        Signer { key, key_id }
    }

    /// The id of this key's public half.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// Issues a key: stamps this signer's key_id on the payload, checks it, signs it, and
    /// returns the text form.
    pub fn issue(&self, payload: &mut Payload) -> Result<String, PayloadError> {
        payload.key_id = self.key_id;
        let bytes = payload.to_bytes()?;
        Ok(self.sign_payload_bytes(payload.product.as_str(), payload.major, &bytes))
    }

    /// Signs payload bytes exactly as given and writes the text with this prefix. Nothing
    /// is checked: this exists to make test vectors of broken keys.
    #[doc(hidden)]
    pub fn sign_payload_bytes(&self, product: &str, major: u8, payload: &[u8]) -> String {
        let signature = self.key.sign(&signed_message(payload)).to_bytes();
        text::encode(product, major, &text::blob(payload, &signature))
    }

    /// Signs a revocation list (stamping this signer's key_id) and returns its armoured text.
    pub fn sign_revocations(&self, list: &mut RevocationList) -> String {
        list.key_id = self.key_id;
        let mut signed = list.to_bytes();
        let signature = self.key.sign(&revocation::signed_message(&signed)).to_bytes();
        signed.extend_from_slice(&signature);
        revocation::armour(&signed)
    }
}
