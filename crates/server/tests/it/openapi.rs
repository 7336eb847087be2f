//! The OpenAPI document: the one served at `GET /openapi.json` is the one committed as
//! `docs/openapi.json`, and every operation it documents is served, with the method it
//! names, and answers as it says without a key.
//!
//! After a change to the routes or the wire types, write the new document with
//! `ROSTER_BLESS_OPENAPI=1 cargo test --test it openapi`, and review its diff.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::{Backend, TestApp};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

/// The document as served, and its text.
async fn served(app: &TestApp) -> (Value, String) {
    let req = Request::get("/openapi.json").body(Body::empty()).unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = TestApp::on(Backend::Sqlite).await;
    let (document, text) = served(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    if std::env::var_os("ROSTER_BLESS_OPENAPI").is_some() {
        std::fs::write(committed_path(), &text).unwrap();
    }
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed == text,
        "docs/openapi.json differs from GET /openapi.json: run \
         `ROSTER_BLESS_OPENAPI=1 cargo test --test it openapi` and review the diff"
    );
}

/// Every operation the document names is served with that method: a management call
/// answers 401 `E990401` without a key, and with the key and an empty body a status its
/// operation documents (never the 404 `E990404` or 405 `E990405` of an unknown route);
/// a public one answers 200. A method the document does not name answers 405.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::on(Backend::Sqlite).await;
    let (document, _) = served(&app).await;
    let paths = document["paths"].as_object().unwrap();
    let mut operations = 0;
    let mut operations_without_key: u8 = 0;
    for (path, item) in paths {
        let uri = path.replace("{rest}", "applications");
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let method = method.to_uppercase();
            if op.get("security").is_none() {
                let req = Request::builder()
                    .method(method.as_str())
                    .uri(&uri)
                    .body(Body::empty())
                    .unwrap();
                let resp = app.router.clone().oneshot(req).await.unwrap();
                assert_eq!(resp.status(), StatusCode::OK, "{method} {path}");
                continue;
            }
            // Without a key: 401, from an address of its own (repeated failures from
            // one address are answered later and later).
            operations_without_key += 1;
            let mut req = Request::builder()
                .method(method.as_str())
                .uri(&uri)
                .body(Body::from("{}"))
                .unwrap();
            let address = SocketAddr::from(([10, 9, 0, operations_without_key], 40000));
            req.extensions_mut().insert(ConnectInfo(address));
            let resp = app.router.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(body["errorCode"], "E990401", "{method} {path}");
            // With the key and an empty body: a status the operation documents.
            let (status, body) = app.send(&method, &uri, Some("{}".into())).await;
            let code = body["errorCode"].as_str().unwrap_or_default();
            assert!(
                !["E990404", "E990405"].contains(&code),
                "{method} {path}: {body}"
            );
            assert!(
                op["responses"][status.as_str()].is_object(),
                "{method} {path} answered {status}, which it does not document: {body}"
            );
        }
        let unnamed = ["get", "post", "put", "patch", "delete"]
            .into_iter()
            .find(|m| !item.as_object().unwrap().contains_key(*m))
            .unwrap();
        let (status, body) = app.send(&unnamed.to_uppercase(), &uri, None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{unnamed} {path}");
        assert_eq!(body["errorCode"], "E990405");
    }
    assert!(operations >= 100, "{operations} operations");
}

/// The document's references all resolve, and every management call names the
/// security scheme, Descope's error body and its error statuses.
#[tokio::test]
async fn the_document_is_whole() {
    let app = TestApp::on(Backend::Sqlite).await;
    let (document, text) = served(&app).await;
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let responses = document["components"]["responses"].as_object().unwrap();
    for reference in text.split("\"$ref\": \"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let found = match target.split('/').collect::<Vec<_>>()[..] {
            ["#", "components", "schemas", name] => schemas.contains_key(name),
            ["#", "components", "responses", name] => responses.contains_key(name),
            _ => false,
        };
        assert!(found, "{target} does not resolve");
    }
    let error = &schemas["ErrorBody"]["properties"];
    for field in ["errorCode", "errorDescription", "errorMessage", "message"] {
        assert!(error[field].is_object(), "{field}");
    }
    assert_eq!(
        document["components"]["securitySchemes"]["ManagementKey"]["scheme"],
        "bearer"
    );
    // The aliases are fields of the bodies.
    let user = &schemas["UserBody"]["properties"];
    for alias in [
        "identifier",
        "displayName",
        "phoneNumber",
        "ssoAppIDs",
        "additionalLoginIds",
    ] {
        assert!(user[alias].is_object(), "{alias}");
    }
    let patch = &document["paths"]["/v1/mgmt/user/patch/batch"]["patch"];
    assert_eq!(
        patch["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/UsersBatchBody"
    );
    for status in ["400", "401", "403", "404", "409", "413", "429", "504"] {
        assert!(patch["responses"][status].is_object(), "{status}");
    }
    assert!(patch["responses"].get("500").is_none());
}
