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
//! - Roster's own `expectedVersion`, when given, must be the user's `version` as the
//!   item finds it (after the batch's earlier items), or the item fails and changes
//!   nothing: a client that computed a whole list from a user it read cannot overwrite
//!   a change made since.
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
    /// Roster's own `expectedVersion`: the item applies only to the user at this
    /// version.
    pub expected_version: Setting<i64>,
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
    /// The user's `version` the patch was computed from: any other fails the item
    /// (`None`: any version).
    pub expected_version: Option<i64>,
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
            expected_version: raw.expected_version.into_set(),
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

mod apply;
mod edits;
mod workspace;

pub use apply::apply_patch;
pub use edits::{LoginIdChange, PasswordChange, TenantEdit, TenantOp};
pub use workspace::{ItemFailure, PatchItem, PatchOutcome, UserChange, Workspace, batch_lookups};

#[cfg(test)]
mod tests;
