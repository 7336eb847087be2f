//! The audit trail's table: records written set-based in the transaction of the change
//! they record, records a cascade stamps once per user it changed (one `INSERT …
//! SELECT`), the search, and pruning by age.

use std::time::Duration;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::audit::{AuditData, AuditKind, AuditQuery, AuditRecord, Origin};
use roster_domain::ids::{KeyId, ProjectId};
use roster_domain::time::Millis;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::search::{clear_deadline, search_error, set_deadline};
use crate::{SqliteStore, internal, json_column, statements, to_json};

const INSERT: &str = "INSERT INTO audit_records (project_id, occurred_ms, action, kind, actor, \
    key_id, remote_address, user_id, login_ids, tenants, data) ";
/// Parameters of a statement's header: the project and what a run of records shares.
const HEADER: usize = 7;
/// Parameters of each record: user ID, login IDs, tenants, data.
const PER_RECORD: usize = 4;

/// Write the records of a change `origin` made (none when the audit trail is off), set-
/// based (see [`write`]).
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
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
/// actor, key, address; a batch's records are one run) in multi-row statements of the
/// row counts [`statements::chunks`] gives, the header bound once per statement and four
/// values per record.
pub(crate) async fn write(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    records: &[AuditRecord],
) -> Result<(), Error> {
    for run in records.chunk_by(AuditRecord::same_header) {
        let h = &run[0];
        for chunk in statements::chunks(run, PER_RECORD, HEADER) {
            let mut qb = QueryBuilder::<Sqlite>::new(INSERT);
            qb.push("SELECT ");
            qb.separated(", ")
                .push_bind(project.as_str())
                .push_bind(h.occurred.0)
                .push_bind(h.action.as_str())
                .push_bind(h.kind.as_str())
                .push_bind(h.actor.as_str())
                .push_bind(h.key.as_ref().map(KeyId::as_str))
                .push_bind(h.remote_address.as_str());
            qb.push(", column1, column2, column3, column4 FROM (");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.user_id.as_str())
                    .push_bind(to_json(&r.login_ids))
                    .push_bind(to_json(&r.tenants))
                    .push_bind(r.data.as_str());
            });
            qb.push(")");
            qb.build()
                .execute(&mut *conn)
                .await
                .map_err(internal("write audit records"))?;
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
    conn: &mut SqliteConnection,
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
         SELECT u.project_id, ?1, ?2, ?3, ?4, ?5, ?6, u.id, \
           (SELECT json_group_array(l.login_id ORDER BY l.position) FROM user_login_ids l \
             WHERE l.user_pk = u.pk), \
           CASE WHEN ?7 = '[]' THEN (SELECT json_group_array(t.id ORDER BY ut.position) \
             FROM user_tenants ut JOIN tenants t ON t.pk = ut.tenant_pk \
             WHERE ut.user_pk = u.pk) ELSE ?7 END, \
           CASE WHEN ?10 = '[]' THEN ?8 ELSE json_set(?8, '$.changes', \
             (SELECT json_group_object('customAttributes.' || j.key, json_object('old', \
                CASE j.type WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') \
                  WHEN 'null' THEN json('null') WHEN 'object' THEN json(j.value) \
                  WHEN 'array' THEN json(j.value) ELSE j.value END, 'new', NULL)) \
              FROM json_each(u.custom_attributes) j \
              WHERE j.key IN (SELECT value FROM json_each(?10)))) END \
         FROM users u WHERE u.pk IN (SELECT value FROM json_each(?9)) ORDER BY u.pk",
    )
    .bind(record.occurred.0)
    .bind(record.action.as_str())
    .bind(record.kind.as_str())
    .bind(record.actor.as_str())
    .bind(record.key.as_ref().map(KeyId::as_str))
    .bind(record.remote_address.as_str())
    .bind(to_json(&record.tenants))
    .bind(record.data.as_str())
    .bind(to_json(&pks))
    .bind(to_json(&removed_attributes))
    .execute(conn)
    .await
    .map_err(internal("write the audit records of a cascade"))?;
    Ok(())
}

/// The `WHERE` of a search (after `FROM audit_records a`).
fn push_filters(qb: &mut QueryBuilder<Sqlite>, project: &ProjectId, q: &AuditQuery) {
    qb.push(" WHERE a.project_id = ")
        .push_bind(project.as_str().to_string());
    let in_list = |qb: &mut QueryBuilder<Sqlite>, column: &str, values: &[String], not: bool| {
        if !values.is_empty() {
            qb.push(format!(
                " AND {column} {}IN (SELECT value FROM json_each(",
                if not { "NOT " } else { "" }
            ))
            .push_bind(to_json(&values))
            .push("))");
        }
    };
    in_list(qb, "a.user_id", &q.user_ids, false);
    in_list(qb, "a.action", &q.actions, false);
    in_list(qb, "a.action", &q.excluded_actions, true);
    in_list(qb, "a.remote_address", &q.remote_addresses, false);
    if !q.login_ids.is_empty() {
        qb.push(
            " AND EXISTS (SELECT 1 FROM json_each(a.login_ids) j \
               WHERE j.value IN (SELECT value FROM json_each(",
        )
        .push_bind(to_json(&q.login_ids))
        .push(")))");
    }
    if !q.tenants.is_empty() {
        qb.push(
            " AND (EXISTS (SELECT 1 FROM json_each(a.tenants) j \
               WHERE j.value IN (SELECT value FROM json_each(",
        )
        .push_bind(to_json(&q.tenants))
        .push(")))");
        if q.no_tenants {
            qb.push(" OR a.tenants = '[]'");
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
        // SQLite's lower() folds ASCII letters only, as the domain's rule does.
        qb.push(
            " AND instr(lower(a.action || char(10) || a.kind || char(10) || a.actor || char(10) \
               || a.remote_address || char(10) || a.user_id || char(10) || a.login_ids \
               || char(10) || a.tenants || char(10) || a.data), ",
        )
        .push_bind(q.text.to_ascii_lowercase())
        .push(") > 0");
    }
}

/// A row of `audit_records` (every column) as a record.
pub(crate) fn decode(row: &SqliteRow) -> Result<AuditRecord, Error> {
    let get = |c: &str| -> Result<String, Error> {
        row.try_get(c).map_err(internal("read an audit record"))
    };
    let kind = get("kind")?;
    Ok(AuditRecord {
        occurred: Millis(
            row.try_get("occurred_ms")
                .map_err(internal("read an audit record"))?,
        ),
        action: get("action")?,
        kind: AuditKind::parse(&kind).unwrap_or(AuditKind::Info),
        actor: get("actor")?,
        key: row
            .try_get::<Option<String>, _>("key_id")
            .map_err(internal("read an audit record"))?
            .map(KeyId::from_stored),
        remote_address: get("remote_address")?,
        user_id: get("user_id")?,
        login_ids: json_column(&get("login_ids")?, "audit_records.login_ids")?,
        tenants: json_column(&get("tenants")?, "audit_records.tenants")?,
        data: AuditData::from_stored(get("data")?),
    })
}

async fn run(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    q: &AuditQuery,
    timeout: Duration,
) -> Result<(Vec<AuditRecord>, u64), Error> {
    let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) AS n FROM audit_records a");
    push_filters(&mut count, project, q);
    let total: i64 = count
        .build()
        .fetch_one(&mut *conn)
        .await
        .map_err(search_error(timeout, "count audit records"))?
        .try_get("n")
        .map_err(internal("read count"))?;
    let mut page = QueryBuilder::<Sqlite>::new("SELECT * FROM audit_records a");
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
impl roster_store::AuditStore for SqliteStore {
    async fn record(&self, project: &ProjectId, records: &[AuditRecord]) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        write(&mut tx, project, records).await?;
        sqlx::Transaction::commit(tx)
            .await
            .map_err(internal("commit"))
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
            .reader
            .acquire()
            .await
            .map_err(internal("acquire a reader"))?;
        set_deadline(&mut conn, timeout).await?;
        let result = run(&mut conn, project, query, timeout).await;
        clear_deadline(&mut conn).await;
        result
    }

    async fn prune_audit(&self, before: Millis, limit: u32) -> Result<u64, Error> {
        let projects: Vec<String> = sqlx::query_scalar("SELECT id FROM projects ORDER BY id")
            .fetch_all(&self.reader)
            .await
            .map_err(internal("list projects"))?;
        let mut left = u64::from(limit);
        let mut pruned = 0;
        for project in projects {
            if left == 0 {
                break;
            }
            // One short transaction per project: writers wait for it no longer than it
            // takes to delete `limit` rows found by index.
            let mut tx = self.begin_write().await?;
            let gone = sqlx::query(
                "DELETE FROM audit_records WHERE seq IN (SELECT seq FROM audit_records \
                   WHERE project_id = ?1 AND occurred_ms < ?2 LIMIT ?3)",
            )
            .bind(&project)
            .bind(before.0)
            .bind(i64::try_from(left).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(internal("prune audit records"))?
            .rows_affected();
            sqlx::Transaction::commit(tx)
                .await
                .map_err(internal("commit"))?;
            pruned += gone;
            left -= gone.min(left);
        }
        Ok(pruned)
    }
}
