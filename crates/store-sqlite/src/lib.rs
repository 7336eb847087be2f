//! Roster's SQLite backend: the default store, one file (or memory), no server.
//!
//! Every statement runs through rusqlite on the thread that needs it ([`db`]): one
//! writer connection for every write transaction (`BEGIN IMMEDIATE`, which takes the
//! write lock at once, so another process on the same file, `roster key create` while
//! `roster serve` runs, waits instead of failing half-way), a pool of read-only
//! connections so reads never wait for a write, two more for checking management keys
//! alone, so authentication never waits behind searches, and two for batches reading
//! ahead of the write lock, so reads never wait behind them. The file is in WAL mode
//! with foreign keys on, `synchronous=FULL` (a commit that was acknowledged survives a
//! power cut) and a busy timeout; one more connection copies the write-ahead log back
//! into the database file in the background ([`checkpoint`]), so that no commit of the
//! writer's does it. An in-memory database (`sqlite::memory:`) is one connection that
//! reads and writes in turn.
//!
//! Migrations (`migrations/`) are embedded and run when the store opens: on a file by
//! sqlx, whose bookkeeping table (`_sqlx_migrations`) every Roster database file
//! carries; on a new in-memory database, the same statements in the same order.
//!
//! A database file Roster creates is readable and writable by its owner only (mode
//! `0600`), and so are its `-wal` and `-shm` files, which SQLite creates with the
//! database file's mode. An existing file is left as it is, with a warning when others
//! can read it.
//!
//! Modules: [`db`] (the connections, and running work on them), [`checkpoint`] (the
//! log's checkpoints, off the writer's path), [`users`] (the user tables, reading one
//! user whole), [`user_sets`] (reading many users at once, table by table), [`user_tx`]
//! (the batch transaction), [`user_writes`] (writing changed users, a prepared
//! statement per row), [`audit`] (the audit trail's records, written in the
//! transaction of each change), [`search`] (user search SQL), [`query`] (statements
//! built from parts), [`copy`] (a whole store read and written for `roster copy`), and
//! one module per other resource.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use roster_domain::Error;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

use roster_store::catalog_cache::CatalogCache;

use crate::db::Db;

pub(crate) use roster_store::sql::to_json;

mod attributes;
mod audit;
mod checkpoint;
mod copy;
mod db;
mod list_writes;
mod permissions;
mod projects;
mod query;
mod roles;
mod search;
mod tenants;
mod user_sets;
mod user_tx;
mod user_writes;
mod users;

/// The schema's migrations, embedded.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Read-only connections kept for checking management keys.
const AUTH_CONNECTIONS: usize = 2;

/// Read-only connections kept for batches reading ahead of the write lock: one each for
/// two batches at once (more wait for the writer anyway).
const AHEAD_CONNECTIONS: usize = 2;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("invalid SQLite database URL {url:?}: {source}")]
    Url { url: String, source: sqlx::Error },
    #[error("cannot open the SQLite database: {0}")]
    Open(#[from] rusqlite::Error),
    #[error("cannot open the SQLite database to migrate it: {0}")]
    OpenToMigrate(#[from] sqlx::Error),
    #[error("cannot migrate the SQLite database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot open the SQLite database file {path} to sync it: {source}")]
    Sync {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot create the SQLite database file {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
}

/// Create the database file, if missing, readable and writable by its owner only; warn
/// when an existing one can be read by others.
fn create_private(path: &Path) -> Result<(), OpenError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{:o}", meta.permissions().mode() & 0o777),
                    "the database file can be read by other users than its owner; \
                     `chmod 600` it (and its -wal and -shm files)"
                );
            }
            Ok(())
        }
        Err(source) => Err(OpenError::Create {
            path: path.display().to_string(),
            source,
        }),
    }
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: Arc<Db>,
    /// Catalogs read, kept while their project's catalog version stays.
    catalogs: Arc<CatalogCache>,
    /// Checkpoints the log off the writer's path (a file database only); the task ends
    /// when the last clone of the store is dropped.
    #[allow(
        dead_code,
        reason = "held for its drop, which ends the task; tests read it"
    )]
    checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

/// Whether a database URL is one this backend opens.
pub fn handles(url: &str) -> bool {
    url.starts_with("sqlite:")
}

impl SqliteStore {
    /// Open (creating if missing) and migrate the database at `url`: `sqlite://path`,
    /// `sqlite:path` or `sqlite::memory:`.
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str(url).map_err(|source| OpenError::Url {
            url: url.to_string(),
            source,
        })?;
        if url.contains(":memory:") || url.contains("mode=memory") {
            let conn = db::blocking(in_memory)?;
            return Ok(Self {
                db: Arc::new(Db::in_memory(conn)?),
                catalogs: Arc::default(),
                checkpointer: None,
            });
        }
        let path = options.get_filename().to_path_buf();
        create_private(&path)?;
        // sqlx's migrations, whose bookkeeping table every Roster database file carries,
        // on a connection of their own that is closed once they ran.
        let mut migrating = options
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(30))
            .connect()
            .await?;
        MIGRATOR.run(&mut migrating).await?;
        migrating.close().await?;
        let readers = std::thread::available_parallelism()
            .map_or(4, |n| n.get())
            .clamp(2, 8);
        let db = Arc::new(db::blocking(|| {
            Db::open_file(
                &path,
                checkpoint::WRITER_BACKSTOP_PAGES,
                readers,
                AUTH_CONNECTIONS,
                AHEAD_CONNECTIONS,
            )
        })?);
        let checkpointer = checkpoint::Checkpointer::start(&path, db.clone())?;
        Ok(Self {
            db,
            catalogs: Arc::default(),
            checkpointer: Some(Arc::new(checkpointer)),
        })
    }
}

/// A new in-memory database with the schema: the migrations' statements run in order,
/// each in a transaction, as sqlx runs them on a file (a database that lives as long as
/// its one connection needs no record of which migrations ran).
fn in_memory() -> Result<rusqlite::Connection, OpenError> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    for m in MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
    {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql.as_str())?;
        tx.commit()?;
    }
    Ok(conn)
}

#[async_trait]
impl roster_store::Store for SqliteStore {
    async fn ping(&self) -> Result<(), Error> {
        self.db
            .read(|conn| {
                conn.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(db::failed("ping"))
            })
            .await
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

/// A JSON column read back: stored by this crate, so a parse failure is a bug or
/// corruption, reported as an internal error.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| {
        tracing::error!(error = %e, column = what, "sqlite: unreadable JSON column");
        Error::internal()
    })
}
