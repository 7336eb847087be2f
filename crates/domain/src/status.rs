//! [`UserStatus`]: `enabled`, `disabled`, `invited` or `expired`.
//!
//! New users start `invited`, as on Descope (an invitation being sent or not does not
//! change that). `users/load` leaves out `disabled` and `expired` users unless asked.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Enabled,
    Disabled,
    #[default]
    Invited,
    Expired,
}

impl UserStatus {
    pub const ALL: [UserStatus; 4] = [
        UserStatus::Enabled,
        UserStatus::Disabled,
        UserStatus::Invited,
        UserStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Enabled => "enabled",
            UserStatus::Disabled => "disabled",
            UserStatus::Invited => "invited",
            UserStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not one of \"enabled\", \"disabled\", \"invited\", \"expired\"")
            })
    }

    /// Whether `users/load` returns the user without `includeInvalidUsers`.
    pub fn is_valid(self) -> bool {
        matches!(self, UserStatus::Enabled | UserStatus::Invited)
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_the_four_statuses() {
        for st in UserStatus::ALL {
            assert_eq!(UserStatus::parse(st.as_str()), Ok(st));
        }
        assert!(UserStatus::parse("Enabled").is_err());
        assert!(UserStatus::parse("active").is_err());
        assert_eq!(UserStatus::default(), UserStatus::Invited);
    }
}
