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
use roster_store::{KeyRing, KeyUpdate, Project, ProjectStore, StoredKey};
use sqlx::{PgConnection, Row};

use crate::{PostgresStore, audit, db_error, internal, is_foreign_key_violation, unique_violation};

/// Keep other writers from adding a project until the transaction ends (a first start
/// on another node, a copy into this database). Reads and other tables are not held.
pub(crate) async fn lock_projects(conn: &mut PgConnection) -> Result<(), Error> {
    sqlx::query("LOCK TABLE projects IN SHARE ROW EXCLUSIVE MODE")
        .execute(conn)
        .await
        .map_err(db_error("lock the projects table"))?;
    Ok(())
}

/// Insert a project as given.
pub(crate) async fn insert_project(
    conn: &mut PgConnection,
    project: &Project,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO projects (id, name, created_ms) VALUES ($1, $2, $3)")
        .bind(project.id.as_str())
        .bind(project.name.as_str())
        .bind(project.created.0)
        .execute(conn)
        .await
        .map_err(|e| {
            if unique_violation(&e).is_some() {
                Error::already_exists(format!("project {:?} already exists", project.id.as_str()))
            } else {
                db_error("create project")(e)
            }
        })?;
    Ok(())
}

/// Every project, oldest first.
pub(crate) async fn load_projects(conn: &mut PgConnection) -> Result<Vec<Project>, Error> {
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
    conn: &mut PgConnection,
    project: &ProjectId,
    key: &StoredKey,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "INSERT INTO management_keys (id, project_id, name, key_hash, created_ms, expires_ms, revoked_ms, \
           read_only, permitted_ips, description, active, rebac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12::jsonb) \
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
            db_error("add key")(e)
        }
    })?;
    Ok(done.rows_affected() == 1)
}

/// A project's keys, revoked and expired ones included, oldest first.
pub(crate) async fn load_keys(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<Vec<StoredKey>, Error> {
    Ok(load_key_ring(conn, project).await?.keys)
}

/// A project's keys, oldest first, and its catalog's version in the same statement.
pub(crate) async fn load_key_ring(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<KeyRing, Error> {
    let rows = sqlx::query(
        "SELECT id, name, key_hash, created_ms, expires_ms, revoked_ms, read_only, \
           permitted_ips::text AS permitted_ips, description, active, rebac::text AS rebac, \
           (SELECT catalog_version FROM projects WHERE id = $1) AS catalog_version \
         FROM management_keys WHERE project_id = $1 ORDER BY created_ms, id",
    )
    .bind(project.as_str())
    .fetch_all(conn)
    .await
    .map_err(internal("load keys"))?;
    let catalog_version = match rows.first() {
        Some(r) => r
            .try_get::<Option<i64>, _>("catalog_version")
            .map_err(internal("read key"))?,
        None => None,
    };
    let keys = rows
        .into_iter()
        .map(|r| {
            let hash: String = r.try_get("key_hash").map_err(internal("read key"))?;
            Ok(StoredKey {
                id: KeyId::from_stored(r.try_get("id").map_err(internal("read key"))?),
                name: r.try_get("name").map_err(internal("read key"))?,
                hash: KeyHash::from_hex(&hash).ok_or_else(|| {
                    tracing::error!("postgres: a stored key digest is not 64 hex digits");
                    Error::internal()
                })?,
                created: Millis(r.try_get("created_ms").map_err(internal("read key"))?),
                expires: r
                    .try_get::<Option<i64>, _>("expires_ms")
                    .map_err(internal("read key"))?
                    .map(Millis),
                revoked: r
                    .try_get::<Option<i64>, _>("revoked_ms")
                    .map_err(internal("read key"))?
                    .map(Millis),
                read_only: r.try_get("read_only").map_err(internal("read key"))?,
                permitted_ips: ip_ranges_from_json(
                    &r.try_get::<String, _>("permitted_ips")
                        .map_err(internal("read key"))?,
                )?,
                description: r.try_get("description").map_err(internal("read key"))?,
                active: r.try_get("active").map_err(internal("read key"))?,
                rebac: serde_json::from_str(
                    &r.try_get::<String, _>("rebac")
                        .map_err(internal("read key"))?,
                )
                .map_err(|e| {
                    tracing::error!(error = %e, "a stored key's roles are not a JSON object");
                    Error::internal()
                })?,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(KeyRing {
        keys,
        catalog_version,
    })
}

#[async_trait]
impl ProjectStore for PostgresStore {
    async fn create_project(&self, id: &ProjectId, name: &Label, now: Millis) -> Result<(), Error> {
        let project = Project {
            id: id.clone(),
            name: name.clone(),
            created: now,
        };
        in_write_tx!(self, "create project", |conn| async {
            insert_project(conn, &project).await
        }
        .await)
    }

    async fn ensure_project(
        &self,
        id: &ProjectId,
        name: &Label,
        now: Millis,
    ) -> Result<bool, Error> {
        let done = sqlx::query(
            "INSERT INTO projects (id, name, created_ms) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(name.as_str())
        .bind(now.0)
        .execute(&self.pool)
        .await
        .map_err(internal("ensure project"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn project_exists(&self, id: &ProjectId) -> Result<bool, Error> {
        let row = sqlx::query("SELECT 1 FROM projects WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(internal("load project"))?;
        Ok(row.is_some())
    }

    async fn has_projects(&self) -> Result<bool, Error> {
        let row = sqlx::query("SELECT 1 FROM projects LIMIT 1")
            .fetch_optional(&self.pool)
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
        in_write_tx!(self, "first start", |conn| async {
            // Another node starting on the same empty database waits here, then finds
            // this project and creates none of its own.
            lock_projects(conn).await?;
            let any = sqlx::query("SELECT 1 FROM projects LIMIT 1")
                .fetch_optional(&mut *conn)
                .await
                .map_err(internal("count projects"))?;
            if any.is_some() {
                return Ok(false);
            }
            insert_project(conn, project).await?;
            insert_key(conn, &project.id, key).await?;
            let record = records::key_created(origin, &key.facts());
            audit::insert(conn, &project.id, origin, &[record]).await?;
            Ok(true)
        }
        .await)
    }

    async fn add_key(
        &self,
        project: &ProjectId,
        key: &StoredKey,
        origin: &Origin,
    ) -> Result<bool, Error> {
        in_write_tx!(self, "add key", |conn| async {
            let added = insert_key(conn, project, key).await?;
            if added {
                let record = records::key_created(origin, &key.facts());
                audit::insert(conn, project, origin, &[record]).await?;
            }
            Ok(added)
        }
        .await)
    }

    async fn key_ring(&self, project: &ProjectId) -> Result<KeyRing, Error> {
        let mut conn = self
            .auth
            .acquire()
            .await
            .map_err(internal("acquire a connection"))?;
        load_key_ring(&mut conn, project).await
    }

    async fn revoke_key(
        &self,
        project: &ProjectId,
        key: &KeyId,
        origin: &Origin,
    ) -> Result<bool, Error> {
        in_write_tx!(self, "revoke key", |conn| async {
            let done = sqlx::query(
                "UPDATE management_keys SET revoked_ms = coalesce(revoked_ms, $3) \
                 WHERE project_id = $1 AND id = $2",
            )
            .bind(project.as_str())
            .bind(key.as_str())
            .bind(origin.now.0)
            .execute(&mut *conn)
            .await
            .map_err(db_error("revoke key"))?;
            let revoked = done.rows_affected() == 1;
            if revoked {
                let record = records::key_revoked(origin, key);
                audit::insert(conn, project, origin, &[record]).await?;
            }
            Ok(revoked)
        }
        .await)
    }

    async fn update_key(
        &self,
        project: &ProjectId,
        key: &KeyId,
        update: &KeyUpdate,
        origin: &Origin,
    ) -> Result<Option<StoredKey>, Error> {
        in_write_tx!(self, "update key", |conn| {
            async {
            let done = sqlx::query(
                "UPDATE management_keys SET name = $3, description = $4, permitted_ips = $5::jsonb, \
                   active = $6 WHERE project_id = $1 AND id = $2",
            )
            .bind(project.as_str())
            .bind(key.as_str())
            .bind(&update.name)
            .bind(&update.description)
            .bind(ip_ranges_json(&update.permitted_ips))
            .bind(update.active)
            .execute(&mut *conn)
            .await
            .map_err(db_error("update key"))?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            let updated = load_keys(&mut *conn, project)
                .await?
                .into_iter()
                .find(|k| k.id == *key);
            if let Some(k) = &updated {
                let record = records::key_modified(origin, &k.facts());
                audit::insert(conn, project, origin, &[record]).await?;
            }
            Ok(updated)
        }
        .await
        })
    }

    async fn delete_keys(
        &self,
        project: &ProjectId,
        keys: &[KeyId],
        origin: &Origin,
    ) -> Result<u64, Error> {
        let ids: Vec<&str> = keys.iter().map(KeyId::as_str).collect();
        in_write_tx!(self, "delete keys", |conn| async {
            let deleted: Vec<String> = sqlx::query_scalar(
                "DELETE FROM management_keys WHERE project_id = $1 AND id = ANY($2) RETURNING id",
            )
            .bind(project.as_str())
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error("delete keys"))?;
            let records: Vec<_> = deleted
                .into_iter()
                .map(|id| records::key_deleted(origin, &KeyId::from_stored(id)))
                .collect();
            audit::insert(conn, project, origin, &records).await?;
            Ok(records.len() as u64)
        }
        .await)
    }
}
