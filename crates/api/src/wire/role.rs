//! Roles on the wire. A role is named by `name` (with `tenantId` for a tenant role) or
//! by `id`.

use roster_domain::error::FieldError;
use roster_domain::ids::{RoleId, TenantId};
use roster_domain::names::{PermissionName, RoleName};
use roster_domain::role::{Role, RoleQuery, RoleRef, RoleSpec, RoleUpdate};
use roster_domain::{Error, Setting};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Limits;

use super::common::{flag, given, list};

/// One role in `role/create`, `role/update`, `role/delete` and their batch forms.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleBody {
    pub id: Setting<String>,
    pub name: Setting<String>,
    pub new_name: Setting<String>,
    pub description: Setting<String>,
    pub permission_names: Setting<Vec<String>>,
    pub tenant_id: Setting<String>,
    pub default: Setting<bool>,
    pub private: Setting<bool>,
}

fn tenant(s: &Setting<String>) -> Result<Option<TenantId>, Error> {
    given(s)
        .map(|t| TenantId::parse(t).map_err(|r| FieldError::new("tenantId", r).into()))
        .transpose()
}

fn permissions(s: &Setting<Vec<String>>) -> Result<Vec<PermissionName>, Error> {
    list(s)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            PermissionName::parse(p)
                .map_err(|r| FieldError::new(format!("permissionNames[{i}]"), r).into())
        })
        .collect()
}

fn role_name(field: &str, s: &str) -> Result<RoleName, Error> {
    RoleName::parse(s).map_err(|r| FieldError::new(field, r).into())
}

impl RoleBody {
    pub fn spec(&self) -> Result<RoleSpec, Error> {
        let name = given(&self.name).ok_or_else(|| Error::missing("name"))?;
        let spec = RoleSpec {
            name: role_name("name", name)?,
            description: given(&self.description).unwrap_or_default().to_string(),
            permission_names: permissions(&self.permission_names)?,
            tenant_id: tenant(&self.tenant_id)?,
            default: flag(&self.default),
            private: flag(&self.private),
        };
        spec.check()?;
        Ok(spec)
    }

    /// Which role the request names: `id` when given, else `name` in `tenantId`'s scope.
    pub fn target(&self) -> Result<RoleRef, Error> {
        if let Some(id) = given(&self.id) {
            return Ok(RoleRef::Id(RoleId::from_stored(id.to_string())));
        }
        let name = given(&self.name).ok_or_else(|| Error::missing("name or id"))?;
        Ok(RoleRef::Name {
            name: role_name("name", name)?,
            tenant_id: tenant(&self.tenant_id)?,
        })
    }

    pub fn update(&self) -> Result<RoleUpdate, Error> {
        let update = RoleUpdate {
            target: self.target()?,
            new_name: given(&self.new_name)
                .map(|n| role_name("newName", n))
                .transpose()?,
            description: given(&self.description).unwrap_or_default().to_string(),
            permission_names: permissions(&self.permission_names)?,
            default: flag(&self.default),
            private: flag(&self.private),
        };
        update.check()?;
        Ok(update)
    }
}

/// `{roles: [...]}` of the batch forms.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RolesBody {
    pub roles: Setting<Vec<RoleBody>>,
}

/// `role/delete/batch`: `{roleNames | roleIds, tenantId}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteRolesBody {
    pub role_names: Setting<Vec<String>>,
    pub role_ids: Setting<Vec<String>>,
    pub tenant_id: Setting<String>,
}

impl DeleteRolesBody {
    pub fn targets(&self, limits: Limits) -> Result<Vec<RoleRef>, Error> {
        let tenant_id = tenant(&self.tenant_id)?;
        let mut out: Vec<RoleRef> = list(&self.role_ids)
            .into_iter()
            .map(|id| RoleRef::Id(RoleId::from_stored(id)))
            .collect();
        for (i, n) in list(&self.role_names).iter().enumerate() {
            out.push(RoleRef::Name {
                name: role_name(&format!("roleNames[{i}]"), n)?,
                tenant_id: tenant_id.clone(),
            });
        }
        limits.check_items("roleNames and roleIds", out.len())?;
        if out.is_empty() {
            // Descope deletes every role when given no filter; Roster refuses instead.
            return Err(Error::missing("roleNames or roleIds"));
        }
        Ok(out)
    }
}

/// `role/search`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleSearchBody {
    pub tenant_ids: Setting<Vec<String>>,
    pub role_names: Setting<Vec<String>>,
    pub role_name_like: Setting<String>,
    pub permission_names: Setting<Vec<String>>,
    pub include_project_roles: Setting<bool>,
    pub role_ids: Setting<Vec<String>>,
}

impl RoleSearchBody {
    pub fn query(&self) -> RoleQuery {
        RoleQuery {
            tenant_ids: list(&self.tenant_ids)
                .into_iter()
                .map(TenantId::from_stored)
                .collect(),
            role_names: list(&self.role_names),
            role_name_like: given(&self.role_name_like).unwrap_or_default().to_string(),
            permission_names: list(&self.permission_names),
            include_project_roles: flag(&self.include_project_roles),
            role_ids: list(&self.role_ids),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleDto {
    pub id: String,
    pub name: String,
    pub description: String,
    pub permission_names: Vec<String>,
    pub created_time: i64,
    pub tenant_id: String,
    pub default: bool,
    pub private: bool,
}

impl From<&Role> for RoleDto {
    fn from(r: &Role) -> Self {
        RoleDto {
            id: r.id.as_str().to_string(),
            name: r.name.as_str().to_string(),
            description: r.description.clone(),
            permission_names: r
                .permission_names
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
            created_time: r.created.as_secs(),
            tenant_id: r
                .tenant_id
                .as_ref()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            default: r.default,
            private: r.private,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RolesEnvelope {
    pub roles: Vec<RoleDto>,
}
