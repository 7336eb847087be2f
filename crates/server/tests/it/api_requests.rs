//! The wire rules every endpoint shares: authentication, error shapes, limits, JSON
//! reading (aliases, nulls, numeric strings, unknown fields).

use roster_api::Limits;
use roster_domain::ErrorCode;
use serde_json::json;

use crate::helpers::{Backend, KEY, PROJECT, TestApp, assert_error, at};

async fn health_needs_no_key(backend: Backend) {
    let app = TestApp::on(backend).await;
    let (s, body) = app.send_as(None, "GET", "/health/live", None).await;
    assert_eq!((s.as_u16(), body["status"].as_str()), (200, Some("ok")));
    let (s, body) = app.send_as(None, "GET", "/health/ready", None).await;
    let store = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!((s.as_u16(), body["store"].as_str()), (200, Some(store)));
}

async fn every_bad_credential_is_the_same_401(backend: Backend) {
    let app = TestApp::on(backend).await;
    let other_key = format!("Bearer {PROJECT}:not-the-key");
    let unknown_project = format!("Bearer P2NoSuchProject0000000000000:{KEY}");
    let cases: [Option<&str>; 8] = [
        None,
        Some("Basic abc"),
        Some("Bearer"),
        Some(&format!("Bearer {PROJECT}")),
        Some(&other_key),
        Some(&unknown_project),
        Some("Bearer bad id!:key"),
        Some(&format!("Bearer {PROJECT}:")),
    ];
    for auth in cases {
        let resp = app
            .send_as(auth, "POST", "/v2/mgmt/user/search", Some("{}".into()))
            .await;
        assert_error(&resp, 401, "E990401");
        let text = resp.1.to_string();
        assert!(!text.contains(KEY), "errors never echo a key");
    }
    let lower = format!("bearer {PROJECT}:{KEY}");
    let resp = app
        .send_as(Some(&lower), "GET", "/v1/mgmt/license", None)
        .await;
    assert_eq!(
        resp.0.as_u16(),
        200,
        "the scheme is case-insensitive: {}",
        resp.1
    );
    let (s, body) = app.get("/v1/mgmt/license").await;
    assert_eq!((s.as_u16(), body), (200, json!({"rateLimitTier": "tier4"})));
}

async fn a_revoked_key_stops_working(backend: Backend) {
    let app = TestApp::on(backend).await;
    assert_eq!(app.get("/v1/mgmt/license").await.0.as_u16(), 200);
    let project = roster_domain::ids::ProjectId::parse(PROJECT).unwrap();
    let keys = app.store.keys(&project).await.unwrap();
    app.store
        .revoke_key(&project, &keys[0].id, &at(crate::helpers::START))
        .await
        .unwrap();
    assert_error(&app.get("/v1/mgmt/license").await, 401, "E990401");
}

async fn unknown_routes_and_methods_answer_json(backend: Backend) {
    let app = TestApp::on(backend).await;
    assert_error(&app.get("/v1/mgmt/nothing").await, 404, "E990404");
    assert_error(
        &app.send("GET", "/v1/mgmt/user/create", None).await,
        405,
        "E990405",
    );
    assert_error(
        &app.send("POST", "/v1/mgmt/user/patch", Some("{}".into()))
            .await,
        405,
        "E990405",
    );
}

async fn malformed_requests_are_400_and_name_the_field(backend: Backend) {
    let app = TestApp::on(backend).await;
    let e = assert_error(
        &app.send(
            "POST",
            "/v1/mgmt/user/create",
            Some("{\"loginId\": ".into()),
        )
        .await,
        400,
        "E011001",
    );
    assert!(e.starts_with("malformed JSON"), "{e}");
    let e = assert_error(
        &app.send("POST", "/v1/mgmt/user/create", Some("[1]".into()))
            .await,
        400,
        "E011001",
    );
    assert!(e.starts_with("request body:"), "{e}");
    let e = assert_error(
        &app.call("POST", "/v1/mgmt/user/create", json!({"loginId": 5}))
            .await,
        400,
        "E011001",
    );
    assert!(e.starts_with("loginId:"), "{e}");
    let e = assert_error(
        &app.call(
            "POST",
            "/v1/mgmt/user/create",
            json!({"loginId": "a", "userTenants": [{"tenantId": 3}]}),
        )
        .await,
        400,
        "E011001",
    );
    assert!(e.starts_with("userTenants[0].tenantId:"), "{e}");
    let e = assert_error(
        &app.send("POST", "/v1/mgmt/user/create", Some("{}".into()))
            .await,
        400,
        "E011002",
    );
    assert_eq!(e, "loginId is required");
    let e = assert_error(
        &app.send("POST", "/v1/mgmt/user/create", None).await,
        400,
        "E011002",
    );
    assert_eq!(e, "loginId is required", "an empty body reads as {{}}");
    assert_error(
        &app.send("POST", "/v1/mgmt/user/create", Some("{} {}".into()))
            .await,
        400,
        "E011001",
    );
    assert_error(&app.get("/v1/mgmt/user").await, 400, "E011002");
}

async fn inputs_are_read_the_way_descopes_gateway_reads_them(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    // Aliases, nulls and unknown fields.
    let user = app
        .create_user(json!({
            "identifier": "alias@example.com",
            "displayName": "Display",
            "phoneNumber": "+1 555 000 1111",
            "ssoAppIDs": ["s1"],
            "additionalLoginIds": ["alias2"],
            "email": null,
            "customAttributes": null,
            "roleNames": null,
            "invite": true,
            "sendMail": false,
            "templateOptions": {"a": "b"},
            "somethingNew": {"nested": [1, 2]}
        }))
        .await;
    assert_eq!(user["loginIds"], json!(["alias@example.com", "alias2"]));
    assert_eq!(user["name"], "Display");
    assert_eq!(user["phone"], "+15550001111");
    assert_eq!(user["ssoAppIds"], json!(["s1"]));
    assert_eq!(user["email"], "");
    // name wins over displayName; int64 fields take numeric strings.
    let patched = app
        .ok(
            "PATCH",
            "/v1/mgmt/user/patch",
            json!({"loginId": "alias2", "name": "Name", "displayName": "ignored"}),
        )
        .await;
    assert_eq!(patched["user"]["name"], "Name");
    let found = app
        .ok(
            "POST",
            "/v2/mgmt/user/search",
            json!({"fromCreatedTime": "1", "limit": "10", "page": 0, "text": ""}),
        )
        .await;
    assert_eq!(found["total"], 1);
    assert_error(
        &app.call("POST", "/v2/mgmt/user/search", json!({"limit": -1}))
            .await,
        400,
        "E011004",
    );
    assert_error(
        &app.call("POST", "/v2/mgmt/user/search", json!({"limit": "ten"}))
            .await,
        400,
        "E011001",
    );
    assert_error(
        &app.call(
            "POST",
            "/v2/mgmt/user/search",
            json!({"statuses": ["sleeping"]}),
        )
        .await,
        400,
        "E011003",
    );
    assert_error(
        &app.call(
            "POST",
            "/v2/mgmt/user/search",
            json!({"sort": [{"field": "shoeSize"}]}),
        )
        .await,
        400,
        "E011004",
    );
    // The Go SDK sends every search field, zero-valued when unset.
    let go = json!({
        "loginIds": null, "tenantIds": [], "roleNames": [], "limit": 0, "page": 0, "text": "",
        "testUsersOnly": false, "withTestUser": false, "customAttributes": {}, "statuses": [],
        "emails": [], "phones": [], "ssoAppIds": [], "sort": null, "fromCreatedTime": 0,
        "toCreatedTime": 0, "fromModifiedTime": 0, "toModifiedTime": 0
    });
    assert_eq!(app.ok("POST", "/v2/mgmt/user/search", go).await["total"], 1);
}

async fn body_and_batch_limits_are_enforced_and_change_nothing(backend: Backend) {
    let app = TestApp::with_limits(
        backend,
        Limits {
            max_body_bytes: 2_000,
            max_batch_items: 3,
            ..Limits::default()
        },
    )
    .await;
    app.create_user(json!({"loginId": "a"})).await;
    let big = json!({"users": [{"loginId": "a", "name": "x".repeat(3_000)}]}).to_string();
    let e = assert_error(
        &app.send("PATCH", "/v1/mgmt/user/patch/batch", Some(big))
            .await,
        413,
        "E990413",
    );
    assert!(e.contains("--max-body-bytes"), "{e}");
    let four = json!({"users": [{"loginId": "a", "name": "1"}, {"loginId": "a"}, {"loginId": "a"}, {"loginId": "a"}]});
    let e = assert_error(
        &app.call("PATCH", "/v1/mgmt/user/patch/batch", four.clone())
            .await,
        413,
        "E990414",
    );
    assert!(e.contains("--max-batch-items"), "{e}");
    assert_error(
        &app.call("POST", "/v1/mgmt/user/create/batch", four).await,
        413,
        "E990414",
    );
    assert_eq!(
        app.load("a").await.1["user"]["name"],
        "",
        "refused requests change nothing"
    );
    assert_eq!(ErrorCode::BodyTooLarge.status(), 413);
}

async fn whole_batch_errors_have_their_own_codes(backend: Backend) {
    let app = TestApp::on(backend).await;
    let path = "/v1/mgmt/user/patch/batch";
    assert_error(
        &app.send("PATCH", path, Some("{\"users\": [".into())).await,
        400,
        "E011001",
    );
    assert_error(
        &app.send("PATCH", path, Some("[]".into())).await,
        400,
        "E011001",
    );
    assert_error(&app.call("PATCH", path, json!({})).await, 400, "E011002");
    assert_error(
        &app.call("PATCH", path, json!({"users": null})).await,
        400,
        "E011002",
    );
    assert_error(
        &app.call("PATCH", path, json!({"users": {"loginId": "a"}}))
            .await,
        400,
        "E011004",
    );
    assert_error(
        &app.call("PATCH", path, json!({"users": "a"})).await,
        400,
        "E011004",
    );
    let empty = app.ok("PATCH", path, json!({"users": []})).await;
    assert_eq!(
        empty,
        json!({"patchedUsers": [], "failedUsers": [], "additionalErrors": {}})
    );
}

#[test]
fn the_error_page_lists_every_code() {
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md"))
            .unwrap();
    for code in ErrorCode::ALL {
        let row = format!(
            "| `{}` | {} | {} |",
            code.code(),
            code.status(),
            code.description()
        );
        assert!(page.contains(&row), "docs/errors.md lacks the row {row}");
    }
}

crate::each_backend!(
    health_needs_no_key,
    every_bad_credential_is_the_same_401,
    a_revoked_key_stops_working,
    unknown_routes_and_methods_answer_json,
    malformed_requests_are_400_and_name_the_field,
    inputs_are_read_the_way_descopes_gateway_reads_them,
    body_and_batch_limits_are_enforced_and_change_nothing,
    whole_batch_errors_have_their_own_codes,
);
