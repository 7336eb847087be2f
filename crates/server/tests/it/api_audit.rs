//! The audit trail through the API: what `audit/search` answers (Descope's shape,
//! snapshotted; newest first; paged; filtered), what `audit/event` records and refuses,
//! the retention window, the trail switched off, and read-only keys.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, START, TestApp, assert_error};

crate::each_backend!(
    search_answers_as_descope,
    events_are_recorded_and_checked,
    the_search_covers_the_retention,
    an_audit_trail_switched_off_records_nothing,
    read_only_keys_search_but_record_no_event,
    bad_searches_are_refused,
);

async fn search(app: &TestApp, body: Value) -> Value {
    app.ok("POST", "/v1/mgmt/audit/search", body).await
}

fn actions(answer: &Value) -> Vec<&str> {
    answer["audits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect()
}

async fn search_answers_as_descope(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    let ann = app
        .create_user(
            json!({"loginId": "ann@x.io", "name": "Ann", "userTenants": [{"tenantId": "t1"}]}),
        )
        .await;
    app.clock.advance(1_000);
    app.ok(
        "PATCH",
        "/v1/mgmt/user/patch/batch",
        json!({"users": [{"loginId": "ann@x.io", "name": "Ann B", "customAttributes": {"age": 40}}]}),
    )
    .await;
    app.clock.advance(1_000);
    app.ok(
        "POST",
        "/v1/mgmt/user/delete",
        json!({"loginId": "ann@x.io"}),
    )
    .await;

    let user_id = ann["userId"].as_str().unwrap();
    let mine = search(&app, json!({"userIds": [user_id]})).await;
    assert_eq!(
        actions(&mine),
        ["UserDeleted", "UserModified", "UserCreated"]
    );
    assert_eq!(mine["total"], 3);
    let modified = &mine["audits"][1];
    assert_eq!(modified["occurred"], (START.0 + 1_000).to_string());
    insta::assert_json_snapshot!("audit_record", modified);

    // Login IDs (Descope's `externalIds`), tenants, actions, text and times filter.
    let by_login = search(
        &app,
        json!({"externalIds": ["ann@x.io"], "excludedActions": ["UserDeleted"]}),
    )
    .await;
    assert_eq!(actions(&by_login), ["UserModified", "UserCreated"]);
    let by_tenant = search(
        &app,
        json!({"tenants": ["t1"], "actions": ["UserCreated", "TenantCreated"]}),
    )
    .await;
    assert_eq!(actions(&by_tenant), ["UserCreated", "TenantCreated"]);
    let by_text = search(&app, json!({"text": "ANN B"})).await;
    assert_eq!(actions(&by_text), ["UserModified"]);
    // The Python SDK sends float milliseconds; the Go SDK the zero time's, negative.
    let window = search(
        &app,
        json!({"from": (START.0 + 500) as f64 + 0.25, "to": (START.0 + 1_500).to_string(), "userIds": [user_id]}),
    )
    .await;
    assert_eq!(actions(&window), ["UserModified"]);
    let go = search(&app, json!({"from": -62_135_596_800_000i64, "to": -62_135_596_800_000i64, "userIds": [user_id], "text": ""})).await;
    assert_eq!(go["total"], 3);

    // Pages: newest first, `limit` at a time, zero-based.
    let all = search(&app, json!({})).await;
    let total = all["total"].as_u64().unwrap();
    assert!(total > 10, "{total}");
    let mut paged = Vec::new();
    for page in 0.. {
        let p = search(&app, json!({"limit": 4, "page": page})).await;
        let records = p["audits"].as_array().unwrap().clone();
        assert!(records.len() <= 4);
        if records.is_empty() {
            break;
        }
        paged.extend(records);
    }
    assert_eq!(Value::Array(paged), all["audits"]);
    let times: Vec<i64> = all["audits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["occurred"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // Devices, methods, countries: Roster records none.
    assert_eq!(search(&app, json!({"devices": ["Bot"]})).await["total"], 0);
}

async fn events_are_recorded_and_checked(backend: Backend) {
    let app = TestApp::on(backend).await;
    let event = json!({
        "action": "ReportExported", "type": "warn", "actorId": "app-7",
        "tenantId": "t1", "userId": "U1", "data": {"rows": 12}
    });
    assert_eq!(
        app.ok("POST", "/v1/mgmt/audit/event", event.clone()).await,
        json!({})
    );
    let found = search(&app, json!({"actions": ["ReportExported"]})).await;
    let record = &found["audits"][0];
    assert_eq!(
        (
            &record["type"],
            &record["actorId"],
            &record["userId"],
            &record["tenants"],
            &record["data"]
        ),
        (
            &json!("warn"),
            &json!("app-7"),
            &json!("U1"),
            &json!(["t1"]),
            &json!({"rows": 12})
        )
    );
    assert!(
        record["managementKeyId"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
    );

    for (broken, field, code) in [
        (json!({"action": "UserDeleted"}), "action", "E011003"),
        (json!({"action": ""}), "action", "E011002"),
        (json!({"type": "debug"}), "type", "E011003"),
        (json!({"actorId": null}), "actorId", "E011002"),
        (json!({"tenantId": ""}), "tenantId", "E011002"),
        (
            json!({"data": {"big": "x".repeat(17 * 1024)}}),
            "data",
            "E011003",
        ),
    ] {
        let mut body = event.clone();
        for (k, v) in broken.as_object().unwrap() {
            body[k] = v.clone();
        }
        let answer = app.call("POST", "/v1/mgmt/audit/event", body).await;
        let message = assert_error(&answer, 400, code);
        assert!(message.starts_with(field), "{field}: {message}");
    }
    let malformed = app
        .call("POST", "/v1/mgmt/audit/event", json!({"data": [1]}))
        .await;
    assert_error(&malformed, 400, "E011001");
    assert_eq!(
        search(&app, json!({"actions": ["ReportExported"]})).await["total"],
        1
    );
}

async fn the_search_covers_the_retention(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.create_user(json!({"loginId": "old@x.io"})).await;
    app.clock.advance(29 * 24 * 3600 * 1000);
    app.create_user(json!({"loginId": "new@x.io"})).await;
    assert_eq!(
        search(&app, json!({"actions": ["UserCreated"]})).await["total"],
        2
    );
    app.clock.advance(2 * 24 * 3600 * 1000);
    let left = search(&app, json!({"actions": ["UserCreated"], "from": 1})).await;
    assert_eq!(left["audits"][0]["externalIds"], json!(["new@x.io"]));
    assert_eq!(
        left["total"], 1,
        "a record past 30 days is not searched, pruned or not"
    );
    let app = app.with_audit_retention(Duration::from_secs(365 * 24 * 3600));
    assert_eq!(
        search(&app, json!({"actions": ["UserCreated"]})).await["total"],
        2
    );
}

async fn an_audit_trail_switched_off_records_nothing(backend: Backend) {
    let app = TestApp::on(backend)
        .await
        .with_audit_retention(Duration::ZERO);
    let before = search(&app, json!({})).await["total"].clone();
    app.create_user(json!({"loginId": "quiet@x.io"})).await;
    app.ok(
        "POST",
        "/v1/mgmt/tenant/create",
        json!({"id": "t9", "name": "Nine"}),
    )
    .await;
    assert_eq!(search(&app, json!({})).await["total"], before);
    let event = json!({"action": "Mine", "type": "info", "actorId": "a", "tenantId": "t"});
    assert_error(
        &app.call("POST", "/v1/mgmt/audit/event", event).await,
        501,
        "E990501",
    );
}

async fn read_only_keys_search_but_record_no_event(backend: Backend) {
    let app = TestApp::on(backend).await;
    let auth = app.add_read_only_key("Kreader", "reader").await;
    let (status, found) = app
        .send_as(
            Some(&auth),
            "POST",
            "/v1/mgmt/audit/search",
            Some("{}".into()),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    // The key's creation, by the command line's origin of the test helper.
    assert!(actions(&found).contains(&"ManagementKeyCreated"));
    let event = json!({"action": "Mine", "type": "info", "actorId": "a", "tenantId": "t"});
    let refused = app
        .send_as(
            Some(&auth),
            "POST",
            "/v1/mgmt/audit/event",
            Some(event.to_string()),
        )
        .await;
    assert_error(&refused, 403, "E990403");
    assert_ne!(auth, app.auth, "a key of its own");
}

async fn bad_searches_are_refused(backend: Backend) {
    let app = TestApp::on(backend).await;
    for (body, field) in [
        (json!({"limit": 1001}), "limit"),
        (json!({"limit": -1}), "limit"),
        (json!({"page": -2}), "page"),
        (json!({"text": "x".repeat(300)}), "text"),
    ] {
        let message = assert_error(
            &app.call("POST", "/v1/mgmt/audit/search", body).await,
            400,
            "E011003",
        );
        assert!(message.starts_with(field), "{message}");
    }
    for body in [
        json!({"from": "yesterday"}),
        json!({"userIds": "U1"}),
        json!({"noTenants": "yes"}),
    ] {
        assert_error(
            &app.call("POST", "/v1/mgmt/audit/search", body).await,
            400,
            "E011001",
        );
    }
}
