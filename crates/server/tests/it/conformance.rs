//! Runs `roster_store::conformance` on each backend: SQLite in memory and in a file
//! always, PostgreSQL when `ROSTER_TEST_POSTGRES_URL` names a server (see
//! [`crate::postgres`]), each check on a fresh schema; and the checks that need two
//! stores on one database (two nodes), on a SQLite file and on PostgreSQL.

use std::sync::Arc;

use roster_store::Store;
use roster_store_postgres::PostgresStore;
use roster_store_sqlite::SqliteStore;

async fn sqlite_memory() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap())
}

async fn sqlite_file() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
    (Arc::new(SqliteStore::open(&url).await.unwrap()), dir)
}

macro_rules! sqlite_memory_check {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            roster_store::conformance::$name(sqlite_memory().await).await;
        }
    };
}

macro_rules! sqlite_file_check {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let (store, _dir) = sqlite_file().await;
            roster_store::conformance::$name(store).await;
        }
    };
}

macro_rules! postgres_check {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            if crate::postgres::skip(stringify!($name)) {
                return;
            }
            roster_store::conformance::$name(crate::postgres::fresh_store().await).await;
        }
    };
}

mod sqlite_memory {
    use super::*;
    roster_store::checks!(sqlite_memory_check);
}

mod sqlite_file {
    use super::*;
    roster_store::checks!(sqlite_file_check);
}

mod postgres {
    roster_store::checks!(postgres_check);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_two_nodes_catalog_changes_on_another_node_are_seen() {
    let (a, dir) = sqlite_file().await;
    let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
    let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    roster_store::conformance::catalog_changes_on_another_node_are_seen(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_nodes_catalog_changes_on_another_node_are_seen() {
    if crate::postgres::skip("postgres_two_nodes_catalog_changes_on_another_node_are_seen") {
        return;
    }
    let url = crate::postgres::fresh_url().unwrap();
    let a: Arc<dyn Store> = Arc::new(PostgresStore::open(&url, 4).await.unwrap());
    let b: Arc<dyn Store> = Arc::new(PostgresStore::open(&url, 4).await.unwrap());
    roster_store::conformance::catalog_changes_on_another_node_are_seen(a, b).await;
}
