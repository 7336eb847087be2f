//! Users: the one query that reads a user whole, and the batch transaction.
//!
//! A user lives in `users` plus four join tables (login IDs, project roles, tenants,
//! tenant roles). [`USER_COLUMNS`] reads all of it in one statement, aggregating each
//! list as JSON, and every read (load, search, batch) uses it. [`SqliteUserTx::write`]
//! writes any number of changed users in at most eight statements: each takes the whole
//! batch as one JSON parameter and expands it with `json_each`, so the cost per user is
//! SQLite's, not a round trip's.

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::catalog::Catalog;
use roster_domain::email::Email;
use roster_domain::ids::{ProjectId, TenantId, UserId};
use roster_domain::login_id::LoginId;
use roster_domain::names::RoleName;
use roster_domain::patch::UserChange;
use roster_domain::phone::Phone;
use roster_domain::search::UserQuery;
use roster_domain::status::UserStatus;
use roster_domain::time::Millis;
use roster_domain::user::{User, UserTenant};
use roster_store::{UserSelector, UserStore, UserTx};
use serde_json::{Map, Value, json};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, Transaction};

use crate::{
    SqliteStore, attributes, internal, is_unique_violation, json_column, roles, tenants, to_json,
};

/// Every column of a user, lists aggregated as JSON arrays. Expects the `users` table
/// aliased as `u`.
pub(crate) const USER_COLUMNS: &str = "\
    u.id, u.name, u.given_name, u.middle_name, u.family_name, u.email, u.phone, u.picture, \
    u.verified_email, u.verified_phone, u.status, u.test, u.scim, u.has_password, \
    u.sso_app_ids, u.external_ids, u.custom_attributes, u.created_ms, u.modified_ms, u.version, \
    (SELECT json_group_array(l.login_id ORDER BY l.position) FROM user_login_ids l \
       WHERE l.project_id = u.project_id AND l.user_id = u.id) AS login_ids, \
    (SELECT json_group_array(r.name ORDER BY ur.position) FROM user_roles ur \
       JOIN roles r ON r.project_id = ur.project_id AND r.id = ur.role_id \
       WHERE ur.project_id = u.project_id AND ur.user_id = u.id) AS role_names, \
    (SELECT json_group_array(json_array(ut.tenant_id, json( \
         (SELECT json_group_array(r.name ORDER BY utr.position) FROM user_tenant_roles utr \
            JOIN roles r ON r.project_id = utr.project_id AND r.id = utr.role_id \
            WHERE utr.project_id = ut.project_id AND utr.user_id = ut.user_id \
              AND utr.tenant_id = ut.tenant_id))) ORDER BY ut.position) \
       FROM user_tenants ut WHERE ut.project_id = u.project_id AND ut.user_id = u.id) AS tenants";

fn col<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(
    row: &'r SqliteRow,
    name: &str,
) -> Result<T, Error> {
    row.try_get(name).map_err(internal("read a user column"))
}

/// Turn a row selected with [`USER_COLUMNS`] into a [`User`].
pub(crate) fn decode_user(row: &SqliteRow) -> Result<User, Error> {
    let status: String = col(row, "status")?;
    let login_ids: Vec<String> = json_column(&col::<String>(row, "login_ids")?, "login_ids")?;
    let role_names: Vec<String> = json_column(&col::<String>(row, "role_names")?, "role_names")?;
    let tenants: Vec<(String, Vec<String>)> =
        json_column(&col::<String>(row, "tenants")?, "tenants")?;
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
            tracing::error!(error = %e, "sqlite: unknown stored status");
            Error::internal()
        })?,
        test: col(row, "test")?,
        scim: col(row, "scim")?,
        has_password: col(row, "has_password")?,
        role_names: role_names.into_iter().map(RoleName::from_stored).collect(),
        tenants: tenants
            .into_iter()
            .map(|(t, roles)| UserTenant {
                tenant_id: TenantId::from_stored(t),
                role_names: roles.into_iter().map(RoleName::from_stored).collect(),
            })
            .collect(),
        sso_app_ids: json_column(&col::<String>(row, "sso_app_ids")?, "sso_app_ids")?,
        external_ids: json_column(&col::<String>(row, "external_ids")?, "external_ids")?,
        custom_attributes: json_column::<Map<String, Value>>(
            &col::<String>(row, "custom_attributes")?,
            "custom_attributes",
        )?,
        created: Millis(col(row, "created_ms")?),
        modified: Millis(col(row, "modified_ms")?),
        version: col(row, "version")?,
    })
}

/// The project's roles, tenants and attribute definitions, on one connection.
pub(crate) async fn load_catalog(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<Catalog, Error> {
    let roles = roles::load_roles(&mut *conn, project).await?;
    let tenants = tenants::tenant_names(&mut *conn, project).await?;
    let attributes = attributes::load_attributes(&mut *conn, project).await?;
    Ok(Catalog::new(roles, tenants, attributes))
}

/// `SELECT` a user by a selector. `?1` is the project, `?2` the selector.
const LOAD_BY_LOGIN_OR_ID: &str = "WHERE u.project_id = ?1 AND u.id = coalesce( \
     (SELECT user_id FROM user_login_ids WHERE project_id = ?1 AND login_id = ?2), ?2)";
const LOAD_BY_ID: &str = "WHERE u.project_id = ?1 AND u.id = ?2";

fn selector_sql(selector: UserSelector<'_>) -> (&'static str, &str) {
    match selector {
        UserSelector::LoginOrUserId(s) => (LOAD_BY_LOGIN_OR_ID, s),
        UserSelector::UserId(s) => (LOAD_BY_ID, s),
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn begin_users(&self, project: &ProjectId) -> Result<Box<dyn UserTx>, Error> {
        let tx = self.begin_write().await?;
        Ok(Box::new(SqliteUserTx {
            tx,
            project: project.clone(),
        }))
    }

    async fn catalog(&self, project: &ProjectId) -> Result<Catalog, Error> {
        let mut conn = self
            .reader
            .acquire()
            .await
            .map_err(internal("acquire a reader"))?;
        load_catalog(&mut conn, project).await
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
            .fetch_optional(&self.reader)
            .await
            .map_err(internal("load a user"))?;
        row.as_ref().map(decode_user).transpose()
    }

    async fn load_users(&self, project: &ProjectId, ids: &[String]) -> Result<Vec<User>, Error> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.project_id = ?1 \
             AND u.id IN (SELECT value FROM json_each(?2)) ORDER BY u.created_ms, u.rowid"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project.as_str())
            .bind(to_json(&ids))
            .fetch_all(&self.reader)
            .await
            .map_err(internal("load users"))?;
        rows.iter().map(decode_user).collect()
    }

    async fn search_users(
        &self,
        project: &ProjectId,
        query: &UserQuery,
    ) -> Result<(Vec<User>, u64), Error> {
        let mut conn = self
            .reader
            .acquire()
            .await
            .map_err(internal("acquire a reader"))?;
        crate::search::search(&mut conn, project, query).await
    }

    async fn delete_user(
        &self,
        project: &ProjectId,
        selector: UserSelector<'_>,
    ) -> Result<bool, Error> {
        let (filter, value) = selector_sql(selector);
        let sql = format!("DELETE FROM users AS u {filter}");
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project.as_str())
            .bind(value)
            .execute(&mut *tx)
            .await
            .map_err(internal("delete a user"))?;
        tx.commit().await.map_err(internal("commit"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_users(&self, project: &ProjectId, ids: &[String]) -> Result<u64, Error> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM users WHERE project_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        )
        .bind(project.as_str())
        .bind(to_json(&ids))
        .execute(&mut *tx)
        .await
        .map_err(internal("delete users"))?;
        tx.commit().await.map_err(internal("commit"))?;
        Ok(done.rows_affected())
    }

    async fn delete_test_users(&self, project: &ProjectId) -> Result<u64, Error> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM users WHERE project_id = ?1 AND test = 1")
            .bind(project.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal("delete test users"))?;
        tx.commit().await.map_err(internal("commit"))?;
        Ok(done.rows_affected())
    }
}

/// The write transaction of a user batch (`BEGIN IMMEDIATE`: the write lock is held
/// from the first statement, so what it loads cannot change under it).
pub(crate) struct SqliteUserTx {
    tx: Transaction<'static, Sqlite>,
    project: ProjectId,
}

impl std::fmt::Debug for SqliteUserTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteUserTx")
            .field("project", &self.project)
            .finish()
    }
}

/// Load by selectors: `?1` project, `?2` JSON array of selectors. A selector names the
/// owner of that login ID, or else the user with that ID.
const LOAD_FOR_BATCH: &str = "\
    WITH sel(s) AS (SELECT DISTINCT value FROM json_each(?2)), \
    targets(id) AS ( \
        SELECT l.user_id FROM sel JOIN user_login_ids l ON l.project_id = ?1 AND l.login_id = sel.s \
        UNION \
        SELECT x.id FROM sel JOIN users x ON x.project_id = ?1 AND x.id = sel.s) ";

/// Which part of a user a write statement rewrites: statements for lists that no user
/// of the batch changed are not sent at all.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Row,
    Logins,
    Roles,
    Tenants,
}

/// The writes of a batch; `?1` is the project, `?2` the JSON array built by
/// [`change_rows`]. Each statement touches only the users whose flag asks for it.
const WRITE_STATEMENTS: [(Part, &str, &str); 8] = [
    (
        Part::Row,
        "upsert users",
        "INSERT INTO users (project_id, id, name, given_name, middle_name, family_name, email, phone, \
           picture, verified_email, verified_phone, status, test, scim, has_password, sso_app_ids, \
           external_ids, custom_attributes, created_ms, modified_ms, version) \
         SELECT ?1, j.value ->> 'id', j.value ->> 'name', j.value ->> 'givenName', \
           j.value ->> 'middleName', j.value ->> 'familyName', j.value ->> 'email', j.value ->> 'phone', \
           j.value ->> 'picture', j.value ->> 'verifiedEmail', j.value ->> 'verifiedPhone', \
           j.value ->> 'status', j.value ->> 'test', j.value ->> 'scim', j.value ->> 'password', \
           j.value -> 'ssoAppIds', j.value -> 'externalIds', j.value -> 'customAttributes', \
           j.value ->> 'createdMs', j.value ->> 'modifiedMs', j.value ->> 'version' \
         FROM json_each(?2) j WHERE true \
         ON CONFLICT (project_id, id) DO UPDATE SET name = excluded.name, \
           given_name = excluded.given_name, middle_name = excluded.middle_name, \
           family_name = excluded.family_name, email = excluded.email, phone = excluded.phone, \
           picture = excluded.picture, verified_email = excluded.verified_email, \
           verified_phone = excluded.verified_phone, status = excluded.status, test = excluded.test, \
           scim = excluded.scim, has_password = excluded.has_password, \
           sso_app_ids = excluded.sso_app_ids, external_ids = excluded.external_ids, \
           custom_attributes = excluded.custom_attributes, modified_ms = excluded.modified_ms, \
           version = excluded.version",
    ),
    (
        Part::Logins,
        "clear login IDs",
        "DELETE FROM user_login_ids WHERE project_id = ?1 AND user_id IN \
           (SELECT j.value ->> 'id' FROM json_each(?2) j WHERE j.value ->> 'loginsChanged' \
              AND NOT j.value ->> 'isNew')",
    ),
    (
        Part::Logins,
        "insert login IDs",
        "INSERT INTO user_login_ids (project_id, login_id, user_id, position) \
         SELECT ?1, l.value, j.value ->> 'id', l.key \
         FROM json_each(?2) j, json_each(j.value, '$.loginIds') l WHERE j.value ->> 'loginsChanged'",
    ),
    (
        Part::Roles,
        "clear roles",
        "DELETE FROM user_roles WHERE project_id = ?1 AND user_id IN \
           (SELECT j.value ->> 'id' FROM json_each(?2) j WHERE j.value ->> 'rolesChanged' \
              AND NOT j.value ->> 'isNew')",
    ),
    (
        Part::Roles,
        "insert roles",
        "INSERT INTO user_roles (project_id, user_id, role_id, position) \
         SELECT ?1, j.value ->> 'id', r.value, r.key \
         FROM json_each(?2) j, json_each(j.value, '$.roleIds') r WHERE j.value ->> 'rolesChanged'",
    ),
    (
        Part::Tenants,
        "clear tenants",
        "DELETE FROM user_tenants WHERE project_id = ?1 AND user_id IN \
           (SELECT j.value ->> 'id' FROM json_each(?2) j WHERE j.value ->> 'tenantsChanged' \
              AND NOT j.value ->> 'isNew')",
    ),
    (
        Part::Tenants,
        "insert tenants",
        "INSERT INTO user_tenants (project_id, user_id, tenant_id, position) \
         SELECT ?1, j.value ->> 'id', t.value ->> '$[0]', t.key \
         FROM json_each(?2) j, json_each(j.value, '$.tenants') t WHERE j.value ->> 'tenantsChanged'",
    ),
    (
        Part::Tenants,
        "insert tenant roles",
        "INSERT INTO user_tenant_roles (project_id, user_id, tenant_id, role_id, position) \
         SELECT ?1, j.value ->> 'id', t.value ->> '$[0]', r.value, r.key \
         FROM json_each(?2) j, json_each(j.value, '$.tenants') t, json_each(t.value, '$[1]') r \
         WHERE j.value ->> 'tenantsChanged'",
    ),
];

/// One JSON object per changed user, with role names turned into IDs.
fn change_rows(changes: &[UserChange], catalog: &Catalog) -> Result<Value, Error> {
    let missing_role = |name: &str| {
        tracing::error!(
            role = name,
            "sqlite: a validated role is missing from the catalog"
        );
        Error::internal()
    };
    let mut rows = Vec::with_capacity(changes.len());
    for c in changes {
        let u = &c.user;
        let role_ids = u
            .role_names
            .iter()
            .map(|r| {
                catalog
                    .project_role(r.as_str())
                    .map(|e| e.id.as_str())
                    .ok_or_else(|| missing_role(r.as_str()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tenants = u
            .tenants
            .iter()
            .map(|t| {
                let ids = t
                    .role_names
                    .iter()
                    .map(|r| {
                        catalog
                            .tenant_role(t.tenant_id.as_str(), r.as_str())
                            .map(|e| e.id.as_str())
                            .ok_or_else(|| missing_role(r.as_str()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(json!([t.tenant_id.as_str(), ids]))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        rows.push(json!({
            "id": u.id.as_str(),
            "name": u.name,
            "givenName": u.given_name,
            "middleName": u.middle_name,
            "familyName": u.family_name,
            "email": u.email.as_ref().map(Email::as_str),
            "phone": u.phone.as_ref().map(Phone::as_str),
            "picture": u.picture,
            "verifiedEmail": u.verified_email,
            "verifiedPhone": u.verified_phone,
            "status": u.status.as_str(),
            "test": u.test,
            "scim": u.scim,
            "password": u.has_password,
            "ssoAppIds": u.sso_app_ids,
            "externalIds": u.external_ids,
            "customAttributes": u.custom_attributes,
            "createdMs": u.created.0,
            "modifiedMs": u.modified.0,
            "version": u.version,
            "loginIds": u.login_ids.iter().map(LoginId::as_str).collect::<Vec<_>>(),
            "roleIds": role_ids,
            "tenants": tenants,
            "isNew": c.created,
            "loginsChanged": c.login_ids_changed,
            "rolesChanged": c.roles_changed,
            "tenantsChanged": c.tenants_changed,
        }));
    }
    Ok(Value::Array(rows))
}

#[async_trait]
impl UserTx for SqliteUserTx {
    async fn catalog(&mut self) -> Result<Catalog, Error> {
        load_catalog(&mut self.tx, &self.project).await
    }

    async fn load_for_batch(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<(Vec<User>, Vec<(String, UserId)>), Error> {
        let mut users = Vec::new();
        if !selectors.is_empty() {
            let sql = format!(
                "{LOAD_FOR_BATCH} SELECT {USER_COLUMNS} FROM users u \
                 WHERE u.project_id = ?1 AND u.id IN (SELECT id FROM targets)"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(self.project.as_str())
                .bind(to_json(&selectors))
                .fetch_all(&mut *self.tx)
                .await
                .map_err(internal("load the users of a batch"))?;
            users = rows.iter().map(decode_user).collect::<Result<_, _>>()?;
        }
        let mut owners = Vec::new();
        if !login_ids.is_empty() {
            let rows = sqlx::query(
                "SELECT login_id, user_id FROM user_login_ids \
                 WHERE project_id = ?1 AND login_id IN (SELECT value FROM json_each(?2))",
            )
            .bind(self.project.as_str())
            .bind(to_json(&login_ids))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(internal("load login ID owners"))?;
            for r in rows {
                let login: String = r.try_get("login_id").map_err(internal("read owner"))?;
                let user: String = r.try_get("user_id").map_err(internal("read owner"))?;
                owners.push((login, UserId::from_stored(user)));
            }
        }
        Ok((users, owners))
    }

    async fn write(&mut self, changes: &[UserChange], catalog: &Catalog) -> Result<(), Error> {
        let rows = to_json(&change_rows(changes, catalog)?);
        let needed = |part: Part| match part {
            Part::Row => true,
            Part::Logins => changes.iter().any(|c| c.login_ids_changed),
            Part::Roles => changes.iter().any(|c| c.roles_changed),
            Part::Tenants => changes.iter().any(|c| c.tenants_changed),
        };
        for (part, what, sql) in WRITE_STATEMENTS {
            if !needed(part) {
                continue;
            }
            sqlx::query(sql)
                .bind(self.project.as_str())
                .bind(rows.as_str())
                .execute(&mut *self.tx)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        // The batch checked ownership under the write lock, so this means
                        // a login ID was taken outside Roster's rules; refuse it whole.
                        Error::already_exists(format!(
                            "a login ID of this batch is already taken ({what})"
                        ))
                    } else {
                        internal(what)(e)
                    }
                })?;
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), Error> {
        self.tx
            .commit()
            .await
            .map_err(internal("commit a user batch"))
    }
}
