//! Roster's SQLite backend: the default store, one file (or memory), no server.
//!
//! Connections: the file is opened in WAL mode with foreign keys on, `synchronous=FULL`
//! (a commit that was acknowledged survives a power cut) and a busy timeout. There is one
//! writer connection, a small pool of read-only connections, so reads never wait for a
//! batch and writes never interleave, and two more read-only connections for checking
//! management keys alone, so authentication never waits behind searches. Besides these,
//! a few read-only rusqlite connections check keys on the request's own thread
//! ([`auth_readers`]): no thread switch for the read every request makes, and one more
//! connection copies the write-ahead log back into the database file in the background
//! ([`checkpoint`]), so that no commit of the writer's does it. Write
//! transactions start with `BEGIN IMMEDIATE`,
//! which takes the write lock at once: another process on the same file (`roster key
//! create` while `roster serve` runs) waits instead of failing half-way. An in-memory
//! database (`sqlite::memory:`) has a single connection that does both.
//!
//! Migrations (`migrations/`) are embedded and run when the store opens.
//!
//! A database file Roster creates is readable and writable by its owner only (mode
//! `0600`), and so are its `-wal` and `-shm` files, which SQLite creates with the
//! database file's mode. An existing file is left as it is, with a warning when others
//! can read it.
//!
//! Modules: [`auth_readers`] (keys checked in place), [`checkpoint`] (the log's
//! checkpoints, off the writer's path), [`users`] (the user tables,
//! reading one user whole), [`user_sets`] (reading
//! many users at once, table by table), [`user_tx`] (the batch transaction), [`audit`]
//! (the audit trail's records, written in the transaction of each change),
//! [`user_writes`] (writing changed users set-based), [`statements`] (how many rows
//! one multi-row statement carries), [`search`] (user
//! search SQL), [`copy`] (a whole store read and written for `roster copy`), and one
//! module per other resource.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use roster_domain::Error;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::auth_readers::AuthReaders;

pub(crate) use roster_store::sql::to_json;

mod attributes;
mod audit;
mod auth_readers;
mod checkpoint;
mod copy;
mod permissions;
mod projects;
mod roles;
mod search;
mod statements;
mod tenants;
mod user_sets;
mod user_tx;
mod user_writes;
mod users;

/// Read-only connections kept for authentication.
const AUTH_CONNECTIONS: u32 = 2;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("invalid SQLite database URL {url:?}: {source}")]
    Url { url: String, source: sqlx::Error },
    #[error("cannot open the SQLite database: {0}")]
    Open(#[from] sqlx::Error),
    #[error("cannot migrate the SQLite database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot open the SQLite database for checking keys: {0}")]
    InPlace(rusqlite::Error),
    #[error("cannot open the SQLite database for checkpoints: {0}")]
    Checkpoint(rusqlite::Error),
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
    writer: SqlitePool,
    reader: SqlitePool,
    /// Read-only connections for authentication alone, so that checking a key never
    /// waits behind searches.
    auth: SqlitePool,
    /// Read-only connections that check keys on the asking thread (a file database
    /// only); `auth` answers when none is free.
    in_place: Option<Arc<AuthReaders>>,
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
        let base = SqliteConnectOptions::from_str(url)
            .map_err(|source| OpenError::Url {
                url: url.to_string(),
                source,
            })?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .synchronous(SqliteSynchronous::Full)
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let single = |size: u32| {
            SqlitePoolOptions::new()
                .max_connections(size)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(Duration::from_secs(300))
        };
        if in_memory {
            let pool = single(1).connect_with(base).await?;
            sqlx::migrate!("./migrations").run(&pool).await?;
            return Ok(Self {
                writer: pool.clone(),
                reader: pool.clone(),
                auth: pool,
                in_place: None,
                checkpointer: None,
            });
        }
        create_private(base.get_filename())?;
        let writer = single(1)
            .connect_with(base.clone().journal_mode(SqliteJournalMode::Wal).pragma(
                "wal_autocheckpoint",
                checkpoint::WRITER_BACKSTOP_PAGES.to_string(),
            ))
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let readers = u32::try_from(std::thread::available_parallelism().map_or(4, |n| n.get()))
            .unwrap_or(4)
            .clamp(2, 8);
        let read_only = base.read_only(true);
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(300))
            .connect_with(read_only.clone())
            .await?;
        let auth = SqlitePoolOptions::new()
            .max_connections(AUTH_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(read_only.clone())
            .await?;
        let in_place = AuthReaders::open(read_only.get_filename(), readers as usize)
            .map_err(OpenError::InPlace)?;
        let checkpointer =
            checkpoint::Checkpointer::start(read_only.get_filename(), writer.clone())
                .map_err(OpenError::Checkpoint)?;
        Ok(Self {
            writer,
            reader,
            auth,
            in_place: Some(Arc::new(in_place)),
            checkpointer: Some(Arc::new(checkpointer)),
        })
    }

    /// Start a write transaction that holds the write lock from its first statement.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, Error> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(internal("begin a write transaction"))
    }
}

#[async_trait]
impl roster_store::Store for SqliteStore {
    async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(internal("ping"))?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

/// Log an unexpected database failure and turn it into an opaque internal error.
pub(crate) fn internal(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| {
        tracing::error!(error = %e, "sqlite: {what}");
        Error::internal()
    }
}

/// Whether a failure is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Whether a failure is a FOREIGN KEY violation.
pub(crate) fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

/// Text of a database failure (to tell which constraint failed).
pub(crate) fn db_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
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
