//! Users, tenants, roles, permissions and custom attributes through the HTTP API, with
//! snapshots of the response shapes the SDKs depend on.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_error};

async fn the_user_object_carries_every_field(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    let user = app
        .create_user(json!({
            "loginId": "ann@example.com",
            "email": "ann@example.com",
            "phone": "+1-555-555-5555",
            "name": "Ann Smith",
            "givenName": "Ann",
            "familyName": "Smith",
            "verifiedEmail": true,
            "roleNames": ["admin", "viewer"],
            "userTenants": [{"tenantId": "t1", "roleNames": ["editor", "viewer"]}, {"tenantId": "t2"}],
            "customAttributes": {"age": 41, "nick": "annie"},
            "additionalIdentifiers": ["ann"],
            "ssoAppIds": ["app1"],
            "password": "not kept"
        }))
        .await;
    insta::assert_json_snapshot!("user_object", user);
    let (status, loaded) = app.load("ann").await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(loaded["user"], user);
    let (_, by_id) = app
        .get(&format!(
            "/v1/mgmt/user?userId={}",
            user["userId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_id["user"], user);
    let (_, by_identifier) = app.get("/v1/mgmt/user?identifier=ann%40example.com").await;
    assert_eq!(by_identifier["user"], user);
    // The Go SDK sends both parameters, one empty.
    let uid = user["userId"].as_str().unwrap();
    let (_, go) = app
        .get(&format!("/v1/mgmt/user?loginId=&userId={uid}"))
        .await;
    assert_eq!(go["user"], user);
    let e = assert_error(&app.load("nobody").await, 404, "E112102");
    insta::assert_json_snapshot!("user_not_found", app.load("nobody").await.1);
    assert!(e.contains("nobody"));
}

async fn create_batch_and_load_many(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    let out = app
        .ok(
            "POST",
            "/v1/mgmt/user/create/batch",
            json!({
                "users": [
                    {"loginId": "a@example.com", "status": "enabled", "roleNames": ["viewer"]},
                    {"loginId": "b@example.com", "createdTime": 1_700_000_000},
                    {"loginId": "a@example.com"},
                    {"name": "no login id"},
                    {"loginId": "c@example.com", "customAttributes": {"age": "x"}},
                    {"loginId": "d@example.com", "roleNames": "admin"},
                    7
                ],
                "invite": true,
                "inviteUrl": "https://example.com",
                "sendMail": false
            }),
        )
        .await;
    insta::assert_json_snapshot!("create_batch", out);
    let a = out["createdUsers"][0]["userId"]
        .as_str()
        .unwrap()
        .to_string();
    let b = out["createdUsers"][1]["userId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        out["createdUsers"][1]["createdTime"], 1_700_000_000,
        "createdTime is kept for migrations"
    );
    app.ok(
        "PATCH",
        "/v1/mgmt/user/patch",
        json!({"loginId": "b@example.com", "status": "disabled"}),
    )
    .await;
    let loaded = app
        .ok(
            "POST",
            "/v1/mgmt/users/load",
            json!({"userIds": [a, b, "U-none"]}),
        )
        .await;
    assert_eq!(loaded["total"], 1, "disabled users are left out by default");
    let loaded = app
        .ok(
            "POST",
            "/v1/mgmt/users/load",
            json!({"userIds": [a, b], "includeInvalidUsers": true}),
        )
        .await;
    assert_eq!(loaded["total"], 2);
    assert_error(
        &app.call("POST", "/v1/mgmt/users/load", json!({"userIds": []}))
            .await,
        400,
        "E011002",
    );
}

async fn search_and_delete(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    app.create_user(
        json!({"loginId": "a", "roleNames": ["admin"], "customAttributes": {"vip": true}}),
    )
    .await;
    app.create_user(
        json!({"loginId": "b", "userTenants": [{"tenantId": "t1", "roleNames": ["editor"]}]}),
    )
    .await;
    app.ok("POST", "/v1/mgmt/user/create/test", json!({"loginId": "t"}))
        .await;
    let search = |body: Value| {
        let app = &app;
        async move {
            let out = app.ok("POST", "/v2/mgmt/user/search", body).await;
            out["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["loginIds"][0].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search(json!({})).await, ["a", "b"]);
    assert_eq!(search(json!({"roleNames": ["editor"]})).await, ["b"]);
    assert_eq!(
        search(json!({"tenantRoleNames": {"t1": {"values": ["editor"]}}})).await,
        ["b"]
    );
    assert_eq!(
        search(json!({"customAttributes": {"vip": true}})).await,
        ["a"]
    );
    assert_eq!(search(json!({"withTestUser": true})).await, ["a", "b", "t"]);
    assert_eq!(
        search(json!({"sort": [{"field": "loginId", "desc": true}]})).await,
        ["b", "a"]
    );
    let tests = app.ok("POST", "/v2/mgmt/user/search/test", json!({})).await;
    assert_eq!(tests["total"], 1);
    insta::assert_json_snapshot!(
        "search_page",
        app.ok(
            "POST",
            "/v2/mgmt/user/search",
            json!({"limit": 1, "page": 1})
        )
        .await
    );

    assert_eq!(
        app.ok("POST", "/v1/mgmt/user/delete", json!({"loginId": "a"}))
            .await,
        json!({})
    );
    assert_error(
        &app.call("POST", "/v1/mgmt/user/delete", json!({"loginId": "a"}))
            .await,
        404,
        "E112102",
    );
    assert_error(
        &app.call("POST", "/v1/mgmt/user/delete", json!({})).await,
        400,
        "E011002",
    );
    let b = app.load("b").await.1["user"]["userId"].clone();
    assert_eq!(
        app.ok(
            "POST",
            "/v1/mgmt/user/delete/batch",
            json!({"userIds": [b, "U-none"]})
        )
        .await,
        json!({})
    );
    assert_eq!(
        app.send("DELETE", "/v1/mgmt/user/test/delete/all", None)
            .await
            .1,
        json!({})
    );
    assert_eq!(
        search(json!({"withTestUser": true})).await,
        Vec::<String>::new()
    );
}

async fn tenants_roles_permissions_attributes(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    let created = app
        .ok(
            "POST",
            "/v1/mgmt/tenant/create",
            json!({"name": "Generated", "parent": "t1"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with('T') && id.len() == 28, "{id}");
    let (_, tenant) = app.get(&format!("/v1/mgmt/tenant?id={id}")).await;
    insta::assert_json_snapshot!("tenant_object", tenant);
    let (_, parent) = app.get("/v1/mgmt/tenant?id=t1").await;
    assert_eq!(parent["successors"], json!([id]));
    assert_error(&app.get("/v1/mgmt/tenant?id=nope").await, 404, "E991404");
    assert_error(&app.get("/v1/mgmt/tenant").await, 400, "E011002");
    assert_error(
        &app.call(
            "POST",
            "/v1/mgmt/tenant/create",
            json!({"id": "t1", "name": "X"}),
        )
        .await,
        409,
        "E990409",
    );
    assert_error(
        &app.call(
            "POST",
            "/v1/mgmt/tenant/create",
            json!({"name": "Tenant One"}),
        )
        .await,
        409,
        "E990409",
    );
    assert_error(
        &app.call("POST", "/v1/mgmt/tenant/create", json!({"id": "x"}))
            .await,
        400,
        "E011002",
    );
    assert_error(
        &app.call("POST", "/v1/mgmt/tenant/update", json!({"name": "x"}))
            .await,
        400,
        "E011002",
    );
    let found = app
        .ok(
            "POST",
            "/v1/mgmt/tenant/search",
            json!({"tenantNames": ["Tenant Two"]}),
        )
        .await;
    assert_eq!(found["tenants"].as_array().unwrap().len(), 1);

    let role = app
        .ok("POST", "/v1/mgmt/role/create", json!({"name": "auditor", "description": "reads", "permissionNames": ["users.read"], "tenantId": "t2"}))
        .await;
    insta::assert_json_snapshot!("role_object", role);
    let roles = app.get("/v1/mgmt/role/all").await.1;
    assert_eq!(roles["roles"].as_array().unwrap().len(), 4);
    let batch = app
        .ok(
            "POST",
            "/v1/mgmt/role/create/batch",
            json!({"roles": [{"name": "r1"}, {"name": "r2", "permissionNames": ["users.read"]}]}),
        )
        .await;
    assert_eq!(batch["roles"].as_array().unwrap().len(), 2);
    assert_error(
        &app.call(
            "POST",
            "/v1/mgmt/role/create/batch",
            json!({"roles": [{"name": "r3"}, {"name": "r1"}]}),
        )
        .await,
        409,
        "E990409",
    );
    assert!(
        app.get("/v1/mgmt/role/all")
            .await
            .1
            .to_string()
            .find("\"r3\"")
            .is_none(),
        "a failed batch creates nothing"
    );
    assert_error(
        &app.call("POST", "/v1/mgmt/role/delete/batch", json!({}))
            .await,
        400,
        "E011002",
    );
    app.ok(
        "POST",
        "/v1/mgmt/role/delete/batch",
        json!({"roleNames": ["r1", "r2", "never"]}),
    )
    .await;
    let searched = app
        .ok(
            "POST",
            "/v1/mgmt/role/search",
            json!({"tenantIds": ["t1", "t2"]}),
        )
        .await;
    assert_eq!(
        searched["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["editor", "auditor"]
    );

    insta::assert_json_snapshot!("permissions", app.get("/v1/mgmt/permission/all").await.1);
    app.ok("POST", "/v1/mgmt/permission/update/batch", json!({"permissions": [{"name": "users.read", "newName": "users.view", "description": "view"}]}))
        .await;
    assert_error(
        &app.call(
            "POST",
            "/v1/mgmt/permission/delete",
            json!({"name": "users.read"}),
        )
        .await,
        404,
        "E993404",
    );
    app.ok(
        "POST",
        "/v1/mgmt/permission/delete/batch",
        json!({"names": ["users.view", "never"]}),
    )
    .await;

    let attrs = app
        .ok(
            "POST",
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [{"name": "plan", "type": 4, "options": ["gold", {"value": "silver", "label": "Silver"}], "defaultValue": "gold"}]}),
        )
        .await;
    insta::assert_json_snapshot!("attributes", attrs);
    assert_error(
        &app.call(
            "POST",
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [{"name": "x", "type": "colour"}]}),
        )
        .await,
        400,
        "E011003",
    );
    assert_error(
        &app.call(
            "POST",
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [{"name": "a.b", "type": 1}]}),
        )
        .await,
        400,
        "E011003",
    );
    assert_error(&app.call("POST", "/v1/mgmt/user/customattribute/create", json!({"attributes": [{"name": "y", "type": 4, "options": ["a"], "defaultValue": "b"}]})).await, 400, "E011003");
    let left = app
        .ok(
            "POST",
            "/v1/mgmt/user/customattribute/delete",
            json!({"names": ["plan"]}),
        )
        .await;
    assert_eq!(left["total"], 3);
}

/// Roster's own `customattribute/update`: a definition replaced (type kept when not
/// named), an option users hold kept in, an unknown name, a type change, a read-only key.
async fn attribute_definitions_are_replaced(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    app.ok(
        "POST",
        "/v1/mgmt/user/customattribute/create",
        json!({"attributes": [{"name": "plan", "type": "singleselect", "options": ["gold", "silver"]}]}),
    )
    .await;
    app.create_user(json!({"loginId": "ann", "customAttributes": {"plan": "silver"}}))
        .await;
    let update = "/v1/mgmt/user/customattribute/update";
    let answer = app
        .ok(
            "POST",
            update,
            json!({"attributes": [{"name": "plan", "displayName": "Plan tier", "options": ["gold", {"value": "silver", "label": "Silver"}, "bronze"]}]}),
        )
        .await;
    let plan = answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "plan")
        .unwrap();
    assert_eq!(plan["type"], 4, "the type kept");
    assert_eq!(plan["displayName"], "Plan tier");
    assert_eq!(
        plan["options"],
        json!([{"value": "gold", "label": "gold"}, {"value": "silver", "label": "Silver"}, {"value": "bronze", "label": "bronze"}])
    );
    let held = app
        .call(
            "POST",
            update,
            json!({"attributes": [{"name": "plan", "options": ["gold"]}]}),
        )
        .await;
    let message = assert_error(&held, 409, "E997409");
    assert!(
        message.contains("1 user of this project holds \"silver\""),
        "{message}"
    );
    let (_, ann) = app.load("ann").await;
    assert_eq!(ann["user"]["customAttributes"], json!({"plan": "silver"}));
    assert_error(
        &app.call(
            "POST",
            update,
            json!({"attributes": [{"name": "never", "type": 1}]}),
        )
        .await,
        404,
        "E997404",
    );
    assert_error(
        &app.call(
            "POST",
            update,
            json!({"attributes": [{"name": "plan", "type": "number"}]}),
        )
        .await,
        400,
        "E011003",
    );
    assert_error(&app.call("POST", update, json!({})).await, 400, "E011002");
    let reader = app.add_read_only_key("Kreader", "reader").await;
    let refused = app
        .send_as(
            Some(&reader),
            "POST",
            update,
            Some(json!({"attributes": [{"name": "plan", "options": []}]}).to_string()),
        )
        .await;
    assert_error(&refused, 403, "E990403");
    let (_, all) = app.get("/v1/mgmt/user/customattributes").await;
    assert!(
        all.to_string().contains("Plan tier"),
        "nothing changed: {all}"
    );
}

crate::each_backend!(
    the_user_object_carries_every_field,
    create_batch_and_load_many,
    search_and_delete,
    tenants_roles_permissions_attributes,
    attribute_definitions_are_replaced,
);
