//! Roster's PostgreSQL backend: the store for several stateless Roster nodes sharing one
//! database behind a load balancer.
//!
//! Connections: one pool per node (`--pool-size`, default [`DEFAULT_POOL_SIZE`]), and
//! [`AUTH_CONNECTIONS`] more kept for checking management keys, so that authentication
//! never waits behind searches and batches.
//! Transactions run at `READ COMMITTED`, and correctness between nodes comes from
//! locks, never from a node's memory:
//! - A user batch locks the users it targets (`SELECT … FOR UPDATE`, in key order) as
//!   it reads them, and reads again any that changed while it waited for the lock, so
//!   what it loads cannot change until it commits; two batches touching the same users
//!   queue, and the outcome equals some order of them.
//! - A per-project advisory lock keeps a project's catalog (roles, tenants, permissions,
//!   attribute definitions) still while user batches run: user writes take it shared,
//!   catalog writes take it exclusive.
//! - Uniqueness (login IDs above all) is a constraint. A login ID that another node
//!   takes between a batch's read and its write, a deadlock or a serialization failure
//!   turns into [`Error::write_conflict`], and the flow runs the transaction again (see
//!   `roster_store::batch`); single statements are retried here.
//!
//! Migrations (`migrations/`) are embedded and run when the store opens, under
//! PostgreSQL's advisory lock, so nodes that start together migrate once. A URL may
//! choose a schema with `?options=-c search_path=NAME`; the schema is created if
//! missing.
//!
//! Modules: [`users`] (reading users, the user endpoints), [`batch`] (the batch
//! transaction: lock, load, set-based write), [`audit`] (the audit trail's records,
//! written in the transaction of each change), [`search`] (user search SQL), [`copy`]
//! (a whole store read and written for `roster copy`), and one module per other
//! resource.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::ids::ProjectId;
use roster_store::catalog_cache::CatalogCache;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

pub(crate) use roster_store::sql::to_json;

/// Run `$body` in a write transaction of `$store` with the connection bound to `$conn`,
/// and commit; when it deadlocks or fails to serialize with another writer, run it
/// again, a bounded number of times. `$body` is an expression of type
/// `Result<T, Error>`; `?` and `return` inside it end the attempt. (A macro, not a
/// function taking a closure, so that the futures stay `Send` for `async_trait`; it is
/// defined before the `mod` lines because the modules use it.)
macro_rules! in_write_tx {
    ($store:expr, $what:literal, |$conn:ident| $body:expr) => {{
        let mut attempt = 1u32;
        loop {
            let outcome: Result<_, roster_domain::Error> = async {
                let mut tx = $store.begin().await?;
                let value: Result<_, roster_domain::Error> = {
                    let $conn: &mut sqlx::PgConnection = &mut tx;
                    $body
                };
                let value = value?;
                tx.commit().await.map_err($crate::db_error("commit"))?;
                Ok(value)
            }
            .await;
            if !$crate::again($what, &outcome, &mut attempt).await {
                break outcome;
            }
        }
    }};
}

mod attributes;
mod audit;
mod batch;
mod copy;
mod permissions;
mod projects;
mod roles;
mod search;
mod tenants;
mod user_writes;
mod users;

/// Connections per node when `--pool-size` is not given.
pub const DEFAULT_POOL_SIZE: u32 = 10;

/// How long a request waits for a pooled connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a readiness check waits for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Times a single-statement write is tried when it deadlocks with another writer.
const STATEMENT_ATTEMPTS: u32 = 8;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("invalid PostgreSQL database URL: {0}")]
    Url(sqlx::Error),
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot migrate the PostgreSQL database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Connections for authentication alone, so that checking a key never waits behind
    /// searches and batches.
    auth: PgPool,
    /// Catalogs read, kept while their project's catalog version stays.
    catalogs: Arc<CatalogCache>,
}

/// Connections each node keeps for authentication, besides `--pool-size`.
pub const AUTH_CONNECTIONS: u32 = 2;

/// Whether a database URL is one this backend opens.
pub fn handles(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The first schema of a `search_path` setting, quoted as an identifier, unless it is
/// `$user` or `public`. An unquoted name is folded to lower case, as PostgreSQL folds it.
fn first_schema(search_path: &str) -> Option<String> {
    let first = search_path.split(',').next()?.trim();
    let name = match first.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => first.to_ascii_lowercase(),
    };
    if name.is_empty() || name == "$user" || name == "public" {
        return None;
    }
    Some(format!("\"{}\"", name.replace('"', "\"\"")))
}

impl PostgresStore {
    /// Connect to the database at `url` (`postgres://` or `postgresql://`) with a pool of
    /// at most `pool_size` connections, and migrate it.
    pub async fn open(url: &str, pool_size: u32) -> Result<Self, OpenError> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(OpenError::Url)?
            // Roster's statements are short; compiling them to machine code (PostgreSQL's
            // JIT, on by default) costs far more than it saves: about a second for a
            // 1,000-user batch whenever the planner overestimates its cost, as it does on
            // freshly loaded tables.
            .options([("jit", "off")]);
        if options.get_application_name().is_none() {
            options = options.application_name("roster");
        }
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        let auth = PgPoolOptions::new()
            .max_connections(AUTH_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        let search_path: String = sqlx::query_scalar("SELECT current_setting('search_path')")
            .fetch_one(&pool)
            .await?;
        let mut migrator = sqlx::migrate!("./migrations");
        if let Some(schema) = first_schema(&search_path) {
            // Created under the migration lock, so nodes starting together agree.
            migrator.create_schema(schema);
        }
        migrator.run(&pool).await?;
        Ok(Self {
            pool,
            auth,
            catalogs: Arc::default(),
        })
    }

    /// Start a transaction.
    async fn begin(&self) -> Result<Transaction<'static, Postgres>, Error> {
        self.pool
            .begin()
            .await
            .map_err(internal("begin a transaction"))
    }
}

/// After a failed attempt of [`in_write_tx`]: whether to run it again (a lost race with
/// attempts left), having waited a little longer after each.
pub(crate) async fn again<T>(
    what: &'static str,
    outcome: &Result<T, Error>,
    attempt: &mut u32,
) -> bool {
    match outcome {
        Err(e) if e.is_write_conflict() && *attempt < STATEMENT_ATTEMPTS => {
            tracing::debug!(
                what,
                attempt = *attempt,
                "postgres: write conflict, trying again"
            );
            tokio::time::sleep(Duration::from_millis(2 << (*attempt).min(5))).await;
            *attempt += 1;
            true
        }
        _ => false,
    }
}

#[async_trait]
impl roster_store::Store for PostgresStore {
    async fn ping(&self) -> Result<(), Error> {
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        match tokio::time::timeout(PING_TIMEOUT, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(internal("ping")(e)),
            Err(_) => {
                tracing::warn!("postgres: ping timed out");
                Err(Error::internal())
            }
        }
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}

/// The advisory lock that keeps a project's catalog still: its two keys (a fixed class
/// for Roster's catalog locks, and the project ID's hash) as SQL arguments.
const CATALOG_LOCK: &str = "1919251317, hashtext($1)";

/// Take the project's catalog lock shared (user writes) for the transaction.
pub(crate) async fn lock_catalog_shared(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<(), Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT pg_advisory_xact_lock_shared({CATALOG_LOCK})"
    )))
    .bind(project.as_str())
    .execute(conn)
    .await
    .map_err(db_error("lock the catalog"))?;
    Ok(())
}

/// Take the project's catalog lock exclusive (catalog writes) for the transaction.
pub(crate) async fn lock_catalog(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<(), Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT pg_advisory_xact_lock({CATALOG_LOCK})"
    )))
    .bind(project.as_str())
    .execute(conn)
    .await
    .map_err(db_error("lock the catalog"))?;
    Ok(())
}

/// SQLSTATE of a database failure.
pub(crate) fn sqlstate(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// Whether a failure means the transaction lost a race and may be run again: a
/// serialization failure (40001) or a deadlock (40P01).
pub(crate) fn is_retryable(e: &sqlx::Error) -> bool {
    matches!(sqlstate(e).as_deref(), Some("40001" | "40P01"))
}

/// Map a database failure: a lost race becomes [`Error::write_conflict`]; anything else
/// is logged and becomes an opaque internal error.
pub(crate) fn db_error(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| {
        if is_retryable(&e) {
            tracing::debug!(error = %e, "postgres: {what}: lost a race with another writer");
            Error::write_conflict()
        } else {
            internal(what)(e)
        }
    }
}

/// Log an unexpected database failure and turn it into an opaque internal error.
pub(crate) fn internal(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| {
        tracing::error!(error = %e, "postgres: {what}");
        Error::internal()
    }
}

/// The constraint a UNIQUE violation broke, if that is what failed.
pub(crate) fn unique_violation(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Some(db.constraint().unwrap_or(""))
        }
        _ => None,
    }
}

/// Whether a failure is a FOREIGN KEY violation.
pub(crate) fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

/// A `jsonb` column read back: stored by this crate, so a value that does not fit is a
/// bug or corruption, reported as an internal error.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    what: &str,
) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| {
        tracing::error!(error = %e, column = what, "postgres: unreadable JSON column");
        Error::internal()
    })
}

#[cfg(test)]
mod tests {
    use super::first_schema;

    #[test]
    fn the_schema_to_create_is_the_first_of_the_search_path() {
        assert_eq!(first_schema("roster"), Some("\"roster\"".into()));
        assert_eq!(first_schema("Roster_1"), Some("\"roster_1\"".into()));
        assert_eq!(
            first_schema("\"My \"\"x\"\"\", public"),
            Some("\"My \"\"x\"\"\"".into())
        );
        assert_eq!(first_schema("\"$user\", public"), None);
        assert_eq!(first_schema("public"), None);
        assert_eq!(first_schema(""), None);
    }
}
