//! A whole store read and written for `roster copy`.
//!
//! The export is one read transaction on a read-only connection of its own: in WAL mode
//! it sees one snapshot, whatever a running server writes meanwhile. The import is one
//! write transaction (`BEGIN IMMEDIATE`), so an interrupted copy leaves nothing behind.
//! Both reuse the statements the rest of the store uses, so a copied row is exactly what
//! the API would have written. Each step runs off the async worker ([`blocking`]).

use std::collections::HashMap;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::attribute::AttributeDef;
use roster_domain::audit::AuditRecord;
use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;
use roster_domain::patch::UserChange;
use roster_domain::permission::Permission;
use roster_domain::role::Role;
use roster_domain::tenant::Tenant;
use roster_domain::user::User;
use roster_store::{
    AuditPage, CopyStore, ExportTx, ImportTx, Project, StoredKey, TABLES, TableCount, UserPage,
};
use rusqlite::{Connection, params};

use crate::db::{ReadTx, WriteTx, blocking, failed};
use crate::user_writes::write_changes;
use crate::users::{USER_JSON, decode_user, read_catalog};
use crate::{SqliteStore, attributes, audit, permissions, projects, roles, tenants};

fn counts(conn: &Connection) -> Result<Vec<TableCount>, Error> {
    let mut out = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        // The table name comes from the fixed list, never from input.
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(failed("count rows"))?;
        out.push(TableCount {
            table,
            rows: u64::try_from(n).unwrap_or(0),
        });
    }
    Ok(out)
}

#[async_trait]
impl CopyStore for SqliteStore {
    async fn begin_export(&self) -> Result<Box<dyn ExportTx>, Error> {
        Ok(Box::new(SqliteExport {
            tx: self.db.begin_read().await?,
        }))
    }

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>, Error> {
        Ok(Box::new(SqliteImport {
            tx: self.db.begin().await?,
            catalogs: HashMap::new(),
        }))
    }
}

struct SqliteExport {
    tx: ReadTx,
}

impl std::fmt::Debug for SqliteExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteExport")
    }
}

/// The users of every project after position `after`, `limit` of them, in the order
/// they were stored.
fn users_page(conn: &Connection, after: Option<i64>, limit: u32) -> Result<UserPage, Error> {
    let sql = format!(
        "SELECT u.project_id, {USER_JSON} FROM users u WHERE u.pk > ?1 ORDER BY u.pk LIMIT ?2"
    );
    let rows: Vec<(String, String)> = conn
        .prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_map(params![after.unwrap_or(i64::MIN), limit], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect()
        })
        .map_err(failed("export users"))?;
    let mut page = UserPage::default();
    for (project, json) in &rows {
        let (pk, user) = decode_user(json)?;
        page.users
            .push((ProjectId::from_stored(project.clone()), user));
        page.next = Some(pk);
    }
    if rows.len() < limit as usize {
        page.next = None;
    }
    Ok(page)
}

/// The audit records of every project after position `after`, `limit` of them, in the
/// order they were written.
fn audit_page(conn: &Connection, after: Option<i64>, limit: u32) -> Result<AuditPage, Error> {
    let sql = format!(
        "SELECT a.seq, a.project_id, {} FROM audit_records a WHERE a.seq > ?1 \
         ORDER BY a.seq LIMIT ?2",
        audit::RECORD_COLUMNS
    );
    let rows: Vec<(i64, String, audit::AuditRow)> = conn
        .prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_map(params![after.unwrap_or(i64::MIN), limit], |r| {
                Ok((r.get(0)?, r.get(1)?, audit::decode(r, 2)?))
            })?
            .collect()
        })
        .map_err(failed("export audit records"))?;
    let mut page = AuditPage::default();
    let full = rows.len() >= limit as usize;
    for (seq, project, row) in rows {
        page.records
            .push((ProjectId::from_stored(project), row.into_record()?));
        page.next = Some(seq);
    }
    if !full {
        page.next = None;
    }
    Ok(page)
}

#[async_trait]
impl ExportTx for SqliteExport {
    async fn counts(&mut self) -> Result<Vec<TableCount>, Error> {
        blocking(|| counts(&self.tx))
    }

    async fn projects(&mut self) -> Result<Vec<Project>, Error> {
        projects::load_projects(&self.tx)
    }

    async fn keys(&mut self, project: &ProjectId) -> Result<Vec<StoredKey>, Error> {
        projects::load_keys(&self.tx, project)
    }

    async fn permissions(&mut self, project: &ProjectId) -> Result<Vec<Permission>, Error> {
        permissions::load_permissions(&self.tx, project)
    }

    async fn tenants(&mut self, project: &ProjectId) -> Result<Vec<Tenant>, Error> {
        blocking(|| tenants::load_tenants(&self.tx, project))
    }

    async fn roles(&mut self, project: &ProjectId) -> Result<Vec<Role>, Error> {
        blocking(|| roles::load_roles(&self.tx, project))
    }

    async fn attributes(&mut self, project: &ProjectId) -> Result<Vec<AttributeDef>, Error> {
        attributes::load_attributes(&self.tx, project)
    }

    async fn users(&mut self, after: Option<i64>, limit: u32) -> Result<UserPage, Error> {
        blocking(|| users_page(&self.tx, after, limit))
    }

    async fn audit(&mut self, after: Option<i64>, limit: u32) -> Result<AuditPage, Error> {
        blocking(|| audit_page(&self.tx, after, limit))
    }
}

struct SqliteImport {
    tx: WriteTx,
    /// Each project's catalog, loaded once its roles, tenants and attributes are in.
    catalogs: HashMap<ProjectId, Catalog>,
}

impl std::fmt::Debug for SqliteImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteImport")
    }
}

#[async_trait]
impl ImportTx for SqliteImport {
    async fn counts(&mut self) -> Result<Vec<TableCount>, Error> {
        blocking(|| counts(&self.tx))
    }

    async fn project(&mut self, project: &Project) -> Result<(), Error> {
        projects::insert_project(&self.tx, project)
    }

    async fn keys(&mut self, project: &ProjectId, keys: &[StoredKey]) -> Result<(), Error> {
        for k in keys {
            projects::insert_key(&self.tx, project, k)?;
        }
        Ok(())
    }

    async fn permissions(
        &mut self,
        project: &ProjectId,
        permissions: &[Permission],
    ) -> Result<(), Error> {
        let tx = &self.tx;
        blocking(|| {
            let first = permissions::next_position(tx, project)?;
            for (position, p) in (first..).zip(permissions) {
                permissions::insert_permission(
                    tx,
                    project,
                    position,
                    &p.id,
                    &p.name,
                    &p.description,
                )?;
            }
            Ok(())
        })
    }

    async fn tenants(&mut self, project: &ProjectId, tenants: &[Tenant]) -> Result<(), Error> {
        blocking(|| {
            for t in tenants {
                tenants::insert_tenant(&self.tx, project, &t.id, &t.spec, t.created)?;
            }
            Ok(())
        })
    }

    async fn roles(&mut self, project: &ProjectId, roles: &[Role]) -> Result<(), Error> {
        let tx = &self.tx;
        blocking(|| {
            let permissions = roles::permission_map(tx, project)?;
            for r in roles {
                roles::insert_role(tx, project, &permissions, &r.id, &r.spec(), r.created)?;
            }
            Ok(())
        })
    }

    async fn attributes(
        &mut self,
        project: &ProjectId,
        defs: &[AttributeDef],
    ) -> Result<(), Error> {
        let tx = &self.tx;
        blocking(|| {
            let first = attributes::next_position(tx, project)?;
            for (position, d) in (first..).zip(defs) {
                attributes::insert_attribute(tx, project, position, d)?;
            }
            Ok(())
        })
    }

    async fn users(&mut self, project: &ProjectId, users: &[User]) -> Result<(), Error> {
        if !self.catalogs.contains_key(project) {
            let catalog = read_catalog(&self.tx, project)?;
            self.catalogs.insert(project.clone(), catalog);
        }
        let catalog = &self.catalogs[project];
        let changes: Vec<UserChange> = users
            .iter()
            .map(|u| UserChange::created(std::sync::Arc::new(u.clone())))
            .collect();
        blocking(|| write_changes(&self.tx, project, &changes, catalog, &HashMap::new()))
    }

    async fn audit(&mut self, project: &ProjectId, records: &[AuditRecord]) -> Result<(), Error> {
        blocking(|| audit::write(&self.tx, project, records))
    }

    async fn commit(self: Box<Self>) -> Result<(), Error> {
        let tx = self.tx;
        blocking(|| tx.commit())
    }
}
