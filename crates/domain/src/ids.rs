//! Identifiers, and the injected source of randomness that makes new ones.
//!
//! Generated IDs follow Descope's look: a one-letter kind prefix and 27 alphanumerics,
//! 28 characters in all (`P…` projects, `U…` users, `T…` tenants). The Java SDK refuses
//! project IDs shorter than 28 characters, so the length matters. Randomness comes
//! through [`IdGenerator`] so that tests can make IDs deterministic.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::distr::{Alphanumeric, SampleString};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Where new IDs and secrets come from.
pub trait IdGenerator: Send + Sync + fmt::Debug {
    /// `n` characters from `[A-Za-z0-9]`.
    fn alphanumeric(&self, n: usize) -> String;
    /// 32 bytes for a secret. Implementations for production must use a CSPRNG.
    fn secret_bytes(&self) -> [u8; 32];
}

/// The production generator: the operating system's CSPRNG through `rand`.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

#[allow(
    clippy::disallowed_methods,
    reason = "the one place that reads the system's randomness"
)]
impl IdGenerator for RandomIds {
    fn alphanumeric(&self, n: usize) -> String {
        Alphanumeric.sample_string(&mut rand::rng(), n)
    }

    fn secret_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        rand::rng().fill_bytes(&mut out);
        out
    }
}

/// A deterministic generator for tests: a seeded PRNG, so two runs make the same IDs.
#[derive(Debug)]
pub struct SeededIds {
    rng: Mutex<rand::rngs::StdRng>,
    calls: AtomicU64,
}

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)),
            calls: AtomicU64::new(0),
        }
    }

    /// How many IDs or secrets were asked for so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

impl IdGenerator for SeededIds {
    fn alphanumeric(&self, n: usize) -> String {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        Alphanumeric.sample_string(&mut *rng, n)
    }

    fn secret_bytes(&self) -> [u8; 32] {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = [0u8; 32];
        rng.fill_bytes(&mut out);
        out
    }
}

/// Length of a generated ID, prefix included.
pub const GENERATED_ID_LEN: usize = 28;

fn generated(ids: &dyn IdGenerator, prefix: &str) -> String {
    let mut s = String::with_capacity(GENERATED_ID_LEN);
    s.push_str(prefix);
    s.push_str(&ids.alphanumeric(GENERATED_ID_LEN - prefix.len()));
    s
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A project's ID. Generated ones are `P` + 27 alphanumerics.
    ProjectId
);
string_id!(
    /// A user's server-assigned, immutable ID: `U` + 27 alphanumerics.
    UserId
);
string_id!(
    /// A tenant's ID: given by the caller, or `T` + 27 alphanumerics.
    TenantId
);
string_id!(
    /// A role's ID: `ROL` + 25 alphanumerics.
    RoleId
);
string_id!(
    /// A permission's ID: `PRM` + 25 alphanumerics.
    PermissionId
);
string_id!(
    /// A management key's ID (not secret): `K` + 27 alphanumerics.
    KeyId
);

/// An ID given from outside for `field`: 1 to 64 characters of `[A-Za-z0-9_-]`, the
/// alphabet of the IDs Roster generates.
fn outside_id(field: &str, s: &str) -> Result<String, FieldError> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(FieldError::new(
            field,
            "must be 1 to 64 characters of letters, digits, '_' or '-'",
        ))
    }
}

impl ProjectId {
    pub fn generate(ids: &dyn IdGenerator) -> Self {
        Self(generated(ids, "P"))
    }

    /// A project ID from outside (bootstrap variables, the `Authorization` header, the
    /// command line): 1 to 64 characters of `[A-Za-z0-9_-]`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        outside_id("projectId", s).map(Self)
    }
}

impl UserId {
    pub fn generate(ids: &dyn IdGenerator) -> Self {
        Self(generated(ids, "U"))
    }

    /// A user ID pinned from outside (a seed file): 1 to 64 characters of
    /// `[A-Za-z0-9_-]`, as the IDs Roster generates are.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        outside_id("userId", s).map(Self)
    }

    /// A user ID read back from storage; storage only holds IDs this crate made.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl TenantId {
    pub fn generate(ids: &dyn IdGenerator) -> Self {
        Self(generated(ids, "T"))
    }

    /// A tenant ID given by a caller: 1 to 256 characters, no control characters, no
    /// leading or trailing white space.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.chars().count() > 256 {
            return Err("must be at most 256 characters".into());
        }
        if s.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        if s.trim() != s {
            return Err("must not start or end with white space".into());
        }
        Ok(Self(s.to_string()))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl RoleId {
    pub fn generate(ids: &dyn IdGenerator) -> Self {
        Self(generated(ids, "ROL"))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl PermissionId {
    pub fn generate(ids: &dyn IdGenerator) -> Self {
        Self(generated(ids, "PRM"))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl KeyId {
    pub fn generate(ids: &dyn IdGenerator) -> Self {
        Self(generated(ids, "K"))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl ProjectId {
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A pinned user ID is accepted exactly when it is 1 to 64 of `[A-Za-z0-9_-]`,
        /// and kept as given.
        #[test]
        fn pinned_user_ids(s in "\\PC{0,70}") {
            let valid = !s.is_empty()
                && s.len() <= 64
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            let parsed = UserId::parse(&s);
            proptest::prop_assert_eq!(parsed.is_ok(), valid);
            if let Ok(id) = parsed {
                proptest::prop_assert_eq!(id.as_str(), s.as_str());
            }
        }
    }

    #[test]
    fn pinned_user_ids_examples() {
        assert!(UserId::parse("U2abcDEF_0-9").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("has space").is_err());
        assert!(UserId::parse(&"U".repeat(65)).is_err());
    }

    #[test]
    fn generated_ids_look_like_descope_ids() {
        let ids = RandomIds;
        let p = ProjectId::generate(&ids);
        assert_eq!(p.as_str().len(), 28);
        assert!(p.as_str().starts_with('P'));
        assert!(p.as_str().chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(ProjectId::parse(p.as_str()).is_ok());
        let u = UserId::generate(&ids);
        assert!(u.as_str().starts_with('U') && u.as_str().len() == 28);
        assert_ne!(UserId::generate(&ids), u);
        assert!(RoleId::generate(&ids).as_str().starts_with("ROL"));
    }

    #[test]
    fn seeded_ids_repeat() {
        let a = SeededIds::new(7);
        let b = SeededIds::new(7);
        assert_eq!(UserId::generate(&a), UserId::generate(&b));
        assert_eq!(a.secret_bytes(), b.secret_bytes());
        assert_eq!(a.calls(), 2);
    }

    #[test]
    fn project_ids_from_outside_are_checked() {
        assert!(ProjectId::parse("").is_err());
        assert!(ProjectId::parse("P2a:b").is_err());
        assert!(ProjectId::parse(&"P".repeat(65)).is_err());
        assert!(ProjectId::parse("P2abc_DEF-9").is_ok());
    }

    #[test]
    fn tenant_ids_from_outside_are_checked() {
        assert!(TenantId::parse("").is_err());
        assert!(TenantId::parse(" t").is_err());
        assert!(TenantId::parse("a\nb").is_err());
        assert!(TenantId::parse("acme-corp").is_ok());
        assert!(TenantId::parse("Ünïcode tenant").is_ok());
    }
}
