//! User search: a [`UserQuery`] turned into one `SELECT` of the page that counts every
//! match too (a `COUNT` of its own only for a page past the end).
//!
//! Every value is a bound parameter; list filters bind one array each, so the
//! statement's shape depends only on which filters are present. Sort columns come from
//! a fixed list, never from the request's text. Results match SQLite's exactly: text
//! columns compare and sort by bytes (the "C" collation), `ILIKE` folds ASCII letters
//! only, and missing values (`NULL`) sort first, as SQLite sorts them.

use std::time::Duration;

use roster_domain::Error;
use roster_domain::ids::ProjectId;
use roster_domain::names::AttributeName;
use roster_domain::search::{TestUsers, UserQuery};
use roster_domain::user::User;
use serde_json::Value;
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder, Row};

use roster_store::sql::{
    TEXT_COLUMNS, like_pattern, search_took_too_long, search_total, sort_column,
};

use crate::users::{USER_COLUMNS, decode_user};
use crate::{internal, to_json};

fn push_filters(qb: &mut QueryBuilder<Postgres>, project: &ProjectId, q: &UserQuery) {
    let project_id = || project.as_str().to_string();
    qb.push(" WHERE u.project_id = ").push_bind(project_id());
    match q.test_users {
        TestUsers::Exclude => {
            qb.push(" AND NOT u.test");
        }
        TestUsers::Include => {}
        TestUsers::Only => {
            qb.push(" AND u.test");
        }
    }
    if !q.login_ids.is_empty() {
        qb.push(" AND u.pk IN (SELECT l.user_pk FROM user_login_ids l WHERE l.project_id = ")
            .push_bind(project_id())
            .push(" AND l.login_id IN (SELECT unnest(")
            .push_bind(q.login_ids.clone())
            .push("::text[])))");
    }
    if !q.user_ids.is_empty() {
        qb.push(" AND u.id IN (SELECT unnest(")
            .push_bind(q.user_ids.clone())
            .push("::text[]))");
    }
    if !q.emails.is_empty() {
        qb.push(" AND u.email IN (SELECT unnest(")
            .push_bind(q.emails.clone())
            .push("::text[]))");
    }
    if !q.phones.is_empty() {
        qb.push(" AND u.phone IN (SELECT unnest(")
            .push_bind(q.phones.clone())
            .push("::text[]))");
    }
    if !q.statuses.is_empty() {
        let statuses: Vec<String> = q.statuses.iter().map(|s| s.as_str().to_string()).collect();
        qb.push(" AND u.status IN (SELECT unnest(")
            .push_bind(statuses)
            .push("::text[]))");
    }
    if !q.tenant_ids.is_empty() {
        qb.push(
            " AND u.pk IN (SELECT ut.user_pk FROM user_tenants ut JOIN tenants t \
             ON t.pk = ut.tenant_pk WHERE t.project_id = ",
        )
        .push_bind(project_id())
        .push(" AND t.id IN (SELECT unnest(")
        .push_bind(q.tenant_ids.clone())
        .push("::text[])))");
    }
    if !q.role_names.is_empty() {
        qb.push(
            " AND u.pk IN (SELECT ur.user_pk FROM user_roles ur JOIN roles r ON r.pk = ur.role_pk \
             WHERE r.project_id = ",
        )
        .push_bind(project_id())
        .push(" AND r.name IN (SELECT unnest(")
        .push_bind(q.role_names.clone())
        .push(
            "::text[])) UNION SELECT utr.user_pk FROM user_tenant_roles utr JOIN roles r \
             ON r.pk = utr.role_pk WHERE r.project_id = ",
        )
        .push_bind(project_id())
        .push(" AND r.name IN (SELECT unnest(")
        .push_bind(q.role_names.clone())
        .push("::text[])))");
    }
    for f in &q.tenant_roles {
        qb.push(
            " AND (SELECT count(DISTINCT r.name) FROM user_tenant_roles utr JOIN roles r \
             ON r.pk = utr.role_pk WHERE utr.user_pk = u.pk AND utr.tenant_pk = \
             (SELECT pk FROM tenants WHERE project_id = ",
        )
        .push_bind(project_id())
        .push(" AND id = ")
        .push_bind(f.tenant_id.clone())
        .push(") AND r.name IN (SELECT unnest(")
        .push_bind(f.role_names.clone())
        .push("::text[])))");
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
            qb.push(" AND false");
            continue;
        }
        let wanted_list = match wanted {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        // The user's value, or each element of it when it is a list, equals one of the
        // wanted values.
        qb.push(" AND u.custom_attributes ? ")
            .push_bind(key.clone())
            .push(" AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof(u.custom_attributes -> ")
            .push_bind(key.clone())
            .push(") WHEN 'array' THEN u.custom_attributes -> ")
            .push_bind(key.clone())
            .push(" ELSE jsonb_build_array(u.custom_attributes -> ")
            .push_bind(key.clone())
            .push(") END) e(v) WHERE e.v IN (SELECT jsonb_array_elements(")
            .push_bind(to_json(&wanted_list))
            .push("::jsonb)))");
    }
    if !q.sso_app_ids.is_empty() {
        qb.push(" AND u.sso_app_ids ?| ")
            .push_bind(q.sso_app_ids.clone())
            .push("::text[]");
    }
    if !q.text.is_empty() {
        let p = like_pattern(&q.text);
        qb.push(" AND (");
        for (i, column) in TEXT_COLUMNS.into_iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push(column)
                .push(" ILIKE ")
                .push_bind(p.clone())
                .push(" ESCAPE '\\'");
        }
        qb.push(
            " OR EXISTS (SELECT 1 FROM user_login_ids l WHERE l.user_pk = u.pk AND l.login_id ILIKE ",
        )
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

/// A failed search statement: cancelled at the deadline (`57014`), or anything else.
pub(crate) fn search_error(
    timeout: Duration,
    what: &'static str,
) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| {
        if crate::sqlstate(&e).as_deref() == Some("57014") {
            search_took_too_long(timeout)
        } else {
            internal(what)(e)
        }
    }
}

/// A read-only transaction whose statements PostgreSQL cancels once `timeout` has
/// passed (`statement_timeout`). Both are one message to PostgreSQL (`BEGIN` is sent
/// as a simple query, which may hold several statements), so a search pays one round
/// trip for them, not two.
pub(crate) async fn begin_with_deadline(
    conn: &mut PgConnection,
    timeout: Duration,
) -> Result<sqlx::Transaction<'_, Postgres>, Error> {
    let millis = timeout.as_millis().clamp(1, i32::MAX as u128);
    // A number this code formats, not input.
    conn.begin_with(sqlx::AssertSqlSafe(format!(
        "BEGIN READ ONLY; SET LOCAL statement_timeout = {millis}"
    )))
    .await
    .map_err(internal("begin a search"))
}

/// Run a search that PostgreSQL cancels once `timeout` has passed.
pub(crate) async fn search(
    conn: &mut PgConnection,
    project: &ProjectId,
    q: &UserQuery,
    timeout: Duration,
) -> Result<(Vec<User>, u64), Error> {
    let mut tx = begin_with_deadline(conn, timeout).await?;
    let found = run(&mut tx, project, q, timeout).await?;
    // The transaction only read: ending it changes nothing, so the answer does not wait
    // for its end. Dropped, it is rolled back before the connection serves anyone else
    // (sqlx sends the `ROLLBACK` when the connection goes back to its pool).
    drop(tx);
    Ok(found)
}

/// The search's order: the sort fields asked for, then creation and the row's key, so
/// that every order is total and pages never overlap.
fn push_order(qb: &mut QueryBuilder<Postgres>, q: &UserQuery) {
    qb.push(" ORDER BY ");
    for (field, desc) in &q.sort {
        qb.push(sort_column(*field)).push(if *desc {
            " DESC NULLS LAST, "
        } else {
            " ASC NULLS FIRST, "
        });
    }
    qb.push("u.created_ms ASC, u.pk ASC");
}

async fn run(
    conn: &mut PgConnection,
    project: &ProjectId,
    q: &UserQuery,
    timeout: Duration,
) -> Result<(Vec<User>, u64), Error> {
    // The page is chosen by the users' keys alone, then its users are read whole.
    // PostgreSQL computes a selected row's columns (login IDs, roles and tenants are
    // subqueries) for every row it skips with OFFSET: reading whole rows in the
    // statement that skips made the last page of 100,000 users take over a second.
    // Each row carries the number of every user that matches (`total`: a subquery that
    // does not depend on the row, computed once), so a search is one statement.
    let mut page = QueryBuilder::<Postgres>::new(format!(
        "SELECT {USER_COLUMNS}, (SELECT count(*) FROM users u"
    ));
    push_filters(&mut page, project, q);
    page.push(") AS total FROM users u JOIN (SELECT u.pk FROM users u");
    push_filters(&mut page, project, q);
    push_order(&mut page, q);
    page.push(" LIMIT ")
        .push_bind(i64::from(q.limit))
        .push(" OFFSET ")
        .push_bind(i64::try_from(q.offset).unwrap_or(i64::MAX));
    // The chosen users again in the same order (the same keys of the same rows).
    page.push(") AS chosen ON chosen.pk = u.pk");
    push_order(&mut page, q);
    let rows = page
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(search_error(timeout, "search users"))?;
    let mut counted = None;
    let mut users = Vec::with_capacity(rows.len());
    for row in &rows {
        counted = Some(
            row.try_get::<i64, _>("total")
                .map_err(internal("read count"))?,
        );
        users.push(decode_user(row)?);
    }
    let total = match search_total(q, counted) {
        Some(n) => n,
        None => {
            let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM users u");
            push_filters(&mut count, project, q);
            let n: i64 = count
                .build_query_scalar()
                .fetch_one(&mut *conn)
                .await
                .map_err(search_error(timeout, "count search results"))?;
            u64::try_from(n).unwrap_or(0)
        }
    };
    Ok((users, total))
}
