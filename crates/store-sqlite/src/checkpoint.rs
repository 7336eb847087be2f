//! Checkpoints of the write-ahead log, off the writer's path.
//!
//! In WAL mode a commit appends pages to the log; a checkpoint copies them back into the
//! database file and syncs it. By default SQLite checkpoints inside the commit that takes
//! the log past 1,000 pages, so every thousand pages one commit also copies and syncs,
//! and every patch queued behind the single writer waits for it: under single patches
//! at 16 clients, that is about one group in a hundred, and it set the p99
//! (`docs/benchmarks.md`).
//!
//! Here a task of the store's does it instead, on a connection of its own:
//! - every [`EVERY`], a `PASSIVE` checkpoint, which copies what no reader still needs
//!   and never takes the write lock, so the writer never waits for it;
//! - the log only starts again from its beginning (instead of growing) when a write
//!   transaction begins with every page of it copied, which a writer that never pauses
//!   does not allow: the next transaction has begun before the pass that copied the last
//!   one ends. So once the log passes [`RESTART_PAGES`], the task asks the writer
//!   ([`Db::ask_restart`]): its next transaction first copies, on its own connection and
//!   thread, the few pages written since this task's last pass, and then starts the log
//!   again (unless a reader is still reading from it). That costs one transaction about
//!   a sync of the database file. (Holding the writer from this task instead, while it
//!   copied them, stalled every writer for 7 to 9 ms under single patches at 16 clients:
//!   most of it waiting for a core for the task's thread.);
//! - the writer's own automatic checkpoint stays, at [`WRITER_BACKSTOP_PAGES`], for a
//!   log this task did not keep short.
//!
//! Durability is unchanged: a commit is durable once its log pages are synced
//! (`synchronous=FULL`), whoever copies them later.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::OpenError;
use crate::db::Db;

/// How often the log is checkpointed.
const EVERY: Duration = Duration::from_millis(100);

/// The log's length, in pages, past which the writer is asked to start the log again
/// (16 MiB of 4 KiB pages).
const RESTART_PAGES: i64 = 4_096;

/// The writer's own automatic checkpoint, in pages of log: four times the length at
/// which this task restarts the log, so that it runs only when this task falls behind.
pub(crate) const WRITER_BACKSTOP_PAGES: u32 = 16_384;

/// What a `PASSIVE` checkpoint reports: the log's length and how much of it is now in
/// the database file, in pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pass {
    pub(crate) log: i64,
    pub(crate) copied: i64,
}

/// Whether to ask the writer to start the log again: it is long, and has grown since
/// the last time it was asked (an idle store is left alone).
fn must_restart(pass: Pass, last_asked: Option<i64>) -> bool {
    pass.log >= RESTART_PAGES && last_asked != Some(pass.log)
}

/// The checkpointing task; it ends when this is dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: oneshot::Sender<()>,
}

impl Checkpointer {
    /// Start checkpointing the database file at `path`, whose connections are `db`'s.
    pub(crate) fn start(path: &Path, db: Arc<Db>) -> Result<Self, OpenError> {
        let copier = Copier {
            conn: Connection::open(path)?,
            file: std::fs::File::open(path).map_err(|source| OpenError::Sync {
                path: path.display().to_string(),
                source,
            })?,
            synced: None,
        };
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(run(Arc::new(Mutex::new(copier)), db, stopped));
        Ok(Self { _stop: stop })
    }
}

/// The task's own connection, and the database file, which it syncs after every pass
/// that copied pages. SQLite syncs the file only after a pass that copied the whole
/// log, which a writer that never pauses does not allow: the copied pages would wait
/// in the operating system's cache until the writer's own pass (when it starts the log
/// again), which then synced megabytes while every writer waited (6 to 8 ms under
/// single patches at 16 clients, against under 1 ms once this task syncs as it goes).
#[derive(Debug)]
struct Copier {
    conn: Connection,
    file: std::fs::File,
    /// The last pass whose pages were synced.
    synced: Option<Pass>,
}

impl Copier {
    fn pass(&mut self) -> rusqlite::Result<Pass> {
        let pass = passive(&self.conn)?;
        if pass.copied > 0 && self.synced != Some(pass) {
            // A failed sync is retried at the next pass; SQLite syncs before the log
            // starts again in any case.
            match self.file.sync_data() {
                Ok(()) => self.synced = Some(pass),
                Err(e) => tracing::debug!(error = %e, "sqlite: the database file was not synced"),
            }
        }
        Ok(pass)
    }
}

async fn run(copier: Arc<Mutex<Copier>>, db: Arc<Db>, mut stopped: oneshot::Receiver<()>) {
    let mut last_asked = None;
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        let Some(pass) = pass_blocking(&copier).await else {
            continue;
        };
        if must_restart(pass, last_asked) {
            db.ask_restart();
            last_asked = Some(pass.log);
            tracing::debug!(?pass, "sqlite: the writer is asked to start the log again");
        }
    }
}

/// A pass on a blocking thread (it writes and syncs the database file).
async fn pass_blocking(copier: &Arc<Mutex<Copier>>) -> Option<Pass> {
    let copier = copier.clone();
    let pass = tokio::task::spawn_blocking(move || {
        copier.lock().unwrap_or_else(PoisonError::into_inner).pass()
    })
    .await;
    match pass {
        Ok(Ok(pass)) => Some(pass),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "sqlite: a checkpoint did not run");
            None
        }
        Err(_) => None,
    }
}

/// Copy what no reader still needs from the log into the database file.
pub(crate) fn passive(conn: &Connection) -> rusqlite::Result<Pass> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok(Pass {
            log: r.get(1)?,
            copied: r.get(2)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;

    /// Two tasks write back to back through the store's writer, so that no moment passes
    /// between one transaction and the next in which a checkpoint could copy the whole
    /// log: the log must still start again, the writer asked to by the checkpointer, and
    /// never grow to the writer's own checkpoint.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_starts_again_under_writes_that_never_pause() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("roster.db");
        let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .expect("store");
        store
            .db
            .write(|tx| {
                tx.execute_batch("CREATE TABLE filler (b BLOB NOT NULL)")
                    .map_err(crate::db::failed("create a table"))
            })
            .await
            .expect("table");
        assert!(store.checkpointer.is_some(), "a file store checkpoints");
        let mut writers = Vec::new();
        for _ in 0..2 {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                // Each transaction adds about three pages to the log.
                while store.db.restarts() < 5 {
                    store
                        .db
                        .write(|tx| {
                            tx.execute_batch("INSERT INTO filler (b) VALUES (randomblob(10000))")
                                .map_err(crate::db::failed("write"))
                        })
                        .await
                        .expect("write");
                }
            }));
        }
        let writing = async {
            for w in writers {
                w.await.expect("writer");
            }
        };
        tokio::time::timeout(Duration::from_secs(120), writing)
            .await
            .expect("the writer started the log again five times");
        let wal = std::fs::metadata(dir.path().join("roster.db-wal"))
            .expect("the log")
            .len();
        let backstop = u64::from(WRITER_BACKSTOP_PAGES) * 4096;
        // Five restarts' worth of pages would take a log that never starts again past it.
        assert!(
            wal < backstop / 4 * 3,
            "the log grew to {wal} bytes (the writer's own checkpoint is at {backstop})"
        );
    }

    #[test]
    fn the_writer_is_asked_only_for_a_long_log_that_grew_since_it_last_was() {
        let pass = |log| Pass { log, copied: log };
        assert!(!must_restart(pass(0), None));
        assert!(!must_restart(pass(RESTART_PAGES - 1), None));
        assert!(must_restart(pass(RESTART_PAGES), None));
        assert!(must_restart(pass(RESTART_PAGES + 10), Some(RESTART_PAGES)));
        // Nothing written since the writer was asked: it starts the log at its next write.
        assert!(!must_restart(pass(RESTART_PAGES), Some(RESTART_PAGES)));
        // Not in WAL mode.
        assert!(!must_restart(pass(-1), None));
    }
}
