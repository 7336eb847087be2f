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
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::{failed, is_foreign_key_violation, is_unique_violation};
use crate::{SqliteStore, audit, to_json};

/// Insert a project as given.
pub(crate) fn insert_project(conn: &Connection, project: &Project) -> Result<(), Error> {
    conn.prepare_cached("INSERT INTO projects (id, name, created_ms) VALUES (?1, ?2, ?3)")
        .and_then(|mut st| {
            st.execute(params![
                project.id.as_str(),
                project.name.as_str(),
                project.created.0
            ])
        })
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::already_exists(format!("project {:?} already exists", project.id.as_str()))
            } else {
                failed("create project")(e)
            }
        })?;
    Ok(())
}

/// Every project, oldest first.
pub(crate) fn load_projects(conn: &Connection) -> Result<Vec<Project>, Error> {
    let mut st = conn
        .prepare_cached("SELECT id, name, created_ms FROM projects ORDER BY created_ms, id")
        .map_err(failed("load projects"))?;
    let rows = st
        .query_map([], |r| {
            Ok(Project {
                id: ProjectId::from_stored(r.get(0)?),
                name: Label::from_stored(r.get(1)?),
                created: Millis(r.get(2)?),
            })
        })
        .map_err(failed("load projects"))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(failed("read a project"))
}

/// Add a key unless its digest is already stored for the project; whether it was added.
pub(crate) fn insert_key(
    conn: &Connection,
    project: &ProjectId,
    key: &StoredKey,
) -> Result<bool, Error> {
    let added = conn
        .prepare_cached(
            "INSERT INTO management_keys (id, project_id, name, key_hash, created_ms, expires_ms, \
               revoked_ms, read_only, permitted_ips, description, active, rebac) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT (project_id, key_hash) DO NOTHING",
        )
        .and_then(|mut st| {
            st.execute(params![
                key.id.as_str(),
                project.as_str(),
                key.name,
                key.hash.to_hex(),
                key.created.0,
                key.expires.map(|m| m.0),
                key.revoked.map(|m| m.0),
                key.read_only,
                ip_ranges_json(&key.permitted_ips),
                key.description,
                key.active,
                serde_json::Value::Object(key.rebac.clone()).to_string(),
            ])
        })
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                Error::new(
                    ErrorCode::ProjectNotFound,
                    format!("project {:?} does not exist", project.as_str()),
                )
            } else {
                failed("add key")(e)
            }
        })?;
    Ok(added == 1)
}

/// Every column of a project's keys (`?1`), revoked and expired ones included, oldest
/// first, in [`KeyRow`]'s order, each with the project's catalog version.
const KEYS_SQL: &str = "SELECT id, name, key_hash, created_ms, expires_ms, \
       revoked_ms, read_only, permitted_ips, description, active, rebac, \
       (SELECT catalog_version FROM projects WHERE id = ?1) \
     FROM management_keys WHERE project_id = ?1 ORDER BY created_ms, id";

/// A key's row as [`KEYS_SQL`] reads it.
struct KeyRow {
    id: String,
    name: String,
    key_hash: String,
    created_ms: i64,
    expires_ms: Option<i64>,
    revoked_ms: Option<i64>,
    read_only: bool,
    permitted_ips: String,
    description: String,
    active: bool,
    rebac: String,
    catalog_version: Option<i64>,
}

impl KeyRow {
    /// The key the row holds; a digest or list this store did not write is an internal
    /// error.
    fn into_key(self) -> Result<StoredKey, Error> {
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

fn key_rows(conn: &Connection, project: &ProjectId) -> rusqlite::Result<Vec<KeyRow>> {
    let mut st = conn.prepare_cached(KEYS_SQL)?;
    let rows = st.query_map([project.as_str()], |r| {
        Ok(KeyRow {
            id: r.get(0)?,
            name: r.get(1)?,
            key_hash: r.get(2)?,
            created_ms: r.get(3)?,
            expires_ms: r.get(4)?,
            revoked_ms: r.get(5)?,
            read_only: r.get(6)?,
            permitted_ips: r.get(7)?,
            description: r.get(8)?,
            active: r.get(9)?,
            rebac: r.get(10)?,
            catalog_version: r.get(11)?,
        })
    })?;
    rows.collect()
}

/// A project's keys, revoked and expired ones included, oldest first.
pub(crate) fn load_keys(conn: &Connection, project: &ProjectId) -> Result<Vec<StoredKey>, Error> {
    Ok(key_ring(key_rows(conn, project).map_err(failed("load keys"))?)?.keys)
}

/// The keys the rows hold, and the catalog version they were read with.
fn key_ring(rows: Vec<KeyRow>) -> Result<KeyRing, Error> {
    let catalog_version = rows.first().and_then(|r| r.catalog_version);
    Ok(KeyRing {
        keys: rows
            .into_iter()
            .map(KeyRow::into_key)
            .collect::<Result<_, Error>>()?,
        catalog_version,
    })
}

/// Whether the store holds any project.
fn any_project(conn: &Connection) -> Result<bool, Error> {
    conn.prepare_cached("SELECT 1 FROM projects LIMIT 1")
        .and_then(|mut st| st.query_row([], |_| Ok(())).optional())
        .map(|row| row.is_some())
        .map_err(failed("count projects"))
}

#[async_trait]
impl ProjectStore for SqliteStore {
    async fn create_project(&self, id: &ProjectId, name: &Label, now: Millis) -> Result<(), Error> {
        let project = Project {
            id: id.clone(),
            name: name.clone(),
            created: now,
        };
        self.db.write(|tx| insert_project(tx, &project)).await
    }

    async fn ensure_project(
        &self,
        id: &ProjectId,
        name: &Label,
        now: Millis,
    ) -> Result<bool, Error> {
        self.db
            .write(|tx| {
                tx.prepare_cached(
                    "INSERT INTO projects (id, name, created_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .and_then(|mut st| st.execute(params![id.as_str(), name.as_str(), now.0]))
                .map(|n| n == 1)
                .map_err(failed("ensure project"))
            })
            .await
    }

    async fn project_exists(&self, id: &ProjectId) -> Result<bool, Error> {
        self.db
            .read(|conn| {
                conn.prepare_cached("SELECT 1 FROM projects WHERE id = ?1")
                    .and_then(|mut st| st.query_row([id.as_str()], |_| Ok(())).optional())
                    .map(|row| row.is_some())
                    .map_err(failed("load project"))
            })
            .await
    }

    async fn has_projects(&self) -> Result<bool, Error> {
        // Through the writer: a first start right after another process's sees it.
        self.db.write(|tx| any_project(tx)).await
    }

    async fn create_first_project(
        &self,
        project: &Project,
        key: &StoredKey,
        origin: &Origin,
    ) -> Result<bool, Error> {
        // The write lock (BEGIN IMMEDIATE) is held from the first statement, so another
        // process starting on the same file waits and then finds this project.
        self.db
            .write(|tx| {
                if any_project(tx)? {
                    return Ok(false);
                }
                insert_project(tx, project)?;
                insert_key(tx, &project.id, key)?;
                let record = records::key_created(origin, &key.facts());
                audit::insert(tx, &project.id, origin, &[record])?;
                Ok(true)
            })
            .await
    }

    async fn add_key(
        &self,
        project: &ProjectId,
        key: &StoredKey,
        origin: &Origin,
    ) -> Result<bool, Error> {
        self.db
            .write(|tx| {
                let added = insert_key(tx, project, key)?;
                if added {
                    let record = records::key_created(origin, &key.facts());
                    audit::insert(tx, project, origin, &[record])?;
                }
                Ok(added)
            })
            .await
    }

    async fn key_ring(&self, project: &ProjectId) -> Result<KeyRing, Error> {
        // Every request checks a key: read it on this thread at once when a connection
        // is free and SQLite answers without waiting, or else like any read.
        let rows = match self.db.read_now(|conn| key_rows(conn, project)) {
            Some(Ok(rows)) => rows,
            outcome => {
                if let Some(Err(e)) = outcome {
                    tracing::debug!(error = %e, "sqlite: keys not read in place");
                }
                self.db
                    .read_keys(|conn| key_rows(conn, project).map_err(failed("load keys")))
                    .await?
            }
        };
        key_ring(rows)
    }

    async fn revoke_key(
        &self,
        project: &ProjectId,
        key: &KeyId,
        origin: &Origin,
    ) -> Result<bool, Error> {
        self.db
            .write(|tx| {
                let revoked = tx
                    .prepare_cached(
                        "UPDATE management_keys SET revoked_ms = coalesce(revoked_ms, ?3) \
                         WHERE project_id = ?1 AND id = ?2",
                    )
                    .and_then(|mut st| {
                        st.execute(params![project.as_str(), key.as_str(), origin.now.0])
                    })
                    .map_err(failed("revoke key"))?
                    == 1;
                if revoked {
                    let record = records::key_revoked(origin, key);
                    audit::insert(tx, project, origin, &[record])?;
                }
                Ok(revoked)
            })
            .await
    }

    async fn update_key(
        &self,
        project: &ProjectId,
        key: &KeyId,
        update: &KeyUpdate,
        origin: &Origin,
    ) -> Result<Option<StoredKey>, Error> {
        self.db
            .write(|tx| {
                let changed = tx
                    .prepare_cached(
                        "UPDATE management_keys SET name = ?3, description = ?4, \
                           permitted_ips = ?5, active = ?6 \
                         WHERE project_id = ?1 AND id = ?2",
                    )
                    .and_then(|mut st| {
                        st.execute(params![
                            project.as_str(),
                            key.as_str(),
                            update.name,
                            update.description,
                            ip_ranges_json(&update.permitted_ips),
                            update.active,
                        ])
                    })
                    .map_err(failed("update key"))?;
                if changed == 0 {
                    return Ok(None);
                }
                let updated = load_keys(tx, project)?.into_iter().find(|k| k.id == *key);
                if let Some(k) = &updated {
                    let record = records::key_modified(origin, &k.facts());
                    audit::insert(tx, project, origin, &[record])?;
                }
                Ok(updated)
            })
            .await
    }

    async fn delete_keys(
        &self,
        project: &ProjectId,
        keys: &[KeyId],
        origin: &Origin,
    ) -> Result<u64, Error> {
        let ids: Vec<&str> = keys.iter().map(KeyId::as_str).collect();
        self.db
            .write(|tx| {
                let mut st = tx
                    .prepare_cached(
                        "DELETE FROM management_keys WHERE project_id = ?1 \
                         AND id IN (SELECT value FROM json_each(?2)) RETURNING id",
                    )
                    .map_err(failed("delete keys"))?;
                let deleted: Vec<String> = st
                    .query_map(params![project.as_str(), to_json(&ids)], |r| r.get(0))
                    .and_then(Iterator::collect)
                    .map_err(failed("delete keys"))?;
                let records: Vec<_> = deleted
                    .into_iter()
                    .map(|id| records::key_deleted(origin, &KeyId::from_stored(id)))
                    .collect();
                audit::insert(tx, project, origin, &records)?;
                Ok(records.len() as u64)
            })
            .await
    }
}
