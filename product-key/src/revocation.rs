//! Signed revocation lists: the serials a vendor has withdrawn, shipped offline.

use data_encoding::BASE64;

use crate::day::Day;
use crate::error::RevocationError;
use crate::ids::{KeyId, Product, Serial};
use crate::trusted::{SignatureFailure, TrustedKeys};

/// The ASCII context that lists are signed under, with its terminating zero.
pub const LIST_CONTEXT: &[u8; 19] = b"revocation-list-v1\0";
/// The armour's first line.
pub const BEGIN: &str = "-----BEGIN REVOCATION LIST-----";
/// The armour's last line.
pub const END: &str = "-----END REVOCATION LIST-----";
const FORMAT_V1: u8 = 0x01;

/// A revocation list whose layout is sound. Only [`RevocationList::open`] also checks its
/// signature and product; a list from anywhere else is not yet trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationList {
    /// Id of the key that signs the list.
    pub key_id: KeyId,
    /// The product whose keys it revokes (every major version).
    pub product: Product,
    /// Grows with every list published; a product refuses one older than it has seen.
    pub sequence: u32,
    /// The day the list was made.
    pub issued: Day,
    serials: Vec<Serial>,
}

impl RevocationList {
    /// A list of `serials` (sorted and deduplicated here).
    pub fn new(
        key_id: KeyId,
        product: Product,
        sequence: u32,
        issued: Day,
        mut serials: Vec<Serial>,
    ) -> RevocationList {
        serials.sort_unstable();
        serials.dedup();
        RevocationList { key_id, product, sequence, issued, serials }
    }

    /// The revoked serials, ascending.
    pub fn serials(&self) -> &[Serial] {
        &self.serials
    }

    /// Whether `serial` is revoked.
    pub fn contains(&self, serial: Serial) -> bool {
        self.serials.binary_search(&serial).is_ok()
    }

    /// The binary list (without the signature).
    pub fn to_bytes(&self) -> Vec<u8> {
        let product = self.product.as_str().as_bytes();
        let mut out = Vec::with_capacity(16 + product.len() + 8 * self.serials.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&self.key_id.0);
        out.push(product.len() as u8);
        out.extend_from_slice(product);
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.issued.days().to_be_bytes());
        // A list of more than 4 billion serials cannot be built by a vendor.
        out.extend_from_slice(&(self.serials.len() as u32).to_be_bytes());
        for s in &self.serials {
            out.extend_from_slice(&s.get().to_be_bytes());
        }
        out
    }

    /// Parses the binary list (without the signature), checking every rule of its layout.
    pub fn from_bytes(bytes: &[u8]) -> Result<RevocationList, RevocationError> {
        let short = RevocationError::Truncated;
        let (&format, rest) = bytes.split_first().ok_or(short.clone())?;
        if format != FORMAT_V1 {
            return Err(RevocationError::UnknownFormat(format));
        }
        let (key_id, rest) = rest.split_first_chunk::<4>().ok_or(short.clone())?;
        let (&n, rest) = rest.split_first().ok_or(short.clone())?;
        if rest.len() < usize::from(n) {
            return Err(short);
        }
        let (product, rest) = rest.split_at(usize::from(n));
        let product = std::str::from_utf8(product)
            .ok()
            .and_then(|p| Product::new(p).ok())
            .ok_or(RevocationError::Product)?;
        let (sequence, rest) = rest.split_first_chunk::<4>().ok_or(short.clone())?;
        let (issued, rest) = rest.split_first_chunk::<2>().ok_or(short.clone())?;
        let (count, rest) = rest.split_first_chunk::<4>().ok_or(short)?;
        let count = u32::from_be_bytes(*count);
        if u64::from(count) * 8 != rest.len() as u64 {
            return Err(RevocationError::Count { count, bytes: rest.len() });
        }
        let mut serials = Vec::with_capacity(rest.len() / 8);
        for chunk in rest.chunks_exact(8) {
            let mut value = [0u8; 8];
            value.copy_from_slice(chunk);
            let serial = Serial::new(u64::from_be_bytes(value)).ok_or(RevocationError::SerialZero)?;
            if serials.last().is_some_and(|last| *last >= serial) {
                return Err(RevocationError::NotAscending);
            }
            serials.push(serial);
        }
        Ok(RevocationList {
            key_id: KeyId(*key_id),
            product,
            sequence: u32::from_be_bytes(*sequence),
            issued: Day::from_days(u16::from_be_bytes(*issued)),
            serials,
        })
    }

    /// Reads an armoured list, checks its signature against `trusted` and its product
    /// against `product`. Every failure is an error: a list is never silently ignored.
    pub fn open(text: &str, trusted: &TrustedKeys, product: &str) -> Result<RevocationList, RevocationError> {
        let signed = dearmour(text)?;
        if signed.len() < 64 {
            return Err(RevocationError::Truncated);
        }
        let (list_bytes, signature) = signed.split_at(signed.len() - 64);
        let list = RevocationList::from_bytes(list_bytes)?;
        let mut sig = [0u8; 64];
        sig.copy_from_slice(signature);
        match trusted.check_signature(list.key_id, &signed_message(list_bytes), &sig) {
            Ok(()) => {}
            Err(SignatureFailure::UnknownSigner) => return Err(RevocationError::UnknownSigner(list.key_id)),
            Err(SignatureFailure::BadSignature) => return Err(RevocationError::BadSignature),
        }
        if list.product.as_str() != product {
            return Err(RevocationError::OtherProduct(list.product.to_string()));
        }
        Ok(list)
    }
}

impl RevocationList {
    /// [`RevocationList::open`] for a product that keeps the highest sequence it has
    /// accepted (`highest_seen`, 0 before any): a genuine list older than that is refused,
    /// so that an old list cannot bring revoked keys back. The same list again is accepted.
    /// Store the returned list's `sequence` as the new highest.
    pub fn open_not_older(
        text: &str,
        trusted: &TrustedKeys,
        product: &str,
        highest_seen: u32,
    ) -> Result<RevocationList, RevocationError> {
        let list = RevocationList::open(text, trusted, product)?;
        if list.sequence < highest_seen {
            return Err(RevocationError::Older { sequence: list.sequence, highest_seen });
        }
        Ok(list)
    }
}

/// The message a list's signature covers.
pub fn signed_message(list: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(LIST_CONTEXT.len() + list.len());
    message.extend_from_slice(LIST_CONTEXT);
    message.extend_from_slice(list);
    message
}

/// Wraps `list || signature` in the armour, base64 in lines of 64 characters.
pub fn armour(signed: &[u8]) -> String {
    let body = BASE64.encode(signed);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 80);
    out.push_str(BEGIN);
    out.push('\n');
    for line in body.as_bytes().chunks(64) {
        // Base64 output is ASCII.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

fn dearmour(text: &str) -> Result<Vec<u8>, RevocationError> {
    let start = text.find(BEGIN).ok_or(RevocationError::NoArmour)? + BEGIN.len();
    let len = text[start..].find(END).ok_or(RevocationError::NoArmour)?;
    let body: Vec<u8> = text[start..start + len].bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    BASE64.decode(&body).map_err(|e| RevocationError::Base64 { position: e.position })
}

#[cfg(all(test, feature = "sign"))]
mod tests {
    use super::*;
    use crate::Signer;

    fn signer(seed: u8) -> Signer {
        Signer::new(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
    }

    fn list(product: &str, sequence: u32, serials: &[u64]) -> RevocationList {
        let serials = serials.iter().filter_map(|s| Serial::new(*s)).collect();
        RevocationList::new(
            KeyId([0; 4]),
            Product::new(product).expect("product"),
            sequence,
            Day::from_days(20_000),
            serials,
        )
    }

    fn trusting(s: &Signer) -> TrustedKeys {
        let mut t = TrustedKeys::new();
        t.add(&s.public_key()).expect("key");
        t
    }

    #[test]
    fn round_trip() {
        let s = signer(1);
        let mut l = list("AST", 7, &[9, 3, 5, 3]);
        let text = s.sign_revocations(&mut l);
        assert!(text.starts_with(BEGIN) && text.trim_end().ends_with(END));
        assert!(text.lines().all(|line| line.len() <= 64));
        // White space, CRLF and text around the armour are tolerated.
        let wrapped = format!("Dear customer,\r\n\r\n{}\r\nRegards\r\n", text.replace('\n', "\r\n  "));
        let opened = RevocationList::open(&wrapped, &trusting(&s), "AST").expect("opens");
        assert_eq!(opened, l);
        assert_eq!(opened.serials().iter().map(|s| s.get()).collect::<Vec<_>>(), [3, 5, 9]);
        assert!(
            opened.contains(Serial::new(5).expect("serial"))
                && !opened.contains(Serial::new(4).expect("serial"))
        );
    }

    #[test]
    fn the_sequence_is_exposed_so_older_lists_can_be_refused() {
        let s = signer(1);
        let trusted = trusting(&s);
        let first = s.sign_revocations(&mut list("AST", 1, &[1]));
        let second = s.sign_revocations(&mut list("AST", 2, &[1, 2]));
        // A product that has seen nothing accepts list 1 and keeps its sequence.
        let seen = RevocationList::open_not_older(&first, &trusted, "AST", 0).expect("list 1").sequence;
        assert_eq!(seen, 1);
        let seen = RevocationList::open_not_older(&second, &trusted, "AST", seen).expect("list 2").sequence;
        assert_eq!(seen, 2);
        // The same list again is fine; an older one is refused with both numbers.
        assert!(RevocationList::open_not_older(&second, &trusted, "AST", seen).is_ok());
        assert_eq!(
            RevocationList::open_not_older(&first, &trusted, "AST", seen),
            Err(RevocationError::Older { sequence: 1, highest_seen: 2 })
        );
        // Plain `open` leaves the policy to the caller but exposes the sequence.
        assert_eq!(RevocationList::open(&first, &trusted, "AST").expect("opens").sequence, 1);
    }

    #[test]
    fn unusable_lists_are_errors_of_their_own() {
        let s = signer(1);
        let trusted = trusting(&s);
        let good = s.sign_revocations(&mut list("AST", 1, &[1, 2]));
        let other = s.sign_revocations(&mut list("ETL", 1, &[1]));
        assert_eq!(
            RevocationList::open(&other, &trusted, "AST"),
            Err(RevocationError::OtherProduct("ETL".into()))
        );
        let foreign = signer(2).sign_revocations(&mut list("AST", 1, &[1]));
        assert!(matches!(
            RevocationList::open(&foreign, &trusted, "AST"),
            Err(RevocationError::UnknownSigner(_))
        ));
        // Flip one bit of the body: a tampered list never verifies.
        let body: String = good.lines().nth(1).expect("body").to_owned();
        let mut bytes = BASE64.decode(body.as_bytes()).expect("base64");
        bytes[20] ^= 1;
        let tampered = good.replacen(&body, &BASE64.encode(&bytes), 1);
        assert!(RevocationList::open(&tampered, &trusted, "AST").is_err());
        assert_eq!(RevocationList::open("nothing here", &trusted, "AST"), Err(RevocationError::NoArmour));
        // Layout rules: count, order, zero.
        let mut raw = list("AST", 1, &[1, 2]).to_bytes();
        raw.truncate(raw.len() - 1);
        assert!(matches!(RevocationList::from_bytes(&raw), Err(RevocationError::Count { .. })));
        let mut unordered = list("AST", 1, &[1, 2]).to_bytes();
        let n = unordered.len();
        unordered[n - 1] = 0;
        assert_eq!(RevocationList::from_bytes(&unordered), Err(RevocationError::SerialZero));
        unordered[n - 1] = 1;
        assert_eq!(RevocationList::from_bytes(&unordered), Err(RevocationError::NotAscending));
    }
}
