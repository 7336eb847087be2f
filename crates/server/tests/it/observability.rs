//! What operators watch: `GET /metrics` after real requests (in process, on both
//! backends), the open-connections gauge over a real socket, and `--log-format json`
//! from the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use roster_api::Limits;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::each_backend;
use crate::helpers::{Backend, TestApp};
use crate::process::{BIN, Server, client};

each_backend!(metrics_move_with_batches_and_refusals);

/// `GET /metrics` as text; no key needed.
async fn scrape(app: &TestApp) -> String {
    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The value of the sample of `name` whose labels include every one of `labels`, or
/// `None` when there is no such sample.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            let wanted = metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            wanted.then(|| value.parse().unwrap())
        })
}

async fn metrics_move_with_batches_and_refusals(backend: Backend) {
    let limits = Limits {
        rate_limit: Some(roster_api::rate::RateLimit::parse("4/60s").unwrap()),
        ..Limits::default()
    };
    let app = TestApp::with_limits(backend, limits).await;
    let before = scrape(&app).await;
    let patch_route = [
        ("route", "/v1/mgmt/user/patch/batch"),
        ("method", "PATCH"),
        ("status", "200"),
    ];
    assert_eq!(
        sample(&before, "roster_http_requests_total", &patch_route),
        None
    );
    assert!(before.ends_with("# EOF\n"), "{before}");

    // Request 1: three users created.
    let users: Vec<Value> = (0..3)
        .map(|i| json!({"loginId": format!("m{i}@example.com")}))
        .collect();
    app.ok(
        "POST",
        "/v1/mgmt/user/create/batch",
        json!({ "users": users }),
    )
    .await;
    // Request 2: two patched, one unknown.
    let out = app
        .ok(
            "PATCH",
            "/v1/mgmt/user/patch/batch",
            json!({"users": [
                {"loginId": "m0@example.com", "name": "Zero"},
                {"loginId": "m1@example.com", "name": "One"},
                {"loginId": "nobody@example.com", "name": "No one"},
            ]}),
        )
        .await;
    assert_eq!(out["patchedUsers"].as_array().unwrap().len(), 2);
    // Requests 3 and 4 pass, 5 is refused by the rate limit.
    let mut refused = 0;
    for _ in 0..3 {
        let (status, _) = app.get("/v1/mgmt/user?loginId=m0@example.com").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert_eq!(refused, 1);
    let (status, _) = app.get("/v1/mgmt/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let after = scrape(&app).await;
    let get = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?}:\n{after}"))
    };
    assert_eq!(get("roster_http_requests_total", &patch_route), 1.0);
    assert_eq!(
        get(
            "roster_http_request_duration_seconds_count",
            &[("route", "/v1/mgmt/user/patch/batch"), ("method", "PATCH")]
        ),
        1.0
    );
    assert_eq!(
        get(
            "roster_http_requests_total",
            &[
                ("route", "/v1/mgmt/user"),
                ("method", "GET"),
                ("status", "429")
            ]
        ),
        1.0
    );
    assert_eq!(
        get(
            "roster_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        1.0
    );
    let items = |kind, outcome| {
        get(
            "roster_batch_items_processed_total",
            &[("kind", kind), ("outcome", outcome)],
        )
    };
    assert_eq!(items("patch", "done"), 2.0);
    assert_eq!(items("patch", "failed"), 1.0);
    assert_eq!(items("create", "done"), 3.0);
    assert_eq!(items("create", "failed"), 0.0);
    assert_eq!(get("roster_batch_items_count", &[("kind", "patch")]), 1.0);
    assert_eq!(get("roster_batch_items_sum", &[("kind", "patch")]), 3.0);
    for step in [
        "wait", "check", "catalog", "load", "apply", "write", "audit",
    ] {
        assert_eq!(
            get("roster_store_step_seconds_count", &[("step", step)]),
            1.0,
            "{step}"
        );
    }
    assert_eq!(
        get("roster_refused_total", &[("reason", "rate_limit")]),
        1.0
    );
}

/// Over a real socket: the scrape's own connection is counted as open.
#[tokio::test]
async fn open_connections_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("m.db").display());
    let server = Server::start(&db, &[]);
    let text = client()
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let open = sample(&text, "roster_open_connections", &[]);
    assert!(open.is_some_and(|n| n >= 1.0), "{text}");
}

/// `--log-format json`: every line on standard error is one JSON object with a level
/// and a message, the listening line among them.
#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("j.db").display());
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &db])
        .args(["--log-format", "json"])
        .env_remove("ROSTER_PROJECT_ID")
        .env_remove("ROSTER_MANAGEMENT_KEY")
        .env("ROSTER_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        let event: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(event["level"].is_string(), "{line}");
        assert!(event["timestamp"].is_string(), "{line}");
        let message = event["fields"]["message"].as_str().unwrap_or_default();
        seen.push(message.to_string());
        if message.starts_with("roster listening on http://127.0.0.1:") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.iter().any(|m| m.starts_with("roster listening on")),
        "{seen:?}"
    );
}
