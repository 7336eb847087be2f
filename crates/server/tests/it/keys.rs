//! Management keys through the real binary: `roster key create` with an expiry, read-only
//! and address limits, `key list` and `key revoke` against a running server, a replaced
//! `ROSTER_MANAGEMENT_KEY`, and short keys refused beyond loopback.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::process::{BIN, Server, call, roster};

const PROJECT: &str = "P2RosterKeysTest000000000001";

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("keys.db").display())
}

async fn start(db: &str, key: &str) -> Server {
    let db = db.to_string();
    let key = key.to_string();
    tokio::task::spawn_blocking(move || {
        Server::start(
            &db,
            &[
                ("ROSTER_PROJECT_ID", PROJECT),
                ("ROSTER_MANAGEMENT_KEY", key.as_str()),
            ],
        )
    })
    .await
    .unwrap()
}

async fn status(server: &Server, key: &str, method: reqwest::Method, path: &str) -> (u16, String) {
    let (status, body) = call(
        &server.url,
        &format!("Bearer {PROJECT}:{key}"),
        method,
        path,
        json!({"loginId": "kim@example.com"}),
    )
    .await;
    (
        status,
        body["errorCode"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_made_listed_limited_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let server = start(&db, "boot-key").await;
    let create = |extra: &[&str]| {
        let mut args = vec!["key", "create", "--project", PROJECT];
        args.extend_from_slice(extra);
        roster(&args, &db)
    };
    let reader = create(&["--name", "reader", "--read-only"]);
    let here = create(&["--name", "here", "--permitted-ip", "127.0.0.1"]);
    let elsewhere = create(&["--name", "elsewhere", "--permitted-ip", "10.0.0.0/8"]);
    let brief = create(&["--name", "brief", "--expires", "2s"]);

    use reqwest::Method;
    // Read-only: reads, and a change is 403 without changing anything.
    assert_eq!(
        status(&server, &reader, Method::POST, "/v2/mgmt/user/search")
            .await
            .0,
        200
    );
    assert_eq!(
        status(&server, &reader, Method::POST, "/v1/mgmt/user/create").await,
        (403, "E990403".to_string())
    );
    assert_eq!(
        status(&server, &here, Method::POST, "/v1/mgmt/user/create")
            .await
            .0,
        200,
        "a key permitted from 127.0.0.1 works from here"
    );
    assert_eq!(
        status(
            &server,
            &reader,
            Method::GET,
            "/v1/mgmt/user?loginId=kim@example.com"
        )
        .await
        .0,
        200
    );
    assert_eq!(
        status(&server, &elsewhere, Method::POST, "/v2/mgmt/user/search").await,
        (401, "E990401".to_string()),
        "a key used from outside its ranges is refused like a wrong key"
    );
    assert_eq!(
        status(&server, &brief, Method::POST, "/v2/mgmt/user/search")
            .await
            .0,
        200
    );

    let list = roster(&["key", "list", "--project", PROJECT], &db);
    for line in [
        "reader",
        "here",
        "elsewhere",
        "brief",
        "ROSTER_MANAGEMENT_KEY",
    ] {
        assert!(list.contains(line), "{list}");
    }
    assert!(
        list.contains("read-only") && list.contains("10.0.0.0/8") && list.contains("127.0.0.1/32")
    );
    for secret in [&reader, &here, &elsewhere, &brief] {
        assert!(!list.contains(secret.as_str()), "the list shows no key");
    }
    let id = list
        .lines()
        .find(|l| l.contains("\there\t"))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_string();
    assert_eq!(
        roster(&["key", "revoke", "--project", PROJECT, &id], &db),
        format!("revoked {id}")
    );
    assert_eq!(
        status(&server, &here, Method::POST, "/v2/mgmt/user/search")
            .await
            .0,
        401,
        "a revoked key stops working on the running server"
    );
    let list = roster(&["key", "list", "--project", PROJECT], &db);
    assert!(
        list.lines()
            .any(|l| l.contains("\there\t") && l.contains("revoked")),
        "{list}"
    );
    let out = Command::new(BIN)
        .args([
            "key",
            "revoke",
            "--project",
            PROJECT,
            "--id",
            "K-none",
            "--database-url",
            &db,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no key K-none"));

    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    assert_eq!(
        status(&server, &brief, Method::POST, "/v2/mgmt/user/search")
            .await
            .0,
        401,
        "an expired key stops working"
    );
    assert!(roster(&["key", "list", "--project", PROJECT], &db).contains("expired"));
    let out = Command::new(BIN)
        .args([
            "key",
            "create",
            "--project",
            PROJECT,
            "--permitted-ip",
            "nowhere",
            "--database-url",
            &db,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--permitted-ip"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_management_key_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let first = start(&db, "first-key").await;
    use reqwest::Method;
    assert_eq!(
        status(&first, "first-key", Method::POST, "/v2/mgmt/user/search")
            .await
            .0,
        200
    );
    let cli_key = roster(&["key", "create", "--project", PROJECT], &db);
    assert!(first.stop().success());

    let second = start(&db, "second-key").await;
    assert_eq!(
        status(&second, "second-key", Method::POST, "/v2/mgmt/user/search")
            .await
            .0,
        200
    );
    assert_eq!(
        status(&second, "first-key", Method::POST, "/v2/mgmt/user/search")
            .await
            .0,
        401,
        "the key ROSTER_MANAGEMENT_KEY held before is revoked"
    );
    assert_eq!(
        status(&second, &cli_key, Method::POST, "/v2/mgmt/user/search")
            .await
            .0,
        200,
        "keys made with `roster key create` are not touched"
    );
}

#[test]
fn short_keys_are_refused_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let out = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--database-url", &db])
        .env("ROSTER_PROJECT_ID", PROJECT)
        .env("ROSTER_MANAGEMENT_KEY", "short-key")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shorter than 32 characters"), "{err}");
    assert!(!err.contains("short-key"), "the key is not logged");
}
