//! Verification: the statuses of the format, in the order they are checked.

use crate::day::Day;
use crate::error::DecodeError;
use crate::payload::{Expiry, Payload};
use crate::revocation::RevocationList;
use crate::status::{Finding, Status};
use crate::textform::{self as text, DecodedKey};
use crate::trusted::{SignatureFailure, TrustedKeys};

/// The ASCII context that keys are signed under, with its terminating zero.
pub const KEY_CONTEXT: &[u8; 15] = b"license-key-v1\0";

/// What a key is checked against, besides the trusted keys.
#[derive(Clone, Copy, Debug)]
pub struct Check<'a> {
    /// The checking date (the caller's today in UTC, usually).
    pub at: Day,
    /// The organization the user entered, if any.
    pub organization: Option<&'a str>,
    /// A verified revocation list, if any.
    pub revocations: Option<&'a RevocationList>,
}

impl<'a> Check<'a> {
    /// A check on `at` with no organization and no revocation list.
    pub fn on(at: Day) -> Check<'a> {
        Check { at, organization: None, revocations: None }
    }
}

/// The outcome of verifying a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// What was found; its status decides.
    pub finding: Finding,
    /// The decoded key, when the text and checksum were sound and the payload parsed.
    pub key: Option<DecodedKey>,
    /// Whether the signature verified with a trusted key (only then are the fields trusted).
    pub trusted: bool,
    /// Where the key was found in the text given; `None` when the text had no prefix of
    /// this product and was read whole.
    pub found: Option<text::Found>,
}

impl Verdict {
    /// The status.
    pub fn status(&self) -> Status {
        self.finding.status()
    }

    /// Whether the key is valid.
    pub fn is_valid(&self) -> bool {
        self.finding == Finding::Valid
    }
}

/// The message a key's signature covers: the context, then the payload.
pub fn signed_message(payload: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(KEY_CONTEXT.len() + payload.len());
    message.extend_from_slice(KEY_CONTEXT);
    message.extend_from_slice(payload);
    message
}

/// Verifies a key's text for this product ([`crate::PRODUCT_CODE`] [`crate::MAJOR_VERSION`]).
/// `text` may be pasted text, with spaces for the dashes or none: the key is read out of it
/// (key-format.md, revisions 2 and 3).
pub fn verify(text: &str, trusted: &TrustedKeys, check: &Check<'_>) -> Verdict {
    let (decoded, found) = text::decode_found(text);
    let mut verdict = match decoded {
        Ok(key) => verify_decoded(key, trusted, check),
        Err(DecodeError::OtherVersion { major }) => {
            Verdict { finding: Finding::KeyOfVersion(major), key: None, trusted: false, found: None }
        }
        Err(e) => Verdict { finding: Finding::Malformed(e), key: None, trusted: false, found: None },
    };
    verdict.found = found;
    verdict
}

/// [`verify`] for many texts at once, each with exactly the verdict `verify` gives it (the
/// signatures are checked together, faster: see `TrustedKeys::check_signatures`).
pub fn verify_each(items: &[(&str, Check<'_>)], trusted: &TrustedKeys) -> Vec<Verdict> {
    let decoded: Vec<_> = items.iter().map(|(text, _)| text::decode_found(text)).collect();
    let messages: Vec<Option<Vec<u8>>> =
        decoded.iter().map(|(d, _)| d.as_ref().ok().map(|k| signed_message(&k.payload_bytes))).collect();
    let mut work = Vec::new();
    for ((d, _), message) in decoded.iter().zip(&messages) {
        if let (Ok(key), Some(message)) = (d, message) {
            work.push((key.payload.key_id, message.as_slice(), &key.signature));
        }
    }
    let mut signatures = trusted.check_signatures(&work).into_iter();
    decoded
        .into_iter()
        .zip(items)
        .map(|((decoded, found), (_, check))| {
            let mut verdict = match decoded {
                Ok(key) => {
                    let signature = signatures.next().unwrap_or(Err(SignatureFailure::BadSignature));
                    judge(key, signature, check)
                }
                Err(DecodeError::OtherVersion { major }) => {
                    Verdict { finding: Finding::KeyOfVersion(major), key: None, trusted: false, found: None }
                }
                Err(e) => Verdict { finding: Finding::Malformed(e), key: None, trusted: false, found: None },
            };
            verdict.found = found;
            verdict
        })
        .collect()
}

/// Verifies a decoded key, checking its signature strictly.
pub fn verify_decoded(key: DecodedKey, trusted: &TrustedKeys, check: &Check<'_>) -> Verdict {
    let signature =
        trusted.check_signature(key.payload.key_id, &signed_message(&key.payload_bytes), &key.signature);
    judge(key, signature, check)
}

/// Finishes a verdict once `verify_strict` has decided the signature. Private: only this
/// module knows that `Ok(())` really came from a verification.
fn judge(key: DecodedKey, signature: Result<(), SignatureFailure>, check: &Check<'_>) -> Verdict {
    let id = key.payload.key_id;
    match signature {
        Ok(()) => {
            let finding = judge_fields(&key.payload, check);
            Verdict { finding, key: Some(key), trusted: true, found: None }
        }
        Err(SignatureFailure::UnknownSigner) => {
            Verdict { finding: Finding::UnknownSigner(id), key: Some(key), trusted: false, found: None }
        }
        Err(SignatureFailure::BadSignature) => {
            Verdict { finding: Finding::BadSignature(id), key: Some(key), trusted: false, found: None }
        }
    }
}

fn judge_fields(payload: &Payload, check: &Check<'_>) -> Finding {
    if payload.product.as_str() != crate::PRODUCT_CODE {
        return Finding::OtherProduct { product: payload.product.clone(), major: payload.major };
    }
    if payload.major != crate::MAJOR_VERSION {
        return Finding::OtherVersion { major: payload.major, expected: crate::MAJOR_VERSION };
    }
    if let Some(ext) = payload.extensions.iter().find(|e| e.is_critical()) {
        // Version 1 knows no tag: every critical one is unknown.
        return Finding::CriticalExtension(ext.tag.get());
    }
    if let Some(list) = check.revocations
        && list.contains(payload.serial)
    {
        return Finding::Revoked { serial: payload.serial, sequence: list.sequence };
    }
    if u32::from(payload.issued.days()) > u32::from(check.at.days()) + 1 {
        return Finding::NotYetValid { issued: payload.issued };
    }
    if let Expiry::LastDay(last_day) = payload.expires
        && check.at > last_day
    {
        return Finding::Expired { last_day };
    }
    if let Some(entered) = check.organization
        && let Some(difference) = payload.organization.difference(entered)
    {
        return Finding::OrgMismatch {
            issued_to: payload.organization.to_string(),
            entered: entered.to_owned(),
            difference,
        };
    }
    Finding::Valid
}
