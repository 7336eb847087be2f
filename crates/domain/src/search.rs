//! [`UserQuery`]: the filter of `POST /v2/mgmt/user/search`, already read and checked.
//!
//! Every list filter is "any of": a user matches `emails: [a, b]` when its email is `a`
//! or `b`. Different filters combine with "and". Empty lists and empty text mean "no
//! filter", because Descope's Go SDK sends every field, zero-valued when unset.

use serde_json::Value;

use crate::caps;
use crate::error::FieldError;
use crate::status::UserStatus;
use crate::time::Millis;

/// Page size when the request gives none (or `0`), as on Descope.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest page Roster returns; a larger `limit` is reduced to it.
pub const MAX_LIMIT: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestUsers {
    /// Test users are left out (the default).
    #[default]
    Exclude,
    /// Test users are included (`withTestUser`).
    Include,
    /// Only test users (`testUsersOnly`, and `/search/test`).
    Only,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedTime,
    ModifiedTime,
    Name,
    GivenName,
    FamilyName,
    Email,
    Phone,
    Status,
    LoginId,
    UserId,
}

impl SortField {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "createdTime" => SortField::CreatedTime,
            "modifiedTime" => SortField::ModifiedTime,
            "name" | "displayName" => SortField::Name,
            "givenName" => SortField::GivenName,
            "familyName" => SortField::FamilyName,
            "email" => SortField::Email,
            "phone" => SortField::Phone,
            "status" => SortField::Status,
            "loginId" | "loginIds" => SortField::LoginId,
            "userId" => SortField::UserId,
            _ => return None,
        })
    }
}

/// Roles a user must hold in one tenant: all of them (`all`) or any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRoleFilter {
    pub tenant_id: String,
    pub role_names: Vec<String>,
    pub all: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserQuery {
    pub login_ids: Vec<String>,
    pub user_ids: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub statuses: Vec<UserStatus>,
    /// Users that belong to at least one of these tenants.
    pub tenant_ids: Vec<String>,
    /// Users that hold at least one of these roles, at project level or in a tenant.
    pub role_names: Vec<String>,
    pub tenant_roles: Vec<TenantRoleFilter>,
    /// Each key must match: the user's value equals the given one, or one of the given
    /// values when a list is given.
    pub custom_attributes: Vec<(String, Value)>,
    pub sso_app_ids: Vec<String>,
    /// A substring of a login ID, the user ID, a name, email or phone; ASCII letters
    /// match in either case, other letters only as given.
    pub text: String,
    pub test_users: TestUsers,
    pub verified_email: Option<bool>,
    pub verified_phone: Option<bool>,
    pub from_created: Option<Millis>,
    pub to_created: Option<Millis>,
    pub from_modified: Option<Millis>,
    pub to_modified: Option<Millis>,
    pub sort: Vec<(SortField, bool)>,
    pub limit: u32,
    pub offset: u64,
}

impl UserQuery {
    /// A query with Descope's defaults: first page of 100, test users left out.
    pub fn new() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            ..Default::default()
        }
    }

    /// The caps a search keeps: each list filter's values, the `customAttributes` keys
    /// and their values, the tenant-role filters, the sort fields, and `text`.
    pub fn check(&self) -> Result<(), FieldError> {
        let cap = caps::SEARCH_LIST_ITEMS;
        for (field, len) in [
            ("loginIds", self.login_ids.len()),
            ("userIds", self.user_ids.len()),
            ("emails", self.emails.len()),
            ("phones", self.phones.len()),
            ("statuses", self.statuses.len()),
            ("tenantIds", self.tenant_ids.len()),
            ("roleNames", self.role_names.len()),
            ("ssoAppIds", self.sso_app_ids.len()),
            ("customAttributes", self.custom_attributes.len()),
            ("tenantRoleNames", self.tenant_roles.len()),
            ("sort", self.sort.len()),
        ] {
            caps::items(field, len, cap)?;
        }
        for (key, value) in &self.custom_attributes {
            if let Value::Array(values) = value {
                caps::items(&format!("customAttributes.{key}"), values.len(), cap)?;
            }
        }
        for f in &self.tenant_roles {
            caps::items(
                &format!("tenantRoleNames.{}", f.tenant_id),
                f.role_names.len(),
                cap,
            )?;
        }
        caps::chars("text", &self.text, caps::SEARCH_TEXT_CHARS)
    }

    /// Set `limit` and the row offset from the request's `limit`, `page` and `offset`:
    /// `limit` 0 means the default, a `limit` above [`MAX_LIMIT`] is reduced to it, and
    /// a positive `offset` wins over `page * limit`.
    pub fn paginate(&mut self, limit: u32, page: u32, offset: u64) {
        self.limit = match limit {
            0 => DEFAULT_LIMIT,
            l => l.min(MAX_LIMIT),
        };
        self.offset = if offset > 0 {
            offset
        } else {
            u64::from(page) * u64::from(self.limit)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_follows_descope() {
        let mut q = UserQuery::new();
        q.paginate(0, 0, 0);
        assert_eq!((q.limit, q.offset), (100, 0));
        q.paginate(10, 3, 0);
        assert_eq!((q.limit, q.offset), (10, 30));
        q.paginate(10, 3, 7);
        assert_eq!((q.limit, q.offset), (10, 7));
        q.paginate(1_000_000, 1, 0);
        assert_eq!((q.limit, q.offset), (MAX_LIMIT, u64::from(MAX_LIMIT)));
    }

    #[test]
    fn sort_fields() {
        assert_eq!(
            SortField::parse("createdTime"),
            Some(SortField::CreatedTime)
        );
        assert_eq!(SortField::parse("nope"), None);
    }
}
