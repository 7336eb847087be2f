//! The audit trail's table: records written set-based (one `INSERT … SELECT FROM
//! unnest(…)` per 10,000) in the transaction of the change they record, records a
//! cascade stamps once per user it changed (one `INSERT … SELECT`), the search, and
//! pruning by age.

use std::time::Duration;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::audit::{AuditData, AuditKind, AuditQuery, AuditRecord, Origin};
use roster_domain::ids::{KeyId, ProjectId};
use roster_domain::time::Millis;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::search::{begin_with_deadline, search_error};
use crate::{PostgresStore, db_error, from_json, internal, to_json};

/// Records per statement.
const CHUNK: usize = 10_000;

/// Write the records of a change `origin` made (none when the audit trail is off).
pub(crate) async fn insert(
    conn: &mut PgConnection,
    project: &ProjectId,
    origin: &Origin,
    records: &[AuditRecord],
) -> Result<(), Error> {
    if origin.audited {
        write(conn, project, records).await?;
    }
    Ok(())
}

/// Write records: each run of records that share their header (time, action, type,
/// actor, key, address; a batch's records are one run) in one statement per 10,000,
/// the header bound once and one array per varying column.
pub(crate) async fn write(
    conn: &mut PgConnection,
    project: &ProjectId,
    records: &[AuditRecord],
) -> Result<(), Error> {
    for run in records.chunk_by(AuditRecord::same_header) {
        let h = &run[0];
        for chunk in run.chunks(CHUNK) {
            let column =
                |f: fn(&AuditRecord) -> &str| -> Vec<&str> { chunk.iter().map(f).collect() };
            let login_ids: Vec<String> = chunk.iter().map(|r| to_json(&r.login_ids)).collect();
            let tenants: Vec<String> = chunk.iter().map(|r| to_json(&r.tenants)).collect();
            sqlx::query(
                "INSERT INTO audit_records (project_id, occurred_ms, action, kind, actor, key_id, \
                   remote_address, user_id, login_ids, tenants, data) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, v.u, v.l::jsonb, v.t::jsonb, v.d::jsonb \
                 FROM unnest($8::text[], $9::text[], $10::text[], $11::text[]) \
                   WITH ORDINALITY AS v(u, l, t, d, ord) \
                 ORDER BY v.ord",
            )
            .bind(project.as_str())
            .bind(h.occurred.0)
            .bind(h.action.as_str())
            .bind(h.kind.as_str())
            .bind(h.actor.as_str())
            .bind(h.key.as_ref().map(KeyId::as_str))
            .bind(h.remote_address.as_str())
            .bind(column(|r| r.user_id.as_str()))
            .bind(login_ids)
            .bind(tenants)
            .bind(column(|r| r.data.as_str()))
            .execute(&mut *conn)
            .await
            .map_err(db_error("write audit records"))?;
        }
    }
    Ok(())
}

/// Write `record` once for each user in `pks` (before a cascade deletes them, or after it
/// changed them), with the user's ID and login IDs filled in, and its tenants when the
/// record names none. With `removed_attributes`, the record's `data.changes` also lists,
/// for each user, the values of those custom attributes it holds (the cascade is about to
/// remove them): `{"customAttributes.NAME": {"old": VALUE, "new": null}}`.
pub(crate) async fn stamp_users(
    conn: &mut PgConnection,
    origin: &Origin,
    record: &AuditRecord,
    pks: &[i64],
    removed_attributes: &[String],
) -> Result<(), Error> {
    if pks.is_empty() || !origin.audited {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO audit_records (project_id, occurred_ms, action, kind, actor, key_id, \
           remote_address, user_id, login_ids, tenants, data) \
         SELECT u.project_id, $1, $2, $3, $4, $5, $6, u.id, \
           coalesce((SELECT jsonb_agg(l.login_id ORDER BY l.position) FROM user_login_ids l \
             WHERE l.user_pk = u.pk), '[]'::jsonb), \
           CASE WHEN $7::jsonb = '[]'::jsonb THEN coalesce((SELECT jsonb_agg(t.id ORDER BY ut.position) \
             FROM user_tenants ut JOIN tenants t ON t.pk = ut.tenant_pk \
             WHERE ut.user_pk = u.pk), '[]'::jsonb) ELSE $7::jsonb END, \
           CASE WHEN cardinality($10::text[]) = 0 THEN $8::jsonb ELSE jsonb_set($8::jsonb, '{changes}', \
             coalesce((SELECT jsonb_object_agg('customAttributes.' || j.key, \
                 jsonb_build_object('old', j.value, 'new', NULL)) \
               FROM jsonb_each(u.custom_attributes) j WHERE j.key = ANY($10::text[])), '{}'::jsonb)) END \
         FROM users u WHERE u.pk = ANY($9::bigint[]) ORDER BY u.pk",
    )
    .bind(record.occurred.0)
    .bind(record.action.as_str())
    .bind(record.kind.as_str())
    .bind(record.actor.as_str())
    .bind(record.key.as_ref().map(KeyId::as_str))
    .bind(record.remote_address.as_str())
    .bind(to_json(&record.tenants))
    .bind(record.data.as_str())
    .bind(pks)
    .bind(removed_attributes)
    .execute(conn)
    .await
    .map_err(db_error("write the audit records of a cascade"))?;
    Ok(())
}

/// The `WHERE` of a search (after `FROM audit_records a`).
fn push_filters(qb: &mut QueryBuilder<Postgres>, project: &ProjectId, q: &AuditQuery) {
    qb.push(" WHERE a.project_id = ")
        .push_bind(project.as_str().to_string());
    let in_list = |qb: &mut QueryBuilder<Postgres>, column: &str, values: &[String], not: bool| {
        if !values.is_empty() {
            let op = if not { "<> ALL(" } else { "= ANY(" };
            qb.push(format!(" AND {column} {op}"))
                .push_bind(values.to_vec())
                .push("::text[])");
        }
    };
    in_list(qb, "a.user_id", &q.user_ids, false);
    in_list(qb, "a.action", &q.actions, false);
    in_list(qb, "a.action", &q.excluded_actions, true);
    in_list(qb, "a.remote_address", &q.remote_addresses, false);
    if !q.login_ids.is_empty() {
        qb.push(" AND a.login_ids ?| ")
            .push_bind(q.login_ids.clone())
            .push("::text[]");
    }
    if !q.tenants.is_empty() {
        qb.push(" AND (a.tenants ?| ")
            .push_bind(q.tenants.clone())
            .push("::text[]");
        if q.no_tenants {
            qb.push(" OR a.tenants = '[]'::jsonb");
        }
        qb.push(")");
    }
    if let Some(from) = q.from {
        qb.push(" AND a.occurred_ms >= ").push_bind(from.0);
    }
    if let Some(to) = q.to {
        qb.push(" AND a.occurred_ms <= ").push_bind(to.0);
    }
    if !q.text.is_empty() {
        // ASCII letters folded alone, as the domain's rule does, whatever the collation.
        qb.push(
            " AND strpos(translate(a.action || chr(10) || a.kind || chr(10) || a.actor || chr(10) \
               || a.remote_address || chr(10) || a.user_id || chr(10) || a.login_ids::text \
               || chr(10) || a.tenants::text || chr(10) || a.data::text, \
               'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ",
        )
        .push_bind(q.text.to_ascii_lowercase())
        .push(") > 0");
    }
}

/// A row of `audit_records` (every column) as a record.
pub(crate) fn decode(row: &PgRow) -> Result<AuditRecord, Error> {
    let read = || internal("read an audit record");
    let text = |c: &str| -> Result<String, Error> { row.try_get(c).map_err(read()) };
    let json = |c: &str| -> Result<serde_json::Value, Error> { row.try_get(c).map_err(read()) };
    Ok(AuditRecord {
        occurred: Millis(row.try_get("occurred_ms").map_err(read())?),
        action: text("action")?,
        kind: AuditKind::parse(&text("kind")?).unwrap_or(AuditKind::Info),
        actor: text("actor")?,
        key: row
            .try_get::<Option<String>, _>("key_id")
            .map_err(read())?
            .map(KeyId::from_stored),
        remote_address: text("remote_address")?,
        user_id: text("user_id")?,
        login_ids: from_json(json("login_ids")?, "audit_records.login_ids")?,
        tenants: from_json(json("tenants")?, "audit_records.tenants")?,
        data: AuditData::from_map(&from_json(json("data")?, "audit_records.data")?),
    })
}

async fn run(
    conn: &mut PgConnection,
    project: &ProjectId,
    q: &AuditQuery,
    timeout: Duration,
) -> Result<(Vec<AuditRecord>, u64), Error> {
    let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM audit_records a");
    push_filters(&mut count, project, q);
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(&mut *conn)
        .await
        .map_err(search_error(timeout, "count audit records"))?;
    let mut page = QueryBuilder::<Postgres>::new("SELECT * FROM audit_records a");
    push_filters(&mut page, project, q);
    page.push(" ORDER BY a.occurred_ms DESC, a.seq DESC LIMIT ")
        .push_bind(i64::from(q.limit))
        .push(" OFFSET ")
        .push_bind(i64::try_from(q.offset()).unwrap_or(i64::MAX));
    let rows = page
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(search_error(timeout, "search audit records"))?;
    let records = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    Ok((records, u64::try_from(total).unwrap_or(0)))
}

#[async_trait]
impl roster_store::AuditStore for PostgresStore {
    async fn record(&self, project: &ProjectId, records: &[AuditRecord]) -> Result<(), Error> {
        in_write_tx!(self, "record audit events", |conn| {
            write(conn, project, records).await
        })
    }

    async fn search_audit(
        &self,
        project: &ProjectId,
        query: &AuditQuery,
        timeout: Duration,
    ) -> Result<(Vec<AuditRecord>, u64), Error> {
        if query.matches_nothing() {
            return Ok((Vec::new(), 0));
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(internal("acquire a connection"))?;
        let mut tx = begin_with_deadline(&mut conn, timeout).await?;
        let found = run(&mut tx, project, query, timeout).await?;
        tx.commit().await.map_err(internal("end a search"))?;
        Ok(found)
    }

    async fn prune_audit(&self, before: Millis, limit: u32) -> Result<u64, Error> {
        let projects: Vec<String> = sqlx::query_scalar("SELECT id FROM projects ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(internal("list projects"))?;
        let mut left = i64::from(limit);
        let mut pruned = 0;
        for project in projects {
            if left <= 0 {
                break;
            }
            // One short statement per project; rows another node is pruning are skipped.
            let gone = sqlx::query(
                "DELETE FROM audit_records WHERE seq IN (SELECT seq FROM audit_records \
                   WHERE project_id = $1 AND occurred_ms < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)",
            )
            .bind(&project)
            .bind(before.0)
            .bind(left)
            .execute(&self.pool)
            .await
            .map_err(internal("prune audit records"))?
            .rows_affected();
            pruned += gone;
            left -= i64::try_from(gone).unwrap_or(i64::MAX);
        }
        Ok(pruned)
    }
}
