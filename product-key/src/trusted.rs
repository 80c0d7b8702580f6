//! The public keys a verifier trusts, checked when they are loaded.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::PublicKeyError;
use crate::ids::KeyId;

/// A set of trusted Ed25519 public keys, found by key_id.
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: Vec<(KeyId, VerifyingKey)>,
}

impl TrustedKeys {
    /// An empty set.
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Trusts a raw 32-byte public key, refusing one that is not a canonically encoded
    /// curve point or is of small order. Adding a key twice is harmless.
    pub fn add(&mut self, raw: &[u8; 32]) -> Result<KeyId, PublicKeyError> {
        let key = VerifyingKey::from_bytes(raw).map_err(|_| PublicKeyError::NotOnCurve)?;
        if key.to_edwards().compress().to_bytes() != *raw {
            return Err(PublicKeyError::NotCanonical);
        }
        if key.is_weak() {
            return Err(PublicKeyError::Weak);
        }
        let id = KeyId::of_public_key(raw);
        if !self.keys.iter().any(|(_, k)| k.as_bytes() == raw) {
            self.keys.push((id, key));
        }
        Ok(id)
    }

    /// Trusts a key given as 64 hex digits (surrounding white space ignored).
    pub fn add_hex(&mut self, hex: &str) -> Result<KeyId, PublicKeyError> {
        let hex = hex.trim().as_bytes();
        if hex.len() != 64 {
            return Err(PublicKeyError::Length);
        }
        let mut raw = [0u8; 32];
        for (i, pair) in hex.chunks(2).enumerate() {
            let text = std::str::from_utf8(pair).map_err(|_| PublicKeyError::Length)?;
            raw[i] = u8::from_str_radix(text, 16).map_err(|_| PublicKeyError::Length)?;
        }
        self.add(&raw)
    }

    /// Trusts a key written as an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or as 64 hex digits.
    #[cfg(feature = "pem")]
    pub fn add_text(&mut self, text: &str) -> Result<KeyId, PublicKeyError> {
        use ed25519_dalek::pkcs8::DecodePublicKey;
        let Some(start) = text.find("-----BEGIN ") else {
            return self.add_hex(text);
        };
        let label = text[start + 11..].split("-----").next().unwrap_or_default();
        if label != "PUBLIC KEY" {
            return Err(PublicKeyError::PemKind(label.chars().take(40).collect()));
        }
        let key = VerifyingKey::from_public_key_pem(&text[start..])
            .map_err(|e| PublicKeyError::Pem(e.to_string()))?;
        self.add(key.as_bytes())
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The ids of the trusted keys, in the order they were added.
    pub fn key_ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.keys.iter().map(|(id, _)| *id)
    }

    /// The trusted keys whose id is `id` (more than one only on a 32-bit id collision).
    pub fn with_id(&self, id: KeyId) -> impl Iterator<Item = &VerifyingKey> + '_ {
        self.keys.iter().filter(move |(k, _)| *k == id).map(|(_, key)| key)
    }

    /// Checks a signature the strict way: compare the key_id first (no cryptography for an
    /// unknown signer), then `verify_strict` with each key of that id.
    pub fn check_signature(
        &self,
        id: KeyId,
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), SignatureFailure> {
        let mut keys = self.with_id(id).peekable();
        if keys.peek().is_none() {
            return Err(SignatureFailure::UnknownSigner);
        }
        let signature = Signature::from_bytes(signature);
        if keys.any(|key| key.verify_strict(message, &signature).is_ok()) {
            Ok(())
        } else {
            Err(SignatureFailure::BadSignature)
        }
    }
}

/// Why a signature was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureFailure {
    /// No trusted key has the stated key_id.
    UnknownSigner,
    /// A trusted key has the id, but the signature does not verify with it.
    BadSignature,
}
