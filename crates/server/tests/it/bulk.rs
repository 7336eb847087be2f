//! `roster users …` against a real `roster serve`, the way a user runs it: the SDKs'
//! environment variables, a real socket, real files.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{Value, json};

use crate::process::{BIN, Server, call};

const PROJECT: &str = "P2RosterBulkCommandLine00001";
const KEY: &str = "bulk-command-line-key";
const USERS: usize = 1_234;

/// A server with `USERS` users (every tenth a test user), and the IDs of the others.
async fn seeded(dir: &std::path::Path) -> (Server, BTreeSet<String>, usize) {
    let db = format!("sqlite://{}", dir.join("bulk.db").display());
    let server = Server::start(
        &db,
        &[
            ("ROSTER_PROJECT_ID", PROJECT),
            ("ROSTER_MANAGEMENT_KEY", KEY),
        ],
    );
    let auth = format!("Bearer {PROJECT}:{KEY}");
    let mut ids = BTreeSet::new();
    let mut tests = 0;
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(500) {
        let users: Vec<Value> = chunk
            .iter()
            .map(|i| {
                json!({
                    "loginId": format!("bulk{i:05}@example.com"),
                    "email": format!("bulk{i:05}@example.com"),
                    "name": format!("Bulk, \"{i}\""),
                    "customAttributes": {},
                    "test": i % 10 == 0,
                })
            })
            .collect();
        let (status, out) = call(
            &server.url,
            &auth,
            reqwest::Method::POST,
            "/v1/mgmt/user/create/batch",
            json!({ "users": users }),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        for u in out["createdUsers"].as_array().unwrap() {
            if u["test"] == true {
                tests += 1;
            } else {
                ids.insert(u["userId"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(ids.len() + tests, USERS);
    (server, ids, tests)
}

fn users_command(server: &Server, key: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("users")
        .args(args)
        .args(["--base-url", &server.url])
        .env("DESCOPE_PROJECT_ID", PROJECT)
        .env("DESCOPE_MANAGEMENT_KEY", key)
        .output()
        .unwrap()
}

/// Every user is exported once, across pages, in both formats; test users only when
/// asked; a wrong key fails with the server's message and writes nothing.
#[tokio::test]
async fn export_writes_every_user_once() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ids, tests) = seeded(dir.path()).await;

    let jsonl = dir.path().join("users.jsonl");
    let out = users_command(
        &server,
        KEY,
        &[
            "export",
            "--page-size",
            "100",
            "--output",
            jsonl.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("{} users written", ids.len())),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let exported: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exported_ids: BTreeSet<String> = exported
        .iter()
        .map(|u| u["userId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(exported.len(), ids.len(), "no user twice");
    assert_eq!(exported_ids, ids);
    assert!(exported.iter().all(|u| u["test"] == false));
    let one = exported
        .iter()
        .find(|u| u["loginIds"][0] == "bulk00001@example.com")
        .unwrap();
    assert_eq!(one["name"], "Bulk, \"1\"");

    // CSV to standard output, test users included, pages of 7.
    let out = users_command(
        &server,
        KEY,
        &[
            "export",
            "--format",
            "csv",
            "--with-test-users",
            "--page-size",
            "7",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "userId");
    assert_eq!(header[1], "loginIds");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), ids.len() + tests);
    let row = rows
        .iter()
        .find(|r| &r[1] == r#"["bulk00001@example.com"]"#)
        .unwrap();
    assert_eq!(&row[2], "bulk00001@example.com");
    assert_eq!(
        &row[4], "Bulk, \"1\"",
        "a name with a comma and quotes survives"
    );
    assert_eq!(&row[8], "invited", "create/batch invites, as on Descope");

    // A wrong key: the server's refusal, a failure, and no output.
    let out = users_command(&server, "not-the-key", &["export"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// A `429` is waited out as its `Retry-After` says, and the export completes.
#[tokio::test]
async fn export_waits_out_rate_limits() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("limited.db").display());
    let server = Server::start(
        &db,
        &[
            ("ROSTER_PROJECT_ID", PROJECT),
            ("ROSTER_MANAGEMENT_KEY", KEY),
            ("ROSTER_RATE_LIMIT", "3/2s"),
        ],
    );
    let auth = format!("Bearer {PROJECT}:{KEY}");
    let users: Vec<Value> = (0..40)
        .map(|i| json!({"loginId": format!("limited{i:02}@example.com")}))
        .collect();
    let (status, out) = call(
        &server.url,
        &auth,
        reqwest::Method::POST,
        "/v1/mgmt/user/create/batch",
        json!({ "users": users }),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    // Pages of 5: 8 full pages and the end, well over 3 requests per 2 s.
    let out = users_command(&server, KEY, &["export", "--page-size", "5"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("rate limited by the server (429)"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 40);
}
