//! Identifiers carried by a key: the signing key's id, the serial and the product code.

use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::{ProductError, SerialError};

/// First 4 bytes of SHA-256 of the raw 32-byte Ed25519 public key that signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 4]);

impl KeyId {
    /// The id of a raw Ed25519 public key.
    pub fn of_public_key(public_key: &[u8; 32]) -> KeyId {
        let digest = Sha256::digest(public_key);
        KeyId([digest[0], digest[1], digest[2], digest[3]])
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A key's serial: 64 random bits, never 0, shown as 16 lowercase hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(NonZeroU64);

impl Serial {
    /// The serial with this value, or `None` for 0.
    pub const fn new(value: u64) -> Option<Serial> {
        match NonZeroU64::new(value) {
            Some(v) => Some(Serial(v)),
            None => None,
        }
    }

    /// The 64-bit value.
    pub const fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for Serial {
    type Err = SerialError;

    /// Reads 1 to 16 hex digits (any case), not all zero.
    fn from_str(s: &str) -> Result<Serial, SerialError> {
        if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SerialError::Syntax(s.to_owned()));
        }
        let value = u64::from_str_radix(s, 16).map_err(|_| SerialError::Syntax(s.to_owned()))?;
        Serial::new(value).ok_or(SerialError::Zero)
    }
}

/// A product code: 1 to 8 ASCII capital letters, e.g. `AST`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Product(String);

impl Product {
    /// The most letters a product code may have.
    pub const MAX_LEN: usize = 8;

    /// Checks the rule of the product field.
    pub fn new(code: &str) -> Result<Product, ProductError> {
        if code.is_empty() || code.len() > Product::MAX_LEN || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ProductError(code.to_owned()));
        }
        Ok(Product(code.to_owned()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials() {
        assert_eq!("1".parse::<Serial>().map(|s| s.to_string()), Ok("0000000000000001".into()));
        assert_eq!("0123456789ABCDEF".parse::<Serial>().map(Serial::get), Ok(0x0123_4567_89ab_cdef));
        assert_eq!("000".parse::<Serial>(), Err(SerialError::Zero));
        assert!("12345678901234567".parse::<Serial>().is_err());
        assert!("+1".parse::<Serial>().is_err());
    }

    #[test]
    fn rfc8032_test1_key_id() {
        let public: [u8; 32] = [
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
            0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
        ];
        assert_eq!(KeyId::of_public_key(&public).to_string(), "21fe31df");
    }
}
