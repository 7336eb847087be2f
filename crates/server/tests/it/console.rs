//! The admin console as the server hands it out: every embedded file served without a
//! key and past the request limits, revalidated by its digest, under a policy that
//! allows nothing but Roster itself; and `GET /v1/mgmt/managementkey/current`, which
//! the console signs in with. (The console itself runs in a real Chromium in
//! `compat/browser`.)

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use roster_api::Limits;
use tower::ServiceExt;

use crate::helpers::{Backend, PROJECT, TestApp, assert_error};

crate::each_backend!(
    the_key_of_the_request_is_answered,
    a_read_only_key_learns_it_is_one,
);

/// A GET of `path` with the given headers: status, headers, body bytes.
async fn fetch(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().method("GET").uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

#[tokio::test]
async fn every_console_file_is_served_without_a_key_even_when_the_api_is_full() {
    // No request may be in flight: every API call is refused at once with 429...
    let limits = Limits {
        max_in_flight: 0,
        ..Limits::default()
    };
    let app = TestApp::with_limits(Backend::Sqlite, limits).await;
    let (status, _) = app.get("/v1/mgmt/tenant/all").await;
    assert_eq!(status, 429);
    // ...while the console's files are handed out, with no key.
    let files: Vec<String> = roster_console::files().collect();
    assert!(files.len() >= 10, "{files:?}");
    for file in &files {
        let (status, headers, body) = fetch(&app, &format!("/console/{file}"), &[]).await;
        assert_eq!(status, 200, "{file}");
        assert!(!body.is_empty(), "{file}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{file}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{file}: {csp}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        let kind = headers[header::CONTENT_TYPE].to_str().unwrap();
        let expected = match file.rsplit('.').next().unwrap() {
            "html" => "text/html; charset=utf-8",
            "js" => "text/javascript; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            other => panic!("{file}: a console file of an unexpected kind, {other}"),
        };
        assert_eq!(kind, expected, "{file}");
        // The same file again, with its digest: 304 and no body.
        let etag = headers[header::ETAG].to_str().unwrap().to_owned();
        let (status, _, body) = fetch(
            &app,
            &format!("/console/{file}"),
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!(
            (status, body.len()),
            (StatusCode::NOT_MODIFIED, 0),
            "{file}"
        );
    }
}

#[tokio::test]
async fn the_console_page_its_address_and_unknown_files() {
    let app = TestApp::on(Backend::Sqlite).await;
    let (status, headers, body) = fetch(&app, "/console/", &[]).await;
    assert_eq!(status, 200);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains(r#"<script type="module" src="/console/app.js">"#));
    assert!(
        !page.contains("<script>"),
        "no inline script: the policy forbids it"
    );
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");

    let (status, headers, _) = fetch(&app, "/console", &[]).await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(headers[header::LOCATION], "/console/");

    let (status, _, body) = fetch(&app, "/console/nope.js", &[]).await;
    assert_eq!(status, 404);
    assert_eq!(body, b"no such console file");
    let (status, _, _) = fetch(&app, "/console/../Cargo.toml", &[]).await;
    assert_eq!(status, 404);
    // A digest that is not the file's: the file.
    let (status, _, body) = fetch(&app, "/console/app.js", &[("if-none-match", "\"0\"")]).await;
    assert_eq!(status, 200);
    assert!(!body.is_empty());
}

async fn the_key_of_the_request_is_answered(backend: Backend) {
    let app = TestApp::on(backend).await;
    let (status, answer) = app.get("/v1/mgmt/managementkey/current").await;
    assert_eq!(status, 200, "{answer}");
    let key = &answer["key"];
    assert_eq!(key["readOnly"], false);
    assert_eq!(key["status"], "active");
    assert!(key.get("cleartext").is_none(), "never the secret");
    // It is the key `search` lists under the same ID.
    let (_, all) = app.get("/v1/mgmt/managementkey/search").await;
    let listed = all["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == key["id"])
        .unwrap();
    assert_eq!(listed, key);

    let resp = app
        .send_as(None, "GET", "/v1/mgmt/managementkey/current", None)
        .await;
    assert_error(&resp, 401, "E990401");
    let wrong = format!("Bearer {PROJECT}:not-the-key");
    let resp = app
        .send_as(Some(&wrong), "GET", "/v1/mgmt/managementkey/current", None)
        .await;
    assert_error(&resp, 401, "E990401");
}

async fn a_read_only_key_learns_it_is_one(backend: Backend) {
    let app = TestApp::on(backend).await;
    let auth = app.add_read_only_key("Kviewer", "viewer").await;
    let (status, answer) = app
        .send_as(Some(&auth), "GET", "/v1/mgmt/managementkey/current", None)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["key"]["id"], "Kviewer");
    assert_eq!(answer["key"]["name"], "viewer");
    assert_eq!(answer["key"]["readOnly"], true);
}
