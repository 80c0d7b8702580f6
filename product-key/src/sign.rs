//! Issuing: signing payloads and revocation lists. Only built with the `sign` feature, so a
//! product that verifies links none of it.

use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::Sha512;

use crate::error::PayloadError;
use crate::ids::KeyId;
use crate::payload::Payload;
use crate::revocation::{self, RevocationList};
use crate::textform as text;
use crate::verify::signed_message;

/// A signing key with its key_id. `Debug` never shows the secret.
pub struct Signer {
    /// The seed's SHA-512 expansion (scalar and nonce prefix), made once: `SigningKey::sign`
    /// hashes the seed again for every signature, one SHA-512 a batch row need not pay. The same
    /// signature, byte for byte (RFC 8032 5.1.6); zeroized on drop, as the seed is once this
    /// is made.
    expanded: ExpandedSecretKey,
    public: VerifyingKey,
    key_id: KeyId,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl Signer {
    /// Takes a signing key (ed25519-dalek zeroizes it and its expansion on drop).
    pub fn new(key: SigningKey) -> Signer {
        let public = key.verifying_key();
        let key_id = KeyId::of_public_key(public.as_bytes());
        let expanded = ExpandedSecretKey::from(key.as_bytes());
        Signer { expanded, public, key_id }
    }

    /// An Ed25519 signature of `message` (RFC 8032), as `SigningKey::sign` makes it.
    fn sign(&self, message: &[u8]) -> [u8; 64] {
        raw_sign::<Sha512>(&self.expanded, message, &self.public).to_bytes()
    }

    /// The id of this key's public half.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public.to_bytes()
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
        let signature = self.sign(&signed_message(payload));
        text::encode(product, major, &text::blob(payload, &signature))
    }

    /// Signs a vendor's ledger head (keygen's record of what it issued) under its own
    /// context, [`LEDGER_HEAD_CONTEXT`], so that the signature can never pass for a key's or a
    /// list's. Returns the 64-byte signature.
    pub fn sign_ledger_head(&self, head: &[u8]) -> [u8; 64] {
        self.sign(&ledger_head_message(head))
    }

    /// Signs a revocation list (stamping this signer's key_id) and returns its armoured text.
    pub fn sign_revocations(&self, list: &mut RevocationList) -> String {
        list.key_id = self.key_id;
        let mut signed = list.to_bytes();
        let signature = self.sign(&revocation::signed_message(&signed));
        signed.extend_from_slice(&signature);
        revocation::armour(&signed)
    }
}

/// The context of a ledger head's signature (NUL-terminated, like the key's and the list's, so
/// that no context is a prefix of another).
pub const LEDGER_HEAD_CONTEXT: &[u8; 15] = b"ledger-head-v1\0";

/// The message a ledger head's signature covers: the context, then the head.
pub fn ledger_head_message(head: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(LEDGER_HEAD_CONTEXT.len() + head.len());
    message.extend_from_slice(LEDGER_HEAD_CONTEXT);
    message.extend_from_slice(head);
    message
}
