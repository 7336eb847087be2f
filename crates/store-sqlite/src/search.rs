//! User search: a [`UserQuery`] turned into one `SELECT` for the page and one `COUNT`.
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
use serde_json::Value;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use roster_store::sql::{TEXT_COLUMNS, like_pattern, search_took_too_long, sort_column};

use crate::users::{USER_COLUMNS, decode_user};
use crate::{internal, to_json};

fn push_filters(qb: &mut QueryBuilder<Sqlite>, project: &ProjectId, q: &UserQuery) {
    qb.push(" WHERE u.project_id = ")
        .push_bind(project.as_str().to_string());
    match q.test_users {
        TestUsers::Exclude => {
            qb.push(" AND u.test = 0");
        }
        TestUsers::Include => {}
        TestUsers::Only => {
            qb.push(" AND u.test = 1");
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
    if !q.user_ids.is_empty() {
        qb.push(" AND u.id IN (SELECT value FROM json_each(")
            .push_bind(to_json(&q.user_ids))
            .push("))");
    }
    if !q.emails.is_empty() {
        qb.push(" AND u.email IN (SELECT value FROM json_each(")
            .push_bind(to_json(&q.emails))
            .push("))");
    }
    if !q.phones.is_empty() {
        qb.push(" AND u.phone IN (SELECT value FROM json_each(")
            .push_bind(to_json(&q.phones))
            .push("))");
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
            .push_bind(f.tenant_id.clone())
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
) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("9") => {
            search_took_too_long(timeout)
        }
        _ => internal(what)(e),
    }
}

/// Stop any statement on `conn` (SQLite's progress handler) once `timeout` has passed;
/// [`clear_deadline`] must follow before the connection goes back to its pool.
pub(crate) async fn set_deadline(
    conn: &mut SqliteConnection,
    timeout: Duration,
) -> Result<(), Error> {
    let until = deadline(timeout);
    conn.lock_handle()
        .await
        .map_err(internal("lock a reader"))?
        .set_progress_handler(PROGRESS_OPS, move || before(until));
    Ok(())
}

/// The connection goes back to the pool: it must not keep the deadline.
pub(crate) async fn clear_deadline(conn: &mut SqliteConnection) {
    if let Ok(mut handle) = conn.lock_handle().await {
        handle.remove_progress_handler();
    }
}

/// Run a search, stopping it once `timeout` has passed.
pub(crate) async fn search(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    q: &UserQuery,
    timeout: Duration,
) -> Result<(Vec<User>, u64), Error> {
    set_deadline(conn, timeout).await?;
    let result = run(conn, project, q, timeout).await;
    clear_deadline(conn).await;
    result
}

async fn run(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    q: &UserQuery,
    timeout: Duration,
) -> Result<(Vec<User>, u64), Error> {
    let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) AS n FROM users u");
    push_filters(&mut count, project, q);
    let total: i64 = count
        .build()
        .fetch_one(&mut *conn)
        .await
        .map_err(search_error(timeout, "count search results"))?
        .try_get("n")
        .map_err(internal("read count"))?;

    let mut page = QueryBuilder::<Sqlite>::new(format!("SELECT {USER_COLUMNS} FROM users u"));
    push_filters(&mut page, project, q);
    page.push(" ORDER BY ");
    for (field, desc) in &q.sort {
        page.push(sort_column(*field))
            .push(if *desc { " DESC, " } else { " ASC, " });
    }
    page.push("u.created_ms ASC, u.pk ASC LIMIT ")
        .push_bind(i64::from(q.limit))
        .push(" OFFSET ")
        .push_bind(i64::try_from(q.offset).unwrap_or(i64::MAX));
    let rows = page
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(search_error(timeout, "search users"))?;
    let users = rows
        .iter()
        .map(decode_user)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((users, u64::try_from(total).unwrap_or(0)))
}
