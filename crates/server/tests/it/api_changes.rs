//! The SDK's one-purpose user and tenant changes, in process, on every backend: what the
//! SDK suites cannot see (bookkeeping, the stored form of a password, the exact answer
//! shapes, authentication before "not supported").

use roster_store::Store;
use roster_store_sqlite::SqliteStore;
use serde_json::json;
use std::sync::Arc;

use crate::each_backend;
use crate::helpers::{Backend, TestApp, assert_error};

each_backend!(
    changes_move_version_and_modified_time,
    answers_have_descopes_shapes,
    unsupported_endpoints_authenticate_and_change_nothing,
);

async fn changes_move_version_and_modified_time(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    let u = app.create_user(json!({"loginId": "ann"})).await;
    assert_eq!(u["version"], 1);
    let steps = [
        ("/v1/mgmt/user/update/status", json!({"status": "enabled"})),
        (
            "/v1/mgmt/user/update/loginid",
            json!({"newLoginId": "ann2"}),
        ),
        (
            "/v2/mgmt/user/update/role/add",
            json!({"roleNames": ["admin"]}),
        ),
        ("/v1/mgmt/user/update/tenant/add", json!({"tenantId": "t1"})),
        (
            "/v1/mgmt/user/update/ssoapp/add",
            json!({"ssoAppIds": ["a"]}),
        ),
        (
            "/v1/mgmt/user/update/picture",
            json!({"picture": "https://x.io/p.png"}),
        ),
        (
            "/v1/mgmt/user/update/customAttribute",
            json!({"attributeKey": "age", "attributeValue": 3}),
        ),
    ];
    let mut version = 1;
    let mut modified = u["modifiedTime"].as_i64().unwrap();
    for (path, fields) in steps {
        app.clock.advance(2_000);
        let mut body = fields.as_object().unwrap().clone();
        body.insert("loginId".into(), json!(u["userId"]));
        let user = app.ok("POST", path, json!(body)).await["user"].clone();
        version += 1;
        assert_eq!(user["version"], version, "{path} moves the version");
        assert!(
            user["modifiedTime"].as_i64().unwrap() > modified,
            "{path} moves modifiedTime"
        );
        modified = user["modifiedTime"].as_i64().unwrap();
        // The same change again changes nothing, so nothing moves.
        app.clock.advance(2_000);
        let again = app.ok("POST", path, json!(body)).await["user"].clone();
        if path != "/v1/mgmt/user/update/loginid" {
            assert_eq!(again["version"], version, "{path} repeated is no change");
        }
        let (_, stored) = app
            .get(&format!(
                "/v1/mgmt/user?userId={}",
                u["userId"].as_str().unwrap()
            ))
            .await;
        assert_eq!(stored["user"], again);
    }
    // A password moves the version and is never shown.
    let (_, before) = app.load("ann2").await;
    let answer = app
        .ok(
            "POST",
            "/v1/mgmt/user/password/set/active",
            json!({"loginId": "ann2", "password": "Sw0rdfish!"}),
        )
        .await;
    assert_eq!(answer, json!({}));
    let (_, after) = app.load("ann2").await;
    assert_eq!(
        after["user"]["version"],
        before["user"]["version"].as_i64().unwrap() + 1
    );
    assert_eq!(after["user"]["password"], true);
    assert!(!after.to_string().contains("Sw0rdfish") && !after.to_string().contains("argon2"));
    // A failed change changes nothing.
    let e = app
        .call(
            "POST",
            "/v2/mgmt/user/update/role/add",
            json!({"loginId": "ann2", "roleNames": ["admin", "ghost"]}),
        )
        .await;
    assert_error(&e, 400, "E011003");
    assert_eq!(app.load("ann2").await.1, after);
}

async fn answers_have_descopes_shapes(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    let u = app.create_user(json!({"loginId": "ann"})).await;
    let id = u["userId"].as_str().unwrap();
    let answers = json!({
        "passkeys": app.ok("POST", "/v1/mgmt/user/passkeys/list", json!({"loginId": "ann"})).await,
        "devices": app.ok("POST", "/v1/mgmt/user/trusteddevices/list", json!({"identifiers": ["ann", id]})).await,
        "history": app.ok("POST", "/v1/mgmt/user/history", json!([id])).await,
        "logout": app.ok("POST", "/v1/mgmt/user/logout", json!({"userId": id})).await,
        "totp": app.ok("POST", "/v1/mgmt/user/totp/delete", json!({"loginId": "ann"})).await,
        "expire": app.ok("POST", "/v1/mgmt/user/password/expire", json!({"loginId": "ann"})).await,
    });
    insta::assert_json_snapshot!("factor_answers", answers);
    // The history takes a bare array, nothing else.
    assert_error(
        &app.call("POST", "/v1/mgmt/user/history", json!({"userIds": [id]}))
            .await,
        400,
        "E011001",
    );
    app.ok(
        "POST",
        "/v1/mgmt/tenant/settings",
        json!({"tenantId": "t1", "enabled": true, "sessionTokenExpiration": 30,
               "sessionTokenExpirationUnit": "minutes", "domains": ["sso.acme.io"],
               "selfProvisioningDomains": ["acme.io"], "unknownKey": 1}),
    )
    .await;
    let (status, settings) = app.get("/v1/mgmt/tenant/settings?id=t1").await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("tenant_settings", settings);
    let (_, tenant) = app.get("/v1/mgmt/tenant?id=t1").await;
    assert_eq!(tenant["domains"], json!(["sso.acme.io"]));
    assert_eq!(tenant["selfProvisioningDomains"], json!(["acme.io"]));
    assert_error(
        &app.call(
            "POST",
            "/v1/mgmt/tenant/settings",
            json!({"tenantId": "t1", "inactivityTime": -1}),
        )
        .await,
        400,
        "E011003",
    );
}

async fn unsupported_endpoints_authenticate_and_change_nothing(backend: Backend) {
    let app = TestApp::on(backend).await;
    let u = app.create_user(json!({"loginId": "ann"})).await;
    for (method, path) in [
        ("POST", "/v1/mgmt/tests/generate/otp"),
        ("POST", "/v1/mgmt/user/signin/embeddedlink"),
        (
            "GET",
            "/v1/mgmt/user/provider/token?loginId=ann&provider=google",
        ),
        ("POST", "/v1/mgmt/user/import"),
        ("POST", "/v1/mgmt/user/update/family/add"),
        ("POST", "/v1/mgmt/outbound/app/create"),
        ("GET", "/v1/mgmt/outbound/apps"),
        ("POST", "/v2/mgmt/tenant/adminlinks/sso/generate"),
    ] {
        let body = (method == "POST").then(|| json!({"loginId": "ann"}).to_string());
        let anonymous = app.send_as(None, method, path, body.clone()).await;
        assert_error(&anonymous, 401, "E990401");
        let answer = app.send(method, path, body).await;
        let message = assert_error(&answer, 501, "E990501");
        assert!(message.contains("not supported by Roster"), "{message}");
        if path.ends_with("/otp") {
            insta::assert_json_snapshot!("not_supported", answer.1);
        }
    }
    assert_eq!(app.load("ann").await.1["user"], u);
}

/// On disk there is only the Argon2id hash: neither the database file nor its WAL holds
/// the password.
#[tokio::test]
async fn passwords_are_stored_only_as_argon2id_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw.db");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
    );
    let app = TestApp::on_store(store, roster_api::Limits::default()).await;
    app.create_user(json!({"loginId": "ann"})).await;
    let secret = "Unmistakable-Pass-7731";
    app.ok(
        "POST",
        "/v1/mgmt/user/password/set/temporary",
        json!({"loginId": "ann", "password": secret}),
    )
    .await;
    let mut bytes = std::fs::read(&path).unwrap();
    for extra in ["pw.db-wal", "pw.db-shm"] {
        if let Ok(more) = std::fs::read(dir.path().join(extra)) {
            bytes.extend(more);
        }
    }
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"$argon2id$v=19$"), "the hash is stored");
    assert!(!has(secret.as_bytes()), "the password itself is not");
}
