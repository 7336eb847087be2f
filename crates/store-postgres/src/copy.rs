//! A whole store read and written for `roster copy`.
//!
//! The export is one `REPEATABLE READ, READ ONLY` transaction: one snapshot of the
//! database, whatever the nodes serving it write meanwhile. The import is one
//! transaction that first locks the `projects` table against other writers (a node
//! starting on the empty database would otherwise create its first project), so an
//! interrupted copy leaves nothing behind. Both reuse the statements the rest of the
//! store uses, so a copied row is exactly what the API would have written.

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
use sqlx::{PgConnection, Postgres, Row, Transaction};

use crate::user_writes::write_changes;
use crate::users::{USER_COLUMNS, decode_user, read_catalog};
use crate::{PostgresStore, attributes, audit, internal, permissions, projects, roles, tenants};

async fn counts(conn: &mut PgConnection) -> Result<Vec<TableCount>, Error> {
    let mut out = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        // The table name comes from the fixed list, never from input.
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut *conn)
                .await
                .map_err(internal("count rows"))?;
        out.push(TableCount {
            table,
            rows: u64::try_from(n).unwrap_or(0),
        });
    }
    Ok(out)
}

#[async_trait]
impl CopyStore for PostgresStore {
    async fn begin_export(&self) -> Result<Box<dyn ExportTx>, Error> {
        let tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(internal("begin a read transaction"))?;
        Ok(Box::new(PgExport { tx }))
    }

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>, Error> {
        let mut tx = self.begin().await?;
        projects::lock_projects(&mut tx).await?;
        Ok(Box::new(PgImport {
            tx,
            catalogs: HashMap::new(),
        }))
    }
}

struct PgExport {
    tx: Transaction<'static, Postgres>,
}

impl std::fmt::Debug for PgExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgExport")
    }
}

#[async_trait]
impl ExportTx for PgExport {
    async fn counts(&mut self) -> Result<Vec<TableCount>, Error> {
        counts(&mut self.tx).await
    }

    async fn projects(&mut self) -> Result<Vec<Project>, Error> {
        projects::load_projects(&mut self.tx).await
    }

    async fn keys(&mut self, project: &ProjectId) -> Result<Vec<StoredKey>, Error> {
        projects::load_keys(&mut self.tx, project).await
    }

    async fn permissions(&mut self, project: &ProjectId) -> Result<Vec<Permission>, Error> {
        permissions::load_permissions(&mut self.tx, project).await
    }

    async fn tenants(&mut self, project: &ProjectId) -> Result<Vec<Tenant>, Error> {
        tenants::load_tenants(&mut self.tx, project).await
    }

    async fn roles(&mut self, project: &ProjectId) -> Result<Vec<Role>, Error> {
        roles::load_roles(&mut self.tx, project).await
    }

    async fn attributes(&mut self, project: &ProjectId) -> Result<Vec<AttributeDef>, Error> {
        attributes::load_attributes(&mut self.tx, project).await
    }

    async fn users(&mut self, after: Option<i64>, limit: u32) -> Result<UserPage, Error> {
        let sql = format!(
            "SELECT u.project_id, {USER_COLUMNS} FROM users u WHERE u.pk > $1 ORDER BY u.pk LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(internal("export users"))?;
        let mut page = UserPage::default();
        for row in &rows {
            let project: String = row.try_get("project_id").map_err(internal("read a user"))?;
            page.users
                .push((ProjectId::from_stored(project), decode_user(row)?));
            page.next = Some(row.try_get("pk").map_err(internal("read a user"))?);
        }
        if rows.len() < limit as usize {
            page.next = None;
        }
        Ok(page)
    }

    async fn audit(&mut self, after: Option<i64>, limit: u32) -> Result<AuditPage, Error> {
        let rows = sqlx::query("SELECT * FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after.unwrap_or(i64::MIN))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(internal("export audit records"))?;
        let mut page = AuditPage::default();
        for row in &rows {
            let project: String = row
                .try_get("project_id")
                .map_err(internal("read an audit record"))?;
            page.records
                .push((ProjectId::from_stored(project), audit::decode(row)?));
            page.next = Some(
                row.try_get("seq")
                    .map_err(internal("read an audit record"))?,
            );
        }
        if rows.len() < limit as usize {
            page.next = None;
        }
        Ok(page)
    }
}

struct PgImport {
    tx: Transaction<'static, Postgres>,
    /// Each project's catalog, loaded once its roles, tenants and attributes are in.
    catalogs: HashMap<ProjectId, Catalog>,
}

impl std::fmt::Debug for PgImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgImport")
    }
}

#[async_trait]
impl ImportTx for PgImport {
    async fn counts(&mut self) -> Result<Vec<TableCount>, Error> {
        counts(&mut self.tx).await
    }

    async fn project(&mut self, project: &Project) -> Result<(), Error> {
        projects::insert_project(&mut self.tx, project).await
    }

    async fn keys(&mut self, project: &ProjectId, keys: &[StoredKey]) -> Result<(), Error> {
        for k in keys {
            projects::insert_key(&mut self.tx, project, k).await?;
        }
        Ok(())
    }

    async fn permissions(
        &mut self,
        project: &ProjectId,
        permissions: &[Permission],
    ) -> Result<(), Error> {
        let mut position = permissions::next_position(&mut self.tx, project).await?;
        for p in permissions {
            permissions::insert_permission(
                &mut self.tx,
                project,
                position,
                &p.id,
                &p.name,
                &p.description,
            )
            .await?;
            position += 1;
        }
        Ok(())
    }

    async fn tenants(&mut self, project: &ProjectId, tenants: &[Tenant]) -> Result<(), Error> {
        for t in tenants {
            tenants::insert_tenant(&mut self.tx, project, &t.id, &t.spec, t.created).await?;
        }
        Ok(())
    }

    async fn roles(&mut self, project: &ProjectId, roles: &[Role]) -> Result<(), Error> {
        let permissions = roles::permission_map(&mut self.tx, project).await?;
        for r in roles {
            roles::insert_role(
                &mut self.tx,
                project,
                &permissions,
                &r.id,
                &r.spec(),
                r.created,
            )
            .await?;
        }
        Ok(())
    }

    async fn attributes(
        &mut self,
        project: &ProjectId,
        defs: &[AttributeDef],
    ) -> Result<(), Error> {
        let mut position = attributes::next_position(&mut self.tx, project).await?;
        for d in defs {
            attributes::insert_attribute(&mut self.tx, project, position, d).await?;
            position += 1;
        }
        Ok(())
    }

    async fn users(&mut self, project: &ProjectId, users: &[User]) -> Result<(), Error> {
        if !self.catalogs.contains_key(project) {
            let catalog = read_catalog(&mut self.tx, project).await?;
            self.catalogs.insert(project.clone(), catalog);
        }
        let catalog = &self.catalogs[project];
        let changes: Vec<UserChange> = users
            .iter()
            .map(|u| UserChange::created(std::sync::Arc::new(u.clone())))
            .collect();
        write_changes(&mut self.tx, project, &changes, catalog, &HashMap::new()).await
    }

    async fn audit(&mut self, project: &ProjectId, records: &[AuditRecord]) -> Result<(), Error> {
        audit::write(&mut self.tx, project, records).await
    }

    async fn commit(self: Box<Self>) -> Result<(), Error> {
        self.tx.commit().await.map_err(internal("commit the copy"))
    }
}
