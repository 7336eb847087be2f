//! Reading many users at once (a batch's, a group's, a list of IDs), table by table.
//!
//! [`crate::users::USER_JSON`] reads a user whole with one subquery per list, which is
//! the simplest way to read one user, and costs a subquery per user and list when many
//! are read. Here one statement reads the users' rows, then one statement per list
//! table (login IDs, project roles, tenants, tenant roles) reads the lists of all of
//! them at once, each row tagged with its user's pk and ordered by it and by position:
//! one pass over each table. The rows are read as they are, on the connection's own
//! thread, and Rust puts each user together.
//!
//! It also holds what a batch that read ahead of the write lock checks under it
//! ([`versions`], [`taken`]), and the owners of login IDs.

use std::collections::HashMap;
use std::sync::LazyLock;

use roster_domain::Error;
use roster_domain::ids::{ProjectId, UserId};
use roster_domain::user::User;
use rusqlite::{Connection, params};

use crate::db::failed;
use crate::to_json;
use crate::users::{StoredRow, USER_ROW_COLUMNS};

/// The common table expressions naming users by selectors (`?2`, a JSON array): the
/// owner of that login ID, or else the user with that ID. (Each `CROSS JOIN` keeps the
/// selectors as the outer loop, so the cost follows the selectors, not the project's
/// size.)
const SELECTOR_TARGETS: &str = "sel(s) AS (SELECT DISTINCT value FROM json_each(?2)), \
     targets(pk) AS ( \
        SELECT l.user_pk FROM sel CROSS JOIN user_login_ids l \
           ON l.project_id = ?1 AND l.login_id = sel.s \
        UNION \
        SELECT x.pk FROM sel CROSS JOIN users x ON x.project_id = ?1 AND x.id = sel.s)";

/// The rows of the users selectors name.
static ROWS_BY_SELECTORS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH {SELECTOR_TARGETS} SELECT {USER_ROW_COLUMNS} FROM targets t \
         CROSS JOIN users u ON u.pk = t.pk WHERE u.project_id = ?1"
    )
});

/// The rows of the users with these IDs (`?2`, a JSON array).
static ROWS_BY_IDS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH ids(id) AS (SELECT DISTINCT value FROM json_each(?2)) \
         SELECT {USER_ROW_COLUMNS} FROM ids CROSS JOIN users u \
         ON u.project_id = ?1 AND u.id = ids.id"
    )
});

/// The lists of the users whose pks `?1` (a JSON array) holds: `[user_pk, login ID]`,
/// `[user_pk, role name]`, `[user_pk, tenant_pk, tenant ID]` and
/// `[user_pk, tenant_pk, role name]`, each in its user's order.
const LOGIN_IDS: &str = "SELECT l.user_pk, l.login_id FROM json_each(?1) t \
    CROSS JOIN user_login_ids l ON l.user_pk = t.value ORDER BY l.user_pk, l.position";
const ROLES: &str = "SELECT ur.user_pk, r.name FROM json_each(?1) t \
    CROSS JOIN user_roles ur ON ur.user_pk = t.value JOIN roles r ON r.pk = ur.role_pk \
    ORDER BY ur.user_pk, ur.position";
const TENANTS: &str = "SELECT ut.user_pk, ut.tenant_pk, tn.id FROM json_each(?1) t \
    CROSS JOIN user_tenants ut ON ut.user_pk = t.value JOIN tenants tn ON tn.pk = ut.tenant_pk \
    ORDER BY ut.user_pk, ut.position";
const TENANT_ROLES: &str = "SELECT utr.user_pk, utr.tenant_pk, r.name FROM json_each(?1) t \
    CROSS JOIN user_tenant_roles utr ON utr.user_pk = t.value \
    JOIN roles r ON r.pk = utr.role_pk ORDER BY utr.user_pk, utr.tenant_pk, utr.position";

/// How a set of users is named.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Named<'a> {
    /// By selector: a login ID, or else a user ID.
    Selectors(&'a [&'a str]),
    /// By user ID.
    Ids(&'a [String]),
}

/// Every row a list statement gives for the users `pks` (a JSON array).
fn list<T>(
    conn: &Connection,
    sql: &str,
    pks: &str,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, Error> {
    conn.prepare_cached(sql)
        .and_then(|mut st| st.query_map([pks], row)?.collect())
        .map_err(failed("read users' lists"))
}

/// Read the users named, in no particular order, each with its row's pk. A user named
/// twice (by a login ID and by its ID) comes once.
pub(crate) fn read(
    conn: &Connection,
    project: &ProjectId,
    named: Named<'_>,
) -> Result<Vec<(i64, User)>, Error> {
    let (sql, names) = match named {
        Named::Selectors(s) => (ROWS_BY_SELECTORS.as_str(), to_json(&s)),
        Named::Ids(ids) => (ROWS_BY_IDS.as_str(), to_json(&ids)),
    };
    let rows: Vec<StoredRow> = conn
        .prepare_cached(sql)
        .and_then(|mut st| {
            st.query_map(params![project.as_str(), names], StoredRow::from_row)?
                .collect()
        })
        .map_err(failed("read users"))?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let pks = to_json(&rows.iter().map(|r| r.pk).collect::<Vec<_>>());
    let pair = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
    let triple = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
    let mut login_ids = group(list(conn, LOGIN_IDS, &pks, pair)?);
    let mut roles = group(list(conn, ROLES, &pks, pair)?);
    let mut roles_in: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    for (user, tenant, role) in list::<(i64, i64, String)>(conn, TENANT_ROLES, &pks, triple)? {
        roles_in.entry((user, tenant)).or_default().push(role);
    }
    let mut memberships: HashMap<i64, Vec<(String, Vec<String>)>> = HashMap::new();
    for (user, tenant, id) in list::<(i64, i64, String)>(conn, TENANTS, &pks, triple)? {
        let roles = roles_in.remove(&(user, tenant)).unwrap_or_default();
        memberships.entry(user).or_default().push((id, roles));
    }
    rows.into_iter()
        .map(|row| {
            let pk = row.pk;
            row.into_user(
                login_ids.remove(&pk).unwrap_or_default(),
                roles.remove(&pk).unwrap_or_default(),
                memberships.remove(&pk).unwrap_or_default(),
            )
        })
        .collect()
}

/// `[user_pk, value]` pairs as each user's values, in the order given.
fn group(pairs: Vec<(i64, String)>) -> HashMap<i64, Vec<String>> {
    let mut by_user: HashMap<i64, Vec<String>> = HashMap::new();
    for (user, value) in pairs {
        by_user.entry(user).or_default().push(value);
    }
    by_user
}

/// The version of each user of the project whose row key is in `pks`.
pub(crate) fn versions(
    conn: &Connection,
    project: &ProjectId,
    pks: &[i64],
) -> Result<HashMap<i64, i64>, Error> {
    conn.prepare_cached(
        "SELECT u.pk, u.version FROM json_each(?2) k \
         CROSS JOIN users u ON u.pk = k.value WHERE u.project_id = ?1",
    )
    .and_then(|mut st| {
        st.query_map(params![project.as_str(), to_json(&pks)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect()
    })
    .map_err(failed("read versions"))
}

/// Whether any of `names` is a login ID of the project, or (with `ids`) a user's ID.
pub(crate) fn taken(
    conn: &Connection,
    project: &ProjectId,
    names: &[&str],
    ids: bool,
) -> Result<bool, Error> {
    if names.is_empty() {
        return Ok(false);
    }
    let sql = if ids {
        "SELECT EXISTS (SELECT 1 FROM json_each(?2) n WHERE \
           EXISTS (SELECT 1 FROM user_login_ids l WHERE l.project_id = ?1 AND l.login_id = n.value) \
           OR EXISTS (SELECT 1 FROM users u WHERE u.project_id = ?1 AND u.id = n.value))"
    } else {
        "SELECT EXISTS (SELECT 1 FROM json_each(?2) n WHERE \
           EXISTS (SELECT 1 FROM user_login_ids l WHERE l.project_id = ?1 AND l.login_id = n.value))"
    };
    conn.prepare_cached(sql)
        .and_then(|mut st| st.query_row(params![project.as_str(), to_json(&names)], |r| r.get(0)))
        .map_err(failed("look login IDs up"))
}

/// The owner of each of `login_ids` that has one.
pub(crate) fn owners(
    conn: &Connection,
    project: &ProjectId,
    login_ids: &[&str],
) -> Result<Vec<(String, UserId)>, Error> {
    if login_ids.is_empty() {
        return Ok(Vec::new());
    }
    conn.prepare_cached(
        "SELECT l.login_id, u.id FROM user_login_ids l JOIN users u ON u.pk = l.user_pk \
         WHERE l.project_id = ?1 AND l.login_id IN (SELECT value FROM json_each(?2))",
    )
    .and_then(|mut st| {
        st.query_map(params![project.as_str(), to_json(&login_ids)], |r| {
            Ok((r.get(0)?, UserId::from_stored(r.get(1)?)))
        })?
        .collect()
    })
    .map_err(failed("load login ID owners"))
}
