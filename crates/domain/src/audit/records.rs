//! The records of each kind of change. Stores call these inside the transaction of the
//! change, with the values they loaded and wrote; the HTTP layer never builds a record.
//!
//! A user's record names the user, its login IDs and every tenant it was or is in, and
//! its `data.changes` maps each changed field (Descope's wire name) to
//! `{"old": ..., "new": ...}`. A custom attribute is one field,
//! `customAttributes.<name>`. A password change shows only `{"changed": true}`: never a
//! password or a hash. A cascade (a role renamed or deleted, a tenant or an attribute
//! definition deleted) writes one record per user it changed, built by the store from
//! [`cascade`], whose `data.cause` names what changed the user. The records of catalog
//! and key changes are in `catalog`, re-exported here.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{AuditData, AuditRecord, Origin, actions};
use crate::attribute::AttributeDef;
use crate::email::Email;
use crate::ids::{KeyId, RoleId, TenantId};
use crate::names::RoleName;
use crate::patch::UserChange;
use crate::phone::Phone;
use crate::role::{RoleSpec, RoleUpdate};
use crate::tenant::TenantSpec;
use crate::user::{User, UserTenant};

fn names(v: &[RoleName]) -> Vec<&str> {
    v.iter().map(|r| r.as_str()).collect()
}

/// A user's membership as the wire shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantView<'a> {
    tenant_id: &'a str,
    role_names: Vec<&'a str>,
}

fn tenants_view(v: &[UserTenant]) -> Vec<TenantView<'_>> {
    v.iter()
        .map(|t| TenantView {
            tenant_id: t.tenant_id.as_str(),
            role_names: names(&t.role_names),
        })
        .collect()
}

/// A JSON object written as text, entry by entry: `{"field": {"old": …, "new": …}, …}`.
struct Changes {
    buf: Vec<u8>,
    empty: bool,
}

impl Changes {
    fn new() -> Self {
        Changes {
            buf: b"{".to_vec(),
            empty: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.buf.push(b',');
        }
        self.empty = false;
        // Writing a string or a value of the views here into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.buf, key);
        self.buf.push(b':');
    }

    fn entry<S: Serialize>(&mut self, key: &str, old: S, new: S) {
        self.key(key);
        self.buf.extend_from_slice(b"{\"old\":");
        let _ = serde_json::to_writer(&mut self.buf, &old);
        self.buf.extend_from_slice(b",\"new\":");
        let _ = serde_json::to_writer(&mut self.buf, &new);
        self.buf.push(b'}');
    }

    /// The field, when `old` and `new` differ (compared as the domain holds them; only a
    /// changed field is shown).
    fn field<'a, T: PartialEq + ?Sized, S: Serialize>(
        &mut self,
        key: &str,
        old: &'a T,
        new: &'a T,
        view: impl Fn(&'a T) -> S,
    ) {
        if old != new {
            self.entry(key, view(old), view(new));
        }
    }

    fn finish(mut self) -> String {
        self.buf.push(b'}');
        String::from_utf8(self.buf).unwrap_or_else(|_| "{}".to_string())
    }
}

/// Each field that differs between `before` (`None`: the user is new) and `after`, as
/// `{"old": ..., "new": ...}`; a new user lists the fields it was given.
pub fn user_changes(before: Option<&User>, after: &User) -> Map<String, Value> {
    serde_json::from_str(&changes_text(before, after)).unwrap_or_default()
}

/// [`user_changes`] as JSON text, written directly: a batch of 10,000 users builds no
/// tree of values.
fn changes_text(before: Option<&User>, after: &User) -> String {
    let blank;
    let old = match before {
        Some(u) => u,
        None => {
            blank = User::blank(after.id.clone(), after.login_ids[0].clone(), after.created);
            &blank
        }
    };
    let mut out = Changes::new();
    let text = |v: &String| v.clone();
    let email = |v: &Option<Email>| v.as_ref().map(|e| e.as_str().to_string());
    let phone = |v: &Option<Phone>| v.as_ref().map(|p| p.as_str().to_string());
    let flag = |v: &bool| *v;
    // Destructured so that a field added to `User` cannot be forgotten here.
    let User {
        id: _,
        login_ids,
        name,
        given_name,
        middle_name,
        family_name,
        email: new_email,
        phone: new_phone,
        picture,
        verified_email,
        verified_phone,
        status,
        test,
        scim,
        has_password,
        password_hash,
        password_expired,
        recovery_email,
        verified_recovery_email,
        recovery_phone,
        verified_recovery_phone,
        role_names,
        tenants,
        sso_app_ids,
        external_ids,
        custom_attributes,
        created: _,
        modified: _,
        version: _,
    } = after;
    out.field("loginIds", &old.login_ids, login_ids, |v| {
        v.iter().map(|l| l.as_str()).collect::<Vec<_>>()
    });
    out.field("name", &old.name, name, text);
    out.field("givenName", &old.given_name, given_name, text);
    out.field("middleName", &old.middle_name, middle_name, text);
    out.field("familyName", &old.family_name, family_name, text);
    out.field("email", &old.email, new_email, email);
    out.field("phone", &old.phone, new_phone, phone);
    out.field("picture", &old.picture, picture, text);
    out.field("verifiedEmail", &old.verified_email, verified_email, flag);
    out.field("verifiedPhone", &old.verified_phone, verified_phone, flag);
    out.field("status", &old.status, status, |v| v.as_str());
    out.field("test", &old.test, test, flag);
    out.field("SCIM", &old.scim, scim, flag);
    out.field(
        "passwordExpired",
        &old.password_expired,
        password_expired,
        flag,
    );
    out.field("recoveryEmail", &old.recovery_email, recovery_email, email);
    out.field(
        "verifiedRecoveryEmail",
        &old.verified_recovery_email,
        verified_recovery_email,
        flag,
    );
    out.field("recoveryPhone", &old.recovery_phone, recovery_phone, phone);
    out.field(
        "verifiedRecoveryPhone",
        &old.verified_recovery_phone,
        verified_recovery_phone,
        flag,
    );
    out.field("roleNames", &old.role_names, role_names, |v| names(v));
    out.field("userTenants", &old.tenants, tenants, |v| tenants_view(v));
    out.field("ssoAppIds", &old.sso_app_ids, sso_app_ids, |v| v.as_slice());
    out.field("externalIds", &old.external_ids, external_ids, |v| {
        v.as_slice()
    });
    let null = Value::Null;
    for (key, new) in custom_attributes {
        let was = old.custom_attributes.get(key).unwrap_or(&null);
        if was != new {
            out.entry(&format!("customAttributes.{key}"), was, new);
        }
    }
    for (key, was) in &old.custom_attributes {
        if !custom_attributes.contains_key(key) {
            out.entry(&format!("customAttributes.{key}"), was, &null);
        }
    }
    // Never the password or its hash: only that it changed.
    if old.has_password != *has_password || old.password_hash != *password_hash {
        out.key("password");
        out.buf.extend_from_slice(b"{\"changed\":true}");
    }
    out.finish()
}

/// The record of one user a batch created or changed.
pub fn user(origin: &Origin, before: Option<&User>, after: &User) -> AuditRecord {
    let action = if before.is_some() {
        actions::USER_MODIFIED
    } else {
        actions::USER_CREATED
    };
    let mut r = AuditRecord::new(origin, action);
    r.user_id = after.id.as_str().to_string();
    r.login_ids = after
        .login_ids
        .iter()
        .map(|l| l.as_str().to_string())
        .collect();
    // Every tenant the user was or is in.
    for t in before.iter().flat_map(|b| &b.tenants).chain(&after.tenants) {
        if !r.tenants.iter().any(|have| have == t.tenant_id.as_str()) {
            r.tenants.push(t.tenant_id.as_str().to_string());
        }
    }
    r.data = AuditData::from_text(format!("{{\"changes\":{}}}", changes_text(before, after)));
    r
}

/// The records of a batch: one per user it created or changed, in the order of
/// `changes`.
pub fn batch(origin: &Origin, changes: &[UserChange]) -> Vec<AuditRecord> {
    if !origin.audited {
        return Vec::new();
    }
    changes
        .iter()
        .map(|c| user(origin, c.before.as_deref(), &c.user))
        .collect()
}

/// The record a store stamps once per user that `cause` changed or deleted: the store
/// fills in the user's ID and login IDs (and, when `tenants` is empty, its tenants).
pub fn cascade(
    origin: &Origin,
    action: &str,
    cause: &str,
    tenants: &[&TenantId],
    detail: Value,
) -> AuditRecord {
    let mut r = AuditRecord::new(origin, action);
    r.tenants = tenants.iter().map(|t| t.as_str().to_string()).collect();
    let mut data = Map::new();
    data.insert("cause".to_string(), cause.into());
    if let Value::Object(detail) = detail {
        data.extend(detail);
    }
    r.data = AuditData::from_map(&data);
    r
}

fn about(origin: &Origin, action: &str, tenant: Option<&TenantId>, data: Value) -> AuditRecord {
    let mut r = AuditRecord::new(origin, action);
    r.tenants = tenant.iter().map(|t| t.as_str().to_string()).collect();
    if let Value::Object(data) = data {
        r.data = AuditData::from_map(&data);
    }
    r
}

mod catalog;

pub use catalog::*;

#[cfg(test)]
mod tests;
