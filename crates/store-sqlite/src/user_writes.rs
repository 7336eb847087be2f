//! Writing the users a batch changed or created: a prepared statement per row, on the
//! writer's own thread, so a row costs SQLite's work and nothing else (no statement
//! text grows with the batch, and no round trip is paid per row). Each changed user
//! row, found by integer key, is updated in the data columns it changed ([`Columns`]):
//! SQLite rewrites the entries of every index whose columns an `UPDATE` sets, changed or
//! not, so a user whose email stayed never touches the email index. Each new user is
//! inserted whole. Then, for each list table some user changed, the old rows of every
//! such user are deleted before any new row is inserted: a login ID that moves from
//! one user of the batch to another is free before it is taken again.

use std::collections::HashMap;
use std::sync::LazyLock;

use roster_domain::Error;
use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;
use roster_domain::patch::UserChange;
use roster_domain::user::User;
use roster_store::sql::key_of;
use roster_store::user_columns::{Columns, DataColumn, Reader};
use rusqlite::{CachedStatement, Connection};

use crate::db::{failed, is_unique_violation};
use crate::list_writes::write_lists;

/// The insert of one new user: its keys, every data column, and the times.
static INSERT_USER: LazyLock<String> = LazyLock::new(|| {
    let data: Vec<&str> = DataColumn::ALL.iter().map(|c| c.name()).collect();
    let params: Vec<String> = (1..=data.len() + 5).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO users (project_id, id, {}, created_ms, modified_ms, version) VALUES ({})",
        data.join(", "),
        params.join(", ")
    )
});

/// The update of one user row found by pk (`?1`), setting the `data` columns
/// (`?2`, …), then `modified_ms` and `version`.
fn update_sql(data: Columns) -> String {
    let mut sets: Vec<String> = data
        .iter()
        .zip(2..)
        .map(|(c, i)| format!("{} = ?{i}", c.name()))
        .collect();
    let n = data.len() + 2;
    sets.push(format!("modified_ms = ?{n}"));
    sets.push(format!("version = ?{}", n + 1));
    format!("UPDATE users SET {} WHERE pk = ?1", sets.join(", "))
}

/// Bind `u`'s value of `column` as parameter `i`.
fn bind_column(
    st: &mut CachedStatement<'_>,
    i: usize,
    u: &User,
    column: DataColumn,
) -> rusqlite::Result<()> {
    match column.reader() {
        Reader::Text(read) => st.raw_bind_parameter(i, read(u)),
        Reader::Bool(read) => st.raw_bind_parameter(i, read(u)),
        Reader::Json(read) => st.raw_bind_parameter(i, read(u)),
    }
}

/// A failed write. The batch checked every login ID's owner under the write lock, so a
/// UNIQUE violation means one was taken outside Roster's rules: the whole batch is
/// refused.
fn refused(what: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
    move |e| {
        if is_unique_violation(&e) {
            Error::already_exists(format!(
                "a login ID of this batch is already taken ({what})"
            ))
        } else {
            failed(what)(e)
        }
    }
}

/// Run `sql` once for each row of parameters.
pub(crate) fn each_row<P: rusqlite::Params>(
    conn: &Connection,
    what: &'static str,
    sql: &str,
    rows: impl IntoIterator<Item = P>,
) -> Result<(), Error> {
    let mut st = conn.prepare_cached(sql).map_err(failed(what))?;
    for row in rows {
        st.execute(row).map_err(refused(what))?;
    }
    Ok(())
}

/// `external ID -> pk` of a project's rows in `table` (roles or tenants).
pub(crate) fn pks(
    conn: &Connection,
    project: &ProjectId,
    table: &'static str,
) -> Result<HashMap<String, i64>, Error> {
    let sql = match table {
        "roles" => "SELECT id, pk FROM roles WHERE project_id = ?1",
        _ => "SELECT id, pk FROM tenants WHERE project_id = ?1",
    };
    conn.prepare_cached(sql)
        .and_then(|mut st| {
            st.query_map([project.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(failed(table))
}

/// Insert a new user; its pk.
fn insert_user(conn: &Connection, project: &str, u: &User) -> Result<i64, Error> {
    let mut st = conn
        .prepare_cached(&INSERT_USER)
        .map_err(failed("insert users"))?;
    let run = |st: &mut CachedStatement<'_>| {
        st.raw_bind_parameter(1, project)?;
        st.raw_bind_parameter(2, u.id.as_str())?;
        for (column, i) in DataColumn::ALL.into_iter().zip(3..) {
            bind_column(st, i, u, column)?;
        }
        let n = DataColumn::ALL.len() + 3;
        st.raw_bind_parameter(n, u.created.0)?;
        st.raw_bind_parameter(n + 1, u.modified.0)?;
        st.raw_bind_parameter(n + 2, u.version)?;
        st.raw_execute()
    };
    run(&mut st).map_err(refused("insert users"))?;
    Ok(conn.last_insert_rowid())
}

/// Update the `data` columns of the user row `pk`, and its times.
fn update_user(
    conn: &Connection,
    sql: &str,
    pk: i64,
    u: &User,
    data: Columns,
) -> Result<(), Error> {
    let mut st = conn.prepare_cached(sql).map_err(failed("update users"))?;
    let run = |st: &mut CachedStatement<'_>| {
        st.raw_bind_parameter(1, pk)?;
        for (column, i) in data.iter().zip(2..) {
            bind_column(st, i, u, column)?;
        }
        let n = data.len() + 2;
        st.raw_bind_parameter(n, u.modified.0)?;
        st.raw_bind_parameter(n + 1, u.version)?;
        st.raw_execute()
    };
    run(&mut st).map_err(refused("update users"))?;
    Ok(())
}

/// Write changed and created users: each changed user row (found by pk, its pk in
/// `loaded`) updated in the columns it changed, each new user inserted, then, for each
/// list some user changed, the old rows of those users deleted and the new ones
/// inserted.
pub(crate) fn write_changes(
    conn: &Connection,
    project: &ProjectId,
    changes: &[UserChange],
    catalog: &Catalog,
    loaded: &HashMap<String, i64>,
) -> Result<(), Error> {
    let p = project.as_str();
    // pks of the users this batch created; the others' are in `loaded`.
    let mut created_pks: HashMap<String, i64> = HashMap::new();
    // The update's text for each set of columns, built once per batch.
    let mut updates: HashMap<Columns, String> = HashMap::new();
    for c in changes {
        let u = &c.user;
        if c.created {
            let pk = insert_user(conn, p, u)?;
            created_pks.insert(u.id.as_str().to_string(), pk);
        } else {
            let data = Columns::of(c);
            let sql = updates.entry(data).or_insert_with(|| update_sql(data));
            update_user(conn, sql, key_of(loaded, u.id.as_str(), "user")?, u, data)?;
        }
    }
    let user_pk = |c: &UserChange| {
        let pks = if c.created { &created_pks } else { loaded };
        key_of(pks, c.user.id.as_str(), "user")
    };
    write_lists(conn, project, changes, catalog, user_pk)
}
