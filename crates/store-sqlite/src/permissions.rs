//! Permissions. Each call is one transaction; deleting a permission removes it from
//! every role (foreign key cascade).

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::ErrorCode;
use roster_domain::audit::{Origin, records};
use roster_domain::ids::{PermissionId, ProjectId};
use roster_domain::names::PermissionName;
use roster_domain::permission::{Permission, PermissionRef, PermissionUpdate};
use roster_store::PermissionStore;
use sqlx::{Row, SqliteConnection};

use crate::{SqliteStore, audit, internal, is_unique_violation};

fn duplicate(name: &str) -> Error {
    Error::already_exists(format!("name: permission {name:?} already exists"))
}

async fn find(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    r: &PermissionRef,
) -> Result<Option<i64>, Error> {
    let (sql, value) = match r {
        PermissionRef::Id(id) => (
            "SELECT pk FROM permissions WHERE project_id = ?1 AND id = ?2",
            id.as_str(),
        ),
        PermissionRef::Name(n) => (
            "SELECT pk FROM permissions WHERE project_id = ?1 AND name = ?2",
            n.as_str(),
        ),
    };
    let row = sqlx::query(sql)
        .bind(project.as_str())
        .bind(value)
        .fetch_optional(conn)
        .await
        .map_err(internal("find a permission"))?;
    row.map(|r| {
        r.try_get::<i64, _>("pk")
            .map_err(internal("read a permission"))
    })
    .transpose()
}

/// The position after the project's last permission: read once per transaction, then
/// counted up for each permission inserted.
pub(crate) async fn next_position(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<i64, Error> {
    sqlx::query_scalar(
        "SELECT coalesce(max(position), 0) + 1 FROM permissions WHERE project_id = ?1",
    )
    .bind(project.as_str())
    .fetch_one(conn)
    .await
    .map_err(internal("find the last permission"))
}

/// Insert a permission at `position`.
pub(crate) async fn insert_permission(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    position: i64,
    id: &PermissionId,
    name: &PermissionName,
    description: &str,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO permissions (project_id, id, name, description, position) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(project.as_str())
    .bind(id.as_str())
    .bind(name.as_str())
    .bind(description)
    .bind(position)
    .execute(conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            duplicate(name.as_str())
        } else {
            internal("create permission")(e)
        }
    })?;
    Ok(())
}

/// A project's permissions, in the order they were created.
pub(crate) async fn load_permissions(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<Vec<Permission>, Error> {
    let rows = sqlx::query(
        "SELECT id, name, description FROM permissions WHERE project_id = ?1 ORDER BY position, name",
    )
    .bind(project.as_str())
    .fetch_all(conn)
    .await
    .map_err(internal("load permissions"))?;
    rows.iter()
        .map(|r| {
            Ok(Permission {
                id: PermissionId::from_stored(
                    r.try_get("id").map_err(internal("read a permission"))?,
                ),
                name: PermissionName::from_stored(
                    r.try_get("name").map_err(internal("read a permission"))?,
                ),
                description: r
                    .try_get("description")
                    .map_err(internal("read a permission"))?,
            })
        })
        .collect()
}

fn not_found(r: &PermissionRef) -> Error {
    Error::new(
        ErrorCode::PermissionNotFound,
        format!("{} does not exist", r.describe()),
    )
}

#[async_trait]
impl PermissionStore for SqliteStore {
    async fn create_permissions(
        &self,
        project: &ProjectId,
        permissions: &[(PermissionId, PermissionName, String)],
        origin: &Origin,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let mut position = next_position(&mut tx, project).await?;
        for (id, name, description) in permissions {
            insert_permission(&mut tx, project, position, id, name, description).await?;
            position += 1;
        }
        let records: Vec<_> = permissions
            .iter()
            .map(|(_, name, description)| {
                records::permission_created(origin, name.as_str(), description)
            })
            .collect();
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn update_permissions(
        &self,
        project: &ProjectId,
        updates: &[PermissionUpdate],
        origin: &Origin,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let mut records = Vec::new();
        for u in updates {
            let pk = find(&mut tx, project, &u.target)
                .await?
                .ok_or_else(|| not_found(&u.target))?;
            let old: String = sqlx::query_scalar("SELECT name FROM permissions WHERE pk = ?1")
                .bind(pk)
                .fetch_one(&mut *tx)
                .await
                .map_err(internal("read a permission"))?;
            let new = u
                .new_name
                .as_ref()
                .map_or(old.as_str(), PermissionName::as_str);
            records.push(records::permission_modified(
                origin,
                &old,
                new,
                &u.description,
            ));
            sqlx::query(
                "UPDATE permissions SET name = coalesce(?2, name), description = ?3 WHERE pk = ?1",
            )
            .bind(pk)
            .bind(u.new_name.as_ref().map(PermissionName::as_str))
            .bind(&u.description)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    duplicate(u.new_name.as_ref().map_or("", PermissionName::as_str))
                } else {
                    internal("update permission")(e)
                }
            })?;
        }
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn delete_permissions(
        &self,
        project: &ProjectId,
        permissions: &[PermissionRef],
        missing_ok: bool,
        origin: &Origin,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let mut records = Vec::new();
        for p in permissions {
            match find(&mut tx, project, p).await? {
                Some(pk) => {
                    let name: String =
                        sqlx::query_scalar("DELETE FROM permissions WHERE pk = ?1 RETURNING name")
                            .bind(pk)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(internal("delete permission"))?;
                    records.push(records::permission_deleted(origin, &name));
                }
                None if missing_ok => {}
                None => return Err(not_found(p)),
            }
        }
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn all_permissions(&self, project: &ProjectId) -> Result<Vec<Permission>, Error> {
        let mut conn = self
            .reader
            .acquire()
            .await
            .map_err(internal("acquire a reader"))?;
        load_permissions(&mut conn, project).await
    }
}
