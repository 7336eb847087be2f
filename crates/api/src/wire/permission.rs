//! Permissions on the wire. A permission is named by `name` or `id`.

use roster_domain::error::FieldError;
use roster_domain::ids::PermissionId;
use roster_domain::names::PermissionName;
use roster_domain::permission::{Permission, PermissionRef, PermissionUpdate, check_description};
use roster_domain::{Error, Setting};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Limits;

use super::common::{given, list};

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct PermissionBody {
    pub id: Setting<String>,
    pub name: Setting<String>,
    pub new_name: Setting<String>,
    pub description: Setting<String>,
}

fn name(field: &str, s: &str) -> Result<PermissionName, Error> {
    PermissionName::parse(s).map_err(|r| FieldError::new(field, r).into())
}

impl PermissionBody {
    pub fn new_permission(&self) -> Result<(PermissionName, String), Error> {
        let n = given(&self.name).ok_or_else(|| Error::missing("name"))?;
        let description = given(&self.description).unwrap_or_default();
        check_description(description)?;
        Ok((name("name", n)?, description.to_string()))
    }

    pub fn target(&self) -> Result<PermissionRef, Error> {
        if let Some(id) = given(&self.id) {
            return Ok(PermissionRef::Id(PermissionId::from_stored(id.to_string())));
        }
        let n = given(&self.name).ok_or_else(|| Error::missing("name or id"))?;
        Ok(PermissionRef::Name(name("name", n)?))
    }

    pub fn update(&self) -> Result<PermissionUpdate, Error> {
        Ok(PermissionUpdate {
            target: self.target()?,
            new_name: given(&self.new_name)
                .map(|n| name("newName", n))
                .transpose()?,
            description: {
                let d = given(&self.description).unwrap_or_default();
                check_description(d)?;
                d.to_string()
            },
        })
    }
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct PermissionsBody {
    pub permissions: Setting<Vec<PermissionBody>>,
}

/// `permission/delete/batch`: `{names | ids}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DeletePermissionsBody {
    pub names: Setting<Vec<String>>,
    pub ids: Setting<Vec<String>>,
}

impl DeletePermissionsBody {
    pub fn targets(&self, limits: Limits) -> Result<Vec<PermissionRef>, Error> {
        let mut out: Vec<PermissionRef> = list(&self.ids)
            .into_iter()
            .map(|id| PermissionRef::Id(PermissionId::from_stored(id)))
            .collect();
        for (i, n) in list(&self.names).iter().enumerate() {
            out.push(PermissionRef::Name(name(&format!("names[{i}]"), n)?));
        }
        limits.check_items("names and ids", out.len())?;
        if out.is_empty() {
            return Err(Error::missing("names or ids"));
        }
        Ok(out)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionDto {
    pub id: String,
    pub name: String,
    pub description: String,
    pub system_default: bool,
}

impl From<&Permission> for PermissionDto {
    fn from(p: &Permission) -> Self {
        PermissionDto {
            id: p.id.as_str().to_string(),
            name: p.name.as_str().to_string(),
            description: p.description.clone(),
            system_default: false,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionsEnvelope {
    pub permissions: Vec<PermissionDto>,
}
