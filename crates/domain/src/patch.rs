//! The patch rules, once: [`UserPatch::parse`] reads a request, [`apply_patch`] applies it
//! to one user, and [`Workspace`] applies a whole batch in request order.
//!
//! The rules (the design's "batch patch" section):
//! - An absent or `null` field leaves the attribute unchanged. A present field replaces
//!   it; for the string fields `""` clears.
//! - `email` must be a valid address; `phone` must be E.164 once spaces, dashes, dots and
//!   parentheses are removed, and is stored in that form.
//! - `status` is one of `enabled`, `disabled`, `invited`, `expired` (`""` leaves it).
//! - `roleNames` is the whole list of project roles (`[]` clears); each must exist.
//! - `userTenants` is the whole list of tenants with their roles; each tenant must exist
//!   and each role must exist in that tenant or at project level.
//! - `ssoAppIds` is the whole list.
//! - `additionalIdentifiers` is the whole list of extra login IDs (the first login ID
//!   stays); one that belongs to another user of the project fails the item.
//! - `customAttributes` merges per key; a `null` value removes the key. Each key must be a
//!   defined attribute and each value must fit its type.
//! - The SDK's one-purpose changes (roles or tenants added and removed, a login ID
//!   renamed, a password set...) are patches too, built by [`crate::change`]; their
//!   operations live in `edits` and apply after the fields above.
//! - A user is patched entirely or not at all: [`apply_patch`] works on a copy and hands
//!   it back only when every field passed.
//! - `version` moves by one and `modified` becomes "now" whenever the data changes.
//!
//! [`Workspace`] (in `workspace`) holds the users a batch targets, loaded once, and the
//! owners of every login ID the batch mentions, and applies the items in request order.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::caps;
use crate::catalog::Catalog;
use crate::email::Email;
use crate::error::{Error, FieldError};
use crate::ids::{TenantId, UserId};
use crate::login_id::LoginId;
use crate::names::RoleName;
use crate::phone::Phone;
use crate::setting::Setting;
use crate::status::UserStatus;
use crate::time::Millis;
use crate::user::{User, UserTenant};

/// A patch as the wire gave it, aliases already resolved, nothing parsed yet. Each field
/// is exactly what JSON said: absent ([`Setting::NotSet`]), `null` ([`Setting::Reset`]) or
/// a value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawUserPatch {
    pub name: Setting<String>,
    pub given_name: Setting<String>,
    pub middle_name: Setting<String>,
    pub family_name: Setting<String>,
    pub email: Setting<String>,
    pub phone: Setting<String>,
    pub picture: Setting<String>,
    pub verified_email: Setting<bool>,
    pub verified_phone: Setting<bool>,
    pub status: Setting<String>,
    pub role_names: Setting<Vec<String>>,
    pub user_tenants: Setting<Vec<RawTenantAssignment>>,
    pub sso_app_ids: Setting<Vec<String>>,
    pub additional_login_ids: Setting<Vec<String>>,
    /// A JSON `null` value for a key means "remove this key".
    pub custom_attributes: Setting<Map<String, Value>>,
    pub scim: Setting<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawTenantAssignment {
    pub tenant_id: Setting<String>,
    pub role_names: Setting<Vec<String>>,
}

/// A parsed patch. `Setting::Reset` on a string field means "clear it"; `None` on the
/// others means "leave it".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch {
    pub name: Setting<String>,
    pub given_name: Setting<String>,
    pub middle_name: Setting<String>,
    pub family_name: Setting<String>,
    pub email: Setting<Email>,
    pub phone: Setting<Phone>,
    pub picture: Setting<String>,
    pub verified_email: Option<bool>,
    pub verified_phone: Option<bool>,
    pub status: Option<UserStatus>,
    pub role_names: Option<Vec<RoleName>>,
    pub user_tenants: Option<Vec<TenantAssignment>>,
    pub sso_app_ids: Option<Vec<String>>,
    pub additional_login_ids: Option<Vec<LoginId>>,
    /// In request order; `Setting::Reset` removes the key.
    pub custom_attributes: Vec<(String, Setting<Value>)>,
    pub scim: Option<bool>,
    // What follows no patch request carries: the SDK's one-purpose endpoints build it
    // (see `crate::change`), and `apply_patch` applies it after the fields above.
    /// `custom_attributes` replaces the whole map (a full `user/update`).
    pub replace_custom_attributes: bool,
    /// Project roles added, then removed.
    pub add_roles: Vec<RoleName>,
    pub remove_roles: Vec<RoleName>,
    /// Tenant memberships changed one by one, in order.
    pub tenant_edits: Vec<TenantEdit>,
    /// SSO applications added, then removed.
    pub add_sso_apps: Vec<String>,
    pub remove_sso_apps: Vec<String>,
    pub login_id_change: Option<LoginIdChange>,
    /// `failOnConflict`: the new email (phone) must not be another user's login ID.
    pub email_conflict_fails: bool,
    pub phone_conflict_fails: bool,
    pub recovery_email: Setting<Email>,
    pub verified_recovery_email: Option<bool>,
    pub recovery_phone: Setting<Phone>,
    pub verified_recovery_phone: Option<bool>,
    pub password: Option<PasswordChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantAssignment {
    pub tenant_id: TenantId,
    pub role_names: Vec<RoleName>,
}

/// `""` clears a string field; `null` leaves it.
fn text(s: Setting<String>) -> Setting<String> {
    match s.null_as_not_set() {
        Setting::Set(v) if v.is_empty() => Setting::Reset,
        other => other,
    }
}

/// A text field with a cap on its length.
fn capped_text(field: &str, s: Setting<String>, max: usize) -> Result<Setting<String>, FieldError> {
    let s = text(s);
    if let Setting::Set(v) = &s {
        caps::chars(field, v, max)?;
    }
    Ok(s)
}

fn parse_text<T>(
    field: &str,
    s: Setting<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Setting<T>, FieldError> {
    text(s).try_map(|v| parse(&v).map_err(|reason| FieldError::new(field, reason)))
}

/// Parse each element, dropping repeats (the first occurrence keeps its place). The list
/// may hold at most `max` items, repeats included.
pub(crate) fn parse_list<T: Eq + std::hash::Hash + Clone>(
    field: &str,
    items: Vec<String>,
    max: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, FieldError> {
    caps::items(field, items.len(), max)?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let v = parse(item).map_err(|reason| FieldError::new(format!("{field}[{i}]"), reason))?;
        if seen.insert(v.clone()) {
            out.push(v);
        }
    }
    Ok(out)
}

/// A short text item of a list (an SSO application ID).
pub(crate) fn item(s: &str) -> Result<String, String> {
    caps::chars("", s, caps::ITEM_CHARS).map_err(|e| e.reason)?;
    Ok(s.to_string())
}

impl UserPatch {
    /// Read a wire patch into typed fields. Fails on the first field that cannot be
    /// read, naming it; existence checks (roles, tenants, attributes, login IDs) wait
    /// for [`apply_patch`], which sees the project.
    pub fn parse(raw: RawUserPatch) -> Result<UserPatch, FieldError> {
        let user_tenants = match raw.user_tenants.null_as_not_set().into_set() {
            None => None,
            Some(list) => {
                caps::items("userTenants", list.len(), caps::USER_TENANTS)?;
                let mut seen = HashSet::new();
                let mut out = Vec::with_capacity(list.len());
                for (i, t) in list.into_iter().enumerate() {
                    let field = format!("userTenants[{i}].tenantId");
                    let id = match t.tenant_id {
                        Setting::Set(id) if !id.is_empty() => id,
                        _ => return Err(FieldError::new(field, "is required")),
                    };
                    let tenant_id =
                        TenantId::parse(&id).map_err(|reason| FieldError::new(&field, reason))?;
                    if !seen.insert(tenant_id.clone()) {
                        return Err(FieldError::new(
                            "userTenants",
                            format!("tenant {id:?} is listed more than once"),
                        ));
                    }
                    let roles = t.role_names.into_set().unwrap_or_default();
                    let role_names = parse_list(
                        &format!("userTenants[{i}].roleNames"),
                        roles,
                        caps::TENANT_ROLES,
                        RoleName::parse,
                    )?;
                    out.push(TenantAssignment {
                        tenant_id,
                        role_names,
                    });
                }
                Some(out)
            }
        };
        let status = match raw.status.null_as_not_set() {
            Setting::Set(s) if !s.is_empty() => {
                Some(UserStatus::parse(&s).map_err(|reason| FieldError::new("status", reason))?)
            }
            _ => None,
        };
        let custom_attributes = raw
            .custom_attributes
            .into_set()
            .map(|m| {
                m.into_iter()
                    .map(|(k, v)| {
                        let s = if v.is_null() {
                            Setting::Reset
                        } else {
                            Setting::Set(v)
                        };
                        (k, s)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(UserPatch {
            name: capped_text("name", raw.name, caps::NAME_CHARS)?,
            given_name: capped_text("givenName", raw.given_name, caps::NAME_CHARS)?,
            middle_name: capped_text("middleName", raw.middle_name, caps::NAME_CHARS)?,
            family_name: capped_text("familyName", raw.family_name, caps::NAME_CHARS)?,
            email: parse_text("email", raw.email, Email::parse)?,
            phone: parse_text("phone", raw.phone, Phone::parse)?,
            picture: capped_text("picture", raw.picture, caps::PICTURE_CHARS)?,
            verified_email: raw.verified_email.into_set(),
            verified_phone: raw.verified_phone.into_set(),
            status,
            role_names: raw
                .role_names
                .into_set()
                .map(|l| parse_list("roleNames", l, caps::USER_ROLES, RoleName::parse))
                .transpose()?,
            user_tenants,
            sso_app_ids: raw
                .sso_app_ids
                .into_set()
                .map(|l| parse_list("ssoAppIds", l, caps::SSO_APPS, item))
                .transpose()?,
            additional_login_ids: raw
                .additional_login_ids
                .into_set()
                .map(|l| {
                    parse_list(
                        "additionalIdentifiers",
                        l,
                        caps::ADDITIONAL_LOGIN_IDS,
                        LoginId::parse,
                    )
                })
                .transpose()?,
            custom_attributes,
            scim: raw.scim.into_set(),
            ..UserPatch::default()
        })
    }

    /// The login IDs this patch would give its user, for preloading their owners.
    pub fn mentioned_login_ids(&self) -> impl Iterator<Item = &str> {
        let email = match (&self.email, self.email_conflict_fails) {
            (Setting::Set(e), true) => Some(e.as_str()),
            _ => None,
        };
        let phone = match (&self.phone, self.phone_conflict_fails) {
            (Setting::Set(p), true) => Some(p.as_str()),
            _ => None,
        };
        self.additional_login_ids
            .iter()
            .flatten()
            .map(LoginId::as_str)
            .chain(
                self.login_id_change
                    .iter()
                    .filter_map(|c| c.to.as_ref().map(LoginId::as_str)),
            )
            .chain(email)
            .chain(phone)
    }
}

/// Who owns a login ID, as far as the caller knows.
pub trait LoginOwners {
    fn owner(&self, login_id: &str) -> Option<&UserId>;
}

impl LoginOwners for HashMap<String, UserId> {
    fn owner(&self, login_id: &str) -> Option<&UserId> {
        self.get(login_id)
    }
}

fn set_text(target: &mut String, s: &Setting<String>) {
    match s {
        Setting::NotSet => {}
        Setting::Reset => target.clear(),
        Setting::Set(v) => v.clone_into(target),
    }
}

fn set_opt<T: Clone>(target: &mut Option<T>, s: &Setting<T>) {
    match s {
        Setting::NotSet => {}
        Setting::Reset => *target = None,
        Setting::Set(v) => *target = Some(v.clone()),
    }
}

/// Apply one patch to one user. Pure: the result is the user as it would be, or the
/// first error, naming its field; `user` itself is never touched.
pub fn apply_patch(
    user: &User,
    patch: &UserPatch,
    catalog: &Catalog,
    owners: &dyn LoginOwners,
    now: Millis,
) -> Result<User, Error> {
    let mut next = user.clone();
    set_text(&mut next.name, &patch.name);
    set_text(&mut next.given_name, &patch.given_name);
    set_text(&mut next.middle_name, &patch.middle_name);
    set_text(&mut next.family_name, &patch.family_name);
    set_text(&mut next.picture, &patch.picture);
    set_opt(&mut next.email, &patch.email);
    set_opt(&mut next.phone, &patch.phone);
    if let Some(v) = patch.verified_email {
        next.verified_email = v;
    }
    if let Some(v) = patch.verified_phone {
        next.verified_phone = v;
    }
    if let Some(s) = patch.status {
        next.status = s;
    }
    if let Some(v) = patch.scim {
        next.scim = v;
    }
    if let Some(roles) = &patch.role_names {
        if let Some(missing) = roles
            .iter()
            .find(|r| catalog.project_role(r.as_str()).is_none())
        {
            return Err(FieldError::new(
                "roleNames",
                format!("role {:?} does not exist", missing.as_str()),
            )
            .into());
        }
        next.role_names = roles.clone();
    }
    edits::edit_roles(&mut next, &patch.add_roles, &patch.remove_roles, catalog)?;
    if let Some(tenants) = &patch.user_tenants {
        let mut out = Vec::with_capacity(tenants.len());
        for (i, t) in tenants.iter().enumerate() {
            let id = t.tenant_id.as_str();
            if catalog.tenant(id).is_none() {
                return Err(FieldError::new(
                    format!("userTenants[{i}].tenantId"),
                    format!("tenant {id:?} does not exist"),
                )
                .into());
            }
            if let Some(missing) = t
                .role_names
                .iter()
                .find(|r| catalog.tenant_role(id, r.as_str()).is_none())
            {
                return Err(FieldError::new(
                    format!("userTenants[{i}].roleNames"),
                    format!(
                        "role {:?} does not exist in tenant {id:?} or at project level",
                        missing.as_str()
                    ),
                )
                .into());
            }
            out.push(UserTenant {
                tenant_id: t.tenant_id.clone(),
                role_names: t.role_names.clone(),
            });
        }
        next.tenants = out;
    }
    edits::edit_tenants(&mut next, &patch.tenant_edits, catalog)?;
    if let Some(ids) = &patch.sso_app_ids {
        next.sso_app_ids = ids.clone();
    }
    edits::edit_sso_apps(&mut next, &patch.add_sso_apps, &patch.remove_sso_apps);
    if let Some(extra) = &patch.additional_login_ids {
        // `extra` holds no repeats (parsing dropped them); only the first login ID, which
        // stays, may be listed again.
        let primary = next.login_ids.first().cloned();
        let mut login_ids: Vec<LoginId> = primary.iter().cloned().collect();
        login_ids.reserve(extra.len());
        for l in extra {
            if primary.as_ref() == Some(l) {
                continue;
            }
            if let Some(owner) = owners.owner(l.as_str())
                && *owner != user.id
            {
                return Err(Error::already_exists(format!(
                    "additionalIdentifiers: login ID {:?} belongs to another user",
                    l.as_str()
                )));
            }
            login_ids.push(l.clone());
        }
        next.login_ids = login_ids;
    }
    if let Some(change) = &patch.login_id_change {
        edits::change_login_id(&mut next, change, owners)?;
    }
    if patch.email_conflict_fails {
        edits::check_conflict(
            "email",
            next.email.as_ref().map(Email::as_str),
            user,
            owners,
        )?;
    }
    if patch.phone_conflict_fails {
        edits::check_conflict(
            "phone",
            next.phone.as_ref().map(Phone::as_str),
            user,
            owners,
        )?;
    }
    set_opt(&mut next.recovery_email, &patch.recovery_email);
    set_opt(&mut next.recovery_phone, &patch.recovery_phone);
    if let Some(v) = patch.verified_recovery_email {
        next.verified_recovery_email = v;
    }
    if let Some(v) = patch.verified_recovery_phone {
        next.verified_recovery_phone = v;
    }
    if let Some(change) = &patch.password {
        edits::change_password(&mut next, change);
    }
    if patch.replace_custom_attributes {
        next.custom_attributes.clear();
    }
    for (key, value) in &patch.custom_attributes {
        let field = format!("customAttributes.{key}");
        let def = catalog
            .attribute(key)
            .ok_or_else(|| FieldError::new(&field, "is not a custom attribute of this project"))?;
        match value {
            Setting::NotSet => {}
            Setting::Reset => {
                next.custom_attributes.remove(key);
            }
            Setting::Set(v) => {
                catalog
                    .check_attribute_value(def, v)
                    .map_err(|reason| FieldError::new(&field, reason))?;
                next.custom_attributes.insert(key.clone(), v.clone());
            }
        }
    }
    let size = next.stored_bytes();
    if size > caps::USER_BYTES && size > user.stored_bytes() {
        return Err(FieldError::new(
            "user",
            format!(
                "would hold {size} bytes, more than the {} a user may hold (names, picture, \
                 email, phone, login IDs, roles, tenants, SSO applications and custom \
                 attributes together)",
                caps::USER_BYTES
            ),
        )
        .into());
    }
    if !next.same_data(user) {
        next.version = user.version + 1;
        next.modified = now;
    }
    Ok(next)
}

mod edits;
mod workspace;

pub use edits::{LoginIdChange, PasswordChange, TenantEdit, TenantOp};
pub use workspace::{ItemFailure, PatchItem, PatchOutcome, UserChange, Workspace, batch_lookups};

#[cfg(test)]
mod tests;
