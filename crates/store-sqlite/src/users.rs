//! Users: the one query that reads a user whole, its decoding, and the user store.
//!
//! A user lives in `users` plus four join tables (login IDs, project roles, tenants,
//! tenant roles), which refer to users, roles and tenants by their integer `pk`.
//! [`USER_JSON`] reads all of it in one statement as one JSON value; the reads of one
//! user at a time (load, search pages, copy) use it. Many users at once (a batch, a list
//! of IDs) are read table by table ([`crate::user_sets`]). The batch transaction is in
//! [`crate::user_tx`], and writes its users a prepared statement per row
//! ([`crate::user_writes`]).

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
use roster_store::{ReadAhead, UserSelector, UserStore, UserTx};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::db::failed;
use crate::user_sets::{self, Named};
use crate::user_tx::SqliteUserTx;
use crate::{SqliteStore, attributes, audit, json_column, roles, to_json};

/// The columns of a user row (the `users` table aliased as `u`) as one JSON array, in
/// the order of [`StoredRow`]. A macro, so that [`USER_JSON`] can be built from it at
/// compile time.
macro_rules! user_row_json {
    () => {
        "json_array(\
    u.pk, u.id, u.name, u.given_name, u.middle_name, u.family_name, u.email, u.phone, u.picture, \
    u.verified_email, u.verified_phone, u.status, u.test, u.scim, u.has_password, \
    u.password_hash, u.password_expired, u.recovery_email, u.verified_recovery_email, \
    u.recovery_phone, u.verified_recovery_phone, json(u.sso_app_ids), json(u.external_ids), \
    json(u.custom_attributes), u.created_ms, u.modified_ms, u.version)"
    };
}

/// The columns of a user row (aliased `u`) as a row of their own, in the order of
/// [`StoredRow`] ([`StoredRow::from_row`]), the three JSON columns as their text.
pub(crate) const USER_ROW_COLUMNS: &str = "\
    u.pk, u.id, u.name, u.given_name, u.middle_name, u.family_name, u.email, u.phone, u.picture, \
    u.verified_email, u.verified_phone, u.status, u.test, u.scim, u.has_password, \
    u.password_hash, u.password_expired, u.recovery_email, u.verified_recovery_email, \
    u.recovery_phone, u.verified_recovery_phone, u.sso_app_ids, u.external_ids, \
    u.custom_attributes, u.created_ms, u.modified_ms, u.version";

/// A user whole, as one JSON array built by SQLite: its row (in [`StoredRow`]'s order), then
/// its lists aggregated as nested arrays (see [`StoredUser`]). Expects the `users` table
/// aliased as `u`. Reading a user as one text value keeps the decoding in one place,
/// with one statement for the row and its four lists. Many users at once are
/// read table by table instead ([`crate::user_sets`]): a subquery per user and list
/// costs more than one pass over each table.
pub(crate) const USER_JSON: &str = concat!(
    "json_array(",
    user_row_json!(),
    ", \
    json((SELECT json_group_array(l.login_id ORDER BY l.position) FROM user_login_ids l \
       WHERE l.user_pk = u.pk)), \
    json((SELECT json_group_array(r.name ORDER BY ur.position) FROM user_roles ur \
       JOIN roles r ON r.pk = ur.role_pk WHERE ur.user_pk = u.pk)), \
    json((SELECT json_group_array(json_array(t.id, json( \
         (SELECT json_group_array(r.name ORDER BY utr.position) FROM user_tenant_roles utr \
            JOIN roles r ON r.pk = utr.role_pk \
            WHERE utr.user_pk = ut.user_pk AND utr.tenant_pk = ut.tenant_pk))) ORDER BY ut.position) \
       FROM user_tenants ut JOIN tenants t ON t.pk = ut.tenant_pk WHERE ut.user_pk = u.pk)))"
);

/// A user as [`USER_JSON`] gives it: its row, login IDs, project role names, and
/// tenants each with its role names.
#[derive(Debug, Deserialize)]
struct StoredUser(
    StoredRow,
    Vec<String>,
    Vec<String>,
    Vec<(String, Vec<String>)>,
);

/// A user row, its columns by position: as one JSON array inside [`USER_JSON`] (flags
/// as 0 or 1), or as the row [`USER_ROW_COLUMNS`] selects ([`StoredRow::from_row`]).
#[derive(Debug, Deserialize)]
pub(crate) struct StoredRow {
    pub(crate) pk: i64,
    id: String,
    name: String,
    given_name: String,
    middle_name: String,
    family_name: String,
    email: Option<String>,
    phone: Option<String>,
    picture: String,
    verified_email: u8,
    verified_phone: u8,
    status: String,
    test: u8,
    scim: u8,
    has_password: u8,
    password_hash: Option<String>,
    password_expired: u8,
    recovery_email: Option<String>,
    verified_recovery_email: u8,
    recovery_phone: Option<String>,
    verified_recovery_phone: u8,
    sso_app_ids: Vec<String>,
    external_ids: Vec<String>,
    custom_attributes: Map<String, Value>,
    created_ms: i64,
    modified_ms: i64,
    version: i64,
}

/// A JSON column read from a row: its text, parsed.
struct Json<T>(T);

impl<T: serde::de::DeserializeOwned> rusqlite::types::FromSql for Json<T> {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        serde_json::from_slice(value.as_bytes()?)
            .map(Json)
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

impl StoredRow {
    /// The row [`USER_ROW_COLUMNS`] selects, from its column `0` on.
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(StoredRow {
            pk: r.get(0)?,
            id: r.get(1)?,
            name: r.get(2)?,
            given_name: r.get(3)?,
            middle_name: r.get(4)?,
            family_name: r.get(5)?,
            email: r.get(6)?,
            phone: r.get(7)?,
            picture: r.get(8)?,
            verified_email: r.get(9)?,
            verified_phone: r.get(10)?,
            status: r.get(11)?,
            test: r.get(12)?,
            scim: r.get(13)?,
            has_password: r.get(14)?,
            password_hash: r.get(15)?,
            password_expired: r.get(16)?,
            recovery_email: r.get(17)?,
            verified_recovery_email: r.get(18)?,
            recovery_phone: r.get(19)?,
            verified_recovery_phone: r.get(20)?,
            sso_app_ids: r.get::<_, Json<_>>(21)?.0,
            external_ids: r.get::<_, Json<_>>(22)?.0,
            custom_attributes: r.get::<_, Json<_>>(23)?.0,
            created_ms: r.get(24)?,
            modified_ms: r.get(25)?,
            version: r.get(26)?,
        })
    }

    /// The user of this row and these lists (login IDs, project role names, tenants
    /// each with its role names, each in its order), with the row's pk.
    pub(crate) fn into_user(
        self,
        login_ids: Vec<String>,
        role_names: Vec<String>,
        tenants: Vec<(String, Vec<String>)>,
    ) -> Result<(i64, User), Error> {
        let status = UserStatus::parse(&self.status).map_err(|e| {
            tracing::error!(error = %e, "sqlite: unknown stored status");
            Error::internal()
        })?;
        let user = User {
            id: UserId::from_stored(self.id),
            login_ids: login_ids.into_iter().map(LoginId::from_stored).collect(),
            name: self.name,
            given_name: self.given_name,
            middle_name: self.middle_name,
            family_name: self.family_name,
            email: self.email.map(Email::from_stored),
            phone: self.phone.map(Phone::from_stored),
            picture: self.picture,
            verified_email: self.verified_email != 0,
            verified_phone: self.verified_phone != 0,
            status,
            test: self.test != 0,
            scim: self.scim != 0,
            has_password: self.has_password != 0,
            password_hash: self.password_hash.map(PasswordHash::from_stored),
            password_expired: self.password_expired != 0,
            recovery_email: self.recovery_email.map(Email::from_stored),
            verified_recovery_email: self.verified_recovery_email != 0,
            recovery_phone: self.recovery_phone.map(Phone::from_stored),
            verified_recovery_phone: self.verified_recovery_phone != 0,
            role_names: role_names.into_iter().map(RoleName::from_stored).collect(),
            tenants: tenants
                .into_iter()
                .map(|(t, roles)| UserTenant {
                    tenant_id: TenantId::from_stored(t),
                    role_names: roles.into_iter().map(RoleName::from_stored).collect(),
                })
                .collect(),
            sso_app_ids: self.sso_app_ids,
            external_ids: self.external_ids,
            custom_attributes: self.custom_attributes,
            created: Millis(self.created_ms),
            modified: Millis(self.modified_ms),
            version: self.version,
        };
        Ok((self.pk, user))
    }
}

/// Decode one [`USER_JSON`]: the user and its row's pk.
pub(crate) fn decode_user(json: &str) -> Result<(i64, User), Error> {
    let StoredUser(row, login_ids, role_names, tenants) = json_column(json, "user")?;
    row.into_user(login_ids, role_names, tenants)
}

/// A cascade (a role renamed or deleted, a tenant deleted, an attribute definition
/// deleted) changed these users: each one's `version` moves by one and its
/// `modifiedTime` becomes the origin's time, as any change of a user does, and it gets
/// one audit record (`record`, see [`roster_domain::audit::records::cascade`]), once
/// whatever the number of changes the cascade made to it.
pub(crate) fn touch_users(
    conn: &Connection,
    origin: &Origin,
    record: &AuditRecord,
    pks: &[i64],
) -> Result<(), Error> {
    if pks.is_empty() {
        return Ok(());
    }
    audit::stamp_users(conn, origin, record, pks, &[])?;
    move_versions(conn, origin.now, pks)
}

/// Move the `version` of these users by one and make `now` their `modifiedTime`.
pub(crate) fn move_versions(conn: &Connection, now: Millis, pks: &[i64]) -> Result<(), Error> {
    if pks.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE users SET version = version + 1, modified_ms = ?2 \
         WHERE pk IN (SELECT value FROM json_each(?1))",
    )
    .and_then(|mut st| st.execute(params![to_json(&pks), now.0]))
    .map_err(failed("move the version of changed users"))?;
    Ok(())
}

/// The users holding a role, at project level or in a tenant.
pub(crate) fn role_holders(conn: &Connection, role: i64) -> Result<Vec<i64>, Error> {
    conn.prepare_cached(
        "SELECT user_pk FROM user_roles WHERE role_pk = ?1 \
         UNION SELECT user_pk FROM user_tenant_roles WHERE role_pk = ?1",
    )
    .and_then(|mut st| st.query_map([role], |r| r.get(0))?.collect())
    .map_err(failed("find a role's users"))
}

/// A project's (`?1`) tenant IDs and names, as one JSON array of pairs.
const TENANT_NAMES_JSON: &str =
    "(SELECT json_group_array(json_array(id, name)) FROM tenants WHERE project_id = ?1)";

/// The project's (`?1`) roles, tenants and attribute definitions as three columns, each
/// one JSON array, decoded by [`decode_catalog`].
pub(crate) static CATALOG_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} AS roles, {TENANT_NAMES_JSON} AS tenants, {} AS attributes",
        roles::ROLES_JSON,
        attributes::ATTRIBUTES_JSON
    )
});

/// The catalog of a row whose columns `first` to `first + 2` are [`CATALOG_COLUMNS`].
pub(crate) fn catalog_columns(
    r: &rusqlite::Row<'_>,
    first: usize,
) -> rusqlite::Result<(String, String, String)> {
    Ok((r.get(first)?, r.get(first + 1)?, r.get(first + 2)?))
}

/// The project's roles, tenants and attribute definitions, with the project's catalog
/// version, in one statement (one snapshot).
fn read_catalog_at(
    conn: &Connection,
    project: &ProjectId,
) -> Result<(Option<i64>, Catalog), Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT (SELECT catalog_version FROM projects WHERE id = ?1), {}",
            *CATALOG_COLUMNS
        )
    });
    let (version, (roles, tenants, attributes)): (Option<i64>, _) = conn
        .prepare_cached(&SQL)
        .and_then(|mut st| {
            st.query_row([project.as_str()], |r| {
                Ok((r.get(0)?, catalog_columns(r, 1)?))
            })
        })
        .map_err(failed("load the catalog"))?;
    Ok((version, decode_catalog(&roles, &tenants, &attributes)?))
}

/// The project's roles, tenants and attribute definitions, read whole.
pub(crate) fn read_catalog(conn: &Connection, project: &ProjectId) -> Result<Catalog, Error> {
    Ok(read_catalog_at(conn, project)?.1)
}

/// The project's catalog: the one `cache` keeps if the project's catalog version is
/// still the one it was read at (one lookup by primary key), else read whole with its
/// version and kept.
pub(crate) fn load_catalog(
    conn: &Connection,
    project: &ProjectId,
    cache: &CatalogCache,
) -> Result<Arc<Catalog>, Error> {
    let version: Option<i64> = conn
        .prepare_cached("SELECT catalog_version FROM projects WHERE id = ?1")
        .and_then(|mut st| st.query_row([project.as_str()], |r| r.get(0)).optional())
        .map_err(failed("read the catalog's version"))?;
    if let Some(kept) = version.and_then(|v| cache.get(project, v)) {
        return Ok(kept);
    }
    let (version, catalog) = read_catalog_at(conn, project)?;
    Ok(cache.keep(project, version, catalog))
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

/// The pks of the users a selector names (at most one).
fn selected_pks(
    conn: &Connection,
    project: &ProjectId,
    selector: UserSelector<'_>,
) -> Result<Vec<i64>, Error> {
    let (filter, value) = selector_sql(selector);
    conn.prepare_cached(&format!("SELECT u.pk FROM users AS u {filter}"))
        .and_then(|mut st| {
            st.query_map(params![project.as_str(), value], |r| r.get(0))?
                .collect()
        })
        .map_err(failed("find a user"))
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn begin_users(&self, project: &ProjectId) -> Result<Box<dyn UserTx>, Error> {
        let tx = self.db.begin().await?;
        Ok(Box::new(SqliteUserTx::new(
            tx,
            project.clone(),
            self.catalogs.clone(),
        )))
    }

    fn writes_in_place(&self) -> bool {
        true
    }

    async fn read_ahead(
        &self,
        project: &ProjectId,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<Option<ReadAhead>, Error> {
        // One snapshot, on a connection of the batches' own, if one is free (none in
        // memory, where a read waits for the writer anyway).
        let Some(snapshot) = self.db.begin_read_ahead()? else {
            return Ok(None);
        };
        crate::db::blocking(|| {
            let (keys, users) = user_sets::read(&snapshot, project, Named::Selectors(selectors))?
                .into_iter()
                .unzip();
            Ok(Some(ReadAhead {
                catalog: load_catalog(&snapshot, project, &self.catalogs)?,
                users,
                keys,
                owners: user_sets::owners(&snapshot, project, login_ids)?,
            }))
        })
    }

    async fn catalog(&self, project: &ProjectId) -> Result<Arc<Catalog>, Error> {
        self.db
            .read(|conn| load_catalog(conn, project, &self.catalogs))
            .await
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
        let sql = format!("SELECT {USER_JSON} FROM users u {filter}");
        let user: Option<String> = self
            .db
            .read(|conn| {
                conn.prepare_cached(&sql)
                    .and_then(|mut st| {
                        st.query_row(params![project.as_str(), value], |r| r.get(0))
                            .optional()
                    })
                    .map_err(failed("load a user"))
            })
            .await?;
        Ok(user
            .as_deref()
            .map(decode_user)
            .transpose()?
            .map(|(_, u)| u))
    }

    async fn load_users(&self, project: &ProjectId, ids: &[String]) -> Result<Vec<User>, Error> {
        let mut users = self
            .db
            .read(|conn| user_sets::read(conn, project, Named::Ids(ids)))
            .await?;
        users.sort_by_key(|(pk, u)| (u.created, *pk));
        Ok(users.into_iter().map(|(_, u)| u).collect())
    }

    async fn search_users(
        &self,
        project: &ProjectId,
        query: &UserQuery,
        timeout: Duration,
    ) -> Result<(Vec<User>, u64), Error> {
        self.db
            .read(|conn| crate::search::search(conn, project, query, timeout))
            .await
    }

    async fn delete_user(
        &self,
        project: &ProjectId,
        selector: UserSelector<'_>,
        origin: &Origin,
    ) -> Result<bool, Error> {
        self.db
            .write(|tx| {
                let pks = selected_pks(tx, project, selector)?;
                let deleted = AuditRecord::new(origin, actions::USER_DELETED);
                Ok(delete_recorded(tx, origin, &deleted, &pks)? > 0)
            })
            .await
    }

    async fn delete_users(
        &self,
        project: &ProjectId,
        ids: &[String],
        origin: &Origin,
    ) -> Result<u64, Error> {
        self.db
            .write(|tx| {
                let pks: Vec<i64> = tx
                    .prepare_cached(
                        "SELECT pk FROM users WHERE project_id = ?1 \
                         AND id IN (SELECT value FROM json_each(?2))",
                    )
                    .and_then(|mut st| {
                        st.query_map(params![project.as_str(), to_json(&ids)], |r| r.get(0))?
                            .collect()
                    })
                    .map_err(failed("find users"))?;
                let deleted = AuditRecord::new(origin, actions::USER_DELETED);
                delete_recorded(tx, origin, &deleted, &pks)
            })
            .await
    }

    async fn delete_test_users(&self, project: &ProjectId, origin: &Origin) -> Result<u64, Error> {
        self.db
            .write(|tx| {
                let pks: Vec<i64> = tx
                    .prepare_cached("SELECT pk FROM users WHERE project_id = ?1 AND test = 1")
                    .and_then(|mut st| st.query_map([project.as_str()], |r| r.get(0))?.collect())
                    .map_err(failed("find test users"))?;
                let deleted = AuditRecord::new(origin, actions::USER_DELETED);
                delete_recorded(tx, origin, &deleted, &pks)
            })
            .await
    }
}

/// Delete users by pk, each with its `UserDeleted` record (`record`, stamped with the
/// user); how many there were.
pub(crate) fn delete_recorded(
    conn: &Connection,
    origin: &Origin,
    record: &AuditRecord,
    pks: &[i64],
) -> Result<u64, Error> {
    if pks.is_empty() {
        return Ok(0);
    }
    audit::stamp_users(conn, origin, record, pks, &[])?;
    let done = conn
        .prepare_cached("DELETE FROM users WHERE pk IN (SELECT value FROM json_each(?1))")
        .and_then(|mut st| st.execute([to_json(&pks)]))
        .map_err(failed("delete users"))?;
    Ok(done as u64)
}
