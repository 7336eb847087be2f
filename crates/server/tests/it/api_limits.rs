//! Caps and item limits: everything a client stores or asks for is bounded, and going
//! over a bound is a 400 (or 413 for too many items) that names the field and the cap,
//! changes nothing, and never a 500.

use roster_api::Limits;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_error, origin};

fn long(n: usize) -> String {
    "x".repeat(n)
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// Create a user that must fail with 400 `E011003`; returns the message.
async fn refused_user(app: &TestApp, body: Value) -> String {
    let resp = app.call("POST", "/v1/mgmt/user/create", body).await;
    assert_error(&resp, 400, "E011003")
}

async fn every_user_field_has_a_cap(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    app.ok(
        "POST",
        "/v1/mgmt/user/customattribute/create",
        json!({"attributes": [
            {"name": "s1", "type": "string"}, {"name": "s2", "type": "string"},
            {"name": "s3", "type": "string"}, {"name": "s4", "type": "string"},
            {"name": "tags", "type": "multiselect"}
        ]}),
    )
    .await;
    for (field, cap) in [
        ("name", 256),
        ("givenName", 256),
        ("middleName", 256),
        ("familyName", 256),
        ("picture", 2048),
    ] {
        let ok = app
            .call(
                "POST",
                "/v1/mgmt/user/create",
                json!({"loginId": format!("ok-{field}"), field: long(cap)}),
            )
            .await;
        assert_eq!(ok.0, 200, "{field} at its cap: {}", ok.1);
        let message = refused_user(&app, json!({"loginId": "u", field: long(cap + 1)})).await;
        assert_eq!(
            message,
            format!("{field}: must be at most {cap} characters")
        );
    }
    for (body, expected) in [
        (
            json!({"loginId": "u", "roleNames": names("r", 501)}),
            "roleNames: must hold at most 500 items, not 501",
        ),
        (
            json!({"loginId": "u", "userTenants": (0..501).map(|i| json!({"tenantId": format!("t{i}")})).collect::<Vec<_>>()}),
            "userTenants: must hold at most 500 items, not 501",
        ),
        (
            json!({"loginId": "u", "userTenants": [{"tenantId": "t1", "roleNames": names("r", 501)}]}),
            "userTenants[0].roleNames: must hold at most 500 items, not 501",
        ),
        (
            json!({"loginId": "u", "ssoAppIds": names("app", 501)}),
            "ssoAppIds: must hold at most 500 items, not 501",
        ),
        (
            json!({"loginId": "u", "ssoAppIds": [long(257)]}),
            "ssoAppIds[0]: must be at most 256 characters",
        ),
        (
            json!({"loginId": "u", "additionalLoginIds": names("alias", 51)}),
            "additionalIdentifiers: must hold at most 50 items, not 51",
        ),
        (
            json!({"loginId": "u", "customAttributes": {"s1": long(4097)}}),
            "customAttributes.s1: must be at most 4096 characters",
        ),
        (
            json!({"loginId": "u", "customAttributes": {"tags": names("v", 501)}}),
            "customAttributes.tags: must hold at most 500 items, not 501",
        ),
    ] {
        assert_eq!(refused_user(&app, body).await, expected);
    }
    // Each field within its cap, all of them together over the user's.
    let message = refused_user(
        &app,
        json!({"loginId": "u", "customAttributes": {
            "s1": long(4096), "s2": long(4096), "s3": long(4096), "s4": long(4096)
        }}),
    )
    .await;
    assert!(
        message.starts_with("user: would hold ") && message.contains("more than the 16384"),
        "{message}"
    );
    // The same through a patch of an existing user: the item fails, nothing changes.
    let before = app
        .create_user(json!({"loginId": "grow", "customAttributes": {"s1": long(4096), "s2": long(4096), "s3": long(4096)}}))
        .await;
    let out = app
        .ok(
            "PATCH",
            "/v1/mgmt/user/patch/batch",
            json!({"users": [{"loginId": "grow", "customAttributes": {"s4": long(4096)}}]}),
        )
        .await;
    let failure = out["failedUsers"][0]["failure"].as_str().unwrap();
    assert!(failure.starts_with("user: would hold "), "{failure}");
    assert_eq!(app.load("grow").await.1["user"], before);
    let (_, all) = app
        .call("POST", "/v2/mgmt/user/search", json!({"limit": 100}))
        .await;
    assert_eq!(all["total"], 6, "only the users within their caps exist");
}

async fn the_catalog_has_caps(backend: Backend) {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    let cases = [
        (
            "/v1/mgmt/role/create",
            json!({"name": "r", "description": long(1025)}),
            "description: must be at most 1024 characters",
        ),
        (
            "/v1/mgmt/role/create",
            json!({"name": "r", "permissionNames": names("p", 501)}),
            "permissionNames: must hold at most 500 items, not 501",
        ),
        (
            "/v1/mgmt/permission/create",
            json!({"name": "p", "description": long(1025)}),
            "description: must be at most 1024 characters",
        ),
        (
            "/v1/mgmt/tenant/create",
            json!({"name": "T", "selfProvisioningDomains": names("d", 501)}),
            "selfProvisioningDomains: must hold at most 500 items, not 501",
        ),
        (
            "/v1/mgmt/tenant/create",
            json!({"name": "T", "federatedAppIds": [long(257)]}),
            "federatedAppIds[0]: must be at most 256 characters",
        ),
        (
            "/v1/mgmt/tenant/create",
            json!({"name": "T", "customAttributes": {"a": long(17_000)}}),
            "customAttributes: must take at most 16384 bytes as JSON, not 17008",
        ),
        (
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [{"name": "a", "type": "singleselect", "options": names("o", 501)}]}),
            "attributes[0].options: must hold at most 500 items, not 501",
        ),
        (
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [{"name": "a", "type": "string", "defaultValue": long(4097)}]}),
            "attributes[0].defaultValue: must be at most 4096 characters",
        ),
    ];
    for (path, body, expected) in cases {
        let resp = app.call("POST", path, body).await;
        assert_eq!(assert_error(&resp, 400, "E011003"), expected, "{path}");
    }
    let (_, roles) = app.get("/v1/mgmt/role/all").await;
    assert_eq!(
        roles["roles"].as_array().unwrap().len(),
        3,
        "nothing was created"
    );
}

async fn searches_have_caps(backend: Backend) {
    let app = TestApp::on(backend).await;
    let resp = app
        .call("POST", "/v2/mgmt/user/search", json!({"text": long(257)}))
        .await;
    assert_eq!(
        assert_error(&resp, 400, "E011003"),
        "text: must be at most 256 characters"
    );
    let resp = app
        .call(
            "POST",
            "/v2/mgmt/user/search",
            json!({"loginIds": names("l", 10_001)}),
        )
        .await;
    assert_eq!(
        assert_error(&resp, 400, "E011003"),
        "loginIds: must hold at most 10000 items, not 10001"
    );
    // At the caps, a search answers (and finds nothing).
    let (status, body) = app
        .call(
            "POST",
            "/v2/mgmt/user/search",
            json!({"text": long(256), "loginIds": names("l", 10_000), "emails": names("e", 10_000)}),
        )
        .await;
    assert_eq!((status.as_u16(), body["total"].clone()), (200, json!(0)));
}

async fn every_batch_endpoint_has_an_item_limit(backend: Backend) {
    let app = TestApp::with_limits(
        backend,
        Limits {
            max_batch_items: 3,
            ..Limits::default()
        },
    )
    .await;
    app.seed_catalog().await;
    let four = |prefix: &str| names(prefix, 4);
    let roles: Vec<Value> = four("r").iter().map(|n| json!({"name": n})).collect();
    let perms: Vec<Value> = four("p").iter().map(|n| json!({"name": n})).collect();
    let attrs: Vec<Value> = four("a")
        .iter()
        .map(|n| json!({"name": n, "type": "string"}))
        .collect();
    let cases = [
        (
            "POST",
            "/v1/mgmt/users/load",
            json!({"userIds": four("U")}),
            "userIds",
        ),
        (
            "POST",
            "/v1/mgmt/user/delete/batch",
            json!({"userIds": four("U")}),
            "userIds",
        ),
        (
            "POST",
            "/v1/mgmt/role/create/batch",
            json!({"roles": roles}),
            "roles",
        ),
        (
            "POST",
            "/v1/mgmt/role/update/batch",
            json!({"roles": roles}),
            "roles",
        ),
        (
            "POST",
            "/v1/mgmt/role/delete/batch",
            json!({"roleNames": four("r")}),
            "roleNames and roleIds",
        ),
        (
            "POST",
            "/v1/mgmt/permission/create/batch",
            json!({"permissions": perms}),
            "permissions",
        ),
        (
            "POST",
            "/v1/mgmt/permission/update/batch",
            json!({"permissions": perms}),
            "permissions",
        ),
        (
            "POST",
            "/v1/mgmt/permission/delete/batch",
            json!({"names": four("p")}),
            "names and ids",
        ),
        (
            "POST",
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": attrs}),
            "attributes",
        ),
        (
            "POST",
            "/v1/mgmt/user/customattribute/delete",
            json!({"names": four("a")}),
            "names",
        ),
        (
            "POST",
            "/v1/mgmt/user/create/batch",
            json!({"users": four("u").iter().map(|l| json!({"loginId": l})).collect::<Vec<_>>()}),
            "users",
        ),
        (
            "PATCH",
            "/v1/mgmt/user/patch/batch",
            json!({"users": four("u").iter().map(|l| json!({"loginId": l})).collect::<Vec<_>>()}),
            "users",
        ),
    ];
    for (method, path, body, field) in cases {
        let resp = app.call(method, path, body).await;
        let message = assert_error(&resp, 413, "E990414");
        assert!(
            message.starts_with(&format!("{field}: 4 items is more than the 3")),
            "{path}: {message}"
        );
    }
    let (_, roles) = app.get("/v1/mgmt/role/all").await;
    assert_eq!(
        roles["roles"].as_array().unwrap().len(),
        3,
        "nothing changed"
    );
}

crate::each_backend!(
    every_user_field_has_a_cap,
    the_catalog_has_caps,
    searches_have_caps,
    every_batch_endpoint_has_an_item_limit,
    searches_are_cut_off_at_their_deadline,
);

/// Create `n` users through `create/batch`, 5,000 at a time.
async fn many_users(app: &TestApp, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
        let users: Vec<Value> = chunk
            .iter()
            .map(|i| json!({"loginId": format!("user{i:06}@example.com"), "name": format!("User {i}")}))
            .collect();
        app.ok(
            "POST",
            "/v1/mgmt/user/create/batch",
            json!({"users": users}),
        )
        .await;
    }
}

/// A search that runs past its deadline is stopped and answered 504; the next one runs
/// normally (the deadline does not stay on the connection).
async fn searches_are_cut_off_at_their_deadline(backend: Backend) {
    let slow = TestApp::with_limits(
        backend,
        Limits {
            search_timeout: std::time::Duration::from_millis(1),
            ..Limits::default()
        },
    )
    .await;
    many_users(&slow, 5_000).await;
    let heavy =
        json!({"text": "user", "sort": [{"field": "loginId", "desc": true}], "limit": 1000});
    let resp = slow
        .call("POST", "/v2/mgmt/user/search", heavy.clone())
        .await;
    let message = assert_error(&resp, 504, "E990504");
    assert!(
        message.starts_with("search: took longer than the 0.001 s"),
        "{message}"
    );
    let (status, _) = slow
        .call("POST", "/v1/mgmt/user/create", json!({"loginId": "after"}))
        .await;
    assert_eq!(status, 200, "the store works after a stopped search");
    let (status, body) = slow.load("after").await;
    assert_eq!(status, 200, "{body}");
}

/// Checking a key never waits behind searches: with every read connection busy with
/// slow searches, a call that needs only authentication answers at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "timing: run alone, after the other tests (scripts/test does)"]
#[allow(
    clippy::disallowed_methods,
    reason = "the test times the server from outside; no rule reads this clock"
)]
async fn authentication_does_not_wait_behind_searches() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("auth.db").display());
    let store: std::sync::Arc<dyn roster_store::Store> =
        std::sync::Arc::new(roster_store_sqlite::SqliteStore::open(&url).await.unwrap());
    let app = std::sync::Arc::new(TestApp::on_store(store, Limits::default()).await);
    many_users(&app, 20_000).await;
    let heavy =
        json!({"text": "user", "sort": [{"field": "loginId", "desc": true}], "limit": 1000});
    let started = std::time::Instant::now();
    let (status, _) = app
        .call("POST", "/v2/mgmt/user/search", heavy.clone())
        .await;
    assert_eq!(status, 200);
    let one_search = started.elapsed();
    let mut searches = Vec::new();
    for _ in 0..8 {
        let app = app.clone();
        let heavy = heavy.clone();
        searches.push(tokio::spawn(async move {
            app.call("POST", "/v2/mgmt/user/search", heavy).await.0
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let started = std::time::Instant::now();
    let (status, body) = app.get("/v1/mgmt/license").await;
    let licence = started.elapsed();
    assert_eq!(status, 200, "{body}");
    for s in searches {
        assert_eq!(s.await.unwrap(), 200);
    }
    assert!(
        licence < one_search,
        "authenticating took {licence:?} while searches queued; one search alone takes {one_search:?}"
    );
}

/// `--rate-limit`: a project's requests beyond its allowance get 429 `E130429` with
/// `Retry-After` until its window ends; every counted answer says where the project
/// stands; projects are counted apart; requests with a wrong key are not counted
/// against the project, and repeated ones are slowed down, while a valid key is not.
#[tokio::test]
#[allow(
    clippy::disallowed_methods,
    reason = "the test times the answers from outside; no rule reads this clock"
)]
async fn projects_are_rate_limited_and_wrong_keys_slowed() {
    let app = TestApp::with_limits(
        Backend::Sqlite,
        Limits {
            rate_limit: Some(roster_api::rate::RateLimit::parse("3/60s").unwrap()),
            ..Limits::default()
        },
    )
    .await;
    let wrong = format!("Bearer {}:not-the-key", crate::helpers::PROJECT);
    let mut waits = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let resp = app
            .send_as(Some(&wrong), "GET", "/v1/mgmt/license", None)
            .await;
        waits.push(started.elapsed());
        assert_error(&resp, 401, "E990401");
    }
    assert!(
        waits[..3]
            .iter()
            .all(|w| *w < std::time::Duration::from_millis(90)),
        "{waits:?}"
    );
    assert!(
        waits[3] >= std::time::Duration::from_millis(100),
        "{waits:?}"
    );
    assert!(
        waits[4] >= std::time::Duration::from_millis(200),
        "{waits:?}"
    );

    let auth = app.auth.clone();
    for remaining in ["2", "1", "0"] {
        let started = std::time::Instant::now();
        let (status, headers, _) = app
            .send_full(Some(&auth), "GET", "/v1/mgmt/license", None)
            .await;
        assert!(
            started.elapsed() < std::time::Duration::from_millis(90),
            "a valid key is never slowed"
        );
        assert_eq!(status, 200);
        assert_eq!(headers["ratelimit-limit"], "3");
        assert_eq!(headers["ratelimit-remaining"], remaining);
        assert_eq!(headers["ratelimit-reset"], "60");
    }
    app.clock.advance(15_000);
    let (status, headers, body) = app
        .send_full(
            Some(&auth),
            "POST",
            "/v2/mgmt/user/search",
            Some("{}".into()),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["errorCode"].as_str()),
        (429, Some("E130429")),
        "{body}"
    );
    assert_eq!(headers["retry-after"], "45");
    assert_eq!(headers["ratelimit-remaining"], "0");
    let other = roster_domain::ids::ProjectId::parse("P2RosterOtherProject00000001").unwrap();
    app.store
        .create_project(
            &other,
            &roster_domain::names::Label::parse("other").unwrap(),
            crate::helpers::START,
        )
        .await
        .unwrap();
    let key = roster_domain::keys::ManagementKey::parse("other-key").unwrap();
    app.store
        .add_key(
            &other,
            &roster_store::StoredKey {
                id: roster_domain::ids::KeyId::from_stored("K1".into()),
                name: "other".into(),
                hash: key.hash(),
                created: crate::helpers::START,
                expires: None,
                revoked: None,
                read_only: false,
                permitted_ips: vec![],
                description: String::new(),
                active: true,
                rebac: Default::default(),
            },
            &origin(),
        )
        .await
        .unwrap();
    let (status, _) = app
        .send_as(
            Some("Bearer P2RosterOtherProject00000001:other-key"),
            "GET",
            "/v1/mgmt/license",
            None,
        )
        .await;
    assert_eq!(status, 200, "another project has its own allowance");
    app.clock.advance(45_000);
    let (status, headers, _) = app
        .send_full(Some(&auth), "GET", "/v1/mgmt/license", None)
        .await;
    assert_eq!(status, 200, "a new window");
    assert_eq!(headers["ratelimit-remaining"], "2");
}
