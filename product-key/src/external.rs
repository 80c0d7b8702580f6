//! Issuing with a key this process never holds: a PKCS#11 token, an HSM, a signing service.
//! Such a key signs exactly the bytes [`Signer`](crate::Signer) signs, so keys, revocation lists
//! and ledger heads made through [`ExternalSigner`] are byte for byte those of a file key.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

use crate::error::{PayloadError, PublicKeyError};
use crate::ids::KeyId;
use crate::payload::Payload;
use crate::revocation::{self, RevocationList};
use crate::sign::ledger_head_message;
use crate::textform as text;
use crate::verify::signed_message;

/// A pure Ed25519 (RFC 8032, no context, no pre-hash) signer whose secret lives elsewhere.
pub trait Ed25519Sign {
    /// Why a signature could not be made (token absent, session lost, ...).
    type Error;
    /// The raw 32-byte public key of the key that signs.
    fn public_key(&self) -> [u8; 32];
    /// Signs `message` as it is and returns the 64-byte signature.
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], Self::Error>;
}

/// A key in memory signs through the same path, which is how the two are proved identical.
impl Ed25519Sign for SigningKey {
    type Error = std::convert::Infallible;

    fn public_key(&self) -> [u8; 32] {
        self.verifying_key().to_bytes()
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], Self::Error> {
        Ok(ed25519_dalek::Signer::sign(self, message).to_bytes())
    }
}

/// Why an external signer could not issue.
#[derive(Debug, thiserror::Error)]
pub enum ExternalError<E> {
    /// The payload breaks a rule of the format (nothing was signed).
    #[error(transparent)]
    Payload(PayloadError),
    /// The signer failed.
    #[error("the signer failed: {0}")]
    Signer(E),
    /// The public key the signer gives is not one a product would trust.
    #[error("the signer's public key cannot be trusted: {0}")]
    PublicKey(PublicKeyError),
    /// The signer returned a signature that does not verify under its own public key: it
    /// signs with another key or another Ed25519 variant (pre-hash, context), or it is faulty.
    /// Nothing it signed is handed out.
    #[error(
        "the signer's signature does not verify under its public key (another key, an Ed25519 \
         variant other than pure Ed25519, or a faulty signer); nothing was issued"
    )]
    BadSignature,
}

/// The probe signed once when an [`ExternalSigner`] is made. Its context is none of the
/// key's, the list's or the head's, so the probe's signature can never pass for one of them.
const PROBE: &[u8] = b"external-signer-probe-v1\0";

/// Issues keys, revocation lists and ledger heads with an [`Ed25519Sign`]. Every signature is
/// checked under the signer's public key before it is used, so a signer that returns anything
/// but a valid signature of this key makes an error, never a key that fails in the field.
pub struct ExternalSigner<S> {
    signer: S,
    public: VerifyingKey,
    key_id: KeyId,
}

impl<S> std::fmt::Debug for ExternalSigner<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalSigner").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl<S: Ed25519Sign> ExternalSigner<S> {
    /// Wraps `signer` after checking its public key as a verifier would and signing one probe
    /// with it, so that a signer that cannot sign is refused before anything is issued.
    pub fn new(signer: S) -> Result<ExternalSigner<S>, ExternalError<S::Error>> {
        let raw = signer.public_key();
        let mut trusted = crate::TrustedKeys::new();
        let key_id = trusted.add(&raw).map_err(ExternalError::PublicKey)?;
        let public = VerifyingKey::from_bytes(&raw)
            .map_err(|_| ExternalError::PublicKey(PublicKeyError::NotOnCurve))?;
        let external = ExternalSigner { signer, public, key_id };
        external.sign_checked(PROBE)?;
        Ok(external)
    }

    /// The id of the signer's public key.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public.to_bytes()
    }

    /// The wrapped signer.
    pub fn inner(&self) -> &S {
        &self.signer
    }

    /// As [`Signer::issue`](crate::Signer::issue): stamps the key_id, checks, signs, and returns
    /// the text form.
    pub fn issue(&self, payload: &mut Payload) -> Result<String, ExternalError<S::Error>> {
        payload.key_id = self.key_id;
        let bytes = payload.to_bytes().map_err(ExternalError::Payload)?;
        let signature = self.sign_checked(&signed_message(&bytes))?;
        Ok(text::encode(payload.product.as_str(), payload.major, &text::blob(&bytes, &signature)))
    }

    /// As [`Signer::sign_ledger_head`](crate::Signer::sign_ledger_head).
    pub fn sign_ledger_head(&self, head: &[u8]) -> Result<[u8; 64], ExternalError<S::Error>> {
        self.sign_checked(&ledger_head_message(head))
    }

    /// As [`Signer::sign_revocations`](crate::Signer::sign_revocations).
    pub fn sign_revocations(&self, list: &mut RevocationList) -> Result<String, ExternalError<S::Error>> {
        list.key_id = self.key_id;
        let mut signed = list.to_bytes();
        let signature = self.sign_checked(&revocation::signed_message(&signed))?;
        signed.extend_from_slice(&signature);
        Ok(revocation::armour(&signed))
    }

    fn sign_checked(&self, message: &[u8]) -> Result<[u8; 64], ExternalError<S::Error>> {
        let signature = self.signer.sign(message).map_err(ExternalError::Signer)?;
        // Strict, as the product verifies: a signature it would refuse is refused here first.
        self.public
            .verify_strict(message, &Signature::from_bytes(&signature))
            .map_err(|_| ExternalError::BadSignature)?;
        Ok(signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Day, Product, Serial, Signer};

    fn file_key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    /// A payload with every field set (the crate's documented example key), read rather than
    /// built so that it follows the format as it grows.
    fn payload() -> Payload {
        let key = "AST8-04GZW-CEZ0D-0N6N0-804HM-ASW9N-F6YYM-9HAAF-00680-00000-00000-3H6GB-3DNJJ-\
                   0GBEC-5P7JX-39CDS-J0HVD-C943B-Y069Y-HPJ83-QJ5F6-K8W20-40055-1PEND-0CH0G-Z7QWG-\
                   WB23A-468DD-0X5CY-1EM65-D3PJ9-8PG7B-X8GF8-MJ0K7-7G3GY-Y3HAW-7B8JS-M1RX1-DPNWW-SA";
        crate::text::decode(key).expect("the documented key").payload
    }

    #[test]
    fn a_file_key_through_the_external_path_gives_the_same_bytes() {
        let old = Signer::new(file_key());
        let new = ExternalSigner::new(file_key()).expect("signer");
        assert_eq!(old.key_id(), new.key_id());
        assert_eq!(old.public_key(), new.public_key());

        let (mut a, mut b) = (payload(), payload());
        assert_eq!(old.issue(&mut a).expect("issue"), new.issue(&mut b).expect("issue"));
        assert_eq!(a, b);

        let head = b"some ledger head";
        assert_eq!(old.sign_ledger_head(head), new.sign_ledger_head(head).expect("head"));

        let list = || {
            let day = "2026-02-01".parse::<Day>().expect("day");
            let serials = vec![Serial::new(9).expect("serial"), Serial::new(3).expect("serial")];
            RevocationList::new(KeyId([0; 4]), Product::new("AST").expect("product"), 4, day, serials)
        };
        let (mut l1, mut l2) = (list(), list());
        assert_eq!(old.sign_revocations(&mut l1), new.sign_revocations(&mut l2).expect("list"));
    }

    /// Signs with one key and claims another, as a token with the wrong public object would.
    struct Mismatched(SigningKey, [u8; 32]);
    impl Ed25519Sign for Mismatched {
        type Error = std::convert::Infallible;
        fn public_key(&self) -> [u8; 32] {
            self.1
        }
        fn sign(&self, message: &[u8]) -> Result<[u8; 64], Self::Error> {
            Ok(ed25519_dalek::Signer::sign(&self.0, message).to_bytes())
        }
    }

    #[test]
    fn a_signer_whose_signatures_do_not_verify_is_refused_at_once() {
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key().to_bytes();
        let err = ExternalSigner::new(Mismatched(file_key(), other)).expect_err("mismatch");
        assert!(matches!(err, ExternalError::BadSignature), "{err:?}");
    }

    #[test]
    fn a_public_key_no_product_would_trust_is_refused() {
        // The identity point: small order.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        let err = ExternalSigner::new(Mismatched(file_key(), weak)).expect_err("weak");
        assert!(matches!(err, ExternalError::PublicKey(PublicKeyError::Weak)), "{err:?}");
    }
}
