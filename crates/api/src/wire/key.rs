//! Management keys on the wire, as the SDKs' `management_key` / `managementKey` send and
//! read them: `{name, description, expiresIn, permittedIps, reBac}` in, `{key, cleartext}`
//! and `{key: {id, name, description, status, createdTime, expireTime, permittedIps,
//! reBac}}` out.

use roster_domain::Setting;
use roster_store::StoredKey;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::common::FlexInt;

/// `PUT /v1/mgmt/managementkey`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateKeyBody {
    pub name: Setting<String>,
    pub description: Setting<String>,
    /// Seconds; 0 or absent: never.
    pub expires_in: Setting<FlexInt>,
    pub permitted_ips: Setting<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub re_bac: Setting<Map<String, Value>>,
}

impl CreateKeyBody {
    /// Every role name the key's `reBac` gives: company roles, project roles and tag
    /// roles alike.
    pub fn role_names(&self) -> Vec<String> {
        let Some(rebac) = self.re_bac.set() else {
            return Vec::new();
        };
        let names = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        let mut out = names(rebac.get("companyRoles"));
        for list in ["projectRoles", "tagRoles"] {
            for entry in rebac
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.extend(names(entry.get("roles")));
            }
        }
        out
    }
}

/// `PATCH /v1/mgmt/managementkey`: every field replaces the stored one.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateKeyBody {
    pub id: Setting<String>,
    pub name: Setting<String>,
    pub description: Setting<String>,
    pub permitted_ips: Setting<Vec<String>>,
    pub status: Setting<String>,
}

/// `POST /v1/mgmt/managementkey/delete`: `{ids}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteKeysBody {
    pub ids: Setting<Vec<String>>,
}

/// A key as the SDKs read it. Never the secret or its digest.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyDto {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `active`, or `inactive` (made inactive, or revoked).
    pub status: &'static str,
    pub created_time: i64,
    /// Seconds; 0 when the key never expires.
    pub expire_time: i64,
    pub permitted_ips: Vec<String>,
    #[schema(value_type = Object)]
    pub re_bac: Map<String, Value>,
    /// Roster's own: the key reads everything and changes nothing.
    pub read_only: bool,
    /// Roster's own: when the key was revoked (`roster key revoke`), in seconds; 0 if not.
    pub revoked_time: i64,
}

impl From<&StoredKey> for KeyDto {
    fn from(k: &StoredKey) -> Self {
        KeyDto {
            id: k.id.as_str().to_string(),
            name: k.name.clone(),
            description: k.description.clone(),
            status: if k.active && k.revoked.is_none() {
                "active"
            } else {
                "inactive"
            },
            created_time: k.created.as_secs(),
            expire_time: k.expires.map_or(0, |e| e.as_secs()),
            permitted_ips: k.permitted_ips.iter().map(ToString::to_string).collect(),
            re_bac: k.rebac.clone(),
            read_only: k.read_only,
            revoked_time: k.revoked.map_or(0, |r| r.as_secs()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub key: KeyDto,
    /// The key itself, shown this once.
    pub cleartext: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyEnvelope {
    pub key: KeyDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeysEnvelope {
    pub keys: Vec<KeyDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedKeys {
    pub total: u64,
}
