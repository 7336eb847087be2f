//! The user on the wire: the request body shared by create and patch, and the user
//! object every user endpoint answers with.

use roster_domain::Setting;
use roster_domain::catalog::{Catalog, PermissionMemo};
use roster_domain::create::RawNewUser;
use roster_domain::patch::{RawTenantAssignment, RawUserPatch};
use roster_domain::user::User;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::common::{FlexInt, given};

/// A tenant membership in a request: `{tenantId, roleNames}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantAssignmentBody {
    pub tenant_id: Setting<String>,
    pub role_names: Setting<Vec<String>>,
}

/// The body of `user/create`, `create/test`, each item of `create/batch`, `user/patch`
/// and each item of `patch/batch`. Fields a request does not use are ignored (as are
/// unknown fields: `invite`, `inviteUrl`, `sendMail`, `templateId`, `locale`, `seed`...).
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UserBody {
    pub login_id: Setting<String>,
    pub identifier: Setting<String>,
    pub user_id: Setting<String>,
    pub name: Setting<String>,
    pub display_name: Setting<String>,
    pub given_name: Setting<String>,
    pub middle_name: Setting<String>,
    pub family_name: Setting<String>,
    pub email: Setting<String>,
    pub phone: Setting<String>,
    pub phone_number: Setting<String>,
    pub picture: Setting<String>,
    pub verified_email: Setting<bool>,
    pub verified_phone: Setting<bool>,
    pub status: Setting<String>,
    pub role_names: Setting<Vec<String>>,
    pub user_tenants: Setting<Vec<TenantAssignmentBody>>,
    pub sso_app_ids: Setting<Vec<String>>,
    #[serde(rename = "ssoAppIDs")]
    pub sso_app_ids_alias: Setting<Vec<String>>,
    pub additional_identifiers: Setting<Vec<String>>,
    pub additional_login_ids: Setting<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub custom_attributes: Setting<Map<String, Value>>,
    pub scim: Setting<bool>,
    pub test: Setting<bool>,
    pub password: Setting<String>,
    #[schema(value_type = Option<Value>)]
    pub hashed_password: Setting<Value>,
    pub created_time: Setting<FlexInt>,
    /// Roster's own, for patches: apply only if the user is at this `version` (else
    /// the item fails with `E998409` and changes nothing).
    pub expected_version: Setting<FlexInt>,
}

/// The body of `patch/batch` and `create/batch`: `{users: [...]}`, each item a
/// `UserBody`. Each item is read on its own, so that a bad item fails alone.
#[derive(Debug, ToSchema)]
pub struct UsersBatchBody {
    pub users: Vec<UserBody>,
}

/// Just the selector of a batch item, read before the rest so that an item whose other
/// fields are malformed can still be reported against its user.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SelectorProbe {
    pub login_id: Option<Value>,
    pub identifier: Option<Value>,
    pub user_id: Option<Value>,
}

impl SelectorProbe {
    pub fn selector(&self) -> Option<String> {
        [&self.login_id, &self.identifier, &self.user_id]
            .into_iter()
            .flatten()
            .find_map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_string))
    }
}

impl UserBody {
    /// Who the request is about: `loginId`, else its alias `identifier`, else `userId`.
    pub fn selector(&self) -> Option<&str> {
        given(&self.login_id)
            .or_else(|| given(&self.identifier))
            .or_else(|| given(&self.user_id))
    }

    /// The patch fields, aliases resolved (the canonical name wins when both are sent).
    pub fn into_raw_patch(self) -> RawUserPatch {
        RawUserPatch {
            name: self.name.or(self.display_name),
            given_name: self.given_name,
            middle_name: self.middle_name,
            family_name: self.family_name,
            email: self.email,
            phone: self.phone.or(self.phone_number),
            picture: self.picture,
            verified_email: self.verified_email,
            verified_phone: self.verified_phone,
            status: self.status,
            role_names: self.role_names,
            user_tenants: self.user_tenants.map(|list| {
                list.into_iter()
                    .map(|t| RawTenantAssignment {
                        tenant_id: t.tenant_id,
                        role_names: t.role_names,
                    })
                    .collect()
            }),
            sso_app_ids: self.sso_app_ids.or(self.sso_app_ids_alias),
            additional_login_ids: self.additional_identifiers.or(self.additional_login_ids),
            custom_attributes: self.custom_attributes,
            scim: self.scim,
            expected_version: self.expected_version.map(|v| v.0),
        }
    }

    /// A create request. `force_test` is set by `create/test`.
    pub fn into_raw_new_user(self, force_test: bool) -> RawNewUser {
        let login_id = match self.selector() {
            Some(s) => Setting::Set(s.to_string()),
            None => Setting::NotSet,
        };
        let test = force_test || self.test.set().copied().unwrap_or(false);
        let has_password = given(&self.password).is_some()
            || self.hashed_password.set().is_some_and(|v| !v.is_null());
        let created_secs = self.created_time.set().map(|t| t.0);
        RawNewUser {
            login_id,
            test,
            has_password,
            created_secs,
            fields: self.into_raw_patch(),
        }
    }
}

/// `{tenantId, roleNames, tenantName, permissions}`.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserTenantDto {
    pub tenant_id: String,
    pub role_names: Vec<String>,
    pub tenant_name: String,
    pub permissions: Vec<String>,
}

/// The user object, with every field Descope's carries (reference §2), plus
/// `modifiedTime`, `version` and the recovery email and phone.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub login_ids: Vec<String>,
    pub user_id: String,
    pub name: String,
    pub given_name: String,
    pub middle_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub verified_email: bool,
    pub verified_phone: bool,
    pub role_names: Vec<String>,
    pub user_tenants: Vec<UserTenantDto>,
    pub status: &'static str,
    pub external_ids: Vec<String>,
    pub picture: String,
    pub test: bool,
    #[schema(value_type = Object)]
    pub custom_attributes: Map<String, Value>,
    pub created_time: i64,
    #[serde(rename = "TOTP")]
    pub totp: bool,
    #[serde(rename = "SAML")]
    pub saml: bool,
    #[serde(rename = "OAuth")]
    #[schema(value_type = Object)]
    pub oauth: Map<String, Value>,
    pub webauthn: bool,
    pub password: bool,
    pub sso_app_ids: Vec<String>,
    pub editable: bool,
    #[serde(rename = "SCIM")]
    pub scim: bool,
    pub push: bool,
    pub permissions: Vec<String>,
    #[serde(rename = "OIDC")]
    pub oidc: bool,
    pub consent_expiration: i64,
    /// Roster's own: the recovery email and phone of `update/recovery/*`, which
    /// Descope's user object does not show.
    pub recovery_email: String,
    pub verified_recovery_email: bool,
    pub recovery_phone: String,
    pub verified_recovery_phone: bool,
    pub modified_time: i64,
    pub version: i64,
}

impl UserDto {
    /// Show a user: `permissions` from its project roles, `tenantName` and the tenant
    /// permissions from the catalog. Sign-in factors are always `false`: Roster does not
    /// authenticate users.
    pub fn render(u: &User, catalog: &Catalog) -> Self {
        Self::render_with(u, catalog, &mut PermissionMemo::default())
    }

    /// [`render`](Self::render), reusing the permissions `memo` already worked out for
    /// the same roles (many users of one answer usually share them).
    pub fn render_with(u: &User, catalog: &Catalog, memo: &mut PermissionMemo) -> Self {
        UserDto {
            login_ids: u.login_ids.iter().map(|l| l.as_str().to_string()).collect(),
            user_id: u.id.as_str().to_string(),
            name: u.name.clone(),
            given_name: u.given_name.clone(),
            middle_name: u.middle_name.clone(),
            family_name: u.family_name.clone(),
            email: u
                .email
                .as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            phone: u
                .phone
                .as_ref()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            verified_email: u.verified_email,
            verified_phone: u.verified_phone,
            role_names: u
                .role_names
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            user_tenants: u
                .tenants
                .iter()
                .map(|t| UserTenantDto {
                    tenant_id: t.tenant_id.as_str().to_string(),
                    role_names: t
                        .role_names
                        .iter()
                        .map(|r| r.as_str().to_string())
                        .collect(),
                    tenant_name: catalog.tenant_name(&t.tenant_id).to_string(),
                    permissions: catalog.tenant_permissions_memo(&t.tenant_id, &t.role_names, memo),
                })
                .collect(),
            status: u.status.as_str(),
            external_ids: u.external_ids.clone(),
            picture: u.picture.clone(),
            test: u.test,
            custom_attributes: u.custom_attributes.clone(),
            created_time: u.created.as_secs(),
            totp: false,
            saml: false,
            oauth: Map::new(),
            webauthn: false,
            password: u.has_password,
            sso_app_ids: u.sso_app_ids.clone(),
            editable: true,
            scim: u.scim,
            push: false,
            permissions: catalog.permissions_memo(&u.role_names, memo),
            oidc: false,
            consent_expiration: 0,
            recovery_email: u
                .recovery_email
                .as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            verified_recovery_email: u.verified_recovery_email,
            recovery_phone: u
                .recovery_phone
                .as_ref()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            verified_recovery_phone: u.verified_recovery_phone,
            modified_time: u.modified.as_secs(),
            version: u.version,
        }
    }
}

/// `{"user": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserEnvelope {
    pub user: UserDto,
}

/// The `user` of a failed batch item: the stored user, or only the login ID the request
/// gave when no user was found or none was created.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum FailedUser {
    Stored(Box<UserDto>),
    Named {
        #[serde(rename = "loginIds")]
        login_ids: Vec<String>,
    },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailedUserDto {
    pub failure: String,
    pub user: FailedUser,
}

impl FailedUserDto {
    /// A failed item: why, and the user as stored, or else the login ID it named.
    pub fn new(
        failure: &str,
        user: Option<&User>,
        login_id: Option<&str>,
        catalog: &Catalog,
    ) -> Self {
        FailedUserDto {
            failure: failure.to_string(),
            user: match user {
                Some(u) => FailedUser::Stored(Box::new(UserDto::render(u, catalog))),
                None => FailedUser::Named {
                    login_ids: login_id.map(|l| vec![l.to_string()]).unwrap_or_default(),
                },
            },
        }
    }
}

/// `users/load`: `{userIds, includeInvalidUsers}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct LoadUsersBody {
    pub user_ids: Setting<Vec<String>>,
    pub include_invalid_users: Setting<bool>,
}

/// `user/delete`: `{loginId}` (a login ID or user ID), `{identifier}` or `{userId}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteUserBody {
    pub login_id: Setting<String>,
    pub identifier: Setting<String>,
    pub user_id: Setting<String>,
}

/// `user/delete/batch`: `{userIds}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteUsersBody {
    pub user_ids: Setting<Vec<String>>,
}
