//! The records of catalog and key changes: tenants, roles, permissions, custom
//! attribute definitions and management keys, one record each, with what changed.

use super::*;

fn spec_value(spec: &TenantSpec) -> Value {
    json!({
        "name": spec.name.as_str(),
        "selfProvisioningDomains": spec.self_provisioning_domains,
        "customAttributes": spec.custom_attributes,
        "enforceSSO": spec.enforce_sso,
        "enforceSSOExclusions": spec.enforce_sso_exclusions,
        "federatedAppIds": spec.federated_app_ids,
        "disabled": spec.disabled,
        "parent": spec.parent.as_ref().map(|p| p.as_str()),
        "roleInheritance": spec.role_inheritance,
        "defaultRoles": names(&spec.default_roles),
        "settings": spec.settings,
    })
}

pub fn tenant_created(origin: &Origin, id: &TenantId, spec: &TenantSpec) -> AuditRecord {
    about(
        origin,
        actions::TENANT_CREATED,
        Some(id),
        json!({"tenant": spec_value(spec)}),
    )
}

/// A tenant changed: each field that differs, as `{"old": ..., "new": ...}`.
pub fn tenant_modified(
    origin: &Origin,
    id: &TenantId,
    before: &TenantSpec,
    after: &TenantSpec,
) -> AuditRecord {
    let (Value::Object(old), Value::Object(new)) = (spec_value(before), spec_value(after)) else {
        unreachable!("a tenant's fields are an object")
    };
    let changes: Map<String, Value> = new
        .into_iter()
        .filter_map(|(k, n)| {
            let o = old.get(&k).cloned().unwrap_or(Value::Null);
            (o != n).then(|| (k, json!({"old": o, "new": n})))
        })
        .collect();
    about(
        origin,
        actions::TENANT_MODIFIED,
        Some(id),
        json!({"changes": changes}),
    )
}

pub fn tenant_deleted(origin: &Origin, id: &TenantId, cascade: bool) -> AuditRecord {
    about(
        origin,
        actions::TENANT_DELETED,
        Some(id),
        json!({"cascade": cascade}),
    )
}

fn role_value(spec: &RoleSpec) -> Value {
    json!({
        "name": spec.name.as_str(),
        "description": spec.description,
        "permissionNames": spec.permission_names.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "default": spec.default,
        "private": spec.private,
    })
}

pub fn role_created(origin: &Origin, id: &RoleId, spec: &RoleSpec) -> AuditRecord {
    let mut data = role_value(spec);
    data["id"] = id.as_str().into();
    about(origin, actions::ROLE_CREATED, spec.tenant_id.as_ref(), data)
}

/// A role changed; `name` is its name before the change.
pub fn role_modified(
    origin: &Origin,
    id: &RoleId,
    name: &str,
    tenant: Option<&TenantId>,
    update: &RoleUpdate,
) -> AuditRecord {
    let data = json!({
        "id": id.as_str(),
        "name": name,
        "newName": update.new_name.as_ref().map_or(name, |n| n.as_str()),
        "description": update.description,
        "permissionNames": update.permission_names.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "default": update.default,
        "private": update.private,
    });
    about(origin, actions::ROLE_MODIFIED, tenant, data)
}

pub fn role_deleted(
    origin: &Origin,
    id: &RoleId,
    name: &str,
    tenant: Option<&TenantId>,
) -> AuditRecord {
    about(
        origin,
        actions::ROLE_DELETED,
        tenant,
        json!({"id": id.as_str(), "name": name}),
    )
}

pub fn permission_created(origin: &Origin, name: &str, description: &str) -> AuditRecord {
    about(
        origin,
        actions::PERMISSION_CREATED,
        None,
        json!({"name": name, "description": description}),
    )
}

/// A permission changed; `name` is its name before the change.
pub fn permission_modified(
    origin: &Origin,
    name: &str,
    new_name: &str,
    description: &str,
) -> AuditRecord {
    about(
        origin,
        actions::PERMISSION_MODIFIED,
        None,
        json!({"name": name, "newName": new_name, "description": description}),
    )
}

pub fn permission_deleted(origin: &Origin, name: &str) -> AuditRecord {
    about(
        origin,
        actions::PERMISSION_DELETED,
        None,
        json!({"name": name}),
    )
}

pub fn attribute_created(origin: &Origin, def: &AttributeDef) -> AuditRecord {
    about(
        origin,
        actions::ATTRIBUTE_CREATED,
        None,
        json!({"name": def.name.as_str(), "type": def.kind.name(), "displayName": def.display_name}),
    )
}

/// A definition replaced: its name, and each part that changed, old and new.
pub fn attribute_modified(origin: &Origin, old: &AttributeDef, new: &AttributeDef) -> AuditRecord {
    let mut changes = Map::new();
    let mut part = |key: &str, was: Value, now: Value| {
        if was != now {
            changes.insert(key.to_string(), json!({"old": was, "new": now}));
        }
    };
    part(
        "displayName",
        json!(old.display_name),
        json!(new.display_name),
    );
    part("options", json!(old.options), json!(new.options));
    part(
        "defaultValue",
        old.default_value.clone(),
        new.default_value.clone(),
    );
    part(
        "viewPermissions",
        json!(old.view_permissions),
        json!(new.view_permissions),
    );
    part(
        "editPermissions",
        json!(old.edit_permissions),
        json!(new.edit_permissions),
    );
    part("required", json!(old.required), json!(new.required));
    about(
        origin,
        actions::ATTRIBUTE_MODIFIED,
        None,
        json!({"name": new.name.as_str(), "changes": changes}),
    )
}

pub fn attribute_deleted(origin: &Origin, name: &str) -> AuditRecord {
    about(
        origin,
        actions::ATTRIBUTE_DELETED,
        None,
        json!({"name": name}),
    )
}

/// What a record of a management key shows of it: never the key or its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts<'a> {
    pub id: &'a KeyId,
    pub name: &'a str,
    pub read_only: bool,
    pub expires: Option<i64>,
    pub permitted_ips: Vec<String>,
    pub active: bool,
}

fn key_value(k: &KeyFacts<'_>) -> Value {
    json!({
        "keyId": k.id.as_str(),
        "name": k.name,
        "readOnly": k.read_only,
        "expires": k.expires,
        "permittedIps": k.permitted_ips,
        "active": k.active,
    })
}

pub fn key_created(origin: &Origin, key: &KeyFacts<'_>) -> AuditRecord {
    about(origin, actions::KEY_CREATED, None, key_value(key))
}

pub fn key_modified(origin: &Origin, key: &KeyFacts<'_>) -> AuditRecord {
    about(origin, actions::KEY_MODIFIED, None, key_value(key))
}

pub fn key_revoked(origin: &Origin, id: &KeyId) -> AuditRecord {
    about(
        origin,
        actions::KEY_REVOKED,
        None,
        json!({"keyId": id.as_str()}),
    )
}

pub fn key_deleted(origin: &Origin, id: &KeyId) -> AuditRecord {
    about(
        origin,
        actions::KEY_DELETED,
        None,
        json!({"keyId": id.as_str()}),
    )
}
