//! Writing the users a batch changed or created on PostgreSQL, set-based: one `UPDATE …
//! FROM unnest(…)` of the changed user rows by `pk`, one `INSERT … SELECT FROM
//! unnest(…)` of the new ones, then for each list table some user changed, one `DELETE`
//! and one `INSERT` from arrays. Each statement binds one array per column, so its size
//! never depends on the number of users.

use std::collections::HashMap;

use roster_domain::Error;
use roster_domain::catalog::Catalog;
use roster_domain::email::Email;
use roster_domain::ids::ProjectId;
use roster_domain::password::PasswordHash;
use roster_domain::patch::UserChange;
use roster_domain::phone::Phone;
use roster_domain::user::User;
use roster_store::sql::{key_of, role_key};
use sqlx::{PgConnection, Postgres, Row};

use crate::{db_error, internal, to_json, unique_violation};

/// A failed batch statement: a login ID taken by another node since the batch read its
/// owners (or a lost race of another kind) means "run the batch again".
fn write_error(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| {
        if unique_violation(&e) == Some("user_login_ids_pkey") {
            tracing::debug!("postgres: {what}: a login ID was taken meanwhile");
            Error::write_conflict()
        } else {
            db_error(what)(e)
        }
    }
}

/// Column arrays of user rows, in the order of the `unnest` calls below.
#[derive(Default)]
struct UserColumns<'a> {
    name: Vec<&'a str>,
    given_name: Vec<&'a str>,
    middle_name: Vec<&'a str>,
    family_name: Vec<&'a str>,
    email: Vec<Option<&'a str>>,
    phone: Vec<Option<&'a str>>,
    picture: Vec<&'a str>,
    verified_email: Vec<bool>,
    verified_phone: Vec<bool>,
    status: Vec<&'a str>,
    test: Vec<bool>,
    scim: Vec<bool>,
    has_password: Vec<bool>,
    password_hash: Vec<Option<&'a str>>,
    password_expired: Vec<bool>,
    recovery_email: Vec<Option<&'a str>>,
    verified_recovery_email: Vec<bool>,
    recovery_phone: Vec<Option<&'a str>>,
    verified_recovery_phone: Vec<bool>,
    sso_app_ids: Vec<String>,
    external_ids: Vec<String>,
    custom_attributes: Vec<String>,
    created: Vec<i64>,
    modified: Vec<i64>,
    version: Vec<i64>,
}

impl<'a> UserColumns<'a> {
    fn push(&mut self, u: &'a User) {
        self.name.push(&u.name);
        self.given_name.push(&u.given_name);
        self.middle_name.push(&u.middle_name);
        self.family_name.push(&u.family_name);
        self.email.push(u.email.as_ref().map(Email::as_str));
        self.phone.push(u.phone.as_ref().map(Phone::as_str));
        self.picture.push(&u.picture);
        self.verified_email.push(u.verified_email);
        self.verified_phone.push(u.verified_phone);
        self.status.push(u.status.as_str());
        self.test.push(u.test);
        self.scim.push(u.scim);
        self.has_password.push(u.has_password);
        self.password_hash
            .push(u.password_hash.as_ref().map(PasswordHash::as_stored));
        self.password_expired.push(u.password_expired);
        self.recovery_email
            .push(u.recovery_email.as_ref().map(Email::as_str));
        self.verified_recovery_email.push(u.verified_recovery_email);
        self.recovery_phone
            .push(u.recovery_phone.as_ref().map(Phone::as_str));
        self.verified_recovery_phone.push(u.verified_recovery_phone);
        self.sso_app_ids.push(to_json(&u.sso_app_ids));
        self.external_ids.push(to_json(&u.external_ids));
        self.custom_attributes.push(to_json(&u.custom_attributes));
        self.created.push(u.created.0);
        self.modified.push(u.modified.0);
        self.version.push(u.version);
    }

    /// Bind the data columns (`name` to `custom_attributes`), as `$first`.. onwards.
    fn bind<'q>(
        &'q self,
        q: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
        q.bind(&self.name)
            .bind(&self.given_name)
            .bind(&self.middle_name)
            .bind(&self.family_name)
            .bind(&self.email)
            .bind(&self.phone)
            .bind(&self.picture)
            .bind(&self.verified_email)
            .bind(&self.verified_phone)
            .bind(&self.status)
            .bind(&self.test)
            .bind(&self.scim)
            .bind(&self.has_password)
            .bind(&self.password_hash)
            .bind(&self.password_expired)
            .bind(&self.recovery_email)
            .bind(&self.verified_recovery_email)
            .bind(&self.recovery_phone)
            .bind(&self.verified_recovery_phone)
            .bind(&self.sso_app_ids)
            .bind(&self.external_ids)
            .bind(&self.custom_attributes)
    }
}

/// The 22 data columns as `unnest` arguments starting at `$3`, and their names.
const DATA_ARRAYS: &str = "$3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
    $8::text[], $9::text[], $10::bool[], $11::bool[], $12::text[], $13::bool[], $14::bool[], \
    $15::bool[], $16::text[], $17::bool[], $18::text[], $19::bool[], $20::text[], $21::bool[], \
    $22::text[], $23::text[], $24::text[]";
const DATA_NAMES: &str = "name, given_name, middle_name, family_name, email, phone, picture, \
    verified_email, verified_phone, status, test, scim, has_password, password_hash, \
    password_expired, recovery_email, verified_recovery_email, recovery_phone, \
    verified_recovery_phone, sso_app_ids, external_ids, custom_attributes";

/// The update of changed user rows by `pk`. The `ANY` names the rows to the planner as
/// well as the join does, so it reads them by the primary key whatever the table's
/// size. Without it, at 20,000 users (with fresh statistics too), PostgreSQL joined the
/// arrays to the project's users by hashing every one of them, a scan of the whole
/// `users` table per batch; at 100,000 it chose the index itself. One `UPDATE` of 1,000
/// of 20,000 users took 17–29 ms before and 9–16 ms after, alternately in `psql`.
fn update_users_sql() -> String {
    format!(
        "UPDATE users SET name = v.name, given_name = v.given_name, middle_name = v.middle_name, \
           family_name = v.family_name, email = v.email, phone = v.phone, picture = v.picture, \
           verified_email = v.verified_email, verified_phone = v.verified_phone, \
           status = v.status, test = v.test, scim = v.scim, has_password = v.has_password, \
           password_hash = v.password_hash, password_expired = v.password_expired, \
           recovery_email = v.recovery_email, \
           verified_recovery_email = v.verified_recovery_email, \
           recovery_phone = v.recovery_phone, \
           verified_recovery_phone = v.verified_recovery_phone, \
           sso_app_ids = v.sso_app_ids::jsonb, external_ids = v.external_ids::jsonb, \
           custom_attributes = v.custom_attributes::jsonb, modified_ms = v.modified_ms, \
           version = v.version \
         FROM unnest($2::bigint[], {DATA_ARRAYS}, $25::bigint[], $26::bigint[]) \
           AS v(pk, {DATA_NAMES}, modified_ms, version) \
         WHERE users.project_id = $1 AND users.pk = ANY($2::bigint[]) AND users.pk = v.pk"
    )
}

fn insert_users_sql() -> String {
    format!(
        "INSERT INTO users (project_id, id, {DATA_NAMES}, created_ms, modified_ms, version) \
         SELECT $1, v.id, v.name, v.given_name, v.middle_name, v.family_name, v.email, v.phone, \
           v.picture, v.verified_email, v.verified_phone, v.status, v.test, v.scim, \
           v.has_password, v.password_hash, v.password_expired, v.recovery_email, \
           v.verified_recovery_email, v.recovery_phone, v.verified_recovery_phone, \
           v.sso_app_ids::jsonb, v.external_ids::jsonb, \
           v.custom_attributes::jsonb, v.created_ms, v.modified_ms, v.version \
         FROM unnest($2::text[], {DATA_ARRAYS}, $25::bigint[], $26::bigint[], $27::bigint[]) \
           WITH ORDINALITY AS v(id, {DATA_NAMES}, created_ms, modified_ms, version, ord) \
         ORDER BY v.ord \
         RETURNING id, pk"
    )
}

/// `external ID -> pk` of a project's roles or tenants.
async fn pks(
    conn: &mut PgConnection,
    project: &ProjectId,
    table: &'static str,
) -> Result<HashMap<String, i64>, Error> {
    let sql = match table {
        "roles" => "SELECT id, pk FROM roles WHERE project_id = $1",
        _ => "SELECT id, pk FROM tenants WHERE project_id = $1",
    };
    let rows: Vec<(String, i64)> = sqlx::query_as(sql)
        .bind(project.as_str())
        .fetch_all(conn)
        .await
        .map_err(db_error(table))?;
    Ok(rows.into_iter().collect())
}

/// Delete the rows of `table` that belong to the users with these pks.
async fn clear(conn: &mut PgConnection, table: &'static str, users: &[i64]) -> Result<(), Error> {
    if users.is_empty() {
        return Ok(());
    }
    // The table name comes from this crate's fixed list, never from input.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE user_pk = ANY($1)"
    )))
    .bind(users)
    .execute(conn)
    .await
    .map_err(db_error(table))?;
    Ok(())
}

/// Write changed and created users: one update of the changed user rows, one insert
/// of the new ones, then for each list some user changed one delete of the old rows and
/// one insert of the new. `loaded` maps the user IDs of loaded users to their pks.
pub(crate) async fn write_changes(
    conn: &mut PgConnection,
    project: &ProjectId,
    changes: &[UserChange],
    catalog: &Catalog,
    loaded: &HashMap<String, i64>,
) -> Result<(), Error> {
    let p = project.as_str();
    let mut existing_pks = Vec::new();
    let mut existing = UserColumns::default();
    let mut created_ids = Vec::new();
    let mut created = UserColumns::default();
    for c in changes {
        if c.created {
            created_ids.push(c.user.id.as_str());
            created.push(&c.user);
        } else {
            existing_pks.push(key_of(loaded, c.user.id.as_str(), "user")?);
            existing.push(&c.user);
        }
    }
    if !existing_pks.is_empty() {
        let sql = update_users_sql();
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(p)
            .bind(&existing_pks);
        existing
            .bind(q)
            .bind(&existing.modified)
            .bind(&existing.version)
            .execute(&mut *conn)
            .await
            .map_err(write_error("update users"))?;
    }
    let mut created_pks: HashMap<String, i64> = HashMap::with_capacity(created_ids.len());
    if !created_ids.is_empty() {
        let sql = insert_users_sql();
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(p)
            .bind(&created_ids);
        let rows = created
            .bind(q)
            .bind(&created.created)
            .bind(&created.modified)
            .bind(&created.version)
            .fetch_all(&mut *conn)
            .await
            .map_err(write_error("insert users"))?;
        for r in &rows {
            created_pks.insert(
                r.try_get("id").map_err(internal("read a created user"))?,
                r.try_get("pk").map_err(internal("read a created user"))?,
            );
        }
    }
    let user_pk = |c: &UserChange| {
        let pks = if c.created { &created_pks } else { loaded };
        key_of(pks, c.user.id.as_str(), "user")
    };
    let old = |f: fn(&UserChange) -> bool| -> Result<Vec<i64>, Error> {
        changes
            .iter()
            .filter(|c| f(c) && !c.created)
            .map(user_pk)
            .collect()
    };

    if changes.iter().any(|c| c.login_ids_changed) {
        clear(conn, "user_login_ids", &old(|c| c.login_ids_changed)?).await?;
        let (mut users, mut logins, mut positions) = (Vec::new(), Vec::new(), Vec::new());
        for c in changes.iter().filter(|c| c.login_ids_changed) {
            let pk = user_pk(c)?;
            for (l, i) in c.user.login_ids.iter().zip(0i64..) {
                users.push(pk);
                logins.push(l.as_str());
                positions.push(i);
            }
        }
        sqlx::query(
            "INSERT INTO user_login_ids (project_id, user_pk, login_id, position) \
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[])",
        )
        .bind(p)
        .bind(&users)
        .bind(&logins)
        .bind(&positions)
        .execute(&mut *conn)
        .await
        .map_err(write_error("insert login IDs"))?;
    }

    let roles = if changes.iter().any(|c| c.roles_changed || c.tenants_changed) {
        pks(conn, project, "roles").await?
    } else {
        HashMap::new()
    };

    if changes.iter().any(|c| c.roles_changed) {
        clear(conn, "user_roles", &old(|c| c.roles_changed)?).await?;
        let (mut users, mut role_pks, mut positions) = (Vec::new(), Vec::new(), Vec::new());
        for c in changes.iter().filter(|c| c.roles_changed) {
            let pk = user_pk(c)?;
            for (r, i) in c.user.role_names.iter().zip(0i64..) {
                users.push(pk);
                role_pks.push(role_key(catalog.project_role(r.as_str()), r, &roles)?);
                positions.push(i);
            }
        }
        sqlx::query(
            "INSERT INTO user_roles (user_pk, role_pk, position) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])",
        )
        .bind(&users)
        .bind(&role_pks)
        .bind(&positions)
        .execute(&mut *conn)
        .await
        .map_err(write_error("insert roles"))?;
    }

    if changes.iter().any(|c| c.tenants_changed) {
        let tenant_pks = pks(conn, project, "tenants").await?;
        // Users whose memberships changed get them rewritten (deleting a membership
        // deletes its roles too, by foreign key); users whose tenants stayed and only
        // the roles in them changed get only those roles rewritten.
        clear(conn, "user_tenants", &old(|c| c.memberships_changed)?).await?;
        clear(
            conn,
            "user_tenant_roles",
            &old(|c| c.tenants_changed && !c.memberships_changed)?,
        )
        .await?;
        let (mut t_users, mut t_tenants, mut t_positions) = (Vec::new(), Vec::new(), Vec::new());
        let (mut r_users, mut r_tenants, mut r_roles, mut r_positions) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for c in changes.iter().filter(|c| c.tenants_changed) {
            let user = user_pk(c)?;
            for (t, i) in c.user.tenants.iter().zip(0i64..) {
                let tenant = key_of(&tenant_pks, t.tenant_id.as_str(), "tenant")?;
                if c.memberships_changed {
                    t_users.push(user);
                    t_tenants.push(tenant);
                    t_positions.push(i);
                }
                for (r, j) in t.role_names.iter().zip(0i64..) {
                    r_users.push(user);
                    r_tenants.push(tenant);
                    r_roles.push(role_key(
                        catalog.tenant_role(t.tenant_id.as_str(), r.as_str()),
                        r,
                        &roles,
                    )?);
                    r_positions.push(j);
                }
            }
        }
        sqlx::query(
            "INSERT INTO user_tenants (user_pk, tenant_pk, position) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])",
        )
        .bind(&t_users)
        .bind(&t_tenants)
        .bind(&t_positions)
        .execute(&mut *conn)
        .await
        .map_err(write_error("insert tenants"))?;
        sqlx::query(
            "INSERT INTO user_tenant_roles (user_pk, tenant_pk, role_pk, position) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])",
        )
        .bind(&r_users)
        .bind(&r_tenants)
        .bind(&r_roles)
        .bind(&r_positions)
        .execute(&mut *conn)
        .await
        .map_err(write_error("insert tenant roles"))?;
    }
    Ok(())
}
