//! Writing the users a batch changed or created on PostgreSQL, set-based: one `UPDATE …
//! FROM unnest(…)` of the changed user rows by `pk`, setting only the data columns some
//! of them changed ([`Columns`]), one `INSERT … SELECT FROM
//! unnest(…)` of the new ones, then for each list table some user changed, one `DELETE`
//! and one `INSERT` from arrays. Each statement binds one array per column, so its size
//! never depends on the number of users.

use std::collections::HashMap;

use roster_domain::Error;
use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;
use roster_domain::patch::UserChange;
use roster_domain::user::User;
use roster_store::sql::{key_of, role_key};
use roster_store::user_columns::{Columns, DataColumn, Reader};
use sqlx::{PgConnection, Postgres, Row};

use crate::{db_error, internal, unique_violation};

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

/// One data column's values for the rows of a statement, as the array it binds.
enum ColumnArray<'a> {
    Text(fn(&User) -> Option<&str>, Vec<Option<&'a str>>),
    Bool(fn(&User) -> bool, Vec<bool>),
    Json(fn(&User) -> String, Vec<String>),
}

impl<'a> ColumnArray<'a> {
    fn new(column: DataColumn) -> Self {
        match column.reader() {
            Reader::Text(read) => ColumnArray::Text(read, Vec::new()),
            Reader::Bool(read) => ColumnArray::Bool(read, Vec::new()),
            Reader::Json(read) => ColumnArray::Json(read, Vec::new()),
        }
    }

    fn push(&mut self, u: &'a User) {
        match self {
            ColumnArray::Text(read, values) => values.push(read(u)),
            ColumnArray::Bool(read, values) => values.push(read(u)),
            ColumnArray::Json(read, values) => values.push(read(u)),
        }
    }

    /// The array's type, as `unnest` reads it.
    fn sql_type(&self) -> &'static str {
        match self {
            ColumnArray::Bool(..) => "bool[]",
            ColumnArray::Text(..) | ColumnArray::Json(..) => "text[]",
        }
    }

    /// How a statement reads the column's value from `v`.
    fn value(&self, column: DataColumn) -> String {
        match self {
            ColumnArray::Json(..) => format!("v.{}::jsonb", column.name()),
            ColumnArray::Text(..) | ColumnArray::Bool(..) => format!("v.{}", column.name()),
        }
    }

    fn bind<'q>(
        &'q self,
        q: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
        match self {
            ColumnArray::Text(_, values) => q.bind(values),
            ColumnArray::Bool(_, values) => q.bind(values),
            ColumnArray::Json(_, values) => q.bind(values),
        }
    }
}

/// The rows of one statement, a few data columns of them: one array per column, then
/// the times.
struct UserRows<'a> {
    columns: Vec<(DataColumn, ColumnArray<'a>)>,
    created: Vec<i64>,
    modified: Vec<i64>,
    version: Vec<i64>,
}

impl<'a> UserRows<'a> {
    fn new(data: Columns) -> Self {
        UserRows {
            columns: data.iter().map(|c| (c, ColumnArray::new(c))).collect(),
            created: Vec::new(),
            modified: Vec::new(),
            version: Vec::new(),
        }
    }

    fn push(&mut self, u: &'a User) {
        for (_, array) in &mut self.columns {
            array.push(u);
        }
        self.created.push(u.created.0);
        self.modified.push(u.modified.0);
        self.version.push(u.version);
    }

    /// The `unnest` arguments of the data columns, numbered from `$first`, then
    /// `times` `bigint` arrays (the times the statement binds after them).
    fn arrays(&self, first: usize, times: usize) -> String {
        let data = self
            .columns
            .iter()
            .map(|(_, array)| array.sql_type())
            .chain(std::iter::repeat_n("bigint[]", times));
        let arrays: Vec<String> = data
            .zip(first..)
            .map(|(sql_type, n)| format!("${n}::{sql_type}"))
            .collect();
        arrays.join(", ")
    }

    /// The data columns' names, then `times`.
    fn names(&self, times: &[&str]) -> String {
        let names: Vec<&str> = self
            .columns
            .iter()
            .map(|(c, _)| c.name())
            .chain(times.iter().copied())
            .collect();
        names.join(", ")
    }

    fn bind<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
        for (_, array) in &self.columns {
            q = array.bind(q);
        }
        q
    }
}

/// The update of changed user rows by `pk`, setting the data columns `rows` holds. The
/// `ANY` names the rows to the planner as well as the join does, so it reads them by
/// the primary key whatever the table's size. Without it, at 20,000 users (with fresh
/// statistics too), PostgreSQL joined the arrays to the project's users by hashing
/// every one of them, a scan of the whole `users` table per batch; at 100,000 it chose
/// the index itself. One `UPDATE` of 1,000 of 20,000 users took 17–29 ms before and
/// 9–16 ms after, alternately in `psql`.
fn update_users_sql(rows: &UserRows<'_>) -> String {
    let sets: Vec<String> = rows
        .columns
        .iter()
        .map(|(c, array)| format!("{} = {}", c.name(), array.value(*c)))
        .chain([
            "modified_ms = v.modified_ms".into(),
            "version = v.version".into(),
        ])
        .collect();
    format!(
        "UPDATE users SET {sets} \
         FROM unnest($2::bigint[], {arrays}) AS v(pk, {names}) \
         WHERE users.project_id = $1 AND users.pk = ANY($2::bigint[]) AND users.pk = v.pk",
        sets = sets.join(", "),
        arrays = rows.arrays(3, 2),
        names = rows.names(&["modified_ms", "version"]),
    )
}

/// The insert of new users from `rows`, which hold every data column.
fn insert_users_sql(rows: &UserRows<'_>) -> String {
    let values: Vec<String> = rows
        .columns
        .iter()
        .map(|(c, array)| array.value(*c))
        .collect();
    let times = ["created_ms", "modified_ms", "version"];
    format!(
        "INSERT INTO users (project_id, id, {names}) \
         SELECT $1, v.id, {values}, v.created_ms, v.modified_ms, v.version \
         FROM unnest($2::text[], {arrays}) WITH ORDINALITY AS v(id, {names}, ord) \
         ORDER BY v.ord \
         RETURNING id, pk",
        names = rows.names(&times),
        values = values.join(", "),
        arrays = rows.arrays(3, times.len()),
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
    let (created_changes, existing_changes): (Vec<&UserChange>, Vec<&UserChange>) =
        changes.iter().partition(|c| c.created);
    if !existing_changes.is_empty() {
        // One update for all of them, setting the columns some of them changed.
        let data = existing_changes
            .iter()
            .fold(Columns::NONE, |set, c| set.union(Columns::of(c)));
        let mut rows = UserRows::new(data);
        let mut pks = Vec::with_capacity(existing_changes.len());
        for c in &existing_changes {
            pks.push(key_of(loaded, c.user.id.as_str(), "user")?);
            rows.push(&c.user);
        }
        let q = sqlx::query(sqlx::AssertSqlSafe(update_users_sql(&rows)))
            .bind(p)
            .bind(&pks);
        rows.bind(q)
            .bind(&rows.modified)
            .bind(&rows.version)
            .execute(&mut *conn)
            .await
            .map_err(write_error("update users"))?;
    }
    let mut created_pks: HashMap<String, i64> = HashMap::with_capacity(created_changes.len());
    if !created_changes.is_empty() {
        let mut rows = UserRows::new(Columns::all());
        let ids: Vec<&str> = created_changes.iter().map(|c| c.user.id.as_str()).collect();
        for c in &created_changes {
            rows.push(&c.user);
        }
        let q = sqlx::query(sqlx::AssertSqlSafe(insert_users_sql(&rows)))
            .bind(p)
            .bind(&ids);
        let returned = rows
            .bind(q)
            .bind(&rows.created)
            .bind(&rows.modified)
            .bind(&rows.version)
            .fetch_all(&mut *conn)
            .await
            .map_err(write_error("insert users"))?;
        for r in &returned {
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
