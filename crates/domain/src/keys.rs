//! Management keys: minting, hashing and checking the secrets.
//!
//! A key is 256 random bits shown once, as `RK` followed by 64 hex digits. Roster stores
//! only its SHA-256 digest: the secret has full entropy, so a fast hash is the right tool
//! (a password hash would add nothing but cost). Checking a presented key compares
//! digests with [`subtle`]'s constant-time equality, so timing says nothing about how
//! close a guess was. The [`KeyHash`] and [`ManagementKey`] types never print the secret.
//!
//! A key may be limited to addresses ([`IpRange`], [`permitted_from`]); a supplied key
//! must be [`strong`](ManagementKey::is_strong) to be used beyond loopback.

use std::fmt;
use std::net::IpAddr;

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

/// Supplied keys (`ROSTER_MANAGEMENT_KEY`) shorter than this are refused when the server
/// listens beyond loopback: a guessable key on a network is no key.
pub const MIN_EXPOSED_KEY_CHARS: usize = 32;

impl ManagementKey {
    /// Whether the key is long enough to be used on a network.
    pub fn is_strong(&self) -> bool {
        self.0.chars().count() >= MIN_EXPOSED_KEY_CHARS
    }
}

/// An address, or a range of addresses in CIDR notation, a key may be used from:
/// `203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`. A request from anywhere else is refused
/// as if the key were wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange(ipnet::IpNet);

impl IpRange {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(net) = s.parse::<ipnet::IpNet>() {
            return Ok(Self(net.trunc()));
        }
        s.parse::<IpAddr>()
            .map(|a| Self(ipnet::IpNet::from(a)))
            .map_err(|_| format!("{s:?} is not an IP address or a CIDR range"))
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        // An IPv4 client seen through an IPv6 socket is `::ffff:a.b.c.d`.
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        self.0.contains(&address)
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether the roles a key is given make it read-only: there is at least one, and every
/// one is a reading role, one whose name says so (`read` or `view` in it, in any case:
/// "Project Read Only", "Viewer"). Any other role may change things.
pub fn roles_read_only<'a>(roles: impl IntoIterator<Item = &'a str>) -> bool {
    let mut any = false;
    for r in roles {
        let r = r.to_ascii_lowercase();
        if !(r.contains("read") || r.contains("view")) {
            return false;
        }
        any = true;
    }
    any
}

/// Whether a request from `client` may use a key limited to `permitted` (no ranges: from
/// anywhere). An unknown client address is refused by a limited key.
pub fn permitted_from(permitted: &[IpRange], client: Option<IpAddr>) -> bool {
    permitted.is_empty() || client.is_some_and(|c| permitted.iter().any(|r| r.contains(c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RandomIds, SeededIds};

    #[test]
    fn ranges_parse_and_contain() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let one = IpRange::parse("203.0.113.7").unwrap();
        assert!(one.contains(ip("203.0.113.7")) && !one.contains(ip("203.0.113.8")));
        let net = IpRange::parse(" 10.1.0.0/16 ").unwrap();
        assert!(net.contains(ip("10.1.200.3")) && !net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "an IPv4-mapped client");
        let v6 = IpRange::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8::1")) && !v6.contains(ip("2001:db9::1")));
        assert_eq!(
            IpRange::parse("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert!(IpRange::parse("10.0.0.0/33").is_err());
        assert!(IpRange::parse("example.com").is_err());
        assert!(permitted_from(&[], None));
        assert!(!permitted_from(&[net], None));
        assert!(permitted_from(&[one, net], Some(ip("10.1.1.1"))));
        assert!(!permitted_from(&[one, net], Some(ip("127.0.0.1"))));
    }

    #[test]
    fn reading_roles_make_a_read_only_key() {
        assert!(roles_read_only(["Project Read Only"]));
        assert!(roles_read_only(["viewer", "Audit Reader"]));
        assert!(!roles_read_only(["viewer", "Company Full Access"]));
        assert!(!roles_read_only([]));
    }

    #[test]
    fn short_keys_are_weak() {
        assert!(!ManagementKey::parse("local-dev-key").unwrap().is_strong());
        assert!(ManagementKey::generate(&RandomIds).is_strong());
    }

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
