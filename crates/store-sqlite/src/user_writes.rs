//! Writing the users a batch changed or created, set-based: an `UPDATE … FROM (VALUES
//! …)` of the changed user rows, found by integer key, setting only the data columns
//! they changed ([`Columns`]; one statement for the users whose indexed columns changed,
//! one for the others), one multi-row `INSERT` of the new ones, then, for each list
//! table some user changed, one `DELETE` of the old rows and one multi-row `INSERT` of
//! the new. Each statement is split into chunks of a few fixed row counts
//! ([`crate::statements`]), so that its texts are few and prepared once, and the cost
//! per user is SQLite's, not a round trip's.

use std::collections::HashMap;
use std::sync::LazyLock;

use roster_domain::Error;
use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;
use roster_domain::patch::UserChange;
use roster_domain::user::User;
use roster_store::sql::{key_of, role_key};
use roster_store::user_columns::{Columns, DataColumn, Reader};
use sqlx::query_builder::Separated;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::{internal, is_unique_violation, statements, to_json};

/// The insert of new users: their keys, every data column, and the times.
static INSERT_USERS: LazyLock<String> = LazyLock::new(|| {
    let data: Vec<&str> = DataColumn::ALL.iter().map(|c| c.name()).collect();
    format!(
        "INSERT INTO users (project_id, id, {}, created_ms, modified_ms, version) ",
        data.join(", ")
    )
});

/// The statement that rewrites existing users, found by pk (an integer key), from a
/// `VALUES` list of `pk`, the given data columns and the times (`columns` values a
/// row). Only the columns some of its users changed are set: SQLite rewrites the
/// entries of every index whose columns an `UPDATE` sets, changed or not, and every
/// value set is one more to bind.
struct UpdateSql {
    head: String,
    tail: String,
    columns: usize,
}

fn update_sql(data: Columns) -> UpdateSql {
    let columns: Vec<&str> = data
        .iter()
        .map(DataColumn::name)
        .chain(["modified_ms", "version"])
        .collect();
    let sets: Vec<String> = columns.iter().map(|c| format!("{c} = v.{c}")).collect();
    UpdateSql {
        head: format!("WITH v(pk, {}) AS (", columns.join(", ")),
        tail: format!(
            ") UPDATE users SET {} FROM v WHERE users.pk = v.pk",
            sets.join(", ")
        ),
        columns: columns.len() + 1,
    }
}

/// `INSERT` `rows` in statements of the row counts [`statements::chunks`] gives, binding
/// each row's `columns` values with `bind`; returns what a `RETURNING` tail returns.
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
    for chunk in statements::chunks(rows, columns, 0) {
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

/// Bind `u`'s value of `column`.
fn bind_column(b: &mut Separated<'_, Sqlite, &'static str>, u: &User, column: DataColumn) {
    match column.reader() {
        Reader::Text(read) => b.push_bind(read(u)),
        Reader::Bool(read) => b.push_bind(read(u)),
        Reader::Json(read) => b.push_bind(read(u)),
    };
}

/// Write changed and created users: the updates of the changed user rows (found by
/// pk) and one insert of the new ones, then, for each list
/// some user changed, one delete of the old rows and one insert of the new ones (each
/// multi-row statement split as [`statements::chunks`] says).
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
    // Users whose indexed columns changed, and the others: each group's update sets
    // the columns some user of that group changed, so the second never sets an indexed
    // one.
    let (indexed, unindexed): (Vec<_>, Vec<_>) = existing
        .into_iter()
        .map(|c| (c, Columns::of(c)))
        .partition(|(_, data)| data.any_indexed());
    for changes in [indexed, unindexed] {
        if changes.is_empty() {
            continue;
        }
        let data = changes
            .iter()
            .fold(Columns::NONE, |set, (_, data)| set.union(*data));
        let sql = update_sql(data);
        let rows: Vec<(i64, &User)> = changes
            .into_iter()
            .map(|(c, _)| Ok((key_of(loaded, c.user.id.as_str(), "user")?, &*c.user)))
            .collect::<Result<_, Error>>()?;
        insert_chunked(
            conn,
            "update users",
            &sql.head,
            &sql.tail,
            sql.columns,
            &rows,
            |b, (pk, u)| {
                b.push_bind(*pk);
                for column in data.iter() {
                    bind_column(b, u, column);
                }
                b.push_bind(u.modified.0).push_bind(u.version);
            },
        )
        .await?;
    }
    let returned = insert_chunked(
        conn,
        "insert users",
        &INSERT_USERS,
        " RETURNING id, pk",
        DataColumn::ALL.len() + 5,
        &created,
        |b, c| {
            let u = &c.user;
            b.push_bind(p).push_bind(u.id.as_str());
            for column in DataColumn::ALL {
                bind_column(b, u, column);
            }
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
