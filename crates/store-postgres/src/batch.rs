//! The write transaction of a user batch on PostgreSQL: lock, load, write set-based.
//!
//! Loading (here): one statement finds the users the batch's selectors name, locks them
//! (`FOR UPDATE`, in `pk` order, so two batches over the same users queue instead of
//! deadlocking) and reads them whole. What it reads of a user's lists is as of the
//! statement's start, before it waited for any lock, so it also reads each user's
//! `version` as of then: every change to a user moves its version, so a user whose
//! locked row still has that version has not changed since, and neither have the
//! login IDs by which the selectors found it. Only when one has changed (another
//! transaction held it meanwhile) does the load read again, with a fresh snapshot, under
//! the locks it now holds; a selector may point at another user by then (a login ID
//! moved meanwhile), which it locks too before reading again. A user deleted while the
//! statement waited is left out and the selectors that named it name nobody, as though
//! the batch ran right after the delete, before any later change (another user taking
//! one of its login IDs, say).
//!
//! Writing is [`crate::user_writes`]'s.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use futures_util::TryStreamExt;
use roster_domain::Error;
use roster_domain::audit::AuditRecord;
use roster_domain::catalog::Catalog;
use roster_domain::ids::{ProjectId, UserId};
use roster_domain::patch::UserChange;
use roster_domain::user::User;
use roster_store::UserTx;
use roster_store::catalog_cache::CatalogCache;
use sqlx::{PgConnection, Postgres, Row, Transaction};

use crate::user_writes::write_changes;
use crate::users::{USER_COLUMNS, decode_user, load_catalog};
use crate::{db_error, internal};

/// Rounds of "lock, then read" before a batch whose selectors keep moving gives up and
/// runs again from the start.
const LOCK_ROUNDS: usize = 8;

/// The pks of the users the selectors `$2` name in project `$1`, in order: owners of
/// those login IDs, and users with those IDs. Each selector drives its own index probes
/// (`OFFSET 0` keeps PostgreSQL from turning them into a join over the whole table), so
/// the cost follows the batch, not the project's size, whatever the planner's
/// statistics say (there are none yet right after a bulk load). Materialized, the
/// list is scanned in the order it was sorted in, which is the order a nested loop
/// over it locks users in.
const TARGETS: &str = "WITH targets(pk) AS MATERIALIZED ( \
      SELECT DISTINCT t.pk FROM (SELECT DISTINCT s FROM unnest($2::text[]) AS w(s)) AS sel \
      CROSS JOIN LATERAL ( \
        SELECT l.user_pk FROM user_login_ids l WHERE l.project_id = $1 AND l.login_id = sel.s \
        UNION ALL \
        SELECT x.pk FROM users x WHERE x.project_id = $1 AND x.id = sel.s \
        OFFSET 0) AS t(pk) ORDER BY t.pk) ";

/// Find, lock and read the users the selectors name, in one statement. The locked
/// row is the newest (`FOR UPDATE` waits for a holder and then reads what it
/// committed); `seen_version` is the version as of the statement's start, which the
/// lists beside it were read at.
static LOCK_AND_LOAD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{TARGETS} SELECT {USER_COLUMNS}, \
           (SELECT v.version FROM users v WHERE v.pk = u.pk) AS seen_version \
         FROM targets \
         CROSS JOIN LATERAL (SELECT * FROM users WHERE pk = targets.pk FOR UPDATE) AS u"
    )
});

/// Find and read the users the selectors name, with a snapshot of the moment: under
/// locks already held, after [`LOCK_AND_LOAD`] found one of them changed. Read under
/// the locks, each row's version is the one seen.
static LOAD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{TARGETS} SELECT {USER_COLUMNS}, u.version AS seen_version FROM targets \
         CROSS JOIN LATERAL (SELECT * FROM users WHERE pk = targets.pk OFFSET 0) AS u"
    )
});

/// Lock the users with the pks `$1` (sorted, so that batches lock in one order and
/// queue instead of deadlocking); returns the pks of those that still exist.
const LOCK: &str = "SELECT u.pk FROM unnest($1::bigint[]) AS k(pk) \
    CROSS JOIN LATERAL (SELECT pk FROM users WHERE pk = k.pk FOR UPDATE) AS u";

pub(crate) struct PgUserTx {
    tx: Transaction<'static, Postgres>,
    project: ProjectId,
    catalogs: Arc<CatalogCache>,
    /// `user ID -> pk` of the users this transaction loaded (and holds locks on).
    loaded: HashMap<String, i64>,
}

impl PgUserTx {
    pub(crate) fn new(
        tx: Transaction<'static, Postgres>,
        project: ProjectId,
        catalogs: Arc<CatalogCache>,
    ) -> Self {
        Self {
            tx,
            project,
            catalogs,
            loaded: HashMap::new(),
        }
    }
}

impl std::fmt::Debug for PgUserTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgUserTx")
            .field("project", &self.project)
            .finish()
    }
}

/// Lock the users with these pks; returns those that exist.
async fn lock(conn: &mut PgConnection, mut pks: Vec<i64>) -> Result<Vec<i64>, Error> {
    pks.sort_unstable();
    sqlx::query_scalar(LOCK)
        .bind(&pks)
        .fetch_all(conn)
        .await
        .map_err(db_error("lock the users of a batch"))
}

/// Plan each statement of this transaction when it runs, for its arrays and the
/// tables' sizes then, instead of reusing the connection's cached generic plan.
///
/// PostgreSQL keeps a prepared statement's generic plan after five runs, and nothing
/// replaces it until the tables are analyzed again. A plan made while `user_roles`
/// was empty and analyzed so (autovacuum off, or behind a bulk import) reads the whole
/// table for each user loaded. `bench/limits` analyzes before its loads to show it:
/// 1,000-user list batches fell from about 19,000 users a second to 2,400. Planning
/// costs about a millisecond a transaction (every statement of a one-user patch, about
/// a third of its time), so only transactions of more than [`PLAN_EACH_RUN_FROM`] users
/// pay it, where it is a few microseconds a user. Smaller ones (single patches and
/// their groups) keep the cached plans, so planning does not slow every patch down; a
/// stale plan there costs a scan of the table per user (single patches ran at about a
/// third of their rate in that benchmark), until the tables are analyzed again (by
/// autovacuum within a minute of a load) or the connection is replaced.
const PLAN_EACH_RUN: &str = "SET LOCAL plan_cache_mode = force_custom_plan";

/// See [`PLAN_EACH_RUN`]. Groups of single patches at 16 clients stay under it.
const PLAN_EACH_RUN_FROM: usize = 32;

/// A user as a load statement read it: its pk, its version as of the statement's start
/// (`seen_version`), and the user.
type Read = (i64, i64, User);

/// Run a load statement over the selectors (`LOCK_AND_LOAD` or `LOAD`). Each row is
/// decoded as it arrives, so that the raw rows of a large batch are never all held
/// beside the users made of them.
async fn read_users(
    conn: &mut PgConnection,
    sql: &'static str,
    what: &'static str,
    project: &ProjectId,
    selectors: &[&str],
) -> Result<Vec<Read>, Error> {
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(project.as_str())
        .bind(selectors)
        .fetch(conn);
    let mut users = Vec::with_capacity(selectors.len());
    while let Some(row) = rows.try_next().await.map_err(db_error(what))? {
        let pk: i64 = row.try_get("pk").map_err(internal("read a user"))?;
        let seen: i64 = row
            .try_get("seen_version")
            .map_err(internal("read a user"))?;
        users.push((pk, seen, decode_user(&row)?));
    }
    Ok(users)
}

/// The users read, with their pks.
fn users_of(read: Vec<Read>) -> Vec<(i64, User)> {
    read.into_iter().map(|(pk, _, user)| (pk, user)).collect()
}

/// Lock and load the users `selectors` name; returns them with their pks.
async fn lock_and_load(
    conn: &mut PgConnection,
    project: &ProjectId,
    selectors: &[&str],
) -> Result<Vec<(i64, User)>, Error> {
    const LOCKING: &str = "lock and load the users of a batch";
    let read = read_users(conn, &LOCK_AND_LOAD, LOCKING, project, selectors).await?;
    if read.iter().all(|(_, seen, user)| user.version == *seen) {
        return Ok(users_of(read));
    }
    // A user changed while the statement waited for its lock: what was read of it, and
    // whom the selectors named, may be older than the lock. Read again under the locks.
    let mut held: HashSet<i64> = read.iter().map(|(pk, ..)| *pk).collect();
    for _ in 0..LOCK_ROUNDS {
        let read = read_users(conn, &LOAD, "load the users of a batch", project, selectors).await?;
        let missing: Vec<i64> = read
            .iter()
            .map(|(pk, ..)| *pk)
            .filter(|pk| !held.contains(pk))
            .collect();
        if missing.is_empty() {
            return Ok(users_of(read));
        }
        // A selector moved to a user this batch has not locked: lock it, read again.
        held.extend(lock(conn, missing).await?);
    }
    tracing::debug!("postgres: the users of a batch kept moving while it locked them");
    Err(Error::write_conflict())
}

#[async_trait]
impl UserTx for PgUserTx {
    async fn catalog(&mut self) -> Result<Arc<Catalog>, Error> {
        load_catalog(&mut self.tx, &self.project, &self.catalogs).await
    }

    async fn load_for_batch(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<(Vec<User>, Vec<(String, UserId)>), Error> {
        if selectors.len().max(login_ids.len()) > PLAN_EACH_RUN_FROM {
            sqlx::query(PLAN_EACH_RUN)
                .execute(&mut *self.tx)
                .await
                .map_err(db_error("plan a batch's statements"))?;
        }
        let mut users = Vec::new();
        if !selectors.is_empty() {
            let loaded = lock_and_load(&mut self.tx, &self.project, selectors).await?;
            users.reserve(loaded.len());
            for (pk, user) in loaded {
                self.loaded.insert(user.id.as_str().to_string(), pk);
                users.push(user);
            }
        }
        let mut owners = Vec::new();
        if !login_ids.is_empty() {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT l.login_id, u.id AS user_id \
                 FROM (SELECT DISTINCT s FROM unnest($2::text[]) AS w(s)) AS wanted \
                 CROSS JOIN LATERAL (SELECT login_id, user_pk FROM user_login_ids \
                   WHERE project_id = $1 AND login_id = wanted.s OFFSET 0) AS l \
                 CROSS JOIN LATERAL (SELECT id FROM users WHERE pk = l.user_pk OFFSET 0) AS u",
            )
            .bind(self.project.as_str())
            .bind(login_ids)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_error("load login ID owners"))?;
            owners = rows
                .into_iter()
                .map(|(login, user)| (login, UserId::from_stored(user)))
                .collect();
        }
        Ok((users, owners))
    }

    async fn write(&mut self, changes: &[UserChange], catalog: &Catalog) -> Result<(), Error> {
        write_changes(&mut self.tx, &self.project, changes, catalog, &self.loaded).await
    }

    async fn record(&mut self, records: &[AuditRecord]) -> Result<(), Error> {
        crate::audit::write(&mut self.tx, &self.project, records).await
    }

    async fn commit(self: Box<Self>) -> Result<(), Error> {
        self.tx
            .commit()
            .await
            .map_err(db_error("commit a user batch"))
    }
}
