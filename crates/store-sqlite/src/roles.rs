//! Roles and the permissions they grant (a join table, so permission renames and
//! deletions are seen by every role at once). Each call is one transaction.

use std::collections::{HashMap, HashSet};

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
use serde_json::json;
use sqlx::{Row, SqliteConnection};

use crate::{SqliteStore, audit, internal, is_unique_violation, users};

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
pub(crate) async fn load_roles(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<Vec<Role>, Error> {
    let json: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {ROLES_JSON}")))
        .bind(project.as_str())
        .fetch_one(conn)
        .await
        .map_err(internal("load roles"))?;
    decode_roles(&json)
}

fn role_not_found(r: &RoleRef) -> Error {
    Error::new(
        ErrorCode::RoleNotFound,
        format!("{} does not exist", r.describe()),
    )
}

/// `name -> pk` of every permission of a project, loaded once per transaction.
pub(crate) async fn permission_map(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<HashMap<String, i64>, Error> {
    let rows = sqlx::query("SELECT pk, name FROM permissions WHERE project_id = ?1")
        .bind(project.as_str())
        .fetch_all(conn)
        .await
        .map_err(internal("load permissions"))?;
    let mut by_name = HashMap::with_capacity(rows.len());
    for r in rows {
        let pk: i64 = r.try_get("pk").map_err(internal("read a permission"))?;
        let name: String = r.try_get("name").map_err(internal("read a permission"))?;
        by_name.insert(name, pk);
    }
    Ok(by_name)
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
async fn set_permissions(
    conn: &mut SqliteConnection,
    permissions: &HashMap<String, i64>,
    role: i64,
    names: &[PermissionName],
) -> Result<(), Error> {
    let pks = permission_pks(permissions, names)?;
    sqlx::query("DELETE FROM role_permissions WHERE role_pk = ?1")
        .bind(role)
        .execute(&mut *conn)
        .await
        .map_err(internal("clear role permissions"))?;
    sqlx::query(
        "INSERT INTO role_permissions (role_pk, permission_pk, position) \
         SELECT ?1, value, key FROM json_each(?2)",
    )
    .bind(role)
    .bind(crate::to_json(&pks))
    .execute(&mut *conn)
    .await
    .map_err(internal("set role permissions"))?;
    Ok(())
}

/// The pk of the role a reference names, if it exists.
async fn find_role(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    r: &RoleRef,
) -> Result<Option<i64>, Error> {
    let row =
        match r {
            RoleRef::Id(id) => {
                sqlx::query("SELECT pk FROM roles WHERE project_id = ?1 AND id = ?2")
                    .bind(project.as_str())
                    .bind(id.as_str())
                    .fetch_optional(conn)
                    .await
            }
            RoleRef::Name {
                name,
                tenant_id: None,
            } => sqlx::query(
                "SELECT pk FROM roles WHERE project_id = ?1 AND name = ?2 AND tenant_pk IS NULL",
            )
            .bind(project.as_str())
            .bind(name.as_str())
            .fetch_optional(conn)
            .await,
            RoleRef::Name {
                name,
                tenant_id: Some(t),
            } => {
                sqlx::query(
                    "SELECT r.pk FROM roles r JOIN tenants t ON t.pk = r.tenant_pk \
                 WHERE r.project_id = ?1 AND r.name = ?2 AND t.project_id = ?1 AND t.id = ?3",
                )
                .bind(project.as_str())
                .bind(name.as_str())
                .bind(t.as_str())
                .fetch_optional(conn)
                .await
            }
        }
        .map_err(internal("find a role"))?;
    row.map(|r| r.try_get::<i64, _>("pk").map_err(internal("read a role")))
        .transpose()
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
pub(crate) async fn insert_role(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    permissions: &HashMap<String, i64>,
    id: &RoleId,
    spec: &RoleSpec,
    created: Millis,
) -> Result<(), Error> {
    let mut tenant_pk = None;
    if let Some(t) = &spec.tenant_id {
        tenant_pk = Some(
            crate::tenants::tenant_pk(&mut *conn, project, t)
                .await?
                .ok_or_else(|| {
                    FieldError::new(
                        "tenantId",
                        format!("tenant {:?} does not exist", t.as_str()),
                    )
                })?,
        );
    }
    let row = sqlx::query(
        "INSERT INTO roles (project_id, id, tenant_pk, name, description, is_default, is_private, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING pk",
    )
    .bind(project.as_str())
    .bind(id.as_str())
    .bind(tenant_pk)
    .bind(spec.name.as_str())
    .bind(&spec.description)
    .bind(spec.default)
    .bind(spec.private)
    .bind(created.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            duplicate_role(&spec.name, spec.tenant_id.as_ref())
        } else {
            internal("create role")(e)
        }
    })?;
    let pk: i64 = row.try_get("pk").map_err(internal("read a role"))?;
    set_permissions(conn, permissions, pk, &spec.permission_names).await
}

/// A role's ID, name and tenant, by pk.
async fn role_facts(
    conn: &mut SqliteConnection,
    pk: i64,
) -> Result<(RoleId, String, Option<TenantId>), Error> {
    let row = sqlx::query(
        "SELECT r.id, r.name, t.id AS tenant_id FROM roles r \
         LEFT JOIN tenants t ON t.pk = r.tenant_pk WHERE r.pk = ?1",
    )
    .bind(pk)
    .fetch_one(conn)
    .await
    .map_err(internal("read a role"))?;
    let read = internal("read a role");
    let id: String = row.try_get("id").map_err(internal("read a role"))?;
    let name: String = row.try_get("name").map_err(internal("read a role"))?;
    let tenant: Option<String> = row.try_get("tenant_id").map_err(read)?;
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
        let mut tx = self.begin_write().await?;
        let permissions = permission_map(&mut tx, project).await?;
        for (id, spec) in roles {
            insert_role(&mut tx, project, &permissions, id, spec, origin.now).await?;
        }
        let records: Vec<_> = roles
            .iter()
            .map(|(id, spec)| records::role_created(origin, id, spec))
            .collect();
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn update_roles(
        &self,
        project: &ProjectId,
        updates: &[RoleUpdate],
        origin: &Origin,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let permissions = permission_map(&mut tx, project).await?;
        let mut records = Vec::new();
        let mut renamed = Vec::new();
        let mut changed: Vec<i64> = Vec::new();
        for u in updates {
            let pk = find_role(&mut tx, project, &u.target)
                .await?
                .ok_or_else(|| role_not_found(&u.target))?;
            let (id, old, tenant) = role_facts(&mut tx, pk).await?;
            if let Some(new_name) = &u.new_name
                && old != new_name.as_str()
            {
                // Every holder now shows the new name: each changed.
                changed.extend(users::role_holders(&mut tx, pk).await?);
                renamed.push(json!({"old": old, "new": new_name.as_str()}));
            }
            sqlx::query(
                "UPDATE roles SET name = coalesce(?2, name), description = ?3, is_default = ?4, is_private = ?5 \
                 WHERE pk = ?1",
            )
            .bind(pk)
            .bind(u.new_name.as_ref().map(RoleName::as_str))
            .bind(&u.description)
            .bind(u.default)
            .bind(u.private)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    let name = u.new_name.clone().unwrap_or_else(|| RoleName::from_stored(String::new()));
                    let tenant = match &u.target {
                        RoleRef::Name { tenant_id, .. } => tenant_id.clone(),
                        RoleRef::Id(_) => None,
                    };
                    duplicate_role(&name, tenant.as_ref())
                } else {
                    internal("update role")(e)
                }
            })?;
            set_permissions(&mut tx, &permissions, pk, &u.permission_names).await?;
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
        users::touch_users(&mut tx, origin, &record, &changed).await?;
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn delete_roles(
        &self,
        project: &ProjectId,
        roles: &[RoleRef],
        missing_ok: bool,
        origin: &Origin,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let mut records = Vec::new();
        let mut deleted = Vec::new();
        let mut changed: Vec<i64> = Vec::new();
        for r in roles {
            match find_role(&mut tx, project, r).await? {
                Some(pk) => {
                    let (id, name, tenant) = role_facts(&mut tx, pk).await?;
                    // Every holder loses the role: each changed.
                    changed.extend(users::role_holders(&mut tx, pk).await?);
                    deleted.push(
                        json!({"name": name, "tenantId": tenant.as_ref().map(TenantId::as_str)}),
                    );
                    records.push(records::role_deleted(origin, &id, &name, tenant.as_ref()));
                    sqlx::query("DELETE FROM roles WHERE pk = ?1")
                        .bind(pk)
                        .execute(&mut *tx)
                        .await
                        .map_err(internal("delete role"))?;
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
        users::touch_users(&mut tx, origin, &record, &changed).await?;
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn all_roles(&self, project: &ProjectId) -> Result<Vec<Role>, Error> {
        let mut conn = self
            .reader
            .acquire()
            .await
            .map_err(internal("acquire a reader"))?;
        load_roles(&mut conn, project).await
    }
}
