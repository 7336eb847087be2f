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
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::{failed, is_unique_violation};
use crate::{SqliteStore, audit};

fn duplicate(name: &str) -> Error {
    Error::already_exists(format!("name: permission {name:?} already exists"))
}

fn find(conn: &Connection, project: &ProjectId, r: &PermissionRef) -> Result<Option<i64>, Error> {
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
    conn.prepare_cached(sql)
        .and_then(|mut st| {
            st.query_row(params![project.as_str(), value], |r| r.get(0))
                .optional()
        })
        .map_err(failed("find a permission"))
}

/// The position after the project's last permission: read once per transaction, then
/// counted up for each permission inserted.
pub(crate) fn next_position(conn: &Connection, project: &ProjectId) -> Result<i64, Error> {
    conn.prepare_cached(
        "SELECT coalesce(max(position), 0) + 1 FROM permissions WHERE project_id = ?1",
    )
    .and_then(|mut st| st.query_row([project.as_str()], |r| r.get(0)))
    .map_err(failed("find the last permission"))
}

/// Insert a permission at `position`.
pub(crate) fn insert_permission(
    conn: &Connection,
    project: &ProjectId,
    position: i64,
    id: &PermissionId,
    name: &PermissionName,
    description: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO permissions (project_id, id, name, description, position) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut st| {
        st.execute(params![
            project.as_str(),
            id.as_str(),
            name.as_str(),
            description,
            position
        ])
    })
    .map_err(|e| {
        if is_unique_violation(&e) {
            duplicate(name.as_str())
        } else {
            failed("create permission")(e)
        }
    })?;
    Ok(())
}

/// A project's permissions, in the order they were created.
pub(crate) fn load_permissions(
    conn: &Connection,
    project: &ProjectId,
) -> Result<Vec<Permission>, Error> {
    conn.prepare_cached(
        "SELECT id, name, description FROM permissions WHERE project_id = ?1 \
         ORDER BY position, name",
    )
    .and_then(|mut st| {
        st.query_map([project.as_str()], |r| {
            Ok(Permission {
                id: PermissionId::from_stored(r.get(0)?),
                name: PermissionName::from_stored(r.get(1)?),
                description: r.get(2)?,
            })
        })?
        .collect()
    })
    .map_err(failed("load permissions"))
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
        self.db
            .write(|tx| {
                let first = next_position(tx, project)?;
                for (position, (id, name, description)) in (first..).zip(permissions) {
                    insert_permission(tx, project, position, id, name, description)?;
                }
                let records: Vec<_> = permissions
                    .iter()
                    .map(|(_, name, description)| {
                        records::permission_created(origin, name.as_str(), description)
                    })
                    .collect();
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn update_permissions(
        &self,
        project: &ProjectId,
        updates: &[PermissionUpdate],
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                let mut records = Vec::new();
                for u in updates {
                    let pk = find(tx, project, &u.target)?.ok_or_else(|| not_found(&u.target))?;
                    let old: String = tx
                        .prepare_cached("SELECT name FROM permissions WHERE pk = ?1")
                        .and_then(|mut st| st.query_row([pk], |r| r.get(0)))
                        .map_err(failed("read a permission"))?;
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
                    tx.prepare_cached(
                        "UPDATE permissions SET name = coalesce(?2, name), description = ?3 \
                         WHERE pk = ?1",
                    )
                    .and_then(|mut st| {
                        st.execute(params![
                            pk,
                            u.new_name.as_ref().map(PermissionName::as_str),
                            u.description
                        ])
                    })
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            duplicate(u.new_name.as_ref().map_or("", PermissionName::as_str))
                        } else {
                            failed("update permission")(e)
                        }
                    })?;
                }
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn delete_permissions(
        &self,
        project: &ProjectId,
        permissions: &[PermissionRef],
        missing_ok: bool,
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                let mut records = Vec::new();
                for p in permissions {
                    match find(tx, project, p)? {
                        Some(pk) => {
                            let name: String = tx
                                .prepare_cached(
                                    "DELETE FROM permissions WHERE pk = ?1 RETURNING name",
                                )
                                .and_then(|mut st| st.query_row([pk], |r| r.get(0)))
                                .map_err(failed("delete permission"))?;
                            records.push(records::permission_deleted(origin, &name));
                        }
                        None if missing_ok => {}
                        None => return Err(not_found(p)),
                    }
                }
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn all_permissions(&self, project: &ProjectId) -> Result<Vec<Permission>, Error> {
        self.db.read(|conn| load_permissions(conn, project)).await
    }
}
