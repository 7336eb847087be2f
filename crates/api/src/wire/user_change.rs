//! The bodies of the SDK's one-purpose user endpoints (`update/status`, `update/email`,
//! `update/role/add`, `password/set/active`, `passkeys/list`...): one struct holds every
//! field any of them sends, since each reads only its own. Wire names and aliases stay
//! here; the routes turn the fields into a domain patch with `roster_domain::change`.

use roster_domain::Setting;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::common::given;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UserChangeBody {
    pub login_id: Setting<String>,
    pub identifier: Setting<String>,
    pub user_id: Setting<String>,
    pub status: Setting<String>,
    pub new_login_id: Setting<String>,
    pub email: Setting<String>,
    pub phone: Setting<String>,
    pub verified: Setting<bool>,
    pub fail_on_conflict: Setting<bool>,
    pub picture: Setting<String>,
    pub attribute_key: Setting<String>,
    #[schema(value_type = Option<Value>)]
    pub attribute_value: Setting<Value>,
    pub role_names: Setting<Vec<String>>,
    pub tenant_id: Setting<String>,
    pub sso_app_ids: Setting<Vec<String>>,
    #[serde(rename = "ssoAppIDs")]
    pub sso_app_ids_alias: Setting<Vec<String>>,
    pub recovery_email: Setting<String>,
    pub recovery_phone: Setting<String>,
    pub password: Setting<String>,
    pub credential_id: Setting<String>,
}

impl UserChangeBody {
    /// Who the request is about: `loginId`, else its alias `identifier`, else `userId`.
    pub fn selector(&self) -> Option<&str> {
        given(&self.login_id)
            .or_else(|| given(&self.identifier))
            .or_else(|| given(&self.user_id))
    }

    pub fn text(s: &Setting<String>) -> Option<&str> {
        s.set().map(String::as_str)
    }

    pub fn flag(s: &Setting<bool>) -> Option<bool> {
        s.set().copied()
    }

    pub fn sso_app_ids(&mut self) -> Vec<String> {
        std::mem::take(&mut self.sso_app_ids)
            .or(std::mem::take(&mut self.sso_app_ids_alias))
            .into_set()
            .unwrap_or_default()
    }
}

/// `trusteddevices/list`: `{identifiers}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct IdentifiersBody {
    pub identifiers: Setting<Vec<String>>,
}

/// `trusteddevices/remove`: `{identifier, deviceIds}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RemoveDevicesBody {
    pub identifier: Setting<String>,
    pub login_id: Setting<String>,
    pub device_ids: Setting<Vec<String>>,
}

/// `passkeys/list`: `{passkeys: []}` (Roster holds no passkeys).
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeysAnswer {
    pub passkeys: Vec<Value>,
}

/// `trusteddevices/list`: `{devices: []}` (Roster holds no devices).
#[derive(Debug, Serialize, ToSchema)]
pub struct DevicesAnswer {
    pub devices: Vec<Value>,
}

/// `user/history`'s body: a bare JSON array of user IDs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct UserIdList(pub Vec<String>);

/// `user/history`'s answer: a bare JSON array of sign-ins, always empty.
#[derive(Debug, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Vec<Object>)]
pub struct SignIns(pub Vec<Value>);
