//! `roster export`: a store's projects written as a seed document, so that `roster
//! seed` of the export reproduces them (their IDs included) in another store.
//!
//! Read in one snapshot of the store (the export side of `roster copy`). Left out:
//! management keys (the store holds only their digests; give the new store its keys
//! with `managementKeys` or `roster key create`), passwords (hashes only), and the
//! audit trail. Tenant session settings are carried as each tenant's `settings`.

use roster_api::wire::attribute::AttributeDto;
use roster_api::wire::tenant::TenantDto;
use roster_domain::ids::ProjectId;
use roster_domain::user::User;
use roster_store::Store;
use serde_json::{Map, Value, json};

use super::{SeedDoc, SeedProject};

/// Users read from the snapshot per page.
const PAGE: u32 = 5_000;

/// The user as a seed (a `user/create` body with its pinned `userId`).
fn user(u: &User) -> Value {
    let mut login_ids = u.login_ids.iter().map(|l| l.as_str().to_string());
    let mut out = json!({
        "userId": u.id.as_str(),
        "loginId": login_ids.next().unwrap_or_default(),
    });
    let extra: Vec<String> = login_ids.collect();
    let fields = json!({
        "additionalLoginIds": extra,
        "name": u.name,
        "givenName": u.given_name,
        "middleName": u.middle_name,
        "familyName": u.family_name,
        "email": u.email.as_ref().map(|e| e.as_str()),
        "phone": u.phone.as_ref().map(|p| p.as_str()),
        "picture": u.picture,
        "verifiedEmail": u.verified_email,
        "verifiedPhone": u.verified_phone,
        "status": u.status.as_str(),
        "roleNames": u.role_names.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "userTenants": u.tenants.iter().map(|t| json!({
            "tenantId": t.tenant_id.as_str(),
            "roleNames": t.role_names.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "customAttributes": u.custom_attributes,
        "ssoAppIds": u.sso_app_ids,
        "test": u.test,
        "scim": u.scim,
        "createdTime": u.created.as_secs(),
    });
    if let (Some(o), Value::Object(f)) = (out.as_object_mut(), fields) {
        // Empty values are left out: absent and empty mean the same to a seed.
        for (k, v) in f {
            let empty = match &v {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(m) => m.is_empty(),
                Value::Bool(b) => !b,
                Value::Number(_) => false,
            };
            if !empty {
                o.insert(k, v);
            }
        }
    }
    out
}

/// A tenant as a `tenant/create` body: the tenant object without what only answers
/// carry.
fn tenant(t: &roster_domain::tenant::Tenant) -> Value {
    let mut v = serde_json::to_value(TenantDto::from(t)).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        for k in ["authType", "domains", "createdTime", "successors"] {
            o.remove(k);
        }
        if o.get("parent").and_then(Value::as_str) == Some("") {
            o.remove("parent");
        }
        if !t.spec.settings.is_empty() {
            o.insert("settings".into(), Value::Object(t.spec.settings.clone()));
        }
    }
    v
}

/// Every project of the store (or only `only`) as a seed document.
pub async fn export(store: &dyn Store, only: Option<&ProjectId>) -> anyhow::Result<SeedDoc> {
    let mut tx = store.begin_export().await?;
    let mut doc = SeedDoc::default();
    let mut index: Map<String, Value> = Map::new();
    for project in tx.projects().await? {
        if only.is_some_and(|p| p != &project.id) {
            continue;
        }
        let id = project.id.clone();
        index.insert(id.as_str().to_string(), json!(doc.projects.len()));
        let permissions = tx
            .permissions(&id)
            .await?
            .iter()
            .map(|p| json!({"name": p.name.as_str(), "description": p.description}))
            .collect();
        let tenants = tx.tenants(&id).await?.iter().map(tenant).collect();
        let roles = tx
            .roles(&id)
            .await?
            .iter()
            .map(|r| {
                let mut v = json!({
                    "name": r.name.as_str(),
                    "description": r.description,
                    "permissionNames": r.permission_names.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                    "default": r.default,
                    "private": r.private,
                });
                if let (Some(t), Some(o)) = (&r.tenant_id, v.as_object_mut()) {
                    o.insert("tenantId".into(), json!(t.as_str()));
                }
                v
            })
            .collect();
        let custom_attributes = tx
            .attributes(&id)
            .await?
            .iter()
            .map(|d| serde_json::to_value(AttributeDto::from(d)).unwrap_or(Value::Null))
            .collect();
        doc.projects.push(SeedProject {
            id: id.as_str().to_string(),
            name: Some(project.name.as_str().to_string()),
            management_keys: Vec::new(),
            permissions,
            tenants,
            roles,
            custom_attributes,
            users: Vec::new(),
        });
    }
    let mut after = None;
    loop {
        let page = tx.users(after, PAGE).await?;
        for (project, u) in &page.users {
            if let Some(i) = index.get(project.as_str()).and_then(Value::as_u64) {
                let i = usize::try_from(i).unwrap_or(usize::MAX);
                if let Some(p) = doc.projects.get_mut(i) {
                    p.users.push(user(u));
                }
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(doc)
}
