//! Reading many users at once (a batch's, a list of IDs), table by table.
//!
//! [`crate::users::USER_JSON`] reads a user whole with one subquery per list, which is
//! the simplest way to read one user, and costs a subquery per user and list when many
//! are read. Here one statement reads a set of users as five JSON arrays, one pass over
//! each table: the user rows, then the login IDs, project roles, tenants and tenant
//! roles of all of them, each row tagged with its user's pk and ordered by it and by
//! position. Rust puts each user together. A write transaction that needs the
//! project's catalog too gets it in the same row ([`read`] with `catalog`).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use roster_domain::Error;
use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;
use roster_domain::user::User;
use roster_store::catalog_json::decode_catalog;
use rusqlite::{Connection, params};

use crate::db::failed;
use crate::users::{CATALOG_COLUMNS, StoredRow, USER_ROW_JSON, catalog_columns, load_catalog};
use crate::{json_column, to_json};

/// Users read by one statement: the JSON of the largest users (about 17 KB each at the
/// caps) stays under 5 MB, held beside the users made of it.
const USERS_PER_READ: usize = 256;

/// The statement that reads, as five JSON arrays, the users that the common table
/// expressions `ctes` name in their last one, `targets(pk)`; `?1` is the project. With
/// `catalog`, the project's catalog comes in the same row ([`CATALOG_COLUMNS`]).
fn by_table(ctes: &str, catalog: bool) -> String {
    let catalog = if catalog {
        format!(", {}", *CATALOG_COLUMNS)
    } else {
        String::new()
    };
    format!(
        "WITH {ctes}, t(pk) AS MATERIALIZED (SELECT pk FROM targets) SELECT \
         (SELECT json_group_array({USER_ROW_JSON}) \
            FROM t CROSS JOIN users u ON u.pk = t.pk WHERE u.project_id = ?1), \
         (SELECT json_group_array(json_array(l.user_pk, l.login_id) ORDER BY l.user_pk, l.position) \
            FROM t CROSS JOIN user_login_ids l ON l.user_pk = t.pk), \
         (SELECT json_group_array(json_array(ur.user_pk, r.name) ORDER BY ur.user_pk, ur.position) \
            FROM t CROSS JOIN user_roles ur ON ur.user_pk = t.pk JOIN roles r ON r.pk = ur.role_pk), \
         (SELECT json_group_array(json_array(ut.user_pk, ut.tenant_pk, tn.id) ORDER BY ut.user_pk, ut.position) \
            FROM t CROSS JOIN user_tenants ut ON ut.user_pk = t.pk JOIN tenants tn ON tn.pk = ut.tenant_pk), \
         (SELECT json_group_array(json_array(utr.user_pk, utr.tenant_pk, r.name) \
                 ORDER BY utr.user_pk, utr.tenant_pk, utr.position) \
            FROM t CROSS JOIN user_tenant_roles utr ON utr.user_pk = t.pk JOIN roles r ON r.pk = utr.role_pk)\
         {catalog}"
    )
}

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

/// The users named by selectors.
static BY_SELECTORS: LazyLock<String> = LazyLock::new(|| by_table(SELECTOR_TARGETS, false));

/// The users named by selectors, and the project's catalog.
static BY_SELECTORS_AND_CATALOG: LazyLock<String> =
    LazyLock::new(|| by_table(SELECTOR_TARGETS, true));

/// The users with these IDs (`?2`, a JSON array).
static BY_IDS: LazyLock<String> = LazyLock::new(|| {
    by_table(
        "ids(id) AS (SELECT DISTINCT value FROM json_each(?2)), \
         targets(pk) AS (SELECT x.pk FROM ids CROSS JOIN users x ON x.project_id = ?1 AND x.id = ids.id)",
        false,
    )
});

/// What [`read`] read: the catalog, when asked for, and the users, each with its pk.
pub(crate) type Read = (Option<Catalog>, Vec<(i64, User)>);

/// How a set of users is named.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Named<'a> {
    /// By selector: a login ID, or else a user ID.
    Selectors(&'a [&'a str]),
    /// By user ID.
    Ids(&'a [String]),
}

impl<'a> Named<'a> {
    /// The names in statements' worth: at most [`USERS_PER_READ`] each.
    fn chunks(self) -> Vec<Named<'a>> {
        match self {
            Named::Selectors(s) => s.chunks(USERS_PER_READ).map(Named::Selectors).collect(),
            Named::Ids(ids) => ids.chunks(USERS_PER_READ).map(Named::Ids).collect(),
        }
    }
}

/// Read the users named, in no particular order, each with its row's pk, statement
/// by statement; with `catalog` (a write transaction's group of single patches), the
/// project's catalog too: selected in the first statement's row, or read alone when no
/// statement reads users. A user named twice comes once, even when the two names fall
/// in different statements (by login ID in one, by ID in the other).
pub(crate) fn read(
    conn: &Connection,
    project: &ProjectId,
    named: Named<'_>,
    catalog: bool,
) -> Result<Read, Error> {
    let mut users = Vec::new();
    let mut seen = HashSet::new();
    let mut read_catalog = None;
    for (i, chunk) in named.chunks().into_iter().enumerate() {
        let (sql, names, with_catalog) = match chunk {
            Named::Selectors(s) if catalog && i == 0 => {
                (BY_SELECTORS_AND_CATALOG.as_str(), to_json(&s), true)
            }
            Named::Selectors(s) => (BY_SELECTORS.as_str(), to_json(&s), false),
            Named::Ids(ids) => (BY_IDS.as_str(), to_json(&ids), false),
        };
        let (tables, arrays) = conn
            .prepare_cached(sql)
            .and_then(|mut st| {
                st.query_row(params![project.as_str(), names], |r| {
                    let tables: Tables = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                    let arrays = if with_catalog {
                        Some(catalog_columns(r, 5)?)
                    } else {
                        None
                    };
                    Ok((tables, arrays))
                })
            })
            .map_err(failed("read users"))?;
        if let Some((roles, tenants, attributes)) = arrays {
            read_catalog = Some(decode_catalog(&roles, &tenants, &attributes)?);
        }
        for (pk, user) in decode(tables)? {
            if seen.insert(pk) {
                users.push((pk, user));
            }
        }
    }
    if catalog && read_catalog.is_none() {
        read_catalog = Some(load_catalog(conn, project)?);
    }
    Ok((read_catalog, users))
}

/// The five arrays [`by_table`] selects: user rows, then `[user_pk, login ID]`,
/// `[user_pk, role name]`, `[user_pk, tenant_pk, tenant ID]` and
/// `[user_pk, tenant_pk, role name]`.
type Tables = (String, String, String, String, String);

/// Put the users of [`Tables`] together.
fn decode(
    (users, login_ids, roles, tenants, tenant_roles): Tables,
) -> Result<Vec<(i64, User)>, Error> {
    let rows: Vec<StoredRow> = json_column(&users, "users")?;
    let mut login_ids = group(json_column(&login_ids, "login IDs")?);
    let mut roles = group(json_column(&roles, "roles")?);
    let mut roles_in: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    for (user, tenant, role) in
        json_column::<Vec<(i64, i64, String)>>(&tenant_roles, "tenant roles")?
    {
        roles_in.entry((user, tenant)).or_default().push(role);
    }
    let mut memberships: HashMap<i64, Vec<(String, Vec<String>)>> = HashMap::new();
    for (user, tenant, id) in json_column::<Vec<(i64, i64, String)>>(&tenants, "tenants")? {
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
