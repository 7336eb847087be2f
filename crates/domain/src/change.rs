//! The SDK's one-purpose user changes (`activate`, `update_email`, `add_tenant_roles`,
//! `update_login_id`, `set_temporary_password`, the full `update`...) as patches.
//!
//! Each endpoint of `POST /v1/mgmt/user/update/*` and `password/*` builds a [`UserPatch`]
//! here and sends it through the same batch flow and the same [`apply_patch`] as
//! `PATCH /v1/mgmt/user/patch`, so there is one place for the rules, every change is
//! atomic and moves `version` and `modifiedTime`, and concurrent writers are serialised
//! the same way.
//!
//! [`apply_patch`]: crate::patch::apply_patch

use serde_json::Value;

use crate::caps;
use crate::email::Email;
use crate::error::FieldError;
use crate::ids::TenantId;
use crate::login_id::LoginId;
use crate::names::RoleName;
use crate::patch::{
    LoginIdChange, PasswordChange, RawUserPatch, TenantEdit, TenantOp, UserPatch, item, parse_list,
};
use crate::phone::Phone;
use crate::setting::Setting;
use crate::status::UserStatus;

/// How a list endpoint changes the list: `set`, `add` or `remove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOp {
    Set,
    Add,
    Remove,
}

fn required<'a>(field: &str, v: Option<&'a str>) -> Result<&'a str, FieldError> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| FieldError::new(field, "is required"))
}

/// `update/status`: `enabled`, `disabled`, `invited` or `expired`.
pub fn status(s: Option<&str>) -> Result<UserPatch, FieldError> {
    let s = required("status", s)?;
    Ok(UserPatch {
        status: Some(UserStatus::parse(s).map_err(|r| FieldError::new("status", r))?),
        ..UserPatch::default()
    })
}

/// `update/loginid`: rename the login ID `from` to `to`; no `to` (or `""`) removes it.
pub fn login_id(from: &str, to: Option<&str>) -> Result<UserPatch, FieldError> {
    let to = to
        .filter(|s| !s.is_empty())
        .map(|s| LoginId::parse(s).map_err(|r| FieldError::new("newLoginId", r)))
        .transpose()?;
    Ok(UserPatch {
        login_id_change: Some(LoginIdChange {
            from: from.to_string(),
            to,
        }),
        ..UserPatch::default()
    })
}

/// `update/email`: a new address, or none (`null` or `""`) to remove it. `verified`
/// sets the flag; removing the address clears it unless `verified` says otherwise.
pub fn email(
    email: Option<&str>,
    verified: Option<bool>,
    fail_on_conflict: bool,
) -> Result<UserPatch, FieldError> {
    let (email, verified) = match email.filter(|s| !s.is_empty()) {
        Some(e) => (
            Setting::Set(Email::parse(e).map_err(|r| FieldError::new("email", r))?),
            verified,
        ),
        None => (Setting::Reset, Some(verified.unwrap_or(false))),
    };
    Ok(UserPatch {
        email,
        verified_email: verified,
        email_conflict_fails: fail_on_conflict,
        ..UserPatch::default()
    })
}

/// `update/phone`: as [`email`], for the phone number.
pub fn phone(
    phone: Option<&str>,
    verified: Option<bool>,
    fail_on_conflict: bool,
) -> Result<UserPatch, FieldError> {
    let (phone, verified) = match phone.filter(|s| !s.is_empty()) {
        Some(p) => (
            Setting::Set(Phone::parse(p).map_err(|r| FieldError::new("phone", r))?),
            verified,
        ),
        None => (Setting::Reset, Some(verified.unwrap_or(false))),
    };
    Ok(UserPatch {
        phone,
        verified_phone: verified,
        phone_conflict_fails: fail_on_conflict,
        ..UserPatch::default()
    })
}

/// `update/picture`: a new URL, or none (`null` or `""`) to remove it.
pub fn picture(picture: Option<&str>) -> Result<UserPatch, FieldError> {
    let picture = match picture.filter(|s| !s.is_empty()) {
        Some(p) => {
            caps::chars("picture", p, caps::PICTURE_CHARS)?;
            Setting::Set(p.to_string())
        }
        None => Setting::Reset,
    };
    Ok(UserPatch {
        picture,
        ..UserPatch::default()
    })
}

/// `update/customAttribute`: one attribute; a `null` value removes it.
pub fn custom_attribute(key: Option<&str>, value: Value) -> Result<UserPatch, FieldError> {
    let key = required("attributeKey", key)?;
    let value = if value.is_null() {
        Setting::Reset
    } else {
        Setting::Set(value)
    };
    Ok(UserPatch {
        custom_attributes: vec![(key.to_string(), value)],
        ..UserPatch::default()
    })
}

fn tenant_id(id: &str) -> Result<TenantId, FieldError> {
    TenantId::parse(id).map_err(|r| FieldError::new("tenantId", r))
}

/// `update/role/set`, `role/add`, `role/remove`: the project roles, or with a tenant the
/// roles held in that tenant (joining it for `set` and `add`).
pub fn roles(
    op: ListOp,
    tenant: Option<&str>,
    names: Vec<String>,
) -> Result<UserPatch, FieldError> {
    let names = parse_list("roleNames", names, caps::USER_ROLES, RoleName::parse)?;
    let mut patch = UserPatch::default();
    match tenant.filter(|t| !t.is_empty()) {
        None => match op {
            ListOp::Set => patch.role_names = Some(names),
            ListOp::Add => patch.add_roles = names,
            ListOp::Remove => patch.remove_roles = names,
        },
        Some(t) => patch.tenant_edits.push(TenantEdit {
            tenant_id: tenant_id(t)?,
            op: match op {
                ListOp::Set => TenantOp::SetRoles(names),
                ListOp::Add => TenantOp::AddRoles(names),
                ListOp::Remove => TenantOp::RemoveRoles(names),
            },
        }),
    }
    Ok(patch)
}

/// `update/tenant/add` (`join`) and `update/tenant/remove`.
pub fn tenant(join: bool, tenant: Option<&str>) -> Result<UserPatch, FieldError> {
    let id = tenant_id(required("tenantId", tenant)?)?;
    Ok(UserPatch {
        tenant_edits: vec![TenantEdit {
            tenant_id: id,
            op: if join {
                TenantOp::Join
            } else {
                TenantOp::Leave
            },
        }],
        ..UserPatch::default()
    })
}

/// `update/ssoapp/set`, `add`, `remove`.
pub fn sso_apps(op: ListOp, ids: Vec<String>) -> Result<UserPatch, FieldError> {
    let unique = parse_list("ssoAppIds", ids, caps::SSO_APPS, item)?;
    let mut patch = UserPatch::default();
    match op {
        ListOp::Set => patch.sso_app_ids = Some(unique),
        ListOp::Add => patch.add_sso_apps = unique,
        ListOp::Remove => patch.remove_sso_apps = unique,
    }
    Ok(patch)
}

/// `update/recovery/email`: the recovery address (`""` or `null` removes it).
pub fn recovery_email(
    email: Option<&str>,
    verified: Option<bool>,
) -> Result<UserPatch, FieldError> {
    let email = match email.filter(|s| !s.is_empty()) {
        Some(e) => Setting::Set(Email::parse(e).map_err(|r| FieldError::new("recoveryEmail", r))?),
        None => Setting::Reset,
    };
    let verified = if matches!(email, Setting::Reset) {
        Some(false)
    } else {
        verified
    };
    Ok(UserPatch {
        recovery_email: email,
        verified_recovery_email: verified,
        ..UserPatch::default()
    })
}

/// `update/recovery/phone`: the recovery number (`""` or `null` removes it).
pub fn recovery_phone(
    phone: Option<&str>,
    verified: Option<bool>,
) -> Result<UserPatch, FieldError> {
    let phone = match phone.filter(|s| !s.is_empty()) {
        Some(p) => Setting::Set(Phone::parse(p).map_err(|r| FieldError::new("recoveryPhone", r))?),
        None => Setting::Reset,
    };
    let verified = if matches!(phone, Setting::Reset) {
        Some(false)
    } else {
        verified
    };
    Ok(UserPatch {
        recovery_phone: phone,
        verified_recovery_phone: verified,
        ..UserPatch::default()
    })
}

/// `password/set/*` and `password/expire`.
pub fn password(change: PasswordChange) -> UserPatch {
    UserPatch {
        password: Some(change),
        ..UserPatch::default()
    }
}

/// `user/update`: a full replace, as Descope documents it ("will overwrite all user
/// settings"). Every field the request leaves out is cleared: the names, email, phone
/// and picture become empty, `verifiedEmail` and `verifiedPhone` false, the roles,
/// tenants, SSO applications and additional login IDs empty, and the custom attributes
/// become exactly those given. The first login ID, the status (unless given), the test
/// flag and the password stay.
pub fn replace(raw: RawUserPatch) -> Result<UserPatch, FieldError> {
    let mut p = UserPatch::parse(raw)?;
    for field in [
        &mut p.name,
        &mut p.given_name,
        &mut p.middle_name,
        &mut p.family_name,
        &mut p.picture,
    ] {
        if field.is_not_set() {
            *field = Setting::Reset;
        }
    }
    if p.email.is_not_set() {
        p.email = Setting::Reset;
    }
    if p.phone.is_not_set() {
        p.phone = Setting::Reset;
    }
    p.verified_email.get_or_insert(false);
    p.verified_phone.get_or_insert(false);
    p.role_names.get_or_insert_with(Vec::new);
    p.user_tenants.get_or_insert_with(Vec::new);
    p.sso_app_ids.get_or_insert_with(Vec::new);
    p.additional_login_ids.get_or_insert_with(Vec::new);
    p.replace_custom_attributes = true;
    Ok(p)
}
