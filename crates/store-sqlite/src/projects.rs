//! Projects and management keys (only digests are stored).

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::ErrorCode;
use roster_domain::audit::{Origin, records};
use roster_domain::ids::{KeyId, ProjectId};
use roster_domain::keys::KeyHash;
use roster_domain::names::Label;
use roster_domain::time::Millis;
use roster_store::sql::{ip_ranges_from_json, ip_ranges_json};
use roster_store::{KeyUpdate, Project, ProjectStore, StoredKey};
use sqlx::{Row, SqliteConnection};

use crate::{SqliteStore, audit, internal, is_foreign_key_violation, is_unique_violation};

/// Insert a project as given.
pub(crate) async fn insert_project(
    conn: &mut SqliteConnection,
    project: &Project,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO projects (id, name, created_ms) VALUES (?1, ?2, ?3)")
        .bind(project.id.as_str())
        .bind(project.name.as_str())
        .bind(project.created.0)
        .execute(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::already_exists(format!("project {:?} already exists", project.id.as_str()))
            } else {
                internal("create project")(e)
            }
        })?;
    Ok(())
}

/// Every project, oldest first.
pub(crate) async fn load_projects(conn: &mut SqliteConnection) -> Result<Vec<Project>, Error> {
    let rows = sqlx::query("SELECT id, name, created_ms FROM projects ORDER BY created_ms, id")
        .fetch_all(conn)
        .await
        .map_err(internal("load projects"))?;
    rows.iter()
        .map(|r| {
            Ok(Project {
                id: ProjectId::from_stored(r.try_get("id").map_err(internal("read a project"))?),
                name: Label::from_stored(r.try_get("name").map_err(internal("read a project"))?),
                created: Millis(
                    r.try_get("created_ms")
                        .map_err(internal("read a project"))?,
                ),
            })
        })
        .collect()
}

/// Add a key unless its digest is already stored for the project; whether it was added.
pub(crate) async fn insert_key(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    key: &StoredKey,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "INSERT INTO management_keys (id, project_id, name, key_hash, created_ms, expires_ms, revoked_ms, \
           read_only, permitted_ips, description, active, rebac) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
         ON CONFLICT (project_id, key_hash) DO NOTHING",
    )
    .bind(key.id.as_str())
    .bind(project.as_str())
    .bind(&key.name)
    .bind(key.hash.to_hex())
    .bind(key.created.0)
    .bind(key.expires.map(|m| m.0))
    .bind(key.revoked.map(|m| m.0))
    .bind(key.read_only)
    .bind(ip_ranges_json(&key.permitted_ips))
    .bind(&key.description)
    .bind(key.active)
    .bind(serde_json::Value::Object(key.rebac.clone()).to_string())
    .execute(conn)
    .await
    .map_err(|e| {
        if is_foreign_key_violation(&e) {
            Error::new(
                ErrorCode::ProjectNotFound,
                format!("project {:?} does not exist", project.as_str()),
            )
        } else {
            internal("add key")(e)
        }
    })?;
    Ok(done.rows_affected() == 1)
}

/// Every column of a project's keys (`?1`), revoked and expired ones included, oldest
/// first, in [`KeyRow`]'s order.
pub(crate) const KEYS_SQL: &str = "SELECT id, name, key_hash, created_ms, expires_ms, \
       revoked_ms, read_only, permitted_ips, description, active, rebac \
     FROM management_keys WHERE project_id = ?1 ORDER BY created_ms, id";

/// A key's row as [`KEYS_SQL`] reads it, through sqlx or (to check a key in place,
/// [`crate::auth_readers`]) through rusqlite.
#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) key_hash: String,
    pub(crate) created_ms: i64,
    pub(crate) expires_ms: Option<i64>,
    pub(crate) revoked_ms: Option<i64>,
    pub(crate) read_only: bool,
    pub(crate) permitted_ips: String,
    pub(crate) description: String,
    pub(crate) active: bool,
    pub(crate) rebac: String,
}

impl KeyRow {
    /// The key the row holds; a digest or list this store did not write is an internal
    /// error.
    pub(crate) fn into_key(self) -> Result<StoredKey, Error> {
        Ok(StoredKey {
            id: KeyId::from_stored(self.id),
            name: self.name,
            hash: KeyHash::from_hex(&self.key_hash).ok_or_else(|| {
                tracing::error!("sqlite: a stored key digest is not 64 hex digits");
                Error::internal()
            })?,
            created: Millis(self.created_ms),
            expires: self.expires_ms.map(Millis),
            revoked: self.revoked_ms.map(Millis),
            read_only: self.read_only,
            permitted_ips: ip_ranges_from_json(&self.permitted_ips)?,
            description: self.description,
            active: self.active,
            rebac: serde_json::from_str(&self.rebac).map_err(|e| {
                tracing::error!(error = %e, "a stored key's roles are not a JSON object");
                Error::internal()
            })?,
        })
    }
}

/// A project's keys, revoked and expired ones included, oldest first.
pub(crate) async fn load_keys(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<Vec<StoredKey>, Error> {
    let rows: Vec<KeyRow> = sqlx::query_as(KEYS_SQL)
        .bind(project.as_str())
        .fetch_all(conn)
        .await
        .map_err(internal("load keys"))?;
    rows.into_iter().map(KeyRow::into_key).collect()
}

#[async_trait]
impl ProjectStore for SqliteStore {
    async fn create_project(&self, id: &ProjectId, name: &Label, now: Millis) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let project = Project {
            id: id.clone(),
            name: name.clone(),
            created: now,
        };
        insert_project(&mut tx, &project).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn ensure_project(
        &self,
        id: &ProjectId,
        name: &Label,
        now: Millis,
    ) -> Result<bool, Error> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO projects (id, name, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(name.as_str())
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(internal("ensure project"))?;
        tx.commit().await.map_err(internal("commit"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn project_exists(&self, id: &ProjectId) -> Result<bool, Error> {
        let row = sqlx::query("SELECT 1 FROM projects WHERE id = ?1")
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal("load project"))?;
        Ok(row.is_some())
    }

    async fn has_projects(&self) -> Result<bool, Error> {
        let row = sqlx::query("SELECT 1 FROM projects LIMIT 1")
            .fetch_optional(&self.writer)
            .await
            .map_err(internal("count projects"))?;
        Ok(row.is_some())
    }

    async fn create_first_project(
        &self,
        project: &Project,
        key: &StoredKey,
        origin: &Origin,
    ) -> Result<bool, Error> {
        // The write lock (BEGIN IMMEDIATE) is held from the first statement, so another
        // process starting on the same file waits and then finds this project.
        let mut tx = self.begin_write().await?;
        let any = sqlx::query("SELECT 1 FROM projects LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal("count projects"))?;
        if any.is_some() {
            return Ok(false);
        }
        insert_project(&mut tx, project).await?;
        insert_key(&mut tx, &project.id, key).await?;
        let record = records::key_created(origin, &key.facts());
        audit::insert(&mut tx, &project.id, origin, &[record]).await?;
        tx.commit().await.map_err(internal("commit"))?;
        Ok(true)
    }

    async fn add_key(
        &self,
        project: &ProjectId,
        key: &StoredKey,
        origin: &Origin,
    ) -> Result<bool, Error> {
        let mut tx = self.begin_write().await?;
        let added = insert_key(&mut tx, project, key).await?;
        if added {
            let record = records::key_created(origin, &key.facts());
            audit::insert(&mut tx, project, origin, &[record]).await?;
        }
        tx.commit().await.map_err(internal("commit"))?;
        Ok(added)
    }

    async fn keys(&self, project: &ProjectId) -> Result<Vec<StoredKey>, Error> {
        if let Some(read) = self.in_place.as_ref().and_then(|r| r.keys(project)) {
            return read;
        }
        let mut conn = self
            .auth
            .acquire()
            .await
            .map_err(internal("acquire an authentication reader"))?;
        load_keys(&mut conn, project).await
    }

    async fn revoke_key(
        &self,
        project: &ProjectId,
        key: &KeyId,
        origin: &Origin,
    ) -> Result<bool, Error> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE management_keys SET revoked_ms = coalesce(revoked_ms, ?3) WHERE project_id = ?1 AND id = ?2",
        )
        .bind(project.as_str())
        .bind(key.as_str())
        .bind(origin.now.0)
        .execute(&mut *tx)
        .await
        .map_err(internal("revoke key"))?;
        if done.rows_affected() == 1 {
            let record = records::key_revoked(origin, key);
            audit::insert(&mut tx, project, origin, &[record]).await?;
        }
        tx.commit().await.map_err(internal("commit"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_key(
        &self,
        project: &ProjectId,
        key: &KeyId,
        update: &KeyUpdate,
        origin: &Origin,
    ) -> Result<Option<StoredKey>, Error> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE management_keys SET name = ?3, description = ?4, permitted_ips = ?5, active = ?6 \
             WHERE project_id = ?1 AND id = ?2",
        )
        .bind(project.as_str())
        .bind(key.as_str())
        .bind(&update.name)
        .bind(&update.description)
        .bind(ip_ranges_json(&update.permitted_ips))
        .bind(update.active)
        .execute(&mut *tx)
        .await
        .map_err(internal("update key"))?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let updated = load_keys(&mut tx, project)
            .await?
            .into_iter()
            .find(|k| k.id == *key);
        if let Some(k) = &updated {
            let record = records::key_modified(origin, &k.facts());
            audit::insert(&mut tx, project, origin, &[record]).await?;
        }
        tx.commit().await.map_err(internal("commit"))?;
        Ok(updated)
    }

    async fn delete_keys(
        &self,
        project: &ProjectId,
        keys: &[KeyId],
        origin: &Origin,
    ) -> Result<u64, Error> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<&str> = keys.iter().map(KeyId::as_str).collect();
        let deleted: Vec<String> = sqlx::query_scalar(
            "DELETE FROM management_keys WHERE project_id = ?1 \
             AND id IN (SELECT value FROM json_each(?2)) RETURNING id",
        )
        .bind(project.as_str())
        .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal("delete keys"))?;
        let records: Vec<_> = deleted
            .into_iter()
            .map(|id| records::key_deleted(origin, &KeyId::from_stored(id)))
            .collect();
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))?;
        Ok(records.len() as u64)
    }
}
