//! Caps on everything a client stores or asks for: one table, checked where the rules
//! live, so that no request can make Roster hold or send more than it should.
//!
//! Each cap is far above what a real user or catalog reaches (compare Keycloak's 255
//! characters per attribute value, Okta's 50-character names, Firebase's 1,000-byte
//! custom claims) and low enough that a batch of 10,000 users at their largest stays
//! well inside memory. An input over a cap fails with a validation error that names the
//! field and the cap (`name: must be at most 256 characters`); `docs/behaviour.md`
//! lists them all.

use crate::error::FieldError;

/// `name`, `givenName`, `middleName`, `familyName`: characters.
pub const NAME_CHARS: usize = 256;
/// `picture` (a URL): characters.
pub const PICTURE_CHARS: usize = 2_048;
/// Extra login IDs of one user (`additionalIdentifiers`), the first one aside.
pub const ADDITIONAL_LOGIN_IDS: usize = 50;
/// Project roles of one user (`roleNames`).
pub const USER_ROLES: usize = 500;
/// Tenants of one user (`userTenants`).
pub const USER_TENANTS: usize = 500;
/// Roles of one user in one tenant (`userTenants[].roleNames`).
pub const TENANT_ROLES: usize = 500;
/// SSO applications of one user (`ssoAppIds`), and of one tenant (`federatedAppIds`).
pub const SSO_APPS: usize = 500;
/// An ID of an SSO application, a domain, or any other short text item of a list:
/// characters.
pub const ITEM_CHARS: usize = 256;
/// A text custom attribute value (and each text of a select): characters.
pub const ATTRIBUTE_TEXT_CHARS: usize = 4_096;
/// Values of one multiselect attribute.
pub const MULTISELECT_VALUES: usize = 500;
/// Options of one select attribute definition.
pub const SELECT_OPTIONS: usize = 500;
/// Everything a user holds together (see [`crate::user::User::stored_bytes`]): bytes.
pub const USER_BYTES: usize = 16 * 1024;
/// Descriptions of roles and permissions, and attribute display names: characters.
pub const DESCRIPTION_CHARS: usize = 1_024;
/// Permissions of one role.
pub const ROLE_PERMISSIONS: usize = 500;
/// Lists of a tenant: self-provisioning domains, SSO exclusions, default roles.
pub const TENANT_LIST_ITEMS: usize = 500;
/// A tenant's `customAttributes`, as JSON: bytes.
pub const TENANT_ATTRIBUTES_BYTES: usize = 16 * 1024;
/// Search: each list filter's values, and the keys of `customAttributes`.
pub const SEARCH_LIST_ITEMS: usize = 10_000;
/// A password set through the management API: characters (Argon2id hashes any length,
/// but hashing megabytes is work a client could make Roster do for nothing).
pub const PASSWORD_CHARS: usize = 1_024;
/// Search: `text`, characters.
pub const SEARCH_TEXT_CHARS: usize = 256;

/// `field` holds at most `max` characters.
pub fn chars(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    // A string of at most `max` bytes has at most `max` characters: skip the count.
    if value.len() > max && value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// The list `field` holds at most `max` items.
pub fn items(field: &str, len: usize, max: usize) -> Result<(), FieldError> {
    if len > max {
        return Err(FieldError::new(
            field,
            format!("must hold at most {max} items, not {len}"),
        ));
    }
    Ok(())
}

/// Each item of the text list `field` is at most `max_chars` long, and there are at
/// most `max_items` of them.
pub fn text_list(
    field: &str,
    list: &[String],
    max_items: usize,
    max_chars: usize,
) -> Result<(), FieldError> {
    items(field, list.len(), max_items)?;
    for (i, item) in list.iter().enumerate() {
        chars(&format!("{field}[{i}]"), item, max_chars)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_name_the_field_and_the_cap() {
        assert!(chars("name", &"é".repeat(256), NAME_CHARS).is_ok());
        let e = chars("name", &"é".repeat(257), NAME_CHARS).unwrap_err();
        assert_eq!(e.to_string(), "name: must be at most 256 characters");
        let e = items("roleNames", 501, USER_ROLES).unwrap_err();
        assert_eq!(
            e.to_string(),
            "roleNames: must hold at most 500 items, not 501"
        );
        let long = vec!["x".repeat(257)];
        let e = text_list("ssoAppIds", &long, SSO_APPS, ITEM_CHARS).unwrap_err();
        assert_eq!(e.field, "ssoAppIds[0]");
    }
}
