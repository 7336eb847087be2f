//! A project's catalog as the SQL backends read it: roles, tenant names and attribute
//! definitions, each as one JSON array of tuples, so that a backend selects the whole
//! catalog in one statement (one round trip, whatever its size) and every backend
//! decodes it the same way.
//!
//! The tuples, in order (flags as `0` or `1`):
//! - a role: `[id, name, tenant ID or null, description, default, private, created ms,
//!   [permission names]]`, project roles first;
//! - a tenant: `[id, name]`;
//! - an attribute definition: `[name, type code, display name, [options], default value,
//!   [view permissions], [edit permissions], required]`, in the project's order.

use roster_domain::Error;
use roster_domain::attribute::{AttributeDef, AttributeType, SelectOption};
use roster_domain::catalog::Catalog;
use roster_domain::ids::{RoleId, TenantId};
use roster_domain::names::{AttributeName, PermissionName, RoleName};
use roster_domain::role::Role;
use roster_domain::time::Millis;
use serde_json::Value;

use crate::sql::StoredOption;

/// A JSON column the backend wrote itself: a parse failure is a bug or corruption,
/// reported as an internal error.
fn parse<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, column = what, "unreadable JSON column");
        Error::internal()
    })
}

/// A role as the roles array holds it.
#[derive(serde::Deserialize)]
struct StoredRole(
    String,
    String,
    Option<String>,
    String,
    u8,
    u8,
    i64,
    Vec<String>,
);

/// Decode a roles array.
pub fn decode_roles(json: &str) -> Result<Vec<Role>, Error> {
    Ok(parse::<Vec<StoredRole>>(json, "roles")?
        .into_iter()
        .map(
            |StoredRole(id, name, tenant, description, default, private, created, perms)| Role {
                id: RoleId::from_stored(id),
                name: RoleName::from_stored(name),
                description,
                permission_names: perms.into_iter().map(PermissionName::from_stored).collect(),
                tenant_id: tenant.map(TenantId::from_stored),
                default: default != 0,
                private: private != 0,
                created: Millis(created),
            },
        )
        .collect())
}

/// Decode a tenant names array.
pub fn decode_tenant_names(json: &str) -> Result<Vec<(TenantId, String)>, Error> {
    Ok(parse::<Vec<(String, String)>>(json, "tenants")?
        .into_iter()
        .map(|(id, name)| (TenantId::from_stored(id), name))
        .collect())
}

/// An attribute definition as the definitions array holds it.
#[derive(serde::Deserialize)]
struct StoredDef(
    String,
    i64,
    String,
    Vec<StoredOption>,
    Value,
    Vec<String>,
    Vec<String>,
    u8,
);

/// Decode an attribute definitions array.
pub fn decode_attributes(json: &str) -> Result<Vec<AttributeDef>, Error> {
    parse::<Vec<StoredDef>>(json, "attribute definitions")?
        .into_iter()
        .map(
            |StoredDef(name, code, display_name, options, default_value, view, edit, required)| {
                Ok(AttributeDef {
                    name: AttributeName::from_stored(name),
                    kind: AttributeType::from_code(code).ok_or_else(|| {
                        tracing::error!(code, "unknown stored attribute type");
                        Error::internal()
                    })?,
                    display_name,
                    options: options.into_iter().map(SelectOption::from).collect(),
                    default_value,
                    view_permissions: view,
                    edit_permissions: edit,
                    required: required != 0,
                })
            },
        )
        .collect()
}

/// The catalog from its three arrays.
pub fn decode_catalog(roles: &str, tenants: &str, attributes: &str) -> Result<Catalog, Error> {
    Ok(Catalog::new(
        decode_roles(roles)?,
        decode_tenant_names(tenants)?,
        decode_attributes(attributes)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_decodes_from_its_arrays() {
        let roles = r#"[["R1","admin",null,"all",1,0,5,["read","write"]],
                        ["R2","editor","T1","",0,1,6,[]]]"#;
        let decoded = decode_roles(roles).expect("roles");
        assert!(decoded[0].default && !decoded[0].private && decoded[0].tenant_id.is_none());
        assert!(!decoded[1].default && decoded[1].private);
        assert_eq!(decoded[1].created, Millis(6));
        let catalog = decode_catalog(
            roles,
            r#"[["T1","Acme"]]"#,
            r#"[["level",1,"Level",[{"value":"a","label":"A"}],"a",["v"],[],1]]"#,
        )
        .expect("decodes");
        let admin = catalog.project_role("admin").expect("admin");
        assert_eq!(admin.id.as_str(), "R1");
        assert_eq!(
            admin
                .permissions
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>(),
            ["read", "write"]
        );
        let editor = catalog.tenant_role("T1", "editor").expect("editor");
        assert_eq!(editor.id.as_str(), "R2");
        assert!(catalog.project_role("editor").is_none());
        assert_eq!(
            catalog.tenant_name(&TenantId::from_stored("T1".into())),
            "Acme"
        );
        let level = catalog.attribute("level").expect("level");
        assert!(level.required);
        assert_eq!(level.options.len(), 1);
        assert_eq!(level.view_permissions, vec!["v".to_string()]);
    }

    #[test]
    fn an_unreadable_array_is_an_internal_error() {
        assert!(decode_roles("[[1]]").is_err());
        assert!(decode_tenant_names("{}").is_err());
        assert!(decode_attributes(r#"[["x",99,"X",[],null,[],[],0]]"#).is_err());
    }
}
