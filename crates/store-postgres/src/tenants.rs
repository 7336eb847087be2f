//! Tenants. Deleting one removes, through foreign keys, its roles and every user's
//! membership of it; with `cascade`, users left with no tenant because of it go too.
//! Every change takes the project's catalog lock, so no user batch runs meanwhile.

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::ErrorCode;
use roster_domain::audit::{Origin, actions, records};
use roster_domain::error::FieldError;
use roster_domain::ids::{ProjectId, TenantId};
use roster_domain::names::{Label, RoleName};
use roster_domain::tenant::{Tenant, TenantChange, TenantSpec};
use roster_domain::time::Millis;
use roster_store::TenantStore;
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::{
    PostgresStore, audit, db_error, from_json, internal, lock_catalog, to_json, unique_violation,
};

fn tenant_not_found(id: &TenantId) -> Error {
    Error::new(
        ErrorCode::TenantNotFound,
        format!("tenant {:?} does not exist", id.as_str()),
    )
}

fn unique_error(id: &TenantId, spec: &TenantSpec, constraint: &str) -> Error {
    if constraint == "tenants_name" {
        Error::already_exists(format!(
            "name: a tenant named {:?} already exists",
            spec.name.as_str()
        ))
    } else {
        Error::already_exists(format!("id: tenant {:?} already exists", id.as_str()))
    }
}

const TENANT_COLUMNS: &str = "t.id, t.name, t.self_provisioning_domains, t.custom_attributes, \
    t.enforce_sso, t.enforce_sso_exclusions, t.federated_app_ids, t.disabled, \
    (SELECT p.id FROM tenants p WHERE p.pk = t.parent_pk) AS parent_id, \
    t.role_inheritance, t.default_roles, t.settings, t.created_ms, \
    ARRAY(SELECT c.id FROM tenants c WHERE c.parent_pk = t.pk ORDER BY c.created_ms, c.pk) \
      AS successors";

fn decode_tenant(r: &PgRow) -> Result<Tenant, Error> {
    let read = |name: &str| -> Result<String, Error> {
        r.try_get(name).map_err(internal("read a tenant"))
    };
    let json =
        |name: &str| -> Result<Value, Error> { r.try_get(name).map_err(internal("read a tenant")) };
    let flag =
        |name: &str| -> Result<bool, Error> { r.try_get(name).map_err(internal("read a tenant")) };
    let successors: Vec<String> = r.try_get("successors").map_err(internal("read a tenant"))?;
    let default_roles: Vec<String> = from_json(json("default_roles")?, "default_roles")?;
    Ok(Tenant {
        id: TenantId::from_stored(read("id")?),
        spec: TenantSpec {
            name: Label::from_stored(read("name")?),
            self_provisioning_domains: from_json(json("self_provisioning_domains")?, "domains")?,
            custom_attributes: from_json(json("custom_attributes")?, "custom_attributes")?,
            enforce_sso: flag("enforce_sso")?,
            enforce_sso_exclusions: from_json(json("enforce_sso_exclusions")?, "exclusions")?,
            federated_app_ids: from_json(json("federated_app_ids")?, "federated_app_ids")?,
            disabled: flag("disabled")?,
            parent: r
                .try_get::<Option<String>, _>("parent_id")
                .map_err(internal("read a tenant"))?
                .map(TenantId::from_stored),
            role_inheritance: read("role_inheritance")?,
            default_roles: default_roles
                .into_iter()
                .map(RoleName::from_stored)
                .collect(),
            settings: from_json(json("settings")?, "settings")?,
        },
        created: Millis(r.try_get("created_ms").map_err(internal("read a tenant"))?),
        successors: successors.into_iter().map(TenantId::from_stored).collect(),
    })
}

/// The pk of a project's tenant.
pub(crate) async fn tenant_pk(
    conn: &mut PgConnection,
    project: &ProjectId,
    id: &TenantId,
) -> Result<Option<i64>, Error> {
    sqlx::query_scalar("SELECT pk FROM tenants WHERE project_id = $1 AND id = $2")
        .bind(project.as_str())
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
        .map_err(db_error("find a tenant"))
}

/// A project's (`$1`) tenant IDs and names, as one JSON array of pairs.
pub(crate) const TENANT_NAMES_JSON: &str = "(SELECT coalesce(json_agg(json_build_array(id, name)), \
     '[]')::text FROM tenants WHERE project_id = $1)";

/// Insert a tenant; its parent, if any, must exist.
pub(crate) async fn insert_tenant(
    conn: &mut PgConnection,
    project: &ProjectId,
    id: &TenantId,
    spec: &TenantSpec,
    created: Millis,
) -> Result<(), Error> {
    let mut parent_pk = None;
    if let Some(parent) = &spec.parent {
        parent_pk = Some(
            tenant_pk(&mut *conn, project, parent)
                .await?
                .ok_or_else(|| {
                    FieldError::new(
                        "parent",
                        format!("tenant {:?} does not exist", parent.as_str()),
                    )
                })?,
        );
    }
    sqlx::query(
        "INSERT INTO tenants (project_id, id, name, self_provisioning_domains, custom_attributes, \
           enforce_sso, enforce_sso_exclusions, federated_app_ids, disabled, parent_pk, \
           role_inheritance, default_roles, created_ms, settings) \
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12::jsonb, \
           $13, $14::jsonb)",
    )
    .bind(project.as_str())
    .bind(id.as_str())
    .bind(spec.name.as_str())
    .bind(to_json(&spec.self_provisioning_domains))
    .bind(to_json(&spec.custom_attributes))
    .bind(spec.enforce_sso)
    .bind(to_json(&spec.enforce_sso_exclusions))
    .bind(to_json(&spec.federated_app_ids))
    .bind(spec.disabled)
    .bind(parent_pk)
    .bind(&spec.role_inheritance)
    .bind(to_json(&spec.default_roles))
    .bind(created.0)
    .bind(to_json(&spec.settings))
    .execute(conn)
    .await
    .map_err(|e| match unique_violation(&e) {
        Some(constraint) => unique_error(id, spec, constraint),
        None => db_error("create tenant")(e),
    })?;
    Ok(())
}

/// Every tenant of a project, in creation order (a parent before its children).
pub(crate) async fn load_tenants(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<Vec<Tenant>, Error> {
    let sql = format!(
        "SELECT {TENANT_COLUMNS} FROM tenants t WHERE t.project_id = $1 ORDER BY t.created_ms, t.pk"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(project.as_str())
        .fetch_all(conn)
        .await
        .map_err(internal("load tenants"))?;
    rows.iter().map(decode_tenant).collect()
}

#[async_trait]
impl TenantStore for PostgresStore {
    async fn create_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        spec: &TenantSpec,
        origin: &Origin,
    ) -> Result<(), Error> {
        in_write_tx!(self, "create tenant", |conn| async {
            lock_catalog(&mut *conn, project).await?;
            insert_tenant(&mut *conn, project, id, spec, origin.now).await?;
            let record = records::tenant_created(origin, id, spec);
            audit::insert(conn, project, origin, &[record]).await
        }
        .await)
    }

    async fn update_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        change: &TenantChange,
        origin: &Origin,
    ) -> Result<(), Error> {
        in_write_tx!(self, "update tenant", |conn| async {
            // The project's catalog lock, taken exclusively, keeps the current fields
            // from changing under us (the row lock says so too).
            lock_catalog(&mut *conn, project).await?;
            let sql = format!(
                "SELECT {TENANT_COLUMNS} FROM tenants t WHERE t.project_id = $1 AND t.id = $2 \
                 FOR UPDATE"
            );
            let current = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(project.as_str())
                .bind(id.as_str())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error("load tenant"))?
                .as_ref()
                .map(decode_tenant)
                .transpose()?
                .ok_or_else(|| tenant_not_found(id))?;
            let spec = &change.apply(&current.spec)?;
            let done = sqlx::query(
                "UPDATE tenants SET name = $3, self_provisioning_domains = $4::jsonb, \
                   custom_attributes = $5::jsonb, enforce_sso = $6, \
                   enforce_sso_exclusions = $7::jsonb, federated_app_ids = $8::jsonb, \
                   disabled = $9, role_inheritance = $10, default_roles = $11::jsonb, \
                   settings = $12::jsonb \
                 WHERE project_id = $1 AND id = $2",
            )
            .bind(project.as_str())
            .bind(id.as_str())
            .bind(spec.name.as_str())
            .bind(to_json(&spec.self_provisioning_domains))
            .bind(to_json(&spec.custom_attributes))
            .bind(spec.enforce_sso)
            .bind(to_json(&spec.enforce_sso_exclusions))
            .bind(to_json(&spec.federated_app_ids))
            .bind(spec.disabled)
            .bind(&spec.role_inheritance)
            .bind(to_json(&spec.default_roles))
            .bind(to_json(&spec.settings))
            .execute(&mut *conn)
            .await
            .map_err(|e| match unique_violation(&e) {
                Some(constraint) => unique_error(id, spec, constraint),
                None => db_error("update tenant")(e),
            })?;
            if done.rows_affected() == 0 {
                return Err(tenant_not_found(id));
            }
            if *spec != current.spec {
                let record = records::tenant_modified(origin, id, &current.spec, spec);
                audit::insert(conn, project, origin, &[record]).await?;
            }
            Ok(())
        }
        .await)
    }

    async fn delete_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        cascade: bool,
        origin: &Origin,
    ) -> Result<(), Error> {
        in_write_tx!(self, "delete tenant", |conn| async {
            lock_catalog(conn, project).await?;
            let pk = tenant_pk(conn, project, id)
                .await?
                .ok_or_else(|| tenant_not_found(id))?;
            let members: Vec<i64> =
                sqlx::query_scalar("SELECT user_pk FROM user_tenants WHERE tenant_pk = $1")
                    .bind(pk)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error("find the tenant's users"))?;
            let cause = |action| {
                records::cascade(origin, action, actions::TENANT_DELETED, &[id], json!({}))
            };
            if cascade {
                let only_here: Vec<i64> = sqlx::query_scalar(
                    "SELECT ut.user_pk FROM user_tenants ut WHERE ut.tenant_pk = $1 \
                       AND NOT EXISTS (SELECT 1 FROM user_tenants o \
                         WHERE o.user_pk = ut.user_pk AND o.tenant_pk <> $1)",
                )
                .bind(pk)
                .fetch_all(&mut *conn)
                .await
                .map_err(db_error("find the tenant's own users"))?;
                let record = cause(actions::USER_DELETED);
                crate::users::delete_recorded(&mut *conn, origin, &record, &only_here).await?;
            }
            // Foreign keys do the rest: the tenant's roles, every membership of it and its
            // children's parent link go with it.
            sqlx::query("DELETE FROM tenants WHERE pk = $1")
                .bind(pk)
                .execute(&mut *conn)
                .await
                .map_err(db_error("delete tenant"))?;
            // The members left changed (those `cascade` deleted are gone: neither their
            // version nor a record is written).
            let record = cause(actions::USER_MODIFIED);
            crate::users::touch_users(&mut *conn, origin, &record, &members).await?;
            let record = records::tenant_deleted(origin, id, cascade);
            audit::insert(conn, project, origin, &[record]).await?;
            Ok(())
        }
        .await)
    }

    async fn load_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
    ) -> Result<Option<Tenant>, Error> {
        let sql =
            format!("SELECT {TENANT_COLUMNS} FROM tenants t WHERE t.project_id = $1 AND t.id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(internal("load tenant"))?;
        row.as_ref().map(decode_tenant).transpose()
    }

    async fn all_tenants(&self, project: &ProjectId) -> Result<Vec<Tenant>, Error> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(internal("acquire a connection"))?;
        load_tenants(&mut conn, project).await
    }
}
