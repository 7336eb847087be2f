//! Users: the one query that reads a user whole, and the user endpoints outside batches.
//!
//! A user lives in `users` plus four join tables (login IDs, project roles, tenants,
//! tenant roles), which refer to users, roles and tenants by their `pk`.
//! [`USER_COLUMNS`] reads all of it in one statement, each list as an array, and every
//! read (load, search, batch, copy) uses it. Batches are in [`crate::batch`].

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::audit::{AuditRecord, Origin, actions};
use roster_domain::catalog::Catalog;
use roster_domain::email::Email;
use roster_domain::ids::{ProjectId, TenantId, UserId};
use roster_domain::login_id::LoginId;
use roster_domain::names::RoleName;
use roster_domain::password::PasswordHash;
use roster_domain::phone::Phone;
use roster_domain::search::UserQuery;
use roster_domain::status::UserStatus;
use roster_domain::time::Millis;
use roster_domain::user::{User, UserTenant};
use roster_store::catalog_cache::CatalogCache;
use roster_store::catalog_json::decode_catalog;
use roster_store::{UserSelector, UserStore, UserTx};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, Row};

use crate::batch::PgUserTx;
use crate::{
    PostgresStore, attributes, audit, from_json, internal, lock_catalog_shared, roles, tenants,
};

/// Every column of a user, lists as arrays (tenants as a JSON array of `[id, [roles]]`).
/// Expects the `users` table aliased as `u`.
///
/// Each list is read from its table by the user's pk, and each role or tenant name is
/// then looked up by its own pk (a scalar subquery), so a user costs a few index probes
/// whatever the planner's statistics say. Written as joins, a plan made while the list
/// tables were empty and analyzed so (autovacuum off, or behind a bulk import) took
/// every role of the project in turn and probed `user_roles` for each, and scanned
/// `tenants` for each user: with the 13 roles and 10 tenants of `bench/limits`, 1,000
/// users loaded in 38–44 ms against 26–29 ms this way, measured side by side. (With
/// fresh statistics both forms take the same time.)
pub(crate) const USER_COLUMNS: &str = "\
    u.pk, u.id, u.name, u.given_name, u.middle_name, u.family_name, u.email, u.phone, u.picture, \
    u.verified_email, u.verified_phone, u.status, u.test, u.scim, u.has_password, \
    u.password_hash, u.password_expired, u.recovery_email, u.verified_recovery_email, \
    u.recovery_phone, u.verified_recovery_phone, u.sso_app_ids, u.external_ids, u.custom_attributes, u.created_ms, u.modified_ms, u.version, \
    ARRAY(SELECT l.login_id FROM user_login_ids l WHERE l.user_pk = u.pk ORDER BY l.position) \
      AS login_ids, \
    ARRAY(SELECT (SELECT r.name FROM roles r WHERE r.pk = ur.role_pk) FROM user_roles ur \
      WHERE ur.user_pk = u.pk ORDER BY ur.position) AS role_names, \
    (SELECT coalesce(jsonb_agg(jsonb_build_array( \
         (SELECT t.id FROM tenants t WHERE t.pk = ut.tenant_pk), \
         ARRAY(SELECT (SELECT r.name FROM roles r WHERE r.pk = utr.role_pk) \
           FROM user_tenant_roles utr \
           WHERE utr.user_pk = ut.user_pk AND utr.tenant_pk = ut.tenant_pk ORDER BY utr.position)) \
       ORDER BY ut.position), '[]'::jsonb) \
       FROM user_tenants ut WHERE ut.user_pk = u.pk) AS tenants";

fn col<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    name: &str,
) -> Result<T, Error> {
    row.try_get(name).map_err(internal("read a user column"))
}

fn json_col<T: serde::de::DeserializeOwned>(row: &PgRow, name: &str) -> Result<T, Error> {
    from_json(col::<Value>(row, name)?, name)
}

/// Turn a row selected with [`USER_COLUMNS`] into a [`User`].
pub(crate) fn decode_user(row: &PgRow) -> Result<User, Error> {
    let status: String = col(row, "status")?;
    let login_ids: Vec<String> = col(row, "login_ids")?;
    let role_names: Vec<String> = col(row, "role_names")?;
    let tenants: Vec<(String, Vec<String>)> = json_col(row, "tenants")?;
    Ok(User {
        id: UserId::from_stored(col(row, "id")?),
        login_ids: login_ids.into_iter().map(LoginId::from_stored).collect(),
        name: col(row, "name")?,
        given_name: col(row, "given_name")?,
        middle_name: col(row, "middle_name")?,
        family_name: col(row, "family_name")?,
        email: col::<Option<String>>(row, "email")?.map(Email::from_stored),
        phone: col::<Option<String>>(row, "phone")?.map(Phone::from_stored),
        picture: col(row, "picture")?,
        verified_email: col(row, "verified_email")?,
        verified_phone: col(row, "verified_phone")?,
        status: UserStatus::parse(&status).map_err(|e| {
            tracing::error!(error = %e, "postgres: unknown stored status");
            Error::internal()
        })?,
        test: col(row, "test")?,
        scim: col(row, "scim")?,
        has_password: col(row, "has_password")?,
        password_hash: col::<Option<String>>(row, "password_hash")?.map(PasswordHash::from_stored),
        password_expired: col(row, "password_expired")?,
        recovery_email: col::<Option<String>>(row, "recovery_email")?.map(Email::from_stored),
        verified_recovery_email: col(row, "verified_recovery_email")?,
        recovery_phone: col::<Option<String>>(row, "recovery_phone")?.map(Phone::from_stored),
        verified_recovery_phone: col(row, "verified_recovery_phone")?,
        role_names: role_names.into_iter().map(RoleName::from_stored).collect(),
        tenants: tenants
            .into_iter()
            .map(|(t, roles)| UserTenant {
                tenant_id: TenantId::from_stored(t),
                role_names: roles.into_iter().map(RoleName::from_stored).collect(),
            })
            .collect(),
        sso_app_ids: json_col(row, "sso_app_ids")?,
        external_ids: json_col(row, "external_ids")?,
        custom_attributes: json_col(row, "custom_attributes")?,
        created: Millis(col(row, "created_ms")?),
        modified: Millis(col(row, "modified_ms")?),
        version: col(row, "version")?,
    })
}

/// A cascade (a role renamed or deleted, a tenant deleted, an attribute definition
/// deleted) changed these users: each one's `version` moves by one and its
/// `modifiedTime` becomes the origin's time, as any change of a user does, and it gets
/// one audit record (`record`, see [`roster_domain::audit::records::cascade`]), once
/// whatever the number of changes the cascade made to it.
pub(crate) async fn touch_users(
    conn: &mut PgConnection,
    origin: &Origin,
    record: &AuditRecord,
    pks: &[i64],
) -> Result<(), Error> {
    if pks.is_empty() {
        return Ok(());
    }
    audit::stamp_users(&mut *conn, origin, record, pks, &[]).await?;
    move_versions(conn, origin.now, pks).await
}

/// Move the `version` of these users by one and make `now` their `modifiedTime`.
pub(crate) async fn move_versions(
    conn: &mut PgConnection,
    now: Millis,
    pks: &[i64],
) -> Result<(), Error> {
    if pks.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE users SET version = version + 1, modified_ms = $2 \
         WHERE pk = ANY($1::bigint[])",
    )
    .bind(pks)
    .bind(now.0)
    .execute(conn)
    .await
    .map_err(internal("move the version of changed users"))?;
    Ok(())
}

/// The users holding a role, at project level or in a tenant.
pub(crate) async fn role_holders(conn: &mut PgConnection, role: i64) -> Result<Vec<i64>, Error> {
    sqlx::query_scalar(
        "SELECT user_pk FROM user_roles WHERE role_pk = $1 \
         UNION SELECT user_pk FROM user_tenant_roles WHERE role_pk = $1",
    )
    .bind(role)
    .fetch_all(conn)
    .await
    .map_err(internal("find a role's users"))
}

/// The project's roles, tenants and attribute definitions, with the project's catalog
/// version, in one statement (one round trip, one snapshot; each part one JSON array,
/// decoded by [`roster_store::catalog_json`]).
async fn read_catalog_at(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<(Option<i64>, Catalog), Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT (SELECT catalog_version FROM projects WHERE id = $1), \
             {} AS roles, {} AS tenants, {} AS attributes",
            roles::ROLES_JSON,
            tenants::TENANT_NAMES_JSON,
            attributes::ATTRIBUTES_JSON
        )
    });
    let (version, roles, tenants, attributes): (Option<i64>, String, String, String) =
        sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
            .bind(project.as_str())
            .fetch_one(conn)
            .await
            .map_err(crate::db_error("load the catalog"))?;
    Ok((version, decode_catalog(&roles, &tenants, &attributes)?))
}

/// The project's roles, tenants and attribute definitions, read whole.
pub(crate) async fn read_catalog(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<Catalog, Error> {
    Ok(read_catalog_at(conn, project).await?.1)
}

/// The project's catalog: the one `cache` keeps if the project's catalog version is
/// still the one it was read at (one lookup by primary key), else read whole with its
/// version and kept.
pub(crate) async fn load_catalog(
    conn: &mut PgConnection,
    project: &ProjectId,
    cache: &CatalogCache,
) -> Result<Arc<Catalog>, Error> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT catalog_version FROM projects WHERE id = $1")
            .bind(project.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(crate::db_error("read the catalog's version"))?;
    if let Some(kept) = version.and_then(|v| cache.get(project, v)) {
        return Ok(kept);
    }
    let (version, catalog) = read_catalog_at(conn, project).await?;
    Ok(cache.keep(project, version, catalog))
}

/// A user by a selector. `$1` is the project, `$2` the selector.
const BY_LOGIN_OR_ID: &str = "WHERE u.project_id = $1 AND u.pk = coalesce( \
     (SELECT user_pk FROM user_login_ids WHERE project_id = $1 AND login_id = $2), \
     (SELECT pk FROM users WHERE project_id = $1 AND id = $2))";
const BY_ID: &str = "WHERE u.project_id = $1 AND u.id = $2";

fn selector_sql(selector: UserSelector<'_>) -> (&'static str, &str) {
    match selector {
        UserSelector::LoginOrUserId(s) => (BY_LOGIN_OR_ID, s),
        UserSelector::UserId(s) => (BY_ID, s),
    }
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn begin_users(&self, project: &ProjectId) -> Result<Box<dyn UserTx>, Error> {
        let mut tx = self.begin().await?;
        lock_catalog_shared(&mut tx, project).await?;
        Ok(Box::new(PgUserTx::new(
            tx,
            project.clone(),
            self.catalogs.clone(),
        )))
    }

    async fn catalog(&self, project: &ProjectId) -> Result<Arc<Catalog>, Error> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(internal("acquire a connection"))?;
        load_catalog(&mut conn, project, &self.catalogs).await
    }

    fn kept_catalogs(&self) -> Option<&CatalogCache> {
        Some(&self.catalogs)
    }

    async fn load_user(
        &self,
        project: &ProjectId,
        selector: UserSelector<'_>,
    ) -> Result<Option<User>, Error> {
        let (filter, value) = selector_sql(selector);
        let sql = format!("SELECT {USER_COLUMNS} FROM users u {filter}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project.as_str())
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(internal("load a user"))?;
        row.as_ref().map(decode_user).transpose()
    }

    async fn load_users(&self, project: &ProjectId, ids: &[String]) -> Result<Vec<User>, Error> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM (SELECT DISTINCT s FROM unnest($2::text[]) AS w(s)) AS wanted \
             JOIN users u ON u.project_id = $1 AND u.id = wanted.s ORDER BY u.created_ms, u.pk"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project.as_str())
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(internal("load users"))?;
        rows.iter().map(decode_user).collect()
    }

    async fn search_users(
        &self,
        project: &ProjectId,
        query: &UserQuery,
        timeout: Duration,
    ) -> Result<(Vec<User>, u64), Error> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(internal("acquire a connection"))?;
        crate::search::search(&mut conn, project, query, timeout).await
    }

    async fn delete_user(
        &self,
        project: &ProjectId,
        selector: UserSelector<'_>,
        origin: &Origin,
    ) -> Result<bool, Error> {
        let (filter, value) = selector_sql(selector);
        let sql = format!("SELECT u.pk FROM users AS u {filter} FOR UPDATE");
        in_write_tx!(self, "delete a user", |conn| async {
            let pks: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .bind(project.as_str())
                .bind(value)
                .fetch_all(&mut *conn)
                .await
                .map_err(crate::db_error("find a user"))?;
            let deleted = AuditRecord::new(origin, actions::USER_DELETED);
            Ok(delete_recorded(conn, origin, &deleted, &pks).await? > 0)
        }
        .await)
    }

    async fn delete_users(
        &self,
        project: &ProjectId,
        ids: &[String],
        origin: &Origin,
    ) -> Result<u64, Error> {
        in_write_tx!(self, "delete users", |conn| async {
            let pks: Vec<i64> = sqlx::query_scalar(
                "SELECT pk FROM users WHERE project_id = $1 AND id = ANY($2::text[]) \
                 ORDER BY pk FOR UPDATE",
            )
            .bind(project.as_str())
            .bind(ids)
            .fetch_all(&mut *conn)
            .await
            .map_err(crate::db_error("find users"))?;
            let deleted = AuditRecord::new(origin, actions::USER_DELETED);
            delete_recorded(conn, origin, &deleted, &pks).await
        }
        .await)
    }

    async fn delete_test_users(&self, project: &ProjectId, origin: &Origin) -> Result<u64, Error> {
        in_write_tx!(self, "delete test users", |conn| async {
            let pks: Vec<i64> = sqlx::query_scalar(
                "SELECT pk FROM users WHERE project_id = $1 AND test ORDER BY pk FOR UPDATE",
            )
            .bind(project.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(crate::db_error("find test users"))?;
            let deleted = AuditRecord::new(origin, actions::USER_DELETED);
            delete_recorded(conn, origin, &deleted, &pks).await
        }
        .await)
    }
}

/// Delete users by pk, each with its `UserDeleted` record (`record`, stamped with the
/// user); how many there were.
pub(crate) async fn delete_recorded(
    conn: &mut PgConnection,
    origin: &Origin,
    record: &AuditRecord,
    pks: &[i64],
) -> Result<u64, Error> {
    if pks.is_empty() {
        return Ok(0);
    }
    audit::stamp_users(&mut *conn, origin, record, pks, &[]).await?;
    let done = sqlx::query("DELETE FROM users WHERE pk = ANY($1::bigint[])")
        .bind(pks)
        .execute(conn)
        .await
        .map_err(crate::db_error("delete users"))?;
    Ok(done.rows_affected())
}
