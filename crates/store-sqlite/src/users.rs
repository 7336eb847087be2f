//! Users: the one query that reads a user whole, and the batch transaction.
//!
//! A user lives in `users` plus four join tables (login IDs, project roles, tenants,
//! tenant roles), which refer to users, roles and tenants by their integer `pk`.
//! [`USER_COLUMNS`] reads all of it in one statement, aggregating each list as JSON, and
//! every read (load, search, batch) uses it. [`SqliteUserTx::write`] writes any number of
//! changed users set-based: one multi-row upsert of the user rows, then, per list table
//! some user changed, one delete and one multi-row insert, each split only where
//! SQLite's limit on bound parameters forces it. The cost per user is SQLite's, never a
//! round trip's.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use roster_domain::Error;
use roster_domain::catalog::Catalog;
use roster_domain::email::Email;
use roster_domain::ids::{ProjectId, TenantId, UserId};
use roster_domain::login_id::LoginId;
use roster_domain::names::RoleName;
use roster_domain::password::PasswordHash;
use roster_domain::patch::UserChange;
use roster_domain::phone::Phone;
use roster_domain::search::UserQuery;
use roster_domain::status::UserStatus;
use roster_domain::time::Millis;
use roster_domain::user::{User, UserTenant};
use roster_store::sql::{key_of, role_key};
use roster_store::{UserSelector, UserStore, UserTx};
use serde_json::{Map, Value};
use sqlx::query_builder::Separated;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, Transaction};

use crate::{
    SqliteStore, attributes, internal, is_unique_violation, json_column, roles, tenants, to_json,
};

/// Every column of a user, lists aggregated as JSON arrays. Expects the `users` table
/// aliased as `u`.
pub(crate) const USER_COLUMNS: &str = "\
    u.pk, u.id, u.name, u.given_name, u.middle_name, u.family_name, u.email, u.phone, u.picture, \
    u.verified_email, u.verified_phone, u.status, u.test, u.scim, u.has_password, \
    u.password_hash, u.password_expired, u.recovery_email, u.verified_recovery_email, \
    u.recovery_phone, u.verified_recovery_phone, u.sso_app_ids, u.external_ids, u.custom_attributes, u.created_ms, u.modified_ms, u.version, \
    (SELECT json_group_array(l.login_id ORDER BY l.position) FROM user_login_ids l \
       WHERE l.user_pk = u.pk) AS login_ids, \
    (SELECT json_group_array(r.name ORDER BY ur.position) FROM user_roles ur \
       JOIN roles r ON r.pk = ur.role_pk WHERE ur.user_pk = u.pk) AS role_names, \
    (SELECT json_group_array(json_array(t.id, json( \
         (SELECT json_group_array(r.name ORDER BY utr.position) FROM user_tenant_roles utr \
            JOIN roles r ON r.pk = utr.role_pk \
            WHERE utr.user_pk = ut.user_pk AND utr.tenant_pk = ut.tenant_pk))) ORDER BY ut.position) \
       FROM user_tenants ut JOIN tenants t ON t.pk = ut.tenant_pk WHERE ut.user_pk = u.pk) AS tenants";

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
const LOAD_BY_LOGIN_OR_ID: &str = "WHERE u.project_id = ?1 AND u.pk = coalesce( \
     (SELECT user_pk FROM user_login_ids WHERE project_id = ?1 AND login_id = ?2), \
     (SELECT pk FROM users WHERE project_id = ?1 AND id = ?2))";
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
            loaded: HashMap::new(),
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
             AND u.id IN (SELECT value FROM json_each(?2)) ORDER BY u.created_ms, u.pk"
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
        timeout: Duration,
    ) -> Result<(Vec<User>, u64), Error> {
        let mut conn = self
            .reader
            .acquire()
            .await
            .map_err(internal("acquire a reader"))?;
        crate::search::search(&mut conn, project, query, timeout).await
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
    /// `user ID -> pk` of the users this transaction loaded, so that writing them back
    /// finds each row by its integer key.
    loaded: HashMap<String, i64>,
}

impl std::fmt::Debug for SqliteUserTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteUserTx")
            .field("project", &self.project)
            .finish()
    }
}

/// Load by selectors: `?1` project, `?2` JSON array of selectors. A selector names the
/// owner of that login ID, or else the user with that ID. (Each `CROSS JOIN` keeps the
/// selectors as the outer loop, so the cost follows the batch, not the project's size.)
const LOAD_FOR_BATCH: &str = "\
    WITH sel(s) AS (SELECT DISTINCT value FROM json_each(?2)), \
    targets(pk) AS ( \
        SELECT l.user_pk FROM sel CROSS JOIN user_login_ids l ON l.project_id = ?1 AND l.login_id = sel.s \
        UNION \
        SELECT x.pk FROM sel CROSS JOIN users x ON x.project_id = ?1 AND x.id = sel.s) ";

/// SQLite's default limit on bound parameters in one statement
/// (`SQLITE_MAX_VARIABLE_NUMBER`): it alone decides how many rows one `INSERT` carries.
const MAX_PARAMS: usize = 32_766;

const INSERT_USERS: &str = "INSERT INTO users (project_id, id, name, given_name, middle_name, \
    family_name, email, phone, picture, verified_email, verified_phone, status, test, scim, \
    has_password, password_hash, password_expired, recovery_email, verified_recovery_email, \
    recovery_phone, verified_recovery_phone, sso_app_ids, external_ids, custom_attributes, \
    created_ms, modified_ms, version) ";

/// Existing users are rewritten found by pk (an integer key), from a `VALUES` list.
const UPDATE_USERS: &str = "WITH v(pk, name, given_name, middle_name, family_name, email, phone, \
    picture, verified_email, verified_phone, status, test, scim, has_password, password_hash, \
    password_expired, recovery_email, verified_recovery_email, recovery_phone, \
    verified_recovery_phone, sso_app_ids, external_ids, custom_attributes, modified_ms, version) AS (";
const UPDATE_USERS_TAIL: &str = ") UPDATE users SET name = v.name, given_name = v.given_name, \
    middle_name = v.middle_name, family_name = v.family_name, email = v.email, phone = v.phone, \
    picture = v.picture, verified_email = v.verified_email, verified_phone = v.verified_phone, \
    status = v.status, test = v.test, scim = v.scim, has_password = v.has_password, \
    password_hash = v.password_hash, password_expired = v.password_expired, \
    recovery_email = v.recovery_email, verified_recovery_email = v.verified_recovery_email, \
    recovery_phone = v.recovery_phone, verified_recovery_phone = v.verified_recovery_phone, \
    sso_app_ids = v.sso_app_ids, external_ids = v.external_ids, \
    custom_attributes = v.custom_attributes, modified_ms = v.modified_ms, version = v.version \
    FROM v WHERE users.pk = v.pk";

/// `INSERT` `rows` in as few statements as the parameter limit allows, binding each row's
/// `columns` values with `bind`; returns what a `RETURNING` tail returns.
async fn insert_chunked<'r, T>(
    conn: &mut SqliteConnection,
    what: &'static str,
    head: &str,
    tail: &str,
    columns: usize,
    rows: &'r [T],
    mut bind: impl FnMut(&mut Separated<'_, Sqlite, &'static str>, &'r T),
) -> Result<Vec<SqliteRow>, Error> {
    let mut returned = Vec::new();
    for chunk in rows.chunks((MAX_PARAMS / columns).max(1)) {
        let mut qb = QueryBuilder::<Sqlite>::new(head);
        qb.push_values(chunk, |mut b, row| bind(&mut b, row));
        qb.push(tail);
        let out = qb.build().fetch_all(&mut *conn).await.map_err(|e| {
            if is_unique_violation(&e) {
                // The batch checked ownership under the write lock, so this means a login
                // ID was taken outside Roster's rules; the whole batch is refused.
                Error::already_exists(format!(
                    "a login ID of this batch is already taken ({what})"
                ))
            } else {
                internal(what)(e)
            }
        })?;
        returned.extend(out);
    }
    Ok(returned)
}

/// A list table whose rows belong to a user.
#[derive(Debug, Clone, Copy)]
enum ListTable {
    LoginIds,
    Roles,
    Tenants,
    TenantRoles,
}

/// Delete the rows of a list table that belong to the users with these pks.
async fn clear_lists(
    conn: &mut SqliteConnection,
    table: ListTable,
    users: &[i64],
) -> Result<(), Error> {
    if users.is_empty() {
        return Ok(());
    }
    let (what, sql) = match table {
        ListTable::LoginIds => (
            "clear login IDs",
            "DELETE FROM user_login_ids WHERE user_pk IN (SELECT value FROM json_each(?1))",
        ),
        ListTable::Roles => (
            "clear roles",
            "DELETE FROM user_roles WHERE user_pk IN (SELECT value FROM json_each(?1))",
        ),
        ListTable::Tenants => (
            "clear tenants",
            "DELETE FROM user_tenants WHERE user_pk IN (SELECT value FROM json_each(?1))",
        ),
        ListTable::TenantRoles => (
            "clear tenant roles",
            "DELETE FROM user_tenant_roles WHERE user_pk IN (SELECT value FROM json_each(?1))",
        ),
    };
    sqlx::query(sql)
        .bind(to_json(&users))
        .execute(conn)
        .await
        .map_err(internal(what))?;
    Ok(())
}

/// `external ID -> pk` of a project's rows in `table` (roles or tenants).
async fn pks(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    table: &'static str,
) -> Result<HashMap<String, i64>, Error> {
    let sql = match table {
        "roles" => "SELECT id, pk FROM roles WHERE project_id = ?1",
        _ => "SELECT id, pk FROM tenants WHERE project_id = ?1",
    };
    let rows = sqlx::query(sql)
        .bind(project.as_str())
        .fetch_all(conn)
        .await
        .map_err(internal(table))?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id").map_err(internal(table))?,
                r.try_get("pk").map_err(internal(table))?,
            ))
        })
        .collect()
}

/// Bind the 22 data columns a user row has between its keys and its times, in the
/// order of [`INSERT_USERS`] and [`UPDATE_USERS`] (`name` to `custom_attributes`).
fn bind_user_data(b: &mut Separated<'_, Sqlite, &'static str>, u: &User) {
    b.push_bind(u.name.as_str())
        .push_bind(u.given_name.as_str())
        .push_bind(u.middle_name.as_str())
        .push_bind(u.family_name.as_str())
        .push_bind(u.email.as_ref().map(Email::as_str))
        .push_bind(u.phone.as_ref().map(Phone::as_str))
        .push_bind(u.picture.as_str())
        .push_bind(u.verified_email)
        .push_bind(u.verified_phone)
        .push_bind(u.status.as_str())
        .push_bind(u.test)
        .push_bind(u.scim)
        .push_bind(u.has_password)
        .push_bind(u.password_hash.as_ref().map(PasswordHash::as_stored))
        .push_bind(u.password_expired)
        .push_bind(u.recovery_email.as_ref().map(Email::as_str))
        .push_bind(u.verified_recovery_email)
        .push_bind(u.recovery_phone.as_ref().map(Phone::as_str))
        .push_bind(u.verified_recovery_phone)
        .push_bind(to_json(&u.sso_app_ids))
        .push_bind(to_json(&u.external_ids))
        .push_bind(to_json(&u.custom_attributes));
}

/// Write changed and created users: one update of the changed user rows (found by pk)
/// and one insert of the new ones, then, for each list
/// some user changed, one delete of the old rows and one insert of the new ones (each
/// split only where the parameter limit forces it).
pub(crate) async fn write_changes(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    changes: &[UserChange],
    catalog: &Catalog,
    loaded: &HashMap<String, i64>,
) -> Result<(), Error> {
    let p = project.as_str();
    let (created, existing): (Vec<&UserChange>, Vec<&UserChange>) =
        changes.iter().partition(|c| c.created);
    // pks of the users this batch created; the others' are in `loaded`.
    let mut created_pks: HashMap<String, i64> = HashMap::with_capacity(created.len());
    let existing: Vec<(i64, &User)> = existing
        .into_iter()
        .map(|c| Ok((key_of(loaded, c.user.id.as_str(), "user")?, &*c.user)))
        .collect::<Result<_, Error>>()?;
    insert_chunked(
        conn,
        "update users",
        UPDATE_USERS,
        UPDATE_USERS_TAIL,
        25,
        &existing,
        |b, (pk, u)| {
            b.push_bind(*pk);
            bind_user_data(b, u);
            b.push_bind(u.modified.0).push_bind(u.version);
        },
    )
    .await?;
    let returned = insert_chunked(
        conn,
        "insert users",
        INSERT_USERS,
        " RETURNING id, pk",
        27,
        &created,
        |b, c| {
            let u = &c.user;
            b.push_bind(p).push_bind(u.id.as_str());
            bind_user_data(b, u);
            b.push_bind(u.created.0)
                .push_bind(u.modified.0)
                .push_bind(u.version);
        },
    )
    .await?;
    for r in &returned {
        created_pks.insert(
            r.try_get("id").map_err(internal("read a created user"))?,
            r.try_get("pk").map_err(internal("read a created user"))?,
        );
    }
    let user_pk = |c: &UserChange| {
        let id = c.user.id.as_str();
        let pks = if c.created { &created_pks } else { loaded };
        key_of(pks, id, "user")
    };
    let old = |f: fn(&UserChange) -> bool| -> Result<Vec<i64>, Error> {
        changes
            .iter()
            .filter(|c| f(c) && !c.created)
            .map(user_pk)
            .collect()
    };

    if changes.iter().any(|c| c.login_ids_changed) {
        clear_lists(conn, ListTable::LoginIds, &old(|c| c.login_ids_changed)?).await?;
        let mut rows: Vec<(i64, &str, i64)> = Vec::new();
        for c in changes.iter().filter(|c| c.login_ids_changed) {
            let pk = user_pk(c)?;
            rows.extend(
                c.user
                    .login_ids
                    .iter()
                    .zip(0..)
                    .map(|(l, i)| (pk, l.as_str(), i)),
            );
        }
        insert_chunked(
            conn,
            "insert login IDs",
            "INSERT INTO user_login_ids (project_id, user_pk, login_id, position) ",
            "",
            4,
            &rows,
            |b, (user, login, pos)| {
                b.push_bind(p)
                    .push_bind(*user)
                    .push_bind(*login)
                    .push_bind(*pos);
            },
        )
        .await?;
    }

    let roles = if changes.iter().any(|c| c.roles_changed || c.tenants_changed) {
        pks(conn, project, "roles").await?
    } else {
        HashMap::new()
    };

    if changes.iter().any(|c| c.roles_changed) {
        clear_lists(conn, ListTable::Roles, &old(|c| c.roles_changed)?).await?;
        let mut rows: Vec<(i64, i64, i64)> = Vec::new();
        for c in changes.iter().filter(|c| c.roles_changed) {
            let pk = user_pk(c)?;
            for (r, i) in c.user.role_names.iter().zip(0..) {
                rows.push((
                    pk,
                    role_key(catalog.project_role(r.as_str()), r, &roles)?,
                    i,
                ));
            }
        }
        insert_chunked(
            conn,
            "insert roles",
            "INSERT INTO user_roles (user_pk, role_pk, position) ",
            "",
            3,
            &rows,
            |b, (user, role, pos)| {
                b.push_bind(*user).push_bind(*role).push_bind(*pos);
            },
        )
        .await?;
    }

    if changes.iter().any(|c| c.tenants_changed) {
        let tenant_pks = pks(conn, project, "tenants").await?;
        // Users whose memberships changed get them rewritten (deleting a membership
        // deletes its roles too, by foreign key); users whose tenants stayed and only
        // the roles in them changed get only those roles rewritten.
        clear_lists(conn, ListTable::Tenants, &old(|c| c.memberships_changed)?).await?;
        clear_lists(
            conn,
            ListTable::TenantRoles,
            &old(|c| c.tenants_changed && !c.memberships_changed)?,
        )
        .await?;
        let mut tenants: Vec<(i64, i64, i64)> = Vec::new();
        let mut tenant_roles: Vec<(i64, i64, i64, i64)> = Vec::new();
        for c in changes.iter().filter(|c| c.tenants_changed) {
            let user = user_pk(c)?;
            for (t, i) in c.user.tenants.iter().zip(0..) {
                let tenant = key_of(&tenant_pks, t.tenant_id.as_str(), "tenant")?;
                if c.memberships_changed {
                    tenants.push((user, tenant, i));
                }
                for (r, j) in t.role_names.iter().zip(0..) {
                    let role = role_key(
                        catalog.tenant_role(t.tenant_id.as_str(), r.as_str()),
                        r,
                        &roles,
                    )?;
                    tenant_roles.push((user, tenant, role, j));
                }
            }
        }
        insert_chunked(
            conn,
            "insert tenants",
            "INSERT INTO user_tenants (user_pk, tenant_pk, position) ",
            "",
            3,
            &tenants,
            |b, (user, tenant, pos)| {
                b.push_bind(*user).push_bind(*tenant).push_bind(*pos);
            },
        )
        .await?;
        insert_chunked(
            conn,
            "insert tenant roles",
            "INSERT INTO user_tenant_roles (user_pk, tenant_pk, role_pk, position) ",
            "",
            4,
            &tenant_roles,
            |b, (user, tenant, role, pos)| {
                b.push_bind(*user)
                    .push_bind(*tenant)
                    .push_bind(*role)
                    .push_bind(*pos);
            },
        )
        .await?;
    }
    Ok(())
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
                "{LOAD_FOR_BATCH} SELECT {USER_COLUMNS} FROM targets \
                 CROSS JOIN users u ON u.pk = targets.pk WHERE u.project_id = ?1"
            );
            // Each row is decoded as it arrives, so that the raw rows of a large batch
            // are never all held beside the users made of them.
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(self.project.as_str())
                .bind(to_json(&selectors))
                .fetch(&mut *self.tx);
            users = Vec::with_capacity(selectors.len());
            while let Some(row) = rows
                .try_next()
                .await
                .map_err(internal("load the users of a batch"))?
            {
                let user = decode_user(&row)?;
                self.loaded
                    .insert(user.id.as_str().to_string(), col(&row, "pk")?);
                users.push(user);
            }
        }
        let mut owners = Vec::new();
        if !login_ids.is_empty() {
            let rows = sqlx::query(
                "SELECT l.login_id, u.id AS user_id FROM user_login_ids l JOIN users u ON u.pk = l.user_pk \
                 WHERE l.project_id = ?1 AND l.login_id IN (SELECT value FROM json_each(?2))",
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
        write_changes(&mut self.tx, &self.project, changes, catalog, &self.loaded).await
    }

    async fn commit(self: Box<Self>) -> Result<(), Error> {
        self.tx
            .commit()
            .await
            .map_err(internal("commit a user batch"))
    }
}
