//! Roles and the permissions they grant (a join table, so permission renames and
//! deletions are seen by every role at once). Each call is one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::ErrorCode;
use roster_domain::audit::{Origin, actions, records};
use roster_domain::error::FieldError;
use roster_domain::ids::{ProjectId, RoleId, TenantId};
use roster_domain::names::{PermissionName, RoleName};
use roster_domain::role::{Role, RoleRef, RoleSpec, RoleUpdate};
use roster_domain::time::Millis;
use roster_store::RoleStore;
use roster_store::catalog_json::decode_roles;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use crate::db::{failed, is_unique_violation};
use crate::{SqliteStore, audit, users};

/// Every role of a project (`?1`) with its permission names, project roles first, as
/// one JSON array in the shape of [`roster_store::catalog_json`]: one value however many
/// roles.
pub(crate) const ROLES_JSON: &str = "(SELECT json_group_array(json_array(r.id, r.name, t.id, \
       r.description, r.is_default, r.is_private, r.created_ms, \
       json((SELECT json_group_array(p.name ORDER BY rp.position) FROM role_permissions rp \
          JOIN permissions p ON p.pk = rp.permission_pk WHERE rp.role_pk = r.pk))) \
       ORDER BY r.tenant_pk IS NOT NULL, t.created_ms, t.pk, r.created_ms, r.pk) \
     FROM roles r LEFT JOIN tenants t ON t.pk = r.tenant_pk WHERE r.project_id = ?1)";

/// Every role of a project with its permission names, project roles first.
pub(crate) fn load_roles(conn: &Connection, project: &ProjectId) -> Result<Vec<Role>, Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {ROLES_JSON}"));
    let json: String = conn
        .prepare_cached(&SQL)
        .and_then(|mut st| st.query_row([project.as_str()], |r| r.get(0)))
        .map_err(failed("load roles"))?;
    decode_roles(&json)
}

fn role_not_found(r: &RoleRef) -> Error {
    Error::new(
        ErrorCode::RoleNotFound,
        format!("{} does not exist", r.describe()),
    )
}

/// `name -> pk` of every permission of a project, loaded once per transaction.
pub(crate) fn permission_map(
    conn: &Connection,
    project: &ProjectId,
) -> Result<HashMap<String, i64>, Error> {
    conn.prepare_cached("SELECT name, pk FROM permissions WHERE project_id = ?1")
        .and_then(|mut st| {
            st.query_map([project.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(failed("load permissions"))
}

/// Map permission names to pks, without repeats; a missing one is a validation error
/// naming it.
fn permission_pks(
    by_name: &HashMap<String, i64>,
    names: &[PermissionName],
) -> Result<Vec<i64>, Error> {
    let mut seen = HashSet::with_capacity(names.len());
    let mut out: Vec<i64> = Vec::with_capacity(names.len());
    for n in names {
        let pk = *by_name.get(n.as_str()).ok_or_else(|| {
            Error::from(FieldError::new(
                "permissionNames",
                format!("permission {:?} does not exist", n.as_str()),
            ))
        })?;
        if seen.insert(pk) {
            out.push(pk);
        }
    }
    Ok(out)
}

/// Replace a role's permissions.
fn set_permissions(
    conn: &Connection,
    permissions: &HashMap<String, i64>,
    role: i64,
    names: &[PermissionName],
) -> Result<(), Error> {
    let pks = permission_pks(permissions, names)?;
    conn.prepare_cached("DELETE FROM role_permissions WHERE role_pk = ?1")
        .and_then(|mut st| st.execute([role]))
        .map_err(failed("clear role permissions"))?;
    conn.prepare_cached(
        "INSERT INTO role_permissions (role_pk, permission_pk, position) \
         SELECT ?1, value, key FROM json_each(?2)",
    )
    .and_then(|mut st| st.execute(params![role, crate::to_json(&pks)]))
    .map_err(failed("set role permissions"))?;
    Ok(())
}

/// The pk of the role a reference names, if it exists.
fn find_role(conn: &Connection, project: &ProjectId, r: &RoleRef) -> Result<Option<i64>, Error> {
    let p = project.as_str();
    let one = |sql: &str, values: &[&str]| {
        conn.prepare_cached(sql).and_then(|mut st| {
            st.query_row(rusqlite::params_from_iter(values), |r| r.get(0))
                .optional()
        })
    };
    match r {
        RoleRef::Id(id) => one(
            "SELECT pk FROM roles WHERE project_id = ?1 AND id = ?2",
            &[p, id.as_str()],
        ),
        RoleRef::Name {
            name,
            tenant_id: None,
        } => one(
            "SELECT pk FROM roles WHERE project_id = ?1 AND name = ?2 AND tenant_pk IS NULL",
            &[p, name.as_str()],
        ),
        RoleRef::Name {
            name,
            tenant_id: Some(t),
        } => one(
            "SELECT r.pk FROM roles r JOIN tenants t ON t.pk = r.tenant_pk \
             WHERE r.project_id = ?1 AND r.name = ?2 AND t.project_id = ?1 AND t.id = ?3",
            &[p, name.as_str(), t.as_str()],
        ),
    }
    .map_err(failed("find a role"))
}

fn duplicate_role(name: &RoleName, tenant: Option<&TenantId>) -> Error {
    match tenant {
        None => Error::already_exists(format!(
            "name: project role {:?} already exists",
            name.as_str()
        )),
        Some(t) => Error::already_exists(format!(
            "name: role {:?} already exists in tenant {:?}",
            name.as_str(),
            t.as_str()
        )),
    }
}

/// Insert a role with its permissions; its tenant, if any, and its permissions must
/// exist.
pub(crate) fn insert_role(
    conn: &Connection,
    project: &ProjectId,
    permissions: &HashMap<String, i64>,
    id: &RoleId,
    spec: &RoleSpec,
    created: Millis,
) -> Result<(), Error> {
    let mut tenant_pk = None;
    if let Some(t) = &spec.tenant_id {
        tenant_pk = Some(crate::tenants::tenant_pk(conn, project, t)?.ok_or_else(|| {
            FieldError::new(
                "tenantId",
                format!("tenant {:?} does not exist", t.as_str()),
            )
        })?);
    }
    conn.prepare_cached(
        "INSERT INTO roles (project_id, id, tenant_pk, name, description, is_default, \
           is_private, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut st| {
        st.execute(params![
            project.as_str(),
            id.as_str(),
            tenant_pk,
            spec.name.as_str(),
            spec.description,
            spec.default,
            spec.private,
            created.0,
        ])
    })
    .map_err(|e| {
        if is_unique_violation(&e) {
            duplicate_role(&spec.name, spec.tenant_id.as_ref())
        } else {
            failed("create role")(e)
        }
    })?;
    let pk = conn.last_insert_rowid();
    set_permissions(conn, permissions, pk, &spec.permission_names)
}

/// A role's ID, name and tenant, by pk.
fn role_facts(conn: &Connection, pk: i64) -> Result<(RoleId, String, Option<TenantId>), Error> {
    let (id, name, tenant): (String, String, Option<String>) = conn
        .prepare_cached(
            "SELECT r.id, r.name, t.id FROM roles r \
             LEFT JOIN tenants t ON t.pk = r.tenant_pk WHERE r.pk = ?1",
        )
        .and_then(|mut st| st.query_row([pk], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
        .map_err(failed("read a role"))?;
    Ok((
        RoleId::from_stored(id),
        name,
        tenant.map(TenantId::from_stored),
    ))
}

#[async_trait]
impl RoleStore for SqliteStore {
    async fn create_roles(
        &self,
        project: &ProjectId,
        roles: &[(RoleId, RoleSpec)],
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                let permissions = permission_map(tx, project)?;
                for (id, spec) in roles {
                    insert_role(tx, project, &permissions, id, spec, origin.now)?;
                }
                let records: Vec<_> = roles
                    .iter()
                    .map(|(id, spec)| records::role_created(origin, id, spec))
                    .collect();
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn update_roles(
        &self,
        project: &ProjectId,
        updates: &[RoleUpdate],
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                let permissions = permission_map(tx, project)?;
                let mut records = Vec::new();
                let mut renamed = Vec::new();
                let mut changed: Vec<i64> = Vec::new();
                for u in updates {
                    let pk = find_role(tx, project, &u.target)?
                        .ok_or_else(|| role_not_found(&u.target))?;
                    let (id, old, tenant) = role_facts(tx, pk)?;
                    if let Some(new_name) = &u.new_name
                        && old != new_name.as_str()
                    {
                        // Every holder now shows the new name: each changed.
                        changed.extend(users::role_holders(tx, pk)?);
                        renamed.push(json!({"old": old, "new": new_name.as_str()}));
                    }
                    tx.prepare_cached(
                        "UPDATE roles SET name = coalesce(?2, name), description = ?3, \
                           is_default = ?4, is_private = ?5 \
                         WHERE pk = ?1",
                    )
                    .and_then(|mut st| {
                        st.execute(params![
                            pk,
                            u.new_name.as_ref().map(RoleName::as_str),
                            u.description,
                            u.default,
                            u.private,
                        ])
                    })
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            let name = u
                                .new_name
                                .clone()
                                .unwrap_or_else(|| RoleName::from_stored(String::new()));
                            let tenant = match &u.target {
                                RoleRef::Name { tenant_id, .. } => tenant_id.clone(),
                                RoleRef::Id(_) => None,
                            };
                            duplicate_role(&name, tenant.as_ref())
                        } else {
                            failed("update role")(e)
                        }
                    })?;
                    set_permissions(tx, &permissions, pk, &u.permission_names)?;
                    records.push(records::role_modified(
                        origin,
                        &id,
                        &old,
                        tenant.as_ref(),
                        u,
                    ));
                }
                let record = records::cascade(
                    origin,
                    actions::USER_MODIFIED,
                    actions::ROLE_MODIFIED,
                    &[],
                    json!({"renamedRoles": renamed}),
                );
                users::touch_users(tx, origin, &record, &changed)?;
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn delete_roles(
        &self,
        project: &ProjectId,
        roles: &[RoleRef],
        missing_ok: bool,
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                let mut records = Vec::new();
                let mut deleted = Vec::new();
                let mut changed: Vec<i64> = Vec::new();
                for r in roles {
                    match find_role(tx, project, r)? {
                        Some(pk) => {
                            let (id, name, tenant) = role_facts(tx, pk)?;
                            // Every holder loses the role: each changed.
                            changed.extend(users::role_holders(tx, pk)?);
                            deleted.push(json!({
                                "name": name,
                                "tenantId": tenant.as_ref().map(TenantId::as_str),
                            }));
                            records.push(records::role_deleted(
                                origin,
                                &id,
                                &name,
                                tenant.as_ref(),
                            ));
                            tx.prepare_cached("DELETE FROM roles WHERE pk = ?1")
                                .and_then(|mut st| st.execute([pk]))
                                .map_err(failed("delete role"))?;
                        }
                        None if missing_ok => {}
                        None => return Err(role_not_found(r)),
                    }
                }
                // Users deleted with a role's tenant are gone; the rest changed.
                let record = records::cascade(
                    origin,
                    actions::USER_MODIFIED,
                    actions::ROLE_DELETED,
                    &[],
                    json!({"deletedRoles": deleted}),
                );
                users::touch_users(tx, origin, &record, &changed)?;
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn all_roles(&self, project: &ProjectId) -> Result<Vec<Role>, Error> {
        self.db.read(|conn| load_roles(conn, project)).await
    }
}
