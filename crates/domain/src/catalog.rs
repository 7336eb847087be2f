//! [`Catalog`]: what a request needs to know of a project besides its users.
//!
//! The roles (with their permissions and IDs), the tenants (with their names) and the
//! custom attribute definitions, loaded once per request. Validation asks it whether a
//! role, tenant or attribute exists; showing a user asks it for `permissions` and
//! `tenantName`. Stores use the role IDs it carries to write memberships.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::attribute::AttributeDef;
use crate::ids::{RoleId, TenantId};
use crate::names::{PermissionName, RoleName};
use crate::role::Role;
use crate::user::User;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleEntry {
    pub id: RoleId,
    pub permissions: Vec<PermissionName>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantEntry {
    pub name: String,
    roles: HashMap<String, RoleEntry>,
}

/// The permissions of lists of roles already worked out, for showing many users that
/// share their roles (a bulk change usually gives thousands of users the same ones):
/// each distinct list costs its union once.
#[derive(Debug, Default)]
pub struct PermissionMemo {
    project: HashMap<Vec<RoleName>, Vec<String>>,
    tenant: HashMap<(TenantId, Vec<RoleName>), Vec<String>>,
}

/// The sorted union of the permissions of `roles`, each name copied once.
fn union<'a>(roles: impl Iterator<Item = &'a RoleEntry>) -> Vec<String> {
    let mut names: Vec<&str> = roles
        .flat_map(|e| e.permissions.iter().map(PermissionName::as_str))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    names.sort_unstable();
    names.into_iter().map(str::to_string).collect()
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    project_roles: HashMap<String, RoleEntry>,
    tenants: HashMap<String, TenantEntry>,
    attributes: HashMap<String, AttributeDef>,
    /// The option values of each select attribute, for one lookup per value checked.
    options: HashMap<String, HashSet<String>>,
}

impl Catalog {
    /// Build from every role (project and tenant), every tenant `(id, name)` and every
    /// attribute definition of a project. Tenant roles whose tenant is not listed are
    /// ignored.
    pub fn new(
        roles: impl IntoIterator<Item = Role>,
        tenants: impl IntoIterator<Item = (TenantId, String)>,
        attributes: impl IntoIterator<Item = AttributeDef>,
    ) -> Self {
        let mut catalog = Catalog {
            tenants: tenants
                .into_iter()
                .map(|(id, name)| {
                    (
                        id.into_string(),
                        TenantEntry {
                            name,
                            roles: HashMap::new(),
                        },
                    )
                })
                .collect(),
            attributes: attributes
                .into_iter()
                .map(|d| (d.name.as_str().to_string(), d))
                .collect(),
            ..Default::default()
        };
        catalog.options = catalog
            .attributes
            .iter()
            .filter(|(_, d)| !d.options.is_empty())
            .map(|(name, d)| {
                let values = d.options.iter().map(|o| o.value.clone()).collect();
                (name.clone(), values)
            })
            .collect();
        for role in roles {
            let entry = RoleEntry {
                id: role.id,
                permissions: role.permission_names,
            };
            match role.tenant_id {
                None => {
                    catalog.project_roles.insert(role.name.into_string(), entry);
                }
                Some(t) => {
                    if let Some(tenant) = catalog.tenants.get_mut(t.as_str()) {
                        tenant.roles.insert(role.name.into_string(), entry);
                    }
                }
            }
        }
        catalog
    }

    pub fn project_role(&self, name: &str) -> Option<&RoleEntry> {
        self.project_roles.get(name)
    }

    pub fn tenant(&self, id: &str) -> Option<&TenantEntry> {
        self.tenants.get(id)
    }

    /// A role a user can hold in a tenant: the tenant's own role of that name, else the
    /// project role of that name.
    pub fn tenant_role(&self, tenant_id: &str, name: &str) -> Option<&RoleEntry> {
        self.tenants
            .get(tenant_id)
            .and_then(|t| t.roles.get(name))
            .or_else(|| self.project_roles.get(name))
    }

    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.get(name)
    }

    /// Whether `value` fits `def`, an attribute of this catalog, looking options up in a
    /// set.
    pub fn check_attribute_value(&self, def: &AttributeDef, value: &Value) -> Result<(), String> {
        match self.options.get(def.name.as_str()) {
            Some(options) => def.check_value_with(value, |s| options.contains(s)),
            None => def.check_value(value),
        }
    }

    /// The permissions a user holds through its project-level roles, sorted, no repeats.
    pub fn permissions_of(&self, roles: &[RoleName]) -> Vec<String> {
        union(
            roles
                .iter()
                .filter_map(|r| self.project_roles.get(r.as_str())),
        )
    }

    /// The permissions a user holds in one tenant, sorted, no repeats.
    pub fn tenant_permissions_of(&self, tenant_id: &TenantId, roles: &[RoleName]) -> Vec<String> {
        union(
            roles
                .iter()
                .filter_map(|r| self.tenant_role(tenant_id.as_str(), r.as_str())),
        )
    }

    /// [`permissions_of`](Self::permissions_of), worked out once per distinct list of
    /// roles in `memo`.
    pub fn permissions_memo(&self, roles: &[RoleName], memo: &mut PermissionMemo) -> Vec<String> {
        if let Some(known) = memo.project.get(roles) {
            return known.clone();
        }
        let found = self.permissions_of(roles);
        memo.project.insert(roles.to_vec(), found.clone());
        found
    }

    /// [`tenant_permissions_of`](Self::tenant_permissions_of), worked out once per
    /// distinct tenant and list of roles in `memo`.
    pub fn tenant_permissions_memo(
        &self,
        tenant_id: &TenantId,
        roles: &[RoleName],
        memo: &mut PermissionMemo,
    ) -> Vec<String> {
        let key = (tenant_id.clone(), roles.to_vec());
        if let Some(known) = memo.tenant.get(&key) {
            return known.clone();
        }
        let found = self.tenant_permissions_of(tenant_id, roles);
        memo.tenant.insert(key, found.clone());
        found
    }

    /// The tenant's name, or `""` for a tenant that no longer exists.
    pub fn tenant_name(&self, tenant_id: &TenantId) -> &str {
        self.tenants
            .get(tenant_id.as_str())
            .map(|t| t.name.as_str())
            .unwrap_or("")
    }

    /// Check that everything a user refers to exists; used by the conformance suite to
    /// assert that stores never keep dangling references.
    pub fn dangling_references(&self, user: &User) -> Vec<String> {
        let mut out = Vec::new();
        for r in &user.role_names {
            if self.project_role(r.as_str()).is_none() {
                out.push(format!("role {r}"));
            }
        }
        for t in &user.tenants {
            if self.tenant(t.tenant_id.as_str()).is_none() {
                out.push(format!("tenant {}", t.tenant_id));
            }
            for r in &t.role_names {
                if self.tenant_role(t.tenant_id.as_str(), r.as_str()).is_none() {
                    out.push(format!("role {r} in tenant {}", t.tenant_id));
                }
            }
        }
        for k in user.custom_attributes.keys() {
            if self.attribute(k).is_none() {
                out.push(format!("attribute {k}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;

    fn role(name: &str, tenant: Option<&str>, perms: &[&str]) -> Role {
        Role {
            id: RoleId::from_stored(format!("ROL-{}-{name}", tenant.unwrap_or(""))),
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

    fn names(v: &[&str]) -> Vec<RoleName> {
        v.iter()
            .map(|s| RoleName::from_stored((*s).into()))
            .collect()
    }

    #[test]
    fn tenant_roles_shadow_project_roles_of_the_same_name() {
        let c = Catalog::new(
            [
                role("admin", None, &["p.all"]),
                role("admin", Some("t1"), &["t.all"]),
                role("viewer", None, &["p.read"]),
            ],
            [(TenantId::from_stored("t1".into()), "Tenant One".into())],
            [],
        );
        let t1 = TenantId::from_stored("t1".into());
        assert_eq!(
            c.tenant_permissions_of(&t1, &names(&["admin"])),
            vec!["t.all"]
        );
        assert_eq!(
            c.tenant_permissions_of(&t1, &names(&["viewer"])),
            vec!["p.read"]
        );
        assert_eq!(
            c.permissions_of(&names(&["admin", "viewer", "admin"])),
            vec!["p.all", "p.read"]
        );
        assert_eq!(c.tenant_name(&t1), "Tenant One");
        assert_eq!(c.tenant_name(&TenantId::from_stored("gone".into())), "");
        assert!(c.tenant_role("t1", "nope").is_none());
    }
}
