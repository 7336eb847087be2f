//! Roles: project-level (no tenant) or scoped to one tenant, each granting permissions.
//!
//! A role is identified by its name within its scope, or by its ID. Its name is unique
//! per project for project roles and per tenant for tenant roles; the database enforces
//! both.

use crate::caps;
use crate::error::FieldError;
use crate::ids::{RoleId, TenantId};
use crate::names::{PermissionName, RoleName};
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: RoleId,
    pub name: RoleName,
    pub description: String,
    pub permission_names: Vec<PermissionName>,
    pub tenant_id: Option<TenantId>,
    pub default: bool,
    pub private: bool,
    pub created: Millis,
}

impl Role {
    /// The role as a create request would describe it.
    pub fn spec(&self) -> RoleSpec {
        RoleSpec {
            name: self.name.clone(),
            description: self.description.clone(),
            permission_names: self.permission_names.clone(),
            tenant_id: self.tenant_id.clone(),
            default: self.default,
            private: self.private,
        }
    }
}

/// What a create or update request says a role should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    pub name: RoleName,
    pub description: String,
    pub permission_names: Vec<PermissionName>,
    pub tenant_id: Option<TenantId>,
    pub default: bool,
    pub private: bool,
}

/// The caps a role's description and permission list must keep.
fn check_role(description: &str, permissions: &[PermissionName]) -> Result<(), FieldError> {
    caps::chars("description", description, caps::DESCRIPTION_CHARS)?;
    caps::items("permissionNames", permissions.len(), caps::ROLE_PERMISSIONS)
}

impl RoleSpec {
    pub fn check(&self) -> Result<(), FieldError> {
        check_role(&self.description, &self.permission_names)
    }
}

/// How a request names an existing role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleRef {
    Id(RoleId),
    Name {
        name: RoleName,
        tenant_id: Option<TenantId>,
    },
}

impl RoleRef {
    pub fn describe(&self) -> String {
        match self {
            RoleRef::Id(id) => format!("role with ID {:?}", id.as_str()),
            RoleRef::Name {
                name,
                tenant_id: None,
            } => format!("project role {:?}", name.as_str()),
            RoleRef::Name {
                name,
                tenant_id: Some(t),
            } => format!("role {:?} of tenant {:?}", name.as_str(), t.as_str()),
        }
    }
}

/// An update: which role, and what it becomes. `new_name` of `None` keeps the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleUpdate {
    pub target: RoleRef,
    pub new_name: Option<RoleName>,
    pub description: String,
    pub permission_names: Vec<PermissionName>,
    pub default: bool,
    pub private: bool,
}

impl RoleUpdate {
    pub fn check(&self) -> Result<(), FieldError> {
        check_role(&self.description, &self.permission_names)
    }
}

/// The filter of `POST /v1/mgmt/role/search`. Empty lists mean "no filter".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleQuery {
    pub tenant_ids: Vec<TenantId>,
    pub role_names: Vec<String>,
    pub role_name_like: String,
    pub permission_names: Vec<String>,
    pub include_project_roles: bool,
    pub role_ids: Vec<String>,
}

impl RoleQuery {
    pub fn matches(&self, role: &Role) -> bool {
        let scope_ok = if self.tenant_ids.is_empty() {
            true
        } else {
            match &role.tenant_id {
                Some(t) => self.tenant_ids.contains(t),
                None => self.include_project_roles,
            }
        };
        let name_ok =
            self.role_names.is_empty() || self.role_names.iter().any(|n| n == role.name.as_str());
        let like_ok = self.role_name_like.is_empty()
            || role
                .name
                .as_str()
                .to_lowercase()
                .contains(&self.role_name_like.to_lowercase());
        let perm_ok = self.permission_names.is_empty()
            || role
                .permission_names
                .iter()
                .any(|p| self.permission_names.iter().any(|q| q == p.as_str()));
        let id_ok = self.role_ids.is_empty() || self.role_ids.iter().any(|i| i == role.id.as_str());
        scope_ok && name_ok && like_ok && perm_ok && id_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, tenant: Option<&str>, perms: &[&str]) -> Role {
        Role {
            id: RoleId::from_stored(format!("ROL{name}")),
            name: RoleName::from_stored(name.into()),
            description: String::new(),
            permission_names: perms
                .iter()
                .map(|p| PermissionName::from_stored((*p).into()))
                .collect(),
            tenant_id: tenant.map(|t| TenantId::from_stored(t.into())),
            default: false,
            private: false,
            created: Millis(0),
        }
    }

    #[test]
    fn empty_query_matches_everything() {
        let q = RoleQuery::default();
        assert!(q.matches(&role("a", None, &[])));
        assert!(q.matches(&role("a", Some("t"), &[])));
    }

    #[test]
    fn tenant_filter_includes_project_roles_only_when_asked() {
        let mut q = RoleQuery {
            tenant_ids: vec![TenantId::from_stored("t".into())],
            ..Default::default()
        };
        assert!(q.matches(&role("a", Some("t"), &[])));
        assert!(!q.matches(&role("a", Some("u"), &[])));
        assert!(!q.matches(&role("a", None, &[])));
        q.include_project_roles = true;
        assert!(q.matches(&role("a", None, &[])));
    }

    #[test]
    fn name_like_and_permissions_filter() {
        let q = RoleQuery {
            role_name_like: "ADM".into(),
            permission_names: vec!["write".into()],
            ..Default::default()
        };
        assert!(q.matches(&role("Tenant Admin", None, &["read", "write"])));
        assert!(!q.matches(&role("Tenant Admin", None, &["read"])));
        assert!(!q.matches(&role("viewer", None, &["write"])));
    }
}
