//! [`LoginId`]: what a user signs in with (an email, a phone number, a user name...).
//!
//! Login IDs are unique within a project; the database enforces it. Roster compares them
//! exactly as given (no case folding) and accepts any text of 1 to 256 characters without
//! control characters or surrounding white space, so that whatever Descope accepted can
//! be migrated.

use std::fmt;

use serde::Serialize;

pub const MAX_LOGIN_ID_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LoginId(String);

impl LoginId {
    /// Parse a caller's login ID; the error says why it is not one.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.chars().count() > MAX_LOGIN_ID_CHARS {
            return Err(format!("must be at most {MAX_LOGIN_ID_CHARS} characters"));
        }
        if s.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        if s.trim() != s {
            return Err("must not start or end with white space".into());
        }
        Ok(Self(s.to_string()))
    }

    /// A login ID read back from storage, where only parsed ones are written.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LoginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_what_cannot_be_a_login_id() {
        assert!(LoginId::parse("").is_err());
        assert!(LoginId::parse(" a").is_err());
        assert!(LoginId::parse("a ").is_err());
        assert!(LoginId::parse("a\u{0}b").is_err());
        assert!(LoginId::parse(&"x".repeat(257)).is_err());
        assert!(LoginId::parse(&"x".repeat(256)).is_ok());
        assert!(LoginId::parse("user@example.com").is_ok());
        assert!(LoginId::parse("+1 555 555 5555").is_ok());
        assert!(LoginId::parse("O'Brien; DROP TABLE users;--").is_ok());
    }

    proptest! {
        #[test]
        fn any_trimmed_printable_text_round_trips(s in "[^\\p{Cc}\\s][^\\p{Cc}]{0,60}[^\\p{Cc}\\s]") {
            let id = LoginId::parse(&s).map_err(TestCaseError::fail)?;
            prop_assert_eq!(id.as_str(), s.as_str());
        }

        #[test]
        fn control_characters_are_always_rejected(a in "[a-z]{0,5}", c in "\\p{Cc}", b in "[a-z]{0,5}") {
            let s = format!("{a}{c}{b}");
            prop_assert!(LoginId::parse(&s).is_err());
        }
    }
}
