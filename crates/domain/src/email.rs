//! [`Email`]: a syntactically valid email address.
//!
//! Syntax is checked by the `email_address` crate (RFC 5321/5322 addresses), with two
//! extra rules users expect of a sign-in address: a domain part is required and there
//! is no display-name form (`Name <a@b>`). The address is stored as given.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, String> {
        let invalid = || format!("{s:?} is not a valid email address");
        if s.contains(['<', '>']) || s.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let parsed = email_address::EmailAddress::from_str(s).map_err(|_| invalid())?;
        if parsed.domain().is_empty() || parsed.local_part().is_empty() {
            return Err(invalid());
        }
        Ok(Self(s.to_string()))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@example.com",
            "x@sub.domain.example",
            "o'brien@example.ie",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a b@example.com",
            "Name <a@b.co>",
            "a@@b.co",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn generated_addresses_parse(local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", domain in "[a-z]{1,10}\\.[a-z]{2,6}") {
            prop_assume!(!local.contains(".."));
            let s = format!("{local}@{domain}");
            prop_assert!(Email::parse(&s).is_ok(), "{}", s);
        }

        #[test]
        fn strings_without_at_never_parse(s in "[^@]{0,40}") {
            prop_assert!(Email::parse(&s).is_err());
        }
    }
}
