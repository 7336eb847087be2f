//! Names that identify things inside a project: [`RoleName`], [`PermissionName`],
//! [`AttributeName`], and [`Label`] for free-form display names (tenant names).
//!
//! Role and permission names are what users see in consoles ("Tenant Admin"), so inner
//! spaces are fine; custom attribute names are machine keys used in JSON paths, so they
//! are restricted to `[A-Za-z0-9_-]`.

use std::fmt;

use serde::Serialize;

/// Shared rule for human-facing names: 1 to `max` characters, no control characters, no
/// surrounding white space.
fn check_label(s: &str, max: usize) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if s.trim() != s {
        return Err("must not start or end with white space".into());
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, String> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(s)?;
                Ok(Self(s.to_string()))
            }

            pub fn from_stored(s: String) -> Self {
                Self(s)
            }

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

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// A role's name, unique per project (project roles) or per tenant (tenant roles).
    RoleName,
    |s| check_label(s, 256)
);
name_type!(
    /// A permission's name, unique per project.
    PermissionName,
    |s| check_label(s, 256)
);
name_type!(
    /// A display name: tenant names, key names, project names.
    Label,
    |s| check_label(s, 256)
);
name_type!(
    /// A custom attribute's machine name: 1 to 64 characters of `[A-Za-z0-9_-]`.
    AttributeName,
    |s| {
        if s.is_empty() || s.len() > 64 {
            return Err("must be 1 to 64 characters".into());
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err("may only hold letters, digits, '_' and '-'".into());
        }
        Ok(())
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn role_names_allow_inner_spaces_only() {
        assert!(RoleName::parse("Tenant Admin").is_ok());
        assert!(RoleName::parse("").is_err());
        assert!(RoleName::parse(" admin").is_err());
        assert!(RoleName::parse("ad\tmin").is_err());
    }

    #[test]
    fn attribute_names_are_machine_keys() {
        assert!(AttributeName::parse("favouriteColour").is_ok());
        assert!(AttributeName::parse("plan_tier-2").is_ok());
        assert!(AttributeName::parse("a.b").is_err());
        assert!(AttributeName::parse("a\"b").is_err());
        assert!(AttributeName::parse("").is_err());
        assert!(AttributeName::parse(&"a".repeat(65)).is_err());
    }

    proptest! {
        #[test]
        fn attribute_names_never_hold_json_path_syntax(s in ".{1,20}") {
            if let Ok(name) = AttributeName::parse(&s) {
                prop_assert!(!name.as_str().contains(['"', '.', '$', '[', ']', '\\', '\'']));
            }
        }

        #[test]
        fn parsed_labels_round_trip(s in "[A-Za-z0-9][A-Za-z0-9 _-]{0,30}[A-Za-z0-9]") {
            let label = Label::parse(&s).map_err(TestCaseError::fail)?;
            prop_assert_eq!(label.as_str(), s.as_str());
        }
    }
}
