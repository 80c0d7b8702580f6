//! The public keys a verifier trusts, checked when they are loaded.

use std::sync::Arc;

use ed25519_dalek::VerifyingKey;

use crate::exact::Table;

use crate::error::PublicKeyError;
use crate::ids::KeyId;

/// A set of trusted Ed25519 public keys, found by key_id, each with the precomputed table
/// that verifies its signatures exactly as `verify_strict` and faster (see `exact.rs`).
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: Vec<(KeyId, VerifyingKey, Arc<Table>)>,
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
        if !self.keys.iter().any(|(_, k, _)| k.as_bytes() == raw) {
            self.keys.push((id, key, Arc::new(Table::new(&key))));
        }
        Ok(id)
    }

    /// Trusts a key given as 64 hex digits (surrounding white space ignored).
    pub fn add_hex(&mut self, text: &str) -> Result<KeyId, PublicKeyError> {
        let text = text.trim();
        let mut raw = [0u8; 32];
        hex::decode_to_slice(text, &mut raw).map_err(|e| match e {
            hex::FromHexError::InvalidHexCharacter { index, .. } => PublicKeyError::NotHex {
                character: text.get(index..).and_then(|t| t.chars().next()).unwrap_or('?'),
                position: text.get(..index).map_or(index, |t| t.chars().count()) + 1,
            },
            _ => PublicKeyError::Length(text.chars().count()),
        })?;
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
        self.keys.iter().map(|(id, _, _)| *id)
    }

    /// The trusted keys whose id is `id` (more than one only on a 32-bit id collision).
    pub fn with_id(&self, id: KeyId) -> impl Iterator<Item = &VerifyingKey> + '_ {
        self.keys.iter().filter(move |(k, _, _)| *k == id).map(|(_, key, _)| key)
    }

    /// Checks a signature the strict way: compare the key_id first (no cryptography for an
    /// unknown signer), then verify with each key of that id, with `verify_strict`'s verdict
    /// (through the key's precomputed table).
    pub fn check_signature(
        &self,
        id: KeyId,
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), SignatureFailure> {
        let mut tables = self.tables(id).peekable();
        if tables.peek().is_none() {
            return Err(SignatureFailure::UnknownSigner);
        }
        if tables.any(|table| table.verify(message, signature)) {
            Ok(())
        } else {
            Err(SignatureFailure::BadSignature)
        }
    }

    /// [`TrustedKeys::check_signature`] for many signatures, each with exactly its verdict,
    /// faster: the points are compressed together (see `exact::verify_each`).
    pub fn check_signatures(&self, items: &[(KeyId, &[u8], &[u8; 64])]) -> Vec<Result<(), SignatureFailure>> {
        // One entry per (signature, table of its key_id); a 32-bit id collision gives two.
        let mut work: Vec<(&Table, &[u8], &[u8; 64])> = Vec::with_capacity(items.len());
        let mut owners: Vec<usize> = Vec::with_capacity(items.len());
        for (i, (id, message, signature)) in items.iter().enumerate() {
            for table in self.tables(*id) {
                work.push((table, message, signature));
                owners.push(i);
            }
        }
        let mut out: Vec<Result<(), SignatureFailure>> = items
            .iter()
            .map(|(id, _, _)| {
                if self.tables(*id).next().is_some() {
                    Err(SignatureFailure::BadSignature)
                } else {
                    Err(SignatureFailure::UnknownSigner)
                }
            })
            .collect();
        for (owner, ok) in owners.into_iter().zip(crate::exact::verify_each(&work)) {
            if ok {
                out[owner] = Ok(());
            }
        }
        out
    }

    fn tables(&self, id: KeyId) -> impl Iterator<Item = &Table> + '_ {
        self.keys.iter().filter(move |(k, _, _)| *k == id).map(|(_, _, t)| t.as_ref())
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

#[cfg(test)]
mod tests {
    use super::*;

    const TEST1_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    #[test]
    fn hex_keys_are_hex_digits_only() {
        assert!(TrustedKeys::new().add_hex(&format!("  {TEST1_PUBLIC}\n")).is_ok());
        // `u8::from_str_radix` would take "+d" as 13: a sign is not a hex digit.
        let plus = format!("{}+{}", &TEST1_PUBLIC[..6], &TEST1_PUBLIC[7..]);
        let err = TrustedKeys::new().add_hex(&plus).expect_err("refused");
        assert_eq!(err, PublicKeyError::NotHex { character: '+', position: 7 });
        assert_eq!(err.to_string(), "not hex at character 7: '+'");
        let short = TrustedKeys::new().add_hex(&TEST1_PUBLIC[..62]).expect_err("refused");
        assert_eq!(short, PublicKeyError::Length(62));
        let accented = format!("é{}", &TEST1_PUBLIC[2..]);
        assert!(matches!(
            TrustedKeys::new().add_hex(&accented),
            Err(PublicKeyError::NotHex { character: 'é', position: 1 }) | Err(PublicKeyError::Length(_))
        ));
    }
}
