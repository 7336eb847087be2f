//! [`Phone`]: a phone number in E.164 form.
//!
//! The rule is the design's: with spaces, dashes, dots and parentheses removed, a number
//! is `+` and 8 to 15 digits, and it is stored in that form, so `+1-555-555-5555` becomes
//! `+15555555555`. Numbers are not checked against carrier ranges: Descope accepts
//! `+1-555-555-5555`, and so must Roster.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, String> {
        let invalid =
            || format!("{s:?} is not a valid phone number (expected + and 8 to 15 digits, E.164)");
        let compact: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').ok_or_else(invalid)?;
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        Ok(Self(compact))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_to_e164() {
        assert_eq!(
            Phone::parse("+1-555-555-5555").map(|p| p.0),
            Ok("+15555555555".into())
        );
        assert_eq!(
            Phone::parse("+44 (20) 7946.0018").map(|p| p.0),
            Ok("+442079460018".into())
        );
        assert_eq!(
            Phone::parse("+12345678").map(|p| p.0),
            Ok("+12345678".into())
        );
    }

    #[test]
    fn rejects_non_e164() {
        for bad in [
            "",
            "5555555555",
            "+1234567",
            "+1234567890123456",
            "+1-555-CALL-NOW",
            "++15555555555",
            "+1/555/555/5555",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn formatting_never_changes_the_number(digits in "[0-9]{8,15}", seps in proptest::collection::vec(prop_oneof![Just(" "), Just("-"), Just("."), Just("("), Just(")"), Just("")], 16)) {
            let mut formatted = String::from("+");
            for (i, d) in digits.chars().enumerate() {
                formatted.push_str(seps[i]);
                formatted.push(d);
            }
            let phone = Phone::parse(&formatted).map_err(TestCaseError::fail)?;
            prop_assert_eq!(phone.as_str(), format!("+{digits}"));
        }

        #[test]
        fn normalised_numbers_are_fixed_points(digits in "[0-9]{8,15}") {
            let once = Phone::parse(&format!("+{digits}")).map_err(TestCaseError::fail)?;
            let twice = Phone::parse(once.as_str()).map_err(TestCaseError::fail)?;
            prop_assert_eq!(once, twice);
        }
    }
}
