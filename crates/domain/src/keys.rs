//! Management keys: minting, hashing and checking the secrets.
//!
//! A key is 256 random bits shown once, as `RK` followed by 64 hex digits. Roster stores
//! only its SHA-256 digest: the secret has full entropy, so a fast hash is the right tool
//! (a password hash would add nothing but cost). Checking a presented key compares
//! digests with [`subtle`]'s constant-time equality, so timing says nothing about how
//! close a guess was. The [`KeyHash`] and [`ManagementKey`] types never print the secret.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids::IdGenerator;

/// The secret part of a management key, as given to its owner.
#[derive(Clone, PartialEq, Eq)]
pub struct ManagementKey(String);

impl ManagementKey {
    /// A new key from 32 bytes of the generator's randomness.
    pub fn generate(ids: &dyn IdGenerator) -> Self {
        let bytes = ids.secret_bytes();
        let mut s = String::with_capacity(66);
        s.push_str("RK");
        for b in bytes {
            s.push(hex_digit(b >> 4));
            s.push(hex_digit(b & 0x0f));
        }
        Self(s)
    }

    /// A key given by an operator (`ROSTER_MANAGEMENT_KEY`) or a caller. Any non-empty
    /// text without white space or control characters, at most 512 bytes.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.len() > 512 {
            return Err("must be at most 512 bytes".into());
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain white space or control characters".into());
        }
        Ok(Self(s.to_string()))
    }

    /// The secret, for the one time it is shown.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for ManagementKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ManagementKey(<redacted>)")
    }
}

fn hex_digit(n: u8) -> char {
    char::from_digit(u32::from(n), 16).unwrap_or('0')
}

/// The SHA-256 digest of a key: what storage keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    pub fn to_hex(self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(hex_digit(b >> 4));
            s.push(hex_digit(b & 0x0f));
        }
        s
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hi = char::from(chunk[0]).to_digit(16)?;
            let lo = char::from(chunk[1]).to_digit(16)?;
            out[i] = u8::try_from(hi * 16 + lo).ok()?;
        }
        Some(Self(out))
    }

    /// Constant-time comparison of two digests.
    pub fn matches(&self, other: &KeyHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RandomIds, SeededIds};

    #[test]
    fn generated_keys_are_long_random_and_hex() {
        let a = ManagementKey::generate(&RandomIds);
        let b = ManagementKey::generate(&RandomIds);
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 66);
        assert!(a.expose()[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!format!("{a:?}").contains(&a.expose()[2..]));
    }

    #[test]
    fn hashes_round_trip_and_compare() {
        let key = ManagementKey::generate(&SeededIds::new(1));
        let h = key.hash();
        assert_eq!(KeyHash::from_hex(&h.to_hex()), Some(h));
        assert!(h.matches(&key.hash()));
        let other = ManagementKey::parse("not-the-key").map(|k| k.hash());
        assert!(other.is_ok_and(|o| !o.matches(&h)));
        assert_eq!(KeyHash::from_hex("zz"), None);
        assert_eq!(KeyHash::from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn operator_keys_are_checked() {
        assert!(ManagementKey::parse("").is_err());
        assert!(ManagementKey::parse("a b").is_err());
        assert!(ManagementKey::parse("local-dev-key:with-colon").is_ok());
    }
}
