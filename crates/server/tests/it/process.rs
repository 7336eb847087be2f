//! A real `roster` process for tests: started on a free port, talked to over HTTP, and
//! the concurrent-writers workload that every deployment (one SQLite node, several
//! PostgreSQL nodes) must survive without losing an update.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_roster");

pub struct Server {
    pub child: Child,
    pub url: String,
    pub stdout: String,
}

impl Server {
    /// Start `roster serve` on a free port and wait for its "listening" line.
    pub fn start(db: &str, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
            .env_remove("ROSTER_PROJECT_ID")
            .env_remove("ROSTER_MANAGEMENT_KEY")
            .env("ROSTER_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut url = None;
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(at) = line.find("listening on ") {
                let rest = &line[at + "listening on ".len()..];
                url = Some(rest.split_whitespace().next().unwrap().to_string());
                break;
            }
        }
        let url = url.expect("roster serve never said where it listens");
        // Keep reading the log for a while, so that the server never blocks on a full
        // pipe; then close it, to check that a server whose log is gone keeps serving.
        std::thread::spawn(move || for _ in lines.take(20) {});
        // stdout holds the first-start banner, written before the listening line; take
        // what is there without waiting for the process to end.
        let mut stdout = String::new();
        if let Some(out) = child.stdout.take() {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
                stdout.push_str(&line);
                stdout.push('\n');
            }
        }
        Server { child, url, stdout }
    }

    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// An HTTP client for tests. reqwest is built with rustls but no crypto provider of
/// its own (the binary installs ring, as its HTTPS server uses), so every client in the
/// tests comes from here, which installs it first.
pub fn client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy()
}

pub fn client() -> reqwest::Client {
    client_builder().build().unwrap()
}

pub async fn call(
    url: &str,
    auth: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let resp = client()
        .request(method, format!("{url}{path}"))
        .header("authorization", auth)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

pub fn roster(args: &[&str], db: &str) -> String {
    let out = Command::new(BIN)
        .args(args)
        .args(["--database-url", db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "roster {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub fn banner_value(banner: &str, label: &str) -> String {
    banner
        .lines()
        .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no {label} in {banner:?}"))
}

/// Several writers patch the same users at once over HTTP, through the given nodes in
/// turn, each merging its own custom attribute key; every user must end with every
/// writer's last value, and `version` must count every change.
pub async fn writers_lose_no_update(nodes: &[String], auth: &str) {
    let writers = 8;
    let rounds = 10;
    let users = 50;
    let attributes: Vec<Value> = (0..writers)
        .map(|w| json!({"name": format!("w{w}"), "type": "number"}))
        .collect();
    let (status, body) = call(
        &nodes[0],
        auth,
        reqwest::Method::POST,
        "/v1/mgmt/user/customattribute/create",
        json!({"attributes": attributes}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let create: Vec<Value> = (0..users)
        .map(|i| json!({"loginId": format!("user{i}")}))
        .collect();
    let (status, _) = call(
        &nodes[nodes.len() - 1],
        auth,
        reqwest::Method::POST,
        "/v1/mgmt/user/create/batch",
        json!({"users": create}),
    )
    .await;
    assert_eq!(status, 200);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let nodes = nodes.to_vec();
        let auth = auth.to_string();
        tasks.push(tokio::spawn(async move {
            for round in 0..rounds {
                let url = &nodes[(w + round) % nodes.len()];
                // Alternate the single and batch endpoints, and the order of users.
                if round % 3 == 2 {
                    for i in 0..users {
                        let body = json!({"loginId": format!("user{i}"), "customAttributes": {format!("w{w}"): round}});
                        let (s, b) = call(url, &auth, reqwest::Method::PATCH, "/v1/mgmt/user/patch", body).await;
                        assert_eq!(s, 200, "{b}");
                    }
                } else {
                    let mut items: Vec<Value> = (0..users)
                        .map(|i| json!({"loginId": format!("user{i}"), "customAttributes": {format!("w{w}"): round}}))
                        .collect();
                    if (w + round) % 2 == 1 {
                        items.reverse();
                    }
                    let (s, b) = call(url, &auth, reqwest::Method::PATCH, "/v1/mgmt/user/patch/batch", json!({"users": items})).await;
                    assert_eq!(s, 200, "{b}");
                    assert_eq!(b["patchedUsers"].as_array().unwrap().len(), users);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for node in nodes {
        let (_, found) = call(
            node,
            auth,
            reqwest::Method::POST,
            "/v2/mgmt/user/search",
            json!({"limit": 1000}),
        )
        .await;
        let found = found["users"].as_array().unwrap();
        assert_eq!(found.len(), users);
        for u in found {
            for w in 0..writers {
                assert_eq!(
                    u["customAttributes"][format!("w{w}")],
                    json!(rounds - 1),
                    "{} lost writer {w}'s update",
                    u["loginIds"][0]
                );
            }
            assert_eq!(
                u["version"],
                json!(1 + writers * rounds),
                "every change moved the version of {}",
                u["loginIds"][0]
            );
        }
    }
}
