//! User search: a [`UserQuery`] turned into one `SELECT` of the page that counts every
//! match too (a `COUNT` of its own only for a page past the end).
//!
//! Every value is a bound parameter; list filters bind one JSON array each and expand it
//! with `json_each`, so the statement's shape depends only on which filters are present.
//! Sort columns come from a fixed list, never from the request's text.

use std::time::{Duration, Instant};

use roster_domain::Error;
use roster_domain::ids::ProjectId;
use roster_domain::names::AttributeName;
use roster_domain::search::{TestUsers, UserQuery};
use roster_domain::user::User;
use roster_store::sql::{
    TEXT_COLUMNS, like_pattern, search_took_too_long, search_total, sort_column,
};
use rusqlite::Connection;
use serde_json::Value;

use crate::db::{failed, is_interrupt};
use crate::query::Query;
use crate::to_json;
use crate::users::{USER_JSON, decode_user};

/// Whether the query names its users (by login ID, user ID, email or phone): then at
/// most as many users as it names can match, and the statement must start from them.
fn names_users(q: &UserQuery) -> bool {
    !(q.login_ids.is_empty() && q.user_ids.is_empty() && q.emails.is_empty() && q.phones.is_empty())
}

fn push_filters(qb: &mut Query, project: &ProjectId, q: &UserQuery) {
    // A query that names its users finds them by primary key (`u.pk IN (…)`). The unary
    // `+` keeps SQLite from using the listing index for the project and test columns
    // instead, which would read every user of the project to keep the few named (the
    // listing index also gives the sort order, and without statistics SQLite prefers it).
    let named = names_users(q);
    qb.push(if named {
        " WHERE +u.project_id = "
    } else {
        " WHERE u.project_id = "
    })
    .push_bind(project.as_str().to_string());
    let test = if named { " AND +u.test" } else { " AND u.test" };
    match q.test_users {
        TestUsers::Exclude => {
            qb.push(test).push(" = 0");
        }
        TestUsers::Include => {}
        TestUsers::Only => {
            qb.push(test).push(" = 1");
        }
    }
    let project_id = || project.as_str().to_string();
    if !q.login_ids.is_empty() {
        qb.push(" AND u.pk IN (SELECT l.user_pk FROM user_login_ids l WHERE l.project_id = ")
            .push_bind(project_id())
            .push(" AND l.login_id IN (SELECT value FROM json_each(")
            .push_bind(to_json(&q.login_ids))
            .push(")))");
    }
    for (column, values) in [
        ("id", &q.user_ids),
        ("email", &q.emails),
        ("phone", &q.phones),
    ] {
        if values.is_empty() {
            continue;
        }
        qb.push(" AND u.pk IN (SELECT n.pk FROM users n WHERE n.project_id = ")
            .push_bind(project_id())
            .push(" AND n.")
            .push(column)
            .push(" IN (SELECT value FROM json_each(")
            .push_bind(to_json(values))
            .push(")))");
    }
    if !q.statuses.is_empty() {
        let statuses: Vec<&str> = q.statuses.iter().map(|s| s.as_str()).collect();
        qb.push(" AND u.status IN (SELECT value FROM json_each(")
            .push_bind(to_json(&statuses))
            .push("))");
    }
    if !q.tenant_ids.is_empty() {
        qb.push(
            " AND u.pk IN (SELECT ut.user_pk FROM user_tenants ut WHERE ut.tenant_pk IN \
             (SELECT pk FROM tenants WHERE project_id = ",
        )
        .push_bind(project_id())
        .push(" AND id IN (SELECT value FROM json_each(")
        .push_bind(to_json(&q.tenant_ids))
        .push("))))");
    }
    if !q.role_names.is_empty() {
        let names = to_json(&q.role_names);
        qb.push(" AND u.pk IN (SELECT ur.user_pk FROM user_roles ur WHERE ur.role_pk IN (SELECT pk FROM roles WHERE project_id = ")
            .push_bind(project_id())
            .push(" AND name IN (SELECT value FROM json_each(")
            .push_bind(names.clone())
            .push("))) UNION SELECT utr.user_pk FROM user_tenant_roles utr WHERE utr.role_pk IN (SELECT pk FROM roles WHERE project_id = ")
            .push_bind(project_id())
            .push(" AND name IN (SELECT value FROM json_each(")
            .push_bind(names)
            .push("))))");
    }
    for f in &q.tenant_roles {
        let distinct = "(SELECT count(DISTINCT r.name) FROM user_tenant_roles utr JOIN roles r \
             ON r.pk = utr.role_pk WHERE utr.user_pk = u.pk AND utr.tenant_pk = \
             (SELECT pk FROM tenants WHERE project_id = ";
        qb.push(" AND ")
            .push(distinct)
            .push_bind(project_id())
            .push(" AND id = ")
            .push_bind(f.tenant_id.to_string())
            .push(") AND r.name IN (SELECT value FROM json_each(")
            .push_bind(to_json(&f.role_names))
            .push(")))");
        if f.all {
            let wanted = f
                .role_names
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            qb.push(" >= ")
                .push_bind(i64::try_from(wanted).unwrap_or(i64::MAX));
        } else {
            qb.push(" > 0");
        }
    }
    for (key, wanted) in &q.custom_attributes {
        if AttributeName::parse(key).is_err() {
            // No user can hold a key that is not an attribute name.
            qb.push(" AND 0");
            continue;
        }
        let wanted_list = match wanted {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        qb.push(" AND EXISTS (SELECT 1 FROM json_each(u.custom_attributes, ")
            .push_bind(format!("$.\"{key}\""))
            .push(") e JOIN json_each(")
            .push_bind(to_json(&wanted_list))
            .push(
                ") w ON (e.type = w.type OR (e.type IN ('integer', 'real') \
                 AND w.type IN ('integer', 'real'))) AND e.atom IS w.atom)",
            );
    }
    if !q.sso_app_ids.is_empty() {
        qb.push(" AND EXISTS (SELECT 1 FROM json_each(u.sso_app_ids) s WHERE s.value IN (SELECT value FROM json_each(")
            .push_bind(to_json(&q.sso_app_ids))
            .push(")))");
    }
    if !q.text.is_empty() {
        let p = like_pattern(&q.text);
        qb.push(" AND (");
        for (i, column) in TEXT_COLUMNS.into_iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push(column)
                .push(" LIKE ")
                .push_bind(p.clone())
                .push(" ESCAPE '\\'");
        }
        qb.push(" OR EXISTS (SELECT 1 FROM user_login_ids l WHERE l.user_pk = u.pk AND l.login_id LIKE ")
        .push_bind(p)
        .push(" ESCAPE '\\'))");
    }
    if let Some(v) = q.verified_email {
        qb.push(" AND u.verified_email = ").push_bind(v);
    }
    if let Some(v) = q.verified_phone {
        qb.push(" AND u.verified_phone = ").push_bind(v);
    }
    if let Some(t) = q.from_created {
        qb.push(" AND u.created_ms >= ").push_bind(t.0);
    }
    if let Some(t) = q.to_created {
        qb.push(" AND u.created_ms <= ").push_bind(t.0);
    }
    if let Some(t) = q.from_modified {
        qb.push(" AND u.modified_ms >= ").push_bind(t.0);
    }
    if let Some(t) = q.to_modified {
        qb.push(" AND u.modified_ms <= ").push_bind(t.0);
    }
}

/// Operations SQLite runs between two looks at the deadline.
const PROGRESS_OPS: i32 = 1_000;

/// The instant a search started `timeout` from now must end by.
#[allow(
    clippy::disallowed_methods,
    reason = "a deadline for a query, not a rule: the clock is read only to stop work"
)]
fn deadline(timeout: Duration) -> Instant {
    Instant::now() + timeout
}

#[allow(
    clippy::disallowed_methods,
    reason = "a deadline for a query, not a rule: the clock is read only to stop work"
)]
fn before(deadline: Instant) -> bool {
    Instant::now() < deadline
}

/// A failed search statement: SQLite interrupted by the deadline, or anything else.
pub(crate) fn search_error(
    timeout: Duration,
    what: &'static str,
) -> impl FnOnce(rusqlite::Error) -> Error {
    move |e| {
        if is_interrupt(&e) {
            search_took_too_long(timeout)
        } else {
            failed(what)(e)
        }
    }
}

/// A deadline on a connection: SQLite's progress handler stops any statement once it has
/// passed, until this is dropped.
pub(crate) struct Deadline<'c> {
    conn: &'c Connection,
}

impl<'c> Deadline<'c> {
    pub(crate) fn set(conn: &'c Connection, timeout: Duration) -> Result<Self, Error> {
        let until = deadline(timeout);
        conn.progress_handler(PROGRESS_OPS, Some(move || !before(until)))
            .map_err(failed("set a search's deadline"))?;
        Ok(Self { conn })
    }
}

impl Drop for Deadline<'_> {
    fn drop(&mut self) {
        // The connection serves other reads next: it must not keep the deadline.
        let _ = self.conn.progress_handler(0, None::<fn() -> bool>);
    }
}

/// The statement counting every user that matches, for a page that holds no row to
/// carry the count.
fn count_query(project: &ProjectId, q: &UserQuery) -> Query {
    let mut count = Query::new("SELECT count(*) FROM users u");
    push_filters(&mut count, project, q);
    count
}

/// The statement selecting the page of users the query asks for, each row with the
/// number of every user that matches (a subquery that does not depend on the row, so
/// SQLite counts once), so that a search is one statement, on one snapshot.
fn page_query(project: &ProjectId, q: &UserQuery) -> Query {
    let mut page = Query::new(format!(
        "SELECT {USER_JSON} AS user, (SELECT count(*) FROM users u"
    ));
    push_filters(&mut page, project, q);
    page.push(") AS total FROM users u");
    push_filters(&mut page, project, q);
    page.push(" ORDER BY ");
    for (field, desc) in &q.sort {
        page.push(sort_column(*field))
            .push(if *desc { " DESC, " } else { " ASC, " });
    }
    page.push("u.created_ms ASC, u.pk ASC LIMIT ")
        .push_count(u64::from(q.limit))
        .push(" OFFSET ")
        .push_count(q.offset);
    page
}

/// Run a search, stopping it once `timeout` has passed.
pub(crate) fn search(
    conn: &Connection,
    project: &ProjectId,
    q: &UserQuery,
    timeout: Duration,
) -> Result<(Vec<User>, u64), Error> {
    let _deadline = Deadline::set(conn, timeout)?;
    let page = page_query(project, q);
    let rows: Vec<(String, i64)> = conn
        .prepare_cached(page.sql())
        .and_then(|mut st| {
            st.query_map(page.params(), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(search_error(timeout, "search users"))?;
    let mut counted = None;
    let mut users = Vec::with_capacity(rows.len());
    for (json, total) in &rows {
        counted = Some(*total);
        users.push(decode_user(json)?.1);
    }
    let total = match search_total(q, counted) {
        Some(n) => n,
        None => {
            let count = count_query(project, q);
            let n: i64 = conn
                .prepare_cached(count.sql())
                .and_then(|mut st| st.query_row(count.params(), |r| r.get(0)))
                .map_err(search_error(timeout, "count search results"))?;
            u64::try_from(n).unwrap_or(0)
        }
    };
    Ok((users, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;

    /// What SQLite's planner says it will do for a statement, one line per step.
    async fn plan(store: &SqliteStore, query: Query) -> String {
        let sql = format!("EXPLAIN QUERY PLAN {}", query.sql());
        let details: Vec<String> = store
            .db
            .read(|conn| {
                conn.prepare(&sql)
                    .and_then(|mut st| st.query_map(query.params(), |r| r.get(3))?.collect())
                    .map_err(failed("explain"))
            })
            .await
            .unwrap_or_else(|e| panic!("explain failed: {e}"));
        details.join("\n")
    }

    /// A search that names its users starts from them: it never reads the project's
    /// users through the listing index, nor scans the users table.
    #[tokio::test]
    async fn named_users_are_found_by_key() {
        let store = SqliteStore::open("sqlite::memory:")
            .await
            .unwrap_or_else(|e| panic!("open: {e}"));
        let project = ProjectId::from_stored("P2Plan".to_string());
        let one = || vec!["a@example.com".to_string()];
        let queries = [
            UserQuery {
                login_ids: one(),
                ..UserQuery::new()
            },
            UserQuery {
                user_ids: one(),
                ..UserQuery::new()
            },
            UserQuery {
                emails: one(),
                ..UserQuery::new()
            },
            UserQuery {
                phones: one(),
                ..UserQuery::new()
            },
            UserQuery {
                emails: one(),
                test_users: TestUsers::Only,
                ..UserQuery::new()
            },
        ];
        for q in &queries {
            for plan in [
                plan(&store, count_query(&project, q)).await,
                plan(&store, page_query(&project, q)).await,
            ] {
                assert!(
                    plan.contains("SEARCH u USING INTEGER PRIMARY KEY")
                        && !plan.contains("users_listing")
                        && !plan.contains("SCAN u"),
                    "{q:?} reads more than the users it names:\n{plan}"
                );
            }
        }
        // Without names, the listing index serves the page in order.
        let all = plan(&store, page_query(&project, &UserQuery::new())).await;
        assert!(all.contains("users_listing"), "{all}");
    }
}
