//! Tenants. Deleting one removes, through foreign keys, its roles and every user's
//! membership of it; with `cascade`, users left with no tenant because of it go too.

use std::sync::LazyLock;

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
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use crate::db::{db_message, failed, is_unique_violation};
use crate::{SqliteStore, audit, json_column, to_json};

fn tenant_not_found(id: &TenantId) -> Error {
    Error::new(
        ErrorCode::TenantNotFound,
        format!("tenant {:?} does not exist", id.as_str()),
    )
}

fn unique_error(id: &TenantId, spec: &TenantSpec, e: &rusqlite::Error) -> Error {
    if db_message(e).contains("tenants.name") {
        Error::already_exists(format!(
            "name: a tenant named {:?} already exists",
            spec.name.as_str()
        ))
    } else {
        Error::already_exists(format!("id: tenant {:?} already exists", id.as_str()))
    }
}

/// A tenant's columns (the `tenants` table aliased `t`), in [`TenantRow`]'s order.
const TENANT_COLUMNS: &str = "t.id, t.name, t.self_provisioning_domains, t.custom_attributes, \
    t.enforce_sso, t.enforce_sso_exclusions, t.federated_app_ids, t.disabled, \
    (SELECT p.id FROM tenants p WHERE p.pk = t.parent_pk) AS parent_id, \
    t.role_inheritance, t.default_roles, t.settings, t.created_ms, \
    (SELECT json_group_array(c.id ORDER BY c.created_ms, c.pk) FROM tenants c \
       WHERE c.parent_pk = t.pk) AS successors";

/// A tenant as [`TENANT_COLUMNS`] reads it.
struct TenantRow {
    id: String,
    name: String,
    self_provisioning_domains: String,
    custom_attributes: String,
    enforce_sso: bool,
    enforce_sso_exclusions: String,
    federated_app_ids: String,
    disabled: bool,
    parent_id: Option<String>,
    role_inheritance: String,
    default_roles: String,
    settings: String,
    created_ms: i64,
    successors: String,
}

fn tenant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TenantRow> {
    Ok(TenantRow {
        id: r.get(0)?,
        name: r.get(1)?,
        self_provisioning_domains: r.get(2)?,
        custom_attributes: r.get(3)?,
        enforce_sso: r.get(4)?,
        enforce_sso_exclusions: r.get(5)?,
        federated_app_ids: r.get(6)?,
        disabled: r.get(7)?,
        parent_id: r.get(8)?,
        role_inheritance: r.get(9)?,
        default_roles: r.get(10)?,
        settings: r.get(11)?,
        created_ms: r.get(12)?,
        successors: r.get(13)?,
    })
}

impl TenantRow {
    fn into_tenant(self) -> Result<Tenant, Error> {
        let successors: Vec<String> = json_column(&self.successors, "successors")?;
        let default_roles: Vec<String> = json_column(&self.default_roles, "default_roles")?;
        Ok(Tenant {
            id: TenantId::from_stored(self.id),
            spec: TenantSpec {
                name: Label::from_stored(self.name),
                self_provisioning_domains: json_column(&self.self_provisioning_domains, "domains")?,
                custom_attributes: json_column(&self.custom_attributes, "custom_attributes")?,
                enforce_sso: self.enforce_sso,
                enforce_sso_exclusions: json_column(&self.enforce_sso_exclusions, "exclusions")?,
                federated_app_ids: json_column(&self.federated_app_ids, "federated_app_ids")?,
                disabled: self.disabled,
                parent: self.parent_id.map(TenantId::from_stored),
                role_inheritance: self.role_inheritance,
                default_roles: default_roles
                    .into_iter()
                    .map(RoleName::from_stored)
                    .collect(),
                settings: json_column(&self.settings, "settings")?,
            },
            created: Millis(self.created_ms),
            successors: successors.into_iter().map(TenantId::from_stored).collect(),
        })
    }
}

/// A project's tenant, whole.
fn find_tenant(
    conn: &Connection,
    project: &ProjectId,
    id: &TenantId,
) -> Result<Option<Tenant>, Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!("SELECT {TENANT_COLUMNS} FROM tenants t WHERE t.project_id = ?1 AND t.id = ?2")
    });
    conn.prepare_cached(&SQL)
        .and_then(|mut st| {
            st.query_row(params![project.as_str(), id.as_str()], tenant_row)
                .optional()
        })
        .map_err(failed("load tenant"))?
        .map(TenantRow::into_tenant)
        .transpose()
}

/// The pk of a project's tenant.
pub(crate) fn tenant_pk(
    conn: &Connection,
    project: &ProjectId,
    id: &TenantId,
) -> Result<Option<i64>, Error> {
    conn.prepare_cached("SELECT pk FROM tenants WHERE project_id = ?1 AND id = ?2")
        .and_then(|mut st| {
            st.query_row(params![project.as_str(), id.as_str()], |r| r.get(0))
                .optional()
        })
        .map_err(failed("find a tenant"))
}

/// Insert a tenant; its parent, if any, must exist.
pub(crate) fn insert_tenant(
    conn: &Connection,
    project: &ProjectId,
    id: &TenantId,
    spec: &TenantSpec,
    created: Millis,
) -> Result<(), Error> {
    let mut parent_pk = None;
    if let Some(parent) = &spec.parent {
        parent_pk = Some(tenant_pk(conn, project, parent)?.ok_or_else(|| {
            FieldError::new(
                "parent",
                format!("tenant {:?} does not exist", parent.as_str()),
            )
        })?);
    }
    conn.prepare_cached(
        "INSERT INTO tenants (project_id, id, name, self_provisioning_domains, custom_attributes, \
           enforce_sso, enforce_sso_exclusions, federated_app_ids, disabled, parent_pk, \
           role_inheritance, default_roles, created_ms, settings) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )
    .and_then(|mut st| {
        st.execute(params![
            project.as_str(),
            id.as_str(),
            spec.name.as_str(),
            to_json(&spec.self_provisioning_domains),
            to_json(&spec.custom_attributes),
            spec.enforce_sso,
            to_json(&spec.enforce_sso_exclusions),
            to_json(&spec.federated_app_ids),
            spec.disabled,
            parent_pk,
            spec.role_inheritance,
            to_json(&spec.default_roles),
            created.0,
            to_json(&spec.settings),
        ])
    })
    .map_err(|e| {
        if is_unique_violation(&e) {
            unique_error(id, spec, &e)
        } else {
            failed("create tenant")(e)
        }
    })?;
    Ok(())
}

/// Every tenant of a project, in creation order (a parent before its children).
pub(crate) fn load_tenants(conn: &Connection, project: &ProjectId) -> Result<Vec<Tenant>, Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {TENANT_COLUMNS} FROM tenants t WHERE t.project_id = ?1 \
             ORDER BY t.created_ms, t.pk"
        )
    });
    let rows: Vec<TenantRow> = conn
        .prepare_cached(&SQL)
        .and_then(|mut st| st.query_map([project.as_str()], tenant_row)?.collect())
        .map_err(failed("load tenants"))?;
    rows.into_iter().map(TenantRow::into_tenant).collect()
}

/// The users of a tenant (`?1`, its pk).
fn members(conn: &Connection, sql: &str, tenant: i64) -> Result<Vec<i64>, Error> {
    conn.prepare_cached(sql)
        .and_then(|mut st| st.query_map([tenant], |r| r.get(0))?.collect())
        .map_err(failed("find the tenant's users"))
}

#[async_trait]
impl TenantStore for SqliteStore {
    async fn create_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        spec: &TenantSpec,
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                insert_tenant(tx, project, id, spec, origin.now)?;
                let record = records::tenant_created(origin, id, spec);
                audit::insert(tx, project, origin, &[record])
            })
            .await
    }

    async fn update_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        change: &TenantChange,
        origin: &Origin,
    ) -> Result<(), Error> {
        // The write lock is held from here: the current fields cannot change under us.
        self.db
            .write(|tx| {
                let current = find_tenant(tx, project, id)?.ok_or_else(|| tenant_not_found(id))?;
                let spec = change.apply(&current.spec)?;
                tx.prepare_cached(
                    "UPDATE tenants SET name = ?3, self_provisioning_domains = ?4, \
                       custom_attributes = ?5, enforce_sso = ?6, enforce_sso_exclusions = ?7, \
                       federated_app_ids = ?8, disabled = ?9, role_inheritance = ?10, \
                       default_roles = ?11, settings = ?12 \
                     WHERE project_id = ?1 AND id = ?2",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        project.as_str(),
                        id.as_str(),
                        spec.name.as_str(),
                        to_json(&spec.self_provisioning_domains),
                        to_json(&spec.custom_attributes),
                        spec.enforce_sso,
                        to_json(&spec.enforce_sso_exclusions),
                        to_json(&spec.federated_app_ids),
                        spec.disabled,
                        spec.role_inheritance,
                        to_json(&spec.default_roles),
                        to_json(&spec.settings),
                    ])
                })
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        unique_error(id, &spec, &e)
                    } else {
                        failed("update tenant")(e)
                    }
                })?;
                if spec != current.spec {
                    let record = records::tenant_modified(origin, id, &current.spec, &spec);
                    audit::insert(tx, project, origin, &[record])?;
                }
                Ok(())
            })
            .await
    }

    async fn delete_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        cascade: bool,
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                let pk = tenant_pk(tx, project, id)?.ok_or_else(|| tenant_not_found(id))?;
                let members = members(
                    tx,
                    "SELECT user_pk FROM user_tenants WHERE tenant_pk = ?1",
                    pk,
                )?;
                let cause = |action| {
                    records::cascade(origin, action, actions::TENANT_DELETED, &[id], json!({}))
                };
                if cascade {
                    let only_here = crate::tenants::members(
                        tx,
                        "SELECT ut.user_pk FROM user_tenants ut WHERE ut.tenant_pk = ?1 \
                           AND NOT EXISTS (SELECT 1 FROM user_tenants o \
                             WHERE o.user_pk = ut.user_pk AND o.tenant_pk <> ?1)",
                        pk,
                    )?;
                    let record = cause(actions::USER_DELETED);
                    crate::users::delete_recorded(tx, origin, &record, &only_here)?;
                }
                // Foreign keys do the rest: the tenant's roles, every membership of it and
                // its children's parent link go with it.
                tx.prepare_cached("DELETE FROM tenants WHERE pk = ?1")
                    .and_then(|mut st| st.execute([pk]))
                    .map_err(failed("delete tenant"))?;
                // The members left changed (those `cascade` deleted are gone: neither their
                // version nor a record is written).
                let record = cause(actions::USER_MODIFIED);
                crate::users::touch_users(tx, origin, &record, &members)?;
                let record = records::tenant_deleted(origin, id, cascade);
                audit::insert(tx, project, origin, &[record])
            })
            .await
    }

    async fn load_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
    ) -> Result<Option<Tenant>, Error> {
        self.db.read(|conn| find_tenant(conn, project, id)).await
    }

    async fn all_tenants(&self, project: &ProjectId) -> Result<Vec<Tenant>, Error> {
        self.db.read(|conn| load_tenants(conn, project)).await
    }
}
