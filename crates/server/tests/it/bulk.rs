//! `roster users …` against a real `roster serve`, the way a user runs it: the SDKs'
//! environment variables, a real socket, real files.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{Value, json};

use crate::process::{BIN, Server, call};

const PROJECT: &str = "P2RosterBulkCommandLine00001";
const KEY: &str = "bulk-command-line-key";
const USERS: usize = 1_234;

/// Create users through `create/batch`, which must answer 200; its answer.
async fn create(server: &Server, users: Vec<Value>) -> Value {
    let auth = format!("Bearer {PROJECT}:{KEY}");
    let (status, out) = call(
        &server.url,
        &auth,
        reqwest::Method::POST,
        "/v1/mgmt/user/create/batch",
        json!({ "users": users }),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    out
}

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
        let out = create(&server, users).await;
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
    let users: Vec<Value> = (0..40)
        .map(|i| json!({"loginId": format!("limited{i:02}@example.com")}))
        .collect();
    create(&server, users).await;
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

/// Run `roster users …` to the end; its standard error.
fn users_ok(server: &Server, args: &[&str]) -> String {
    let out = users_command(server, KEY, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "roster users {args:?}: {stderr}");
    stderr
}

/// Every user of the server, by login ID.
fn exported(server: &Server) -> std::collections::HashMap<String, Value> {
    let out = users_command(server, KEY, &["export", "--page-size", "10000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let u: Value = serde_json::from_str(l).unwrap();
            (u["loginIds"][0].as_str().unwrap().to_string(), u)
        })
        .collect()
}

const MANY: usize = 100_000;

/// 100,000 users imported, then patched by a run that is killed half-way and resumed:
/// every user ends patched once (its `version` moved once), the failures are the file's
/// bad items, each once, and a dry run of a broken file sends nothing.
#[tokio::test]
async fn import_then_patch_100k_users_through_an_interruption() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("many.db").display());
    let server = Server::start(
        &db,
        &[
            ("ROSTER_PROJECT_ID", PROJECT),
            ("ROSTER_MANAGEMENT_KEY", KEY),
        ],
    );
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();

    // A broken file: a dry run names its lines and sends nothing.
    std::fs::write(
        path("broken.jsonl"),
        "{\"loginId\":\"ok@x.com\"}\n{\"name\":\"?\"}\nnot json\n",
    )
    .unwrap();
    let out = users_command(
        &server,
        KEY,
        &["import", "--file", &path("broken.jsonl"), "--dry-run"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("broken.jsonl:3: not JSON"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    let out = users_command(&server, KEY, &["import", "--file", &path("broken.jsonl")]);
    assert!(!out.status.success());
    assert!(exported(&server).is_empty(), "a broken file sends nothing");

    // The import: 100,000 users, and two lines that repeat an earlier login ID.
    let mut import = String::new();
    for i in 0..MANY {
        import.push_str(&format!(
            "{{\"loginId\":\"many{i:06}@example.com\",\"email\":\"many{i:06}@example.com\",\"name\":\"Many {i}\"}}\n"
        ));
    }
    import.push_str(
        "{\"loginId\":\"many000007@example.com\"}\n{\"loginId\":\"many000008@example.com\"}\n",
    );
    std::fs::write(path("import.jsonl"), &import).unwrap();
    let dry = users_ok(
        &server,
        &[
            "import",
            "--file",
            &path("import.jsonl"),
            "--batch-size",
            "2000",
            "--dry-run",
        ],
    );
    assert!(dry.contains("100002 users to send in 51 batches"), "{dry}");
    let stderr = users_ok(
        &server,
        &[
            "import",
            "--file",
            &path("import.jsonl"),
            "--batch-size",
            "2000",
        ],
    );
    assert!(
        stderr.contains("100000 users imported of 100002, 2 failed"),
        "{stderr}"
    );
    let failures = std::fs::read_to_string(path("import.jsonl.failures.jsonl")).unwrap();
    let lines: Vec<Value> = failures
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{failures}");
    assert_eq!(lines[0]["line"], 100_001);
    assert_eq!(lines[0]["loginId"], "many000007@example.com");
    assert!(lines[0]["failure"].as_str().unwrap().contains("already"));

    // The patch: every user renamed, plus two users that do not exist.
    let mut patch = String::new();
    for i in 0..MANY {
        patch.push_str(&format!(
            "{{\"loginId\":\"many{i:06}@example.com\",\"name\":\"Renamed {i}\"}}\n"
        ));
    }
    patch.push_str("{\"loginId\":\"nobody1@example.com\",\"name\":\"x\"}\n");
    patch.push_str("{\"loginId\":\"nobody2@example.com\",\"name\":\"y\"}\n");
    std::fs::write(path("patch.jsonl"), &patch).unwrap();
    let patch_file = path("patch.jsonl");
    let patch_args = [
        "patch",
        "--file",
        &patch_file,
        "--batch-size",
        "500",
        "--in-flight",
        "3",
    ];
    let mut first = Command::new(BIN)
        .arg("users")
        .args(patch_args)
        .args(["--base-url", &server.url])
        .env("DESCOPE_PROJECT_ID", PROJECT)
        .env("DESCOPE_MANAGEMENT_KEY", KEY)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some batches, not all, are answered.
    let state = path("patch.jsonl.state");
    // Polled every 20 ms, for at most five minutes.
    for polls in 0.. {
        let done = std::fs::read_to_string(&state)
            .unwrap_or_default()
            .matches("\"entry\":\"done\"")
            .count();
        if done >= 20 {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "the run ended before it was interrupted"
        );
        assert!(polls < 15_000, "no progress");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let journal = std::fs::read_to_string(&state).unwrap();
    let done_before = journal.matches("\"entry\":\"done\"").count();
    assert!(
        done_before < 201,
        "interrupted before the end: {done_before} batches done"
    );

    let stderr = users_ok(&server, &patch_args);
    assert!(stderr.contains("resuming"), "{stderr}");
    assert!(
        stderr.contains("100000 users patched of 100002, 2 failed"),
        "{stderr}"
    );
    let sent_again: usize = stderr
        .split("(")
        .last()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(
        sent_again,
        201 - done_before,
        "answered batches are not sent again: {stderr}"
    );

    // Every user renamed, and changed once: created at version 1, patched to 2.
    let users = exported(&server);
    assert_eq!(users.len(), MANY);
    for i in 0..MANY {
        let u = &users[&format!("many{i:06}@example.com")];
        assert_eq!(u["name"], format!("Renamed {i}"));
        assert_eq!(u["version"], 2, "{u}");
    }
    let failures = std::fs::read_to_string(path("patch.jsonl.failures.jsonl")).unwrap();
    let failed: Vec<Value> = failures
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(failed.len(), 2, "each failure once: {failures}");
    assert_eq!(failed[0]["line"], 100_001);
    assert_eq!(failed[1]["loginId"], "nobody2@example.com");

    // Run again: everything is done, nothing is sent.
    let stderr = users_ok(&server, &patch_args);
    assert!(stderr.contains("(0 batches sent by this run)"), "{stderr}");
    assert!(
        std::path::Path::new(&path("patch.jsonl.failures.jsonl")).exists(),
        "failures are kept"
    );
    assert!(stderr.contains("was sent already"), "{stderr}");
}

/// Over HTTPS (as against Descope): the bulk client trusts the system's authorities,
/// here a test CA given by `SSL_CERT_FILE`, and refuses a server it cannot verify.
#[tokio::test]
async fn export_speaks_https_and_verifies_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Roster Bulk Test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    let db = format!("sqlite://{}", d.join("tls.db").display());
    let (cert, key) = (d.join("server.pem"), d.join("server.key"));
    let server = Server::start(
        &db,
        &[
            ("ROSTER_PROJECT_ID", PROJECT),
            ("ROSTER_MANAGEMENT_KEY", KEY),
            ("ROSTER_TLS_CERT", cert.to_str().unwrap()),
            ("ROSTER_TLS_KEY", key.to_str().unwrap()),
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let export = |ca: Option<&std::path::Path>| {
        let mut cmd = Command::new(BIN);
        cmd.args(["users", "export", "--base-url", &server.url])
            .env("DESCOPE_PROJECT_ID", PROJECT)
            .env("DESCOPE_MANAGEMENT_KEY", KEY)
            .env_remove("SSL_CERT_DIR");
        match ca {
            Some(ca) => cmd.env("SSL_CERT_FILE", ca),
            None => cmd.env_remove("SSL_CERT_FILE"),
        };
        cmd.output().unwrap()
    };
    let trusted = export(Some(&d.join("ca.pem")));
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    assert!(String::from_utf8_lossy(&trusted.stderr).contains("0 users written"));
    let untrusted = export(None);
    assert!(!untrusted.status.success());
    assert!(
        String::from_utf8_lossy(&untrusted.stderr).contains("cannot reach"),
        "{}",
        String::from_utf8_lossy(&untrusted.stderr)
    );
}

/// A run where nothing fails leaves its journal, and no failures file.
#[tokio::test]
async fn a_clean_run_leaves_no_failures_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("clean.db").display());
    let server = Server::start(
        &db,
        &[
            ("ROSTER_PROJECT_ID", PROJECT),
            ("ROSTER_MANAGEMENT_KEY", KEY),
        ],
    );
    let file = dir.path().join("one.jsonl");
    std::fs::write(&file, "{\"loginId\":\"first@example.com\"}\n").unwrap();
    users_ok(&server, &["import", "--file", file.to_str().unwrap()]);
    assert!(!dir.path().join("one.jsonl.failures.jsonl").exists());
    assert!(dir.path().join("one.jsonl.state").exists());
}
