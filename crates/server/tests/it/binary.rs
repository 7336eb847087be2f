//! The real `roster` binary over a real socket: first start, the command line, shutdown,
//! concurrent writers, and the audit trail kept and pruned.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

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

/// The real binary keeps the audit trail: old records are pruned at start-up (and every
/// hour after), `roster key create` is recorded as the command line's doing, and the API
/// answers the trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_is_pruned_and_the_command_line_recorded() {
    use roster_domain::audit::{AuditQuery, AuditRecord, Origin};
    use roster_domain::ids::ProjectId;
    use roster_domain::names::Label;
    use roster_domain::time::Millis;
    use roster_store::{AuditStore, ProjectStore};

    const PROJECT: &str = "P2RosterAuditPruneTest000001";
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let store = roster_store_sqlite::SqliteStore::open(&db).await.unwrap();
    let project = ProjectId::parse(PROJECT).unwrap();
    store
        .create_project(&project, &Label::parse("audit").unwrap(), Millis(0))
        .await
        .unwrap();
    // A record from 1970: far past any retention.
    let ancient = AuditRecord::new(&Origin::command_line(Millis(1_000)), "Ancient");
    store.record(&project, &[ancient]).await.unwrap();
    let ancient_left = || async {
        let q = AuditQuery {
            actions: vec!["Ancient".into()],
            ..AuditQuery::default()
        }
        .check()
        .unwrap();
        store
            .search_audit(&project, &q, Duration::from_secs(5))
            .await
            .unwrap()
            .1
    };
    assert_eq!(ancient_left().await, 1);

    let db2 = db.clone();
    let server = tokio::task::spawn_blocking(move || {
        Server::start(
            &db2,
            &[
                ("ROSTER_PROJECT_ID", PROJECT),
                ("ROSTER_MANAGEMENT_KEY", "audit-test-key"),
                ("ROSTER_AUDIT_RETENTION_DAYS", "7"),
            ],
        )
    })
    .await
    .unwrap();
    let mut waited = 0;
    while ancient_left().await > 0 {
        assert!(waited < 100, "the server never pruned the 1970 record");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }

    roster(
        &["key", "create", "--project", PROJECT, "--name", "ci"],
        &db,
    );
    let auth = format!("Bearer {PROJECT}:audit-test-key");
    let (status, found) = call(
        &server.url,
        &auth,
        reqwest::Method::POST,
        "/v1/mgmt/audit/search",
        json!({"actions": ["ManagementKeyCreated"]}),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    let by: Vec<(&str, &str)> = found["audits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["actorId"].as_str().unwrap(),
                a["data"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    // Newest first: the command line's key, then the one the server registered.
    assert_eq!(by, [("cli", "ci"), ("roster", "ROSTER_MANAGEMENT_KEY")]);
}
