//! The store's connections, used in place.
//!
//! SQLite is a library, not a server: a statement runs on the thread that steps it.
//! So every connection here is a rusqlite connection that the thread doing the work
//! uses directly, with no hop to a database thread per statement and no copy of every
//! bound value on the way (what sqlx's SQLite driver does, and what profiles showed as
//! the largest cost of a write: `docs/benchmarks.md`).
//!
//! - **The writer**: one connection for every write transaction, behind an async
//!   lock, so writers queue in arrival order and never contend for SQLite's own lock
//!   within the process. [`Db::begin`] waits for the lock, then starts the transaction
//!   with `BEGIN IMMEDIATE`, which takes SQLite's write lock at once: another process on
//!   the same file (`roster key create` beside `roster serve`) waits for it (busy
//!   timeout) instead of failing half-way.
//! - **Readers**: a pool of read-only connections (a file database in WAL mode), so
//!   reads never wait for a write; a few more for checking management keys alone,
//!   which the request's own thread uses at once when one is free ([`Db::read_now`]);
//!   and a few for batches reading ahead of the write lock ([`Db::begin_read_ahead`]),
//!   so reads never wait behind a batch's thousands of users.
//! - **An in-memory database** (`sqlite::memory:`) is a single connection, the writer,
//!   which reads take in turn.
//!
//! The work itself is synchronous. Whatever may take long (a statement reading many
//! rows, a commit that syncs the disk) runs through [`blocking`], which hands the async
//! worker's other tasks to another thread first; the flows of `roster_store` run a whole
//! user transaction on a thread of their own ([`roster_store::UserStore::writes_in_place`]).

use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use roster_domain::Error;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// Prepared statements each connection keeps: every statement kind the store runs,
/// and the updates of users for the sets of columns a workload changes.
const STATEMENT_CACHE: usize = 128;

/// How long a statement waits for a lock another process holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// What every connection is set to (the page cache is per connection).
fn configure(conn: &Connection, busy: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Open the writer: a database file in WAL mode with `synchronous=FULL` (an
/// acknowledged commit survives a power cut) and its own automatic checkpoint at
/// `autocheckpoint` pages of log.
fn open_writer_file(path: &Path, autocheckpoint: u32) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "wal_autocheckpoint", autocheckpoint)?;
    Ok(conn)
}

/// Open a read-only connection to a database file.
pub(crate) fn open_reader(path: &Path, busy: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, busy)?;
    Ok(conn)
}

/// A set of interchangeable read-only connections.
#[derive(Debug)]
struct Pool {
    free: std::sync::Mutex<Vec<Connection>>,
    /// One permit per connection in `free`.
    permits: Arc<Semaphore>,
}

impl Pool {
    fn open(path: &Path, count: usize, busy: Duration) -> rusqlite::Result<Arc<Self>> {
        let free = (0..count)
            .map(|_| open_reader(path, busy))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Arc::new(Self {
            free: std::sync::Mutex::new(free),
            permits: Arc::new(Semaphore::new(count)),
        }))
    }

    fn take(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Result<Pooled, Error> {
        let conn = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .ok_or_else(|| {
                tracing::error!("sqlite: a reader permit without a free connection");
                Error::internal()
            })?;
        Ok(Pooled {
            pool: self.clone(),
            conn: Some(conn),
            _permit: permit,
        })
    }

    /// A free connection, once one is free.
    async fn get(self: &Arc<Self>) -> Result<Pooled, Error> {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| {
            tracing::error!("sqlite: the reader pool is closed");
            Error::internal()
        })?;
        self.take(permit)
    }

    /// A free connection now, if there is one.
    fn try_get(self: &Arc<Self>) -> Option<Pooled> {
        let permit = self.permits.clone().try_acquire_owned().ok()?;
        self.take(permit).ok()
    }
}

/// A reader taken from its pool; it goes back when dropped.
#[derive(Debug)]
struct Pooled {
    pool: Arc<Pool>,
    conn: Option<Connection>,
    // Released after the connection is back (fields drop after `Drop::drop`).
    _permit: OwnedSemaphorePermit,
}

impl Deref for Pooled {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Present from `take` until `drop`.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool
                .free
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}

/// A connection held for a while: a pooled reader, or the writer (an in-memory store).
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "held one at a time, for one read, never stored"
)]
enum Held {
    Reader(Pooled),
    Writer(OwnedMutexGuard<Connection>),
}

impl Deref for Held {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Held::Reader(r) => r,
            Held::Writer(w) => w,
        }
    }
}

/// The store's connections.
#[derive(Debug)]
pub(crate) struct Db {
    writer: Arc<Mutex<Connection>>,
    /// Read-only connections; none for an in-memory store, whose reads use the writer.
    readers: Option<Arc<Pool>>,
    /// Read-only connections for checking keys alone, so that authentication never
    /// waits behind searches.
    auth: Option<Arc<Pool>>,
    /// Read-only connections for batches reading ahead of the write lock alone, so that
    /// reads never wait behind a batch's thousands of users.
    ahead: Option<Arc<Pool>>,
    /// Set by the checkpointer once the log is long: the next write transaction first
    /// copies the last pages of the log itself, so that it starts the log again
    /// ([`crate::checkpoint`]).
    restart: AtomicBool,
    /// How many write transactions did so.
    restarts: AtomicU64,
}

impl Db {
    /// The connections of a database file (migrated already): the writer, `readers`
    /// readers and `auth` connections for keys.
    pub(crate) fn open_file(
        path: &Path,
        autocheckpoint: u32,
        readers: usize,
        auth: usize,
        ahead: usize,
    ) -> rusqlite::Result<Self> {
        let writer = open_writer_file(path, autocheckpoint)?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            readers: Some(Pool::open(path, readers, BUSY_TIMEOUT)?),
            // A key check in place never waits for a lock: it reads through the other
            // readers instead.
            auth: Some(Pool::open(path, auth, Duration::ZERO)?),
            ahead: Some(Pool::open(path, ahead, BUSY_TIMEOUT)?),
            restart: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
        })
    }

    /// The connection of an in-memory store: `conn`, already migrated.
    pub(crate) fn in_memory(conn: Connection) -> rusqlite::Result<Self> {
        configure(&conn, BUSY_TIMEOUT)?;
        Ok(Self {
            writer: Arc::new(Mutex::new(conn)),
            readers: None,
            auth: None,
            ahead: None,
            restart: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
        })
    }

    /// The writer alone, with no transaction.
    async fn hold_writer(&self) -> OwnedMutexGuard<Connection> {
        self.writer.clone().lock_owned().await
    }

    async fn held(&self) -> Result<Held, Error> {
        Ok(match &self.readers {
            Some(pool) => Held::Reader(pool.get().await?),
            None => Held::Writer(self.hold_writer().await),
        })
    }

    /// Run `read` on a reader (an in-memory store: on the writer, in turn), off the
    /// async worker ([`blocking`]).
    pub(crate) async fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let conn = self.held().await?;
        blocking(|| read(&conn))
    }

    /// Run `read`, a short indexed read, on this thread at once, if a key-checking
    /// connection is free and SQLite answers without waiting; `None` otherwise (read
    /// through [`Db::read_keys`] instead).
    pub(crate) fn read_now<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<rusqlite::Result<T>> {
        let conn = self.auth.as_ref()?.try_get()?;
        Some(read(&conn))
    }

    /// Run `read` on a key-checking connection, once one is free, waiting for SQLite
    /// too if the file is busy (an in-memory store: on the writer, in turn).
    pub(crate) async fn read_keys<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match &self.auth {
            Some(pool) => {
                let conn = pool.get().await?;
                blocking(|| {
                    conn.busy_timeout(BUSY_TIMEOUT)
                        .map_err(failed("wait for the database"))?;
                    let out = read(&conn);
                    // Back to never waiting, for the next read in place.
                    conn.busy_timeout(Duration::ZERO)
                        .map_err(failed("wait for the database"))?;
                    out
                })
            }
            None => self.read(read).await,
        }
    }

    /// Ask the next write transaction to copy the rest of the log into the database
    /// file first, so that it starts the log again.
    pub(crate) fn ask_restart(&self) {
        self.restart.store(true, Ordering::Relaxed);
    }

    /// How many write transactions started the log again when asked.
    #[cfg(test)]
    pub(crate) fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Start a write transaction, once the one before it has ended.
    pub(crate) async fn begin(&self) -> Result<WriteTx, Error> {
        let conn = self.hold_writer().await;
        let restart = self.restart.swap(false, Ordering::Relaxed);
        blocking(|| {
            if restart {
                // What the checkpointer left: the pages written since its last pass.
                match crate::checkpoint::passive(&conn) {
                    Ok(pass) => {
                        self.restarts.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(?pass, "sqlite: the log starts again");
                    }
                    Err(e) => tracing::debug!(error = %e, "sqlite: a checkpoint did not run"),
                }
            }
            conn.execute_batch("BEGIN IMMEDIATE")
        })
        .map_err(failed("begin a write"))?;
        Ok(WriteTx {
            conn,
            finished: false,
        })
    }

    /// Run `work` in one write transaction, committed if it succeeds and rolled back
    /// otherwise, off the async worker.
    pub(crate) async fn write<T>(
        &self,
        work: impl FnOnce(&WriteTx) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let tx = self.begin().await?;
        blocking(|| {
            let out = work(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// A read transaction on a connection kept for batches reading ahead, if one is
    /// free now (`None` otherwise, and always for an in-memory store, which has none):
    /// a batch that finds none loads under the write lock instead of waiting.
    pub(crate) fn begin_read_ahead(&self) -> Result<Option<ReadTx>, Error> {
        let Some(conn) = self.ahead.as_ref().and_then(|pool| pool.try_get()) else {
            return Ok(None);
        };
        let conn = Held::Reader(conn);
        conn.execute_batch("BEGIN")
            .map_err(failed("begin a read transaction"))?;
        Ok(Some(ReadTx { conn }))
    }

    /// Start a read transaction on a reader of its own: everything read through it
    /// comes from one snapshot.
    pub(crate) async fn begin_read(&self) -> Result<ReadTx, Error> {
        let conn = self.held().await?;
        conn.execute_batch("BEGIN")
            .map_err(failed("begin a read transaction"))?;
        Ok(ReadTx { conn })
    }
}

/// A write transaction on the writer connection. Dropped without
/// [`commit`](WriteTx::commit), it rolls back.
#[derive(Debug)]
pub(crate) struct WriteTx {
    conn: OwnedMutexGuard<Connection>,
    finished: bool,
}

impl WriteTx {
    pub(crate) fn commit(mut self) -> Result<(), Error> {
        self.finished = true;
        self.conn.execute_batch("COMMIT").map_err(|e| {
            // A failed COMMIT can leave the transaction open: never hand it on.
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            failed("commit")(e)
        })
    }
}

impl Deref for WriteTx {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.finished
            && !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "sqlite: a write transaction did not roll back");
        }
    }
}

/// A read transaction on a connection of its own; it ends when dropped.
#[derive(Debug)]
pub(crate) struct ReadTx {
    conn: Held,
}

impl Deref for ReadTx {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Drop for ReadTx {
    fn drop(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Run `work`, which blocks (SQLite on the calling thread), without holding up an
/// async worker's other tasks: on a multi-threaded runtime the worker hands them to
/// another thread first; elsewhere (a current-thread runtime, a thread of its own) it
/// runs as is.
pub(crate) fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Log an unexpected database failure and turn it into an opaque internal error.
pub(crate) fn failed(what: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
    move |e| {
        tracing::error!(error = %e, "sqlite: {what}");
        Error::internal()
    }
}

fn constraint(e: &rusqlite::Error) -> Option<std::ffi::c_int> {
    e.sqlite_error().map(|f| f.extended_code)
}

/// Whether a failure is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        constraint(e),
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    )
}

/// Whether a failure is a FOREIGN KEY violation.
pub(crate) fn is_foreign_key_violation(e: &rusqlite::Error) -> bool {
    constraint(e) == Some(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

/// Whether SQLite stopped a statement because its progress handler asked it to.
pub(crate) fn is_interrupt(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error(), Some(f) if f.code == rusqlite::ErrorCode::OperationInterrupted)
}

/// Text of a database failure (to tell which constraint failed).
pub(crate) fn db_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    }
}
