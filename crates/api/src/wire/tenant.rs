//! Tenants on the wire.

use roster_domain::error::FieldError;
use roster_domain::ids::TenantId;
use roster_domain::names::{Label, RoleName};
use roster_domain::tenant::{Tenant, TenantQuery, TenantSpec};
use roster_domain::{Error, Setting};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{flag, given, list};

/// The body of `tenant/create` and `tenant/update`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantBody {
    pub id: Setting<String>,
    pub name: Setting<String>,
    pub self_provisioning_domains: Setting<Vec<String>>,
    pub custom_attributes: Setting<Map<String, Value>>,
    #[serde(rename = "enforceSSO")]
    pub enforce_sso: Setting<bool>,
    #[serde(rename = "enforceSSOExclusions")]
    pub enforce_sso_exclusions: Setting<Vec<String>>,
    pub federated_app_ids: Setting<Vec<String>>,
    pub disabled: Setting<bool>,
    pub parent: Setting<String>,
    pub parent_id: Setting<String>,
    pub role_inheritance: Setting<String>,
    pub default_roles: Setting<Vec<String>>,
}

impl TenantBody {
    /// The tenant ID the request names, if any.
    pub fn id(&self) -> Result<Option<TenantId>, Error> {
        given(&self.id)
            .map(|id| TenantId::parse(id).map_err(|r| FieldError::new("id", r).into()))
            .transpose()
    }

    pub fn spec(&self) -> Result<TenantSpec, Error> {
        let name = given(&self.name).ok_or_else(|| Error::missing("name"))?;
        let parent = given(&self.parent).or_else(|| given(&self.parent_id));
        let role_inheritance = given(&self.role_inheritance).unwrap_or_default();
        if !matches!(role_inheritance, "" | "none" | "userOnly") {
            return Err(FieldError::new(
                "roleInheritance",
                format!("{role_inheritance:?} is not one of \"none\", \"userOnly\""),
            )
            .into());
        }
        let spec = TenantSpec {
            name: Label::parse(name).map_err(|r| FieldError::new("name", r))?,
            self_provisioning_domains: list(&self.self_provisioning_domains),
            custom_attributes: self.custom_attributes.set().cloned().unwrap_or_default(),
            enforce_sso: flag(&self.enforce_sso),
            enforce_sso_exclusions: list(&self.enforce_sso_exclusions),
            federated_app_ids: list(&self.federated_app_ids),
            disabled: flag(&self.disabled),
            parent: parent
                .map(|p| TenantId::parse(p).map_err(|r| FieldError::new("parent", r)))
                .transpose()?,
            role_inheritance: role_inheritance.to_string(),
            default_roles: list(&self.default_roles)
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    RoleName::parse(r).map_err(|e| FieldError::new(format!("defaultRoles[{i}]"), e))
                })
                .collect::<Result<_, _>>()?,
        };
        spec.check()?;
        Ok(spec)
    }
}

/// `tenant/delete`: `{id, cascade}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteTenantBody {
    pub id: Setting<String>,
    pub cascade: Setting<bool>,
}

/// `tenant/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantSearchBody {
    pub tenant_ids: Setting<Vec<String>>,
    pub tenant_names: Setting<Vec<String>>,
    pub tenant_self_provisioning_domains: Setting<Vec<String>>,
    pub custom_attributes: Setting<Map<String, Value>>,
    pub parent_tenant_id: Setting<String>,
}

impl TenantSearchBody {
    pub fn query(&self) -> TenantQuery {
        TenantQuery {
            ids: list(&self.tenant_ids),
            names: list(&self.tenant_names),
            self_provisioning_domains: list(&self.tenant_self_provisioning_domains),
            custom_attributes: self.custom_attributes.set().cloned().unwrap_or_default(),
            parent_tenant_id: given(&self.parent_tenant_id)
                .unwrap_or_default()
                .to_string(),
        }
    }
}

/// The tenant object (shown flat at the root by `GET /v1/mgmt/tenant`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantDto {
    pub id: String,
    pub name: String,
    pub self_provisioning_domains: Vec<String>,
    pub custom_attributes: Map<String, Value>,
    pub auth_type: &'static str,
    pub domains: Vec<String>,
    pub created_time: i64,
    pub disabled: bool,
    #[serde(rename = "enforceSSO")]
    pub enforce_sso: bool,
    #[serde(rename = "enforceSSOExclusions")]
    pub enforce_sso_exclusions: Vec<String>,
    pub federated_app_ids: Vec<String>,
    pub parent: String,
    pub successors: Vec<String>,
    pub default_roles: Vec<String>,
    pub role_inheritance: String,
}

impl From<&Tenant> for TenantDto {
    fn from(t: &Tenant) -> Self {
        TenantDto {
            id: t.id.as_str().to_string(),
            name: t.spec.name.as_str().to_string(),
            self_provisioning_domains: t.spec.self_provisioning_domains.clone(),
            custom_attributes: t.spec.custom_attributes.clone(),
            auth_type: "none",
            domains: Vec::new(),
            created_time: t.created.as_secs(),
            disabled: t.spec.disabled,
            enforce_sso: t.spec.enforce_sso,
            enforce_sso_exclusions: t.spec.enforce_sso_exclusions.clone(),
            federated_app_ids: t.spec.federated_app_ids.clone(),
            parent: t
                .spec
                .parent
                .as_ref()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            successors: t
                .successors
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            default_roles: t
                .spec
                .default_roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            role_inheritance: t.spec.role_inheritance.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TenantsEnvelope {
    pub tenants: Vec<TenantDto>,
}

#[derive(Debug, Serialize)]
pub struct CreatedTenant {
    pub id: String,
}
