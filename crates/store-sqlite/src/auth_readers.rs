//! Checking a management key without leaving the request's thread.
//!
//! Every request reads its project's keys. Through sqlx, that read crosses to the
//! connection's own thread and back: two thread switches per request, which under load
//! cost about a fifth of the single patches a server answers (`docs/benchmarks.md`).
//! These are read-only rusqlite connections that the asking thread uses in place, each
//! behind its own lock. A free one answers at once: an indexed read of a few rows that
//! takes microseconds, short enough to run on an async worker. When every one is in use,
//! or SQLite cannot answer at once (busy), the caller reads through the sqlx
//! authentication pool instead, so nothing ever waits on these locks or on SQLite here.
//!
//! A read in place sees every transaction committed before it, as any WAL reader does:
//! a key revoked is refused from the next request on.

use std::path::Path;
use std::sync::Mutex;

use roster_domain::Error;
use roster_domain::ids::ProjectId;
use roster_store::StoredKey;
use rusqlite::{Connection, OpenFlags};

use crate::projects::{KEYS_SQL, KeyRow};

/// Read-only connections used in place by the threads that check keys.
#[derive(Debug)]
pub(crate) struct AuthReaders {
    connections: Vec<Mutex<Connection>>,
}

impl AuthReaders {
    /// Open `count` read-only connections to the database file at `path`.
    pub(crate) fn open(path: &Path, count: usize) -> rusqlite::Result<Self> {
        let mut connections = Vec::with_capacity(count);
        for _ in 0..count {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            // Never wait for a lock: the caller reads through sqlx instead.
            conn.busy_timeout(std::time::Duration::ZERO)?;
            connections.push(Mutex::new(conn));
        }
        Ok(Self { connections })
    }

    /// The project's keys, read in place; `None` when no connection is free or SQLite
    /// could not answer at once (the caller then reads through sqlx).
    pub(crate) fn keys(&self, project: &ProjectId) -> Option<Result<Vec<StoredKey>, Error>> {
        let conn = self.connections.iter().find_map(|c| c.try_lock().ok())?;
        match read_keys(&conn, project) {
            Ok(rows) => Some(rows.into_iter().map(KeyRow::into_key).collect()),
            Err(e) => {
                tracing::debug!(error = %e, "sqlite: keys not read in place; reading through the pool");
                None
            }
        }
    }
}

fn read_keys(conn: &Connection, project: &ProjectId) -> rusqlite::Result<Vec<KeyRow>> {
    let mut statement = conn.prepare_cached(KEYS_SQL)?;
    let rows = statement.query_map([project.as_str()], |r| {
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
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use roster_domain::audit::Origin;
    use roster_domain::ids::{KeyId, RandomIds};
    use roster_domain::keys::ManagementKey;
    use roster_domain::names::Label;
    use roster_domain::time::Millis;
    use roster_store::ProjectStore;

    use super::*;
    use crate::SqliteStore;

    /// A store on a new file with one project holding one key.
    async fn store_with_a_key(dir: &Path) -> (SqliteStore, ProjectId, ManagementKey) {
        let url = format!("sqlite://{}", dir.join("auth.db").display());
        let store = SqliteStore::open(&url).await.expect("open");
        let project = ProjectId::generate(&RandomIds);
        let now = Millis(1_000);
        store
            .create_project(&project, &Label::parse("p").expect("label"), now)
            .await
            .expect("project");
        let key = ManagementKey::generate(&RandomIds);
        let stored = StoredKey::new(KeyId::generate(&RandomIds), "k".into(), key.hash(), now);
        store
            .add_key(&project, &stored, &Origin::command_line(now))
            .await
            .expect("key");
        (store, project, key)
    }

    fn readers(store: &SqliteStore) -> &AuthReaders {
        store
            .in_place
            .as_deref()
            .expect("a file store reads keys in place")
    }

    #[tokio::test]
    async fn keys_are_read_in_place_and_through_the_pool_when_every_connection_is_taken() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, project, key) = store_with_a_key(dir.path()).await;
        let in_place = readers(&store)
            .keys(&project)
            .expect("a free connection answers")
            .expect("read");
        assert_eq!(in_place.len(), 1);
        assert!(in_place[0].hash.matches(&key.hash()));

        let held: Vec<_> = readers(&store)
            .connections
            .iter()
            .map(|c| c.lock().expect("lock"))
            .collect();
        assert!(
            readers(&store).keys(&project).is_none(),
            "no connection is free"
        );
        let through_pool = store.keys(&project).await.expect("keys");
        assert_eq!(through_pool.len(), 1, "the pool answers instead");
        assert_eq!(through_pool[0].id, in_place[0].id);
        drop(held);
    }

    #[test]
    #[allow(
        clippy::disallowed_methods,
        reason = "measures that a locked database is not waited for: the wall clock is the point"
    )]
    fn a_locked_database_is_left_to_the_pool_at_once() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("locked.db");
        // A database in rollback-journal mode, where a writer's exclusive lock keeps
        // every reader out (in WAL mode readers are never locked out for long).
        let owner = Connection::open(&path).expect("open");
        owner
            .execute_batch(
                "CREATE TABLE management_keys (project_id TEXT, id TEXT, name TEXT, \
                   key_hash TEXT, created_ms INTEGER, expires_ms INTEGER, revoked_ms INTEGER, \
                   read_only INTEGER, permitted_ips TEXT, description TEXT, active INTEGER, \
                   rebac TEXT);",
            )
            .expect("schema");
        let readers = AuthReaders::open(&path, 2).expect("readers");
        let project = ProjectId::generate(&RandomIds);
        let keys = readers.keys(&project).expect("an open database answers");
        assert!(keys.expect("read").is_empty());
        owner.execute_batch("BEGIN EXCLUSIVE;").expect("lock");
        let asked = Instant::now();
        assert!(readers.keys(&project).is_none(), "locked: no answer");
        assert!(
            asked.elapsed() < Duration::from_millis(500),
            "a locked database is never waited for in place"
        );
        owner.execute_batch("COMMIT;").expect("unlock");
        assert!(readers.keys(&project).is_some());
    }
}
