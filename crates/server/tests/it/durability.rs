//! Durability through a crash: a real `roster serve` on a SQLite file is killed with
//! SIGKILL while single patches (committed in groups) and batches are in flight. After a
//! restart, every change that was acknowledged is there, and no user is half-patched:
//! each patch sets three fields to one token, and they still agree.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::process::{Server, call};

const PROJECT: &str = "P2RosterDurabilityTest000001";
const AUTH: &str = "Bearer P2RosterDurabilityTest000001:durable-key";
const USERS: usize = 240;
const SINGLE_WRITERS: usize = 8;
const BATCH_WRITERS: usize = 2;

fn start(db: &str) -> Server {
    Server::start(
        db,
        &[
            ("ROSTER_PROJECT_ID", PROJECT),
            ("ROSTER_MANAGEMENT_KEY", "durable-key"),
        ],
    )
}

fn login(i: usize) -> String {
    format!("crash{i}@example.com")
}

/// A patch setting the three fields of user `i` to `token`.
fn item(i: usize, token: &str) -> Value {
    json!({"loginId": login(i), "name": token, "givenName": token, "familyName": token})
}

/// What one writer sent to each of its users, in order, and how many of those were
/// acknowledged (each acknowledgement covers everything sent before it).
#[derive(Debug, Default)]
struct Sent {
    tokens: HashMap<usize, Vec<String>>,
    acked: HashMap<usize, usize>,
}

/// Writer `w` owns the users `i` with `i % writers == w` (no two writers share a user,
/// so the order of one user's changes is known). Single writers patch one user at a
/// time; batch writers send all their users at once.
async fn write(url: String, w: usize, batch: bool, stop: Arc<AtomicBool>) -> Sent {
    let writers = SINGLE_WRITERS + BATCH_WRITERS;
    let mine: Vec<usize> = (0..USERS).filter(|i| i % writers == w).collect();
    let mut sent = Sent::default();
    let client = crate::process::client_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let targets: Vec<usize> = if batch {
            mine.clone()
        } else {
            vec![mine[round % mine.len()]]
        };
        let items: Vec<Value> = targets
            .iter()
            .map(|&i| {
                let token = format!("w{w}r{round}");
                sent.tokens.entry(i).or_default().push(token.clone());
                item(i, &token)
            })
            .collect();
        let (path, body) = if batch {
            ("/v1/mgmt/user/patch/batch", json!({"users": items}))
        } else {
            ("/v1/mgmt/user/patch", items[0].clone())
        };
        let answer = client
            .patch(format!("{url}{path}"))
            .header("authorization", AUTH)
            .json(&body)
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => {
                let value: Value = match r.json().await {
                    Ok(v) => v,
                    Err(_) => break, // the answer was cut off: not acknowledged
                };
                if batch {
                    assert_eq!(
                        value["patchedUsers"].as_array().map(Vec::len),
                        Some(targets.len()),
                        "{value}"
                    );
                }
                for &i in &targets {
                    sent.acked.insert(i, sent.tokens[&i].len());
                }
            }
            // The server is gone: whatever was in flight is not acknowledged.
            _ => break,
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_loses_nothing_acknowledged_and_leaves_no_user_half_patched() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}",
        Path::new(dir.path()).join("crash.db").display()
    );
    let db2 = db.clone();
    let server = tokio::task::spawn_blocking(move || start(&db2))
        .await
        .unwrap();
    let users: Vec<Value> = (0..USERS)
        .map(|i| json!({"loginId": login(i), "name": "start", "givenName": "start", "familyName": "start"}))
        .collect();
    let (status, _) = call(
        &server.url,
        AUTH,
        reqwest::Method::POST,
        "/v1/mgmt/user/create/batch",
        json!({"users": users}),
    )
    .await;
    assert_eq!(status, 200);

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..SINGLE_WRITERS + BATCH_WRITERS)
        .map(|w| {
            tokio::spawn(write(
                server.url.clone(),
                w,
                w >= SINGLE_WRITERS,
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // SIGKILL: no shutdown, no flush beyond what each commit made durable.
    let pid = server.child.id().to_string();
    std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let mut sent = Sent::default();
    for w in writers {
        let s = w.await.unwrap();
        sent.tokens.extend(s.tokens);
        sent.acked.extend(s.acked);
    }
    drop(server);
    let acknowledged: usize = sent.acked.values().sum();
    assert!(acknowledged > 50, "the writers got {acknowledged} answers");

    let db2 = db.clone();
    let server = tokio::task::spawn_blocking(move || start(&db2))
        .await
        .unwrap();
    let (status, found) = call(
        &server.url,
        AUTH,
        reqwest::Method::POST,
        "/v2/mgmt/user/search",
        json!({"limit": USERS}),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    let found = found["users"].as_array().unwrap();
    assert_eq!(found.len(), USERS);
    for u in found {
        let login_id = u["loginIds"][0].as_str().unwrap();
        let i: usize = login_id
            .trim_start_matches("crash")
            .trim_end_matches("@example.com")
            .parse()
            .unwrap();
        let name = u["name"].as_str().unwrap();
        assert_eq!(
            (u["givenName"].as_str(), u["familyName"].as_str()),
            (Some(name), Some(name)),
            "user {i} is half-patched: {u}"
        );
        let tokens = sent.tokens.get(&i).cloned().unwrap_or_default();
        let acked = sent.acked.get(&i).copied().unwrap_or(0);
        // The last acknowledged token, or one sent after it (in flight at the kill).
        let allowed: Vec<&str> = if acked == 0 {
            std::iter::once("start")
                .chain(tokens.iter().map(String::as_str))
                .collect()
        } else {
            tokens[acked - 1..].iter().map(String::as_str).collect()
        };
        assert!(
            allowed.contains(&name),
            "user {i} holds {name:?}; acknowledged {acked} of {tokens:?}"
        );
    }
}
