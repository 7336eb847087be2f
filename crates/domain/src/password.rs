//! User passwords set through the management API, kept only as an Argon2id hash.
//!
//! Roster does not sign users in, but the SDKs can give a user a password
//! (`password/set/temporary`, `password/set/active`) so that a directory moved to Descope,
//! or an application's own sign-in, can use it. Only the hash is kept, in the PHC string
//! format (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`, OWASP's recommended parameters);
//! the clear password is never stored, logged or answered. The salt comes from the
//! injected [`IdGenerator`], so tests control it like every other random value.

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash as PhcHash};

use crate::caps;
use crate::error::{Error, FieldError};
use crate::ids::IdGenerator;

/// A password as a client gave it, checked but not yet hashed. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// A password: not empty, at most [`caps::PASSWORD_CHARS`] characters.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        if s.is_empty() {
            return Err(FieldError::new("password", "is required"));
        }
        caps::chars("password", s, caps::PASSWORD_CHARS)?;
        Ok(Self(s.to_string()))
    }

    /// Hash it with Argon2id and a fresh 16-byte salt. Deliberately slow (tens of
    /// milliseconds): callers run it off the async workers.
    /// (The hasher fails only on parameters or salts Roster never makes: an internal
    /// error, never the client's.)
    pub fn hash(&self, ids: &dyn IdGenerator) -> Result<PasswordHash, Error> {
        let bytes = ids.secret_bytes();
        // 16 bytes of salt, as the PHC format recommends.
        let salt = SaltString::encode_b64(&bytes[..16]).map_err(|_| Error::internal())?;
        let hash = Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map_err(|_| Error::internal())?;
        Ok(PasswordHash(hash.to_string()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A stored password hash in PHC format. Its `Debug` hides it: a hash is a secret too.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// A hash read back from a store.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The PHC string, for the store.
    pub fn as_stored(&self) -> &str {
        &self.0
    }

    /// Whether `password` is the one this hash was made from (constant time inside).
    pub fn verify(&self, password: &str) -> bool {
        PhcHash::new(&self.0).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SeededIds;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let ids = SeededIds::new(7);
        let pw = Password::parse("correct horse").unwrap();
        let h = pw.hash(&ids).unwrap();
        assert!(h.as_stored().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify("correct horse"));
        assert!(!h.verify("correct horsE"));
        assert!(!format!("{h:?} {pw:?}").contains("horse"));
        assert!(!format!("{h:?}").contains("argon2"));
        // A fresh salt each time: the same password never hashes alike twice.
        assert_ne!(pw.hash(&ids).unwrap(), h);
    }

    #[test]
    fn empty_and_huge_passwords_are_refused() {
        assert!(Password::parse("").is_err());
        assert!(Password::parse(&"x".repeat(caps::PASSWORD_CHARS)).is_ok());
        let e = Password::parse(&"x".repeat(caps::PASSWORD_CHARS + 1)).unwrap_err();
        assert_eq!(e.field, "password");
    }
}
