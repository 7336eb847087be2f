//! The real `roster` binary over a real socket: first start, the command line, shutdown,
//! and concurrent writers.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::process::{BIN, Server, banner_value, call, roster, writers_lose_no_update};

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("roster.db").display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_prints_one_key_once_and_it_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let server = tokio::task::spawn_blocking({
        let db = db.clone();
        move || Server::start(&db, &[])
    })
    .await
    .unwrap();
    let project = banner_value(&server.stdout, "Project ID:");
    let key = banner_value(&server.stdout, "Management key:");
    assert_eq!(project.len(), 28);
    assert!(project.starts_with('P'));
    let auth = format!("Bearer {project}:{key}");
    let (status, body) = call(
        &server.url,
        &auth,
        reqwest::Method::GET,
        "/v1/mgmt/license",
        json!({}),
    )
    .await;
    assert_eq!((status, body), (200, json!({"rateLimitTier": "tier4"})));
    // The database and its WAL files are the owner's alone.
    {
        use std::os::unix::fs::PermissionsExt;
        for name in ["roster.db", "roster.db-wal", "roster.db-shm"] {
            let meta = std::fs::metadata(dir.path().join(name))
                .unwrap_or_else(|e| panic!("{name} exists while the server runs: {e}"));
            assert_eq!(
                meta.permissions().mode() & 0o777,
                0o600,
                "{name} is readable by its owner only"
            );
        }
    }
    assert!(server.stop().success(), "SIGTERM shuts down cleanly");

    let again = tokio::task::spawn_blocking({
        let db = db.clone();
        move || Server::start(&db, &[])
    })
    .await
    .unwrap();
    assert!(!again.stdout.contains(&key), "the key is shown only once");
    assert!(again.stdout.is_empty(), "{}", again.stdout);
    let (status, _) = call(
        &again.url,
        &auth,
        reqwest::Method::POST,
        "/v2/mgmt/user/search",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    drop(again);
    let file = std::fs::read(dir.path().join("roster.db")).unwrap();
    assert!(
        !file.windows(key.len()).any(|w| w == key.as_bytes()),
        "the key is not stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_makes_projects_and_keys_for_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let boot = [
        ("ROSTER_PROJECT_ID", "P2RosterBinaryTest0000000001"),
        ("ROSTER_MANAGEMENT_KEY", "boot-key"),
    ];
    let server = tokio::task::spawn_blocking({
        let db = db.clone();
        move || Server::start(&db, &boot)
    })
    .await
    .unwrap();
    assert!(
        server.stdout.is_empty(),
        "with given credentials nothing is printed"
    );
    let (status, _) = call(
        &server.url,
        "Bearer P2RosterBinaryTest0000000001:boot-key",
        reqwest::Method::GET,
        "/v1/mgmt/license",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let project = roster(&["project", "create", "--name", "second"], &db);
    assert_eq!(project.len(), 28);
    let key = roster(
        &["key", "create", "--project", &project, "--name", "ci"],
        &db,
    );
    let auth = format!("Bearer {project}:{key}");
    let (status, body) = call(
        &server.url,
        &auth,
        reqwest::Method::POST,
        "/v1/mgmt/user/create",
        json!({"loginId": "x"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let out = Command::new(BIN)
        .args([
            "key",
            "create",
            "--project",
            "P2NoSuchProject000000000000x",
            "--database-url",
            &db,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let out = Command::new(BIN)
        .args(["serve", "--database-url", "mysql://x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
    let out = Command::new(BIN)
        .args(["serve", "--database-url", &db])
        .env("ROSTER_PROJECT_ID", "P2OnlyHalfTheBootstrap0000001")
        .env_remove("ROSTER_MANAGEMENT_KEY")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("set both ROSTER_PROJECT_ID and ROSTER_MANAGEMENT_KEY")
    );
    drop(server);
}

/// Several writers patch the same users at once through one node on a SQLite file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let boot = [
        ("ROSTER_PROJECT_ID", "P2RosterConcurrency000000001"),
        ("ROSTER_MANAGEMENT_KEY", "k"),
    ];
    let server = tokio::task::spawn_blocking(move || Server::start(&db, &boot))
        .await
        .unwrap();
    writers_lose_no_update(
        std::slice::from_ref(&server.url),
        "Bearer P2RosterConcurrency000000001:k",
    )
    .await;
}
