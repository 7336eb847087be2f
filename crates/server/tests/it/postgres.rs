//! The PostgreSQL server the tests use, named by `ROSTER_TEST_POSTGRES_URL`.
//!
//! When the variable is unset, the PostgreSQL variants of the tests say so on standard
//! error and pass without running (CI sets it, so there they run). When it is set, the
//! server must answer: an unreachable one fails the tests.
//!
//! Each run of the test binary works in a database of its own (`roster_it_…`, created on
//! first use; databases of earlier runs that nothing uses any more are dropped then), and
//! each test in a schema of its own inside it, named by the URL's `search_path` and
//! created by Roster itself when the store opens. So tests never see each other's rows.

use std::sync::{Arc, OnceLock};

use roster_domain::ids::{IdGenerator, RandomIds};
use roster_store::Store;
use roster_store_postgres::PostgresStore;
use sqlx::{Connection, Executor, PgConnection};

/// The server's URL, if the tests are to use one.
pub fn server_url() -> Option<String> {
    std::env::var("ROSTER_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Say that a PostgreSQL test did not run; returns `true` when it must not.
pub fn skip(test: &str) -> bool {
    if server_url().is_some() {
        return false;
    }
    eprintln!("{test}: skipped, ROSTER_TEST_POSTGRES_URL is not set");
    true
}

/// `url` with its database (the path) replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// The `host:port` of a URL (5432 when it names no port).
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

/// `url` with its `host:port` replaced.
pub fn with_host_port(url: &str, host_port: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!("{scheme}://{}{host_port}{tail}", user.unwrap_or_default())
}

/// `url` with `search_path` set to `schema`.
pub fn with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

fn lowercase_name(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        RandomIds.alphanumeric(12).to_ascii_lowercase()
    )
}

/// The URL of this run's own database, created on first use.
fn run_database() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| {
        let server = server_url().expect("ROSTER_TEST_POSTGRES_URL is set");
        // A runtime of its own: the tests' runtimes come and go with each test.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut conn = PgConnection::connect(&server).await.unwrap_or_else(|e| {
                    panic!("ROSTER_TEST_POSTGRES_URL ({server}) does not answer: {e}")
                });
                let old: Vec<String> = sqlx::query_scalar(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'roster\\_it\\_%'",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for db in old {
                    // Fails, and is left alone, while another run still uses it.
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE \"{db}\"")))
                        .await;
                }
                let name = lowercase_name("roster_it_");
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .await
                    .unwrap();
                with_database(&server, &name)
            })
        })
        .join()
        .unwrap()
    })
}

/// A URL for a fresh, empty schema of this run's database; `None` when the tests have
/// no PostgreSQL.
pub fn fresh_url() -> Option<String> {
    server_url()?;
    Some(with_schema(run_database(), &lowercase_name("t_")))
}

/// A store on a fresh schema.
pub async fn fresh_store() -> Arc<dyn Store> {
    let url = fresh_url().expect("ROSTER_TEST_POSTGRES_URL is set");
    Arc::new(PostgresStore::open(&url, 4).await.unwrap())
}

#[test]
fn urls_are_rewritten() {
    assert_eq!(
        with_database("postgres://u@h:5432/test", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/test?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    assert_eq!(host_port("postgres://u@h:6000/x?a=b"), "h:6000");
    assert_eq!(host_port("postgres://h/x"), "h:5432");
    assert_eq!(
        with_host_port("postgres://u@h:6000/x?a=b", "127.0.0.1:7"),
        "postgres://u@127.0.0.1:7/x?a=b"
    );
    assert_eq!(
        with_schema("postgres://h/x", "s"),
        "postgres://h/x?options=-csearch_path%3Ds"
    );
}
