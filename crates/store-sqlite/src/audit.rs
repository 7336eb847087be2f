//! The audit trail's table: records written in the transaction of the change they
//! record (a prepared statement per record), records a cascade stamps once per user it
//! changed (one `INSERT … SELECT`), the search, and pruning by age.

use std::time::Duration;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::audit::{AuditData, AuditKind, AuditQuery, AuditRecord, Origin};
use roster_domain::ids::{KeyId, ProjectId};
use roster_domain::time::Millis;
use rusqlite::{Connection, params};

use crate::db::failed;
use crate::query::Query;
use crate::search::{Deadline, search_error};
use crate::{SqliteStore, json_column, to_json};

const INSERT: &str = "INSERT INTO audit_records (project_id, occurred_ms, action, kind, actor, \
    key_id, remote_address, user_id, login_ids, tenants, data) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// Write the records of a change `origin` made (none when the audit trail is off).
pub(crate) fn insert(
    conn: &Connection,
    project: &ProjectId,
    origin: &Origin,
    records: &[AuditRecord],
) -> Result<(), Error> {
    if origin.audited {
        write(conn, project, records)?;
    }
    Ok(())
}

/// Write records, a prepared statement per record (on the connection's own thread, a
/// row costs SQLite's work alone).
pub(crate) fn write(
    conn: &Connection,
    project: &ProjectId,
    records: &[AuditRecord],
) -> Result<(), Error> {
    if records.is_empty() {
        return Ok(());
    }
    let mut st = conn
        .prepare_cached(INSERT)
        .map_err(failed("write audit records"))?;
    for r in records {
        st.execute(params![
            project.as_str(),
            r.occurred.0,
            r.action.as_str(),
            r.kind.as_str(),
            r.actor.as_str(),
            r.key.as_ref().map(KeyId::as_str),
            r.remote_address.as_str(),
            r.user_id.as_str(),
            to_json(&r.login_ids),
            to_json(&r.tenants),
            r.data.as_str(),
        ])
        .map_err(failed("write audit records"))?;
    }
    Ok(())
}

/// Write `record` once for each user in `pks` (before a cascade deletes them, or after it
/// changed them), with the user's ID and login IDs filled in, and its tenants when the
/// record names none. With `removed_attributes`, the record's `data.changes` also lists,
/// for each user, the values of those custom attributes it holds (the cascade is about to
/// remove them): `{"customAttributes.NAME": {"old": VALUE, "new": null}}`.
pub(crate) fn stamp_users(
    conn: &Connection,
    origin: &Origin,
    record: &AuditRecord,
    pks: &[i64],
    removed_attributes: &[String],
) -> Result<(), Error> {
    if pks.is_empty() || !origin.audited {
        return Ok(());
    }
    conn.prepare_cached(
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
    .and_then(|mut st| {
        st.execute(params![
            record.occurred.0,
            record.action.as_str(),
            record.kind.as_str(),
            record.actor.as_str(),
            record.key.as_ref().map(KeyId::as_str),
            record.remote_address.as_str(),
            to_json(&record.tenants),
            record.data.as_str(),
            to_json(&pks),
            to_json(&removed_attributes),
        ])
    })
    .map_err(failed("write the audit records of a cascade"))?;
    Ok(())
}

/// The `WHERE` of a search (after `FROM audit_records a`).
fn push_filters(qb: &mut Query, project: &ProjectId, q: &AuditQuery) {
    qb.push(" WHERE a.project_id = ")
        .push_bind(project.as_str().to_string());
    let in_list = |qb: &mut Query, column: &str, values: &[String], not: bool| {
        if !values.is_empty() {
            qb.push(&format!(
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

/// The columns of `audit_records` a record is read from, in [`AuditRow`]'s order.
pub(crate) const RECORD_COLUMNS: &str = "a.occurred_ms, a.action, a.kind, a.actor, a.key_id, \
    a.remote_address, a.user_id, a.login_ids, a.tenants, a.data";

/// A row of [`RECORD_COLUMNS`], read at column `first` on.
pub(crate) fn decode(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        occurred_ms: r.get(first)?,
        action: r.get(first + 1)?,
        kind: r.get(first + 2)?,
        actor: r.get(first + 3)?,
        key_id: r.get(first + 4)?,
        remote_address: r.get(first + 5)?,
        user_id: r.get(first + 6)?,
        login_ids: r.get(first + 7)?,
        tenants: r.get(first + 8)?,
        data: r.get(first + 9)?,
    })
}

/// An audit record as stored.
pub(crate) struct AuditRow {
    occurred_ms: i64,
    action: String,
    kind: String,
    actor: String,
    key_id: Option<String>,
    remote_address: String,
    user_id: String,
    login_ids: String,
    tenants: String,
    data: String,
}

impl AuditRow {
    pub(crate) fn into_record(self) -> Result<AuditRecord, Error> {
        Ok(AuditRecord {
            occurred: Millis(self.occurred_ms),
            action: self.action,
            kind: AuditKind::parse(&self.kind).unwrap_or(AuditKind::Info),
            actor: self.actor,
            key: self.key_id.map(KeyId::from_stored),
            remote_address: self.remote_address,
            user_id: self.user_id,
            login_ids: json_column(&self.login_ids, "audit_records.login_ids")?,
            tenants: json_column(&self.tenants, "audit_records.tenants")?,
            data: AuditData::from_stored(self.data),
        })
    }
}

fn run(
    conn: &Connection,
    project: &ProjectId,
    q: &AuditQuery,
    timeout: Duration,
) -> Result<(Vec<AuditRecord>, u64), Error> {
    let mut count = Query::new("SELECT count(*) FROM audit_records a");
    push_filters(&mut count, project, q);
    let total: i64 = conn
        .prepare_cached(count.sql())
        .and_then(|mut st| st.query_row(count.params(), |r| r.get(0)))
        .map_err(search_error(timeout, "count audit records"))?;
    let mut page = Query::new(format!("SELECT {RECORD_COLUMNS} FROM audit_records a"));
    push_filters(&mut page, project, q);
    page.push(" ORDER BY a.occurred_ms DESC, a.seq DESC LIMIT ")
        .push_count(u64::from(q.limit))
        .push(" OFFSET ")
        .push_count(q.offset());
    let rows: Vec<AuditRow> = conn
        .prepare_cached(page.sql())
        .and_then(|mut st| {
            st.query_map(page.params(), |r| decode(r, 0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(search_error(timeout, "search audit records"))?;
    let records = rows
        .into_iter()
        .map(AuditRow::into_record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((records, u64::try_from(total).unwrap_or(0)))
}

#[async_trait]
impl roster_store::AuditStore for SqliteStore {
    async fn record(&self, project: &ProjectId, records: &[AuditRecord]) -> Result<(), Error> {
        self.db.write(|tx| write(tx, project, records)).await
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
        self.db
            .read(|conn| {
                let _deadline = Deadline::set(conn, timeout)?;
                run(conn, project, query, timeout)
            })
            .await
    }

    async fn prune_audit(&self, before: Millis, limit: u32) -> Result<u64, Error> {
        let projects: Vec<String> = self
            .db
            .read(|conn| {
                conn.prepare_cached("SELECT id FROM projects ORDER BY id")
                    .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
                    .map_err(failed("list projects"))
            })
            .await?;
        let mut left = u64::from(limit);
        let mut pruned = 0;
        for project in projects {
            if left == 0 {
                break;
            }
            // One short transaction per project: writers wait for it no longer than it
            // takes to delete `limit` rows found by index.
            let gone = self
                .db
                .write(|tx| {
                    tx.prepare_cached(
                        "DELETE FROM audit_records WHERE seq IN (SELECT seq FROM audit_records \
                           WHERE project_id = ?1 AND occurred_ms < ?2 LIMIT ?3)",
                    )
                    .and_then(|mut st| {
                        st.execute(params![
                            project,
                            before.0,
                            i64::try_from(left).unwrap_or(i64::MAX)
                        ])
                    })
                    .map_err(failed("prune audit records"))
                })
                .await?;
            let gone = gone as u64;
            pruned += gone;
            left -= gone.min(left);
        }
        Ok(pruned)
    }
}
