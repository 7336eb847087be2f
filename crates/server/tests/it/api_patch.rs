//! `PATCH /v1/mgmt/user/patch` and `/patch/batch` through the HTTP layer.

use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_error};

async fn app_with_users(backend: Backend) -> TestApp {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    app.create_user(
        json!({"loginId": "a@example.com", "name": "A", "customAttributes": {"age": 1}}),
    )
    .await;
    app.create_user(json!({"loginId": "b@example.com", "name": "B", "roleNames": ["viewer"]}))
        .await;
    app
}

async fn a_mixed_batch_reports_every_item(backend: Backend) {
    let app = app_with_users(backend).await;
    app.clock.advance(60_000);
    let out = app
        .ok(
            "PATCH",
            "/v1/mgmt/user/patch/batch",
            json!({"users": [
                {"loginId": "a@example.com", "givenName": "First", "roleNames": ["admin"],
                 "userTenants": [{"tenantId": "t1", "roleNames": ["editor"]}], "customAttributes": {"nick": "x"}},
                {"loginId": "nobody@example.com", "name": "x"},
                {"name": "no selector"},
                {"loginId": "b@example.com", "roleNames": ["ghost"], "name": "never"},
                {"loginId": "b@example.com", "roleNames": "admin"},
                "not an object",
                {"loginId": ""},
                {"loginId": 17},
                {"identifier": "a@example.com", "familyName": "Second", "customAttributes": {"age": null},
                 "additionalLoginIds": ["alias"], "ssoAppIDs": ["sso"], "scim": true, "test": true},
                {"loginId": "b@example.com", "email": "bad"}
            ]}),
        )
        .await;
    insta::assert_json_snapshot!("patch_batch_mixed", out);
    let (_, a) = app.load("alias").await;
    assert_eq!(
        a["user"], out["patchedUsers"][1],
        "what the batch returned is what was stored"
    );
    let (_, b) = app.load("b@example.com").await;
    assert_eq!(
        (b["user"]["name"].as_str(), b["user"]["version"].as_i64()),
        (Some("B"), Some(1))
    );
}

async fn the_same_user_twice_gets_both_patches_in_order(backend: Backend) {
    let app = app_with_users(backend).await;
    let out = app
        .ok(
            "PATCH",
            "/v1/mgmt/user/patch/batch",
            json!({"users": [
                {"loginId": "a@example.com", "name": "one", "customAttributes": {"nick": "n1"}},
                {"loginId": "a@example.com", "name": "two", "customAttributes": {"vip": true}},
                {"loginId": "a@example.com", "additionalIdentifiers": ["a2"]},
                {"loginId": "a2", "name": "three"}
            ]}),
        )
        .await;
    let names: Vec<_> = out["patchedUsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("one"), json!("two"), json!("two"), json!("three")]
    );
    assert_eq!(
        out["patchedUsers"][3]["customAttributes"],
        json!({"age": 1, "nick": "n1", "vip": true})
    );
    assert_eq!(out["patchedUsers"][3]["version"], 5);
}

async fn modified_time_and_version_move_on_every_change(backend: Backend) {
    let app = app_with_users(backend).await;
    let before = app.load("a@example.com").await.1["user"].clone();
    app.clock.advance(5_000);
    let same = app
        .ok(
            "PATCH",
            "/v1/mgmt/user/patch",
            json!({"loginId": "a@example.com", "name": "A"}),
        )
        .await;
    assert_eq!(
        same["user"], before,
        "a patch that changes nothing moves nothing"
    );
    let changed = app
        .ok(
            "PATCH",
            "/v1/mgmt/user/patch",
            json!({"loginId": "a@example.com", "name": "A2"}),
        )
        .await;
    assert_eq!(changed["user"]["version"], 2);
    assert_eq!(
        changed["user"]["modifiedTime"].as_i64(),
        Some(before["modifiedTime"].as_i64().unwrap() + 5)
    );
    assert_eq!(changed["user"]["createdTime"], before["createdTime"]);
    let found = app
        .ok(
            "POST",
            "/v2/mgmt/user/search",
            json!({"fromModifiedTime": crate::helpers::START.0 + 1}),
        )
        .await;
    assert_eq!(
        found["total"], 1,
        "search sees the modification time in milliseconds"
    );
}

async fn the_single_patch_returns_the_error(backend: Backend) {
    let app = app_with_users(backend).await;
    let e = assert_error(
        &app.call(
            "PATCH",
            "/v1/mgmt/user/patch",
            json!({"loginId": "x", "name": "n"}),
        )
        .await,
        404,
        "E112102",
    );
    assert!(e.contains("\"x\""), "{e}");
    insta::assert_json_snapshot!(
        "patch_validation_error",
        app.call(
            "PATCH",
            "/v1/mgmt/user/patch",
            json!({"loginId": "a@example.com", "customAttributes": {"age": "old"}})
        )
        .await
        .1
    );
    assert_error(
        &app.call("PATCH", "/v1/mgmt/user/patch", json!({"name": "n"}))
            .await,
        400,
        "E011002",
    );
    assert_error(
        &app.call(
            "PATCH",
            "/v1/mgmt/user/patch",
            json!({"loginId": "a@example.com", "phone": "12"}),
        )
        .await,
        400,
        "E011003",
    );
    assert_error(
        &app.call(
            "PATCH",
            "/v1/mgmt/user/patch",
            json!({"loginId": "a@example.com", "status": "gone"}),
        )
        .await,
        400,
        "E011003",
    );
    assert_error(
        &app.call(
            "PATCH",
            "/v1/mgmt/user/patch",
            json!({"loginId": "a@example.com", "additionalIdentifiers": ["b@example.com"]}),
        )
        .await,
        409,
        "E990409",
    );
    assert_eq!(
        app.load("a@example.com").await.1["user"]["version"],
        1,
        "failed patches change nothing"
    );
}

/// Roster's own `expectedVersion`: a patch computed from another version of the user
/// changes nothing; in a batch, the item fails alone.
async fn an_expected_version_keeps_a_change_made_since(backend: Backend) {
    let app = app_with_users(backend).await;
    let (_, read) = app.load("b@example.com").await;
    let version = read["user"]["version"].as_i64().unwrap();
    // Someone adds a role after the client read the user...
    app.ok(
        "POST",
        "/v1/mgmt/user/update/role/add",
        json!({"loginId": "b@example.com", "roleNames": ["admin"]}),
    )
    .await;
    // ...so the client's whole list, computed from what it read, does not land.
    let stale = json!({"loginId": "b@example.com", "roleNames": [], "expectedVersion": version});
    let message = assert_error(
        &app.call("PATCH", "/v1/mgmt/user/patch", stale.clone())
            .await,
        409,
        "E998409",
    );
    assert_eq!(
        message,
        format!(
            "expectedVersion: the user is at version {}, not {version}: it changed since it was read; read it again",
            version + 1
        )
    );
    let out = app
        .ok(
            "PATCH",
            "/v1/mgmt/user/patch/batch",
            json!({"users": [stale, {"loginId": "a@example.com", "name": "A2", "expectedVersion": "1"}]}),
        )
        .await;
    assert_eq!(out["patchedUsers"].as_array().unwrap().len(), 1);
    assert!(
        out["failedUsers"][0]["failure"]
            .as_str()
            .unwrap()
            .starts_with("expectedVersion: the user is at version"),
        "{out}"
    );
    let (_, b) = app.load("b@example.com").await;
    assert_eq!(b["user"]["roleNames"], json!(["viewer", "admin"]));
    // With the version it finds, it applies.
    let fresh =
        json!({"loginId": "b@example.com", "roleNames": ["admin"], "expectedVersion": version + 1});
    let (_, patched) = app.call("PATCH", "/v1/mgmt/user/patch", fresh).await;
    assert_eq!(patched["user"]["version"], version + 2, "{patched}");
}

crate::each_backend!(
    a_mixed_batch_reports_every_item,
    the_same_user_twice_gets_both_patches_in_order,
    modified_time_and_version_move_on_every_change,
    the_single_patch_returns_the_error,
    an_expected_version_keeps_a_change_made_since,
);
