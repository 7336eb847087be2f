//! Seed documents: applied twice (the second run changes nothing), exported and seeded
//! into an empty store (the same document comes back), errors named by their path in
//! the file, on both backends; and `roster serve --seed` from the real binary.

use roster_domain::audit::AuditQuery;
use roster_domain::ids::{ProjectId, SeededIds};
use roster_domain::time::ManualClock;
use roster_server::seed::{Applied, apply, export::export, parse};
use serde_json::{Value, json};

use crate::each_backend;
use crate::helpers::{Backend, START};
use crate::process::{Server, call};

each_backend!(
    seeding_twice_changes_nothing_and_exports_round_trip,
    problems_are_named_by_their_path
);

const PROJECT: &str = "P2RosterSeedTest000000000001";
const KEY: &str = "seed-test-management-key";

fn document() -> Value {
    json!({"projects": [{
        "id": PROJECT,
        "name": "Seeded",
        "managementKeys": [KEY],
        "permissions": [{"name": "users.read", "description": "Read users"}],
        "tenants": [
            {"id": "acme-eu", "name": "Acme EU", "parent": "acme"},
            {"id": "acme", "name": "Acme", "selfProvisioningDomains": ["acme.com"],
             "settings": {"authType": "saml", "domains": ["acme.com"],
                          "sessionTokenExpiration": 30, "sessionTokenExpirationUnit": "minutes"}}
        ],
        "roles": [
            {"name": "viewer", "description": "Sees", "permissionNames": ["users.read"]},
            {"name": "editor", "tenantId": "acme"}
        ],
        "customAttributes": [{"name": "plan", "type": "string", "displayName": "Plan"}],
        "users": [
            {"userId": "U-ann", "loginId": "ann@acme.com", "additionalLoginIds": ["+15551230001"],
             "email": "ann@acme.com", "name": "Ann", "roleNames": ["viewer"],
             "userTenants": [{"tenantId": "acme", "roleNames": ["editor"]}],
             "customAttributes": {"plan": "pro"}, "verifiedEmail": true},
            {"userId": "U-bob", "loginId": "bob@acme.com", "name": "Bob", "test": true}
        ]
    }]})
}

async fn seeding_twice_changes_nothing_and_exports_round_trip(backend: Backend) {
    let store = backend.store().await;
    let (ids, clock) = (SeededIds::new(7), ManualClock::new(START, 1));
    let doc = parse(&document().to_string()).unwrap();
    let first = apply(store.as_ref(), &doc, &ids, &clock).await.unwrap();
    // The project, its key, a permission, two tenants, two roles, an attribute, two users.
    assert_eq!(
        first,
        Applied {
            created: 10,
            changed: 0,
            unchanged: 0
        }
    );
    let project = ProjectId::parse(PROJECT).unwrap();
    let before = store
        .load_users(&project, &["U-ann".into(), "U-bob".into()])
        .await
        .unwrap();
    assert_eq!(before.len(), 2, "pinned IDs");
    let acme = roster_domain::ids::TenantId::parse("acme").unwrap();
    let settings_of_acme = || async {
        let acme = store.load_tenant(&project, &acme).await.unwrap().unwrap();
        acme.spec.settings
    };
    let settings = settings_of_acme().await;
    assert_eq!(settings["authType"], "saml");
    assert_eq!(settings["sessionTokenExpiration"], 30);
    assert_eq!(before[0].login_ids.len(), 2);

    let trail = || async {
        let all = AuditQuery::default().check().unwrap();
        store
            .search_audit(&project, &all, std::time::Duration::from_secs(10))
            .await
            .unwrap()
            .1
    };
    let recorded = trail().await;
    assert!(recorded >= 9, "the first run is recorded: {recorded}");

    clock.advance(60_000);
    let again = apply(store.as_ref(), &doc, &ids, &clock).await.unwrap();
    assert_eq!(trail().await, recorded, "a second run records nothing");
    assert_eq!(
        again,
        Applied {
            created: 0,
            changed: 0,
            unchanged: 10
        }
    );
    let after = store
        .load_users(&project, &["U-ann".into(), "U-bob".into()])
        .await
        .unwrap();
    assert_eq!(before, after, "a second run moves no version, no time");

    // A changed file changes what differs, and only that.
    let mut changed = document();
    changed["projects"][0]["users"][1]["name"] = json!("Robert");
    changed["projects"][0]["roles"][0]["description"] = json!("Sees all");
    changed["projects"][0]["tenants"][1]["settings"] = json!({"inactivityTime": 15});
    let third = apply(
        store.as_ref(),
        &parse(&changed.to_string()).unwrap(),
        &ids,
        &clock,
    )
    .await
    .unwrap();
    assert_eq!((third.created, third.changed), (0, 3));
    let settings = settings_of_acme().await;
    assert_eq!(
        (&settings["inactivityTime"], &settings["authType"]),
        (&json!(15), &json!("saml")),
        "the file's settings are set over the stored ones"
    );
    let bob = store
        .load_users(&project, &["U-bob".into()])
        .await
        .unwrap()
        .remove(0);
    assert_eq!((bob.name.as_str(), bob.version), ("Robert", 2));

    // Export, seed an empty store with it, export again: the same document.
    let exported = export(store.as_ref(), None).await.unwrap();
    let text = serde_json::to_string(&exported).unwrap();
    let other = backend.store().await;
    let copied = apply(other.as_ref(), &parse(&text).unwrap(), &ids, &clock)
        .await
        .unwrap();
    assert_eq!(
        copied.created, 9,
        "everything but the key, which is not exported"
    );
    let again = export(other.as_ref(), None).await.unwrap();
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        serde_json::to_value(&exported).unwrap()
    );
    let users = &serde_json::to_value(&exported).unwrap()["projects"][0]["users"];
    assert_eq!(users[0]["userId"], "U-ann");
    assert_eq!(users[0]["additionalLoginIds"], json!(["+15551230001"]));
    assert_eq!(users[0]["userTenants"][0]["roleNames"], json!(["editor"]));
    let tenants = &serde_json::to_value(&exported).unwrap()["projects"][0]["tenants"];
    let acme = tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "acme")
        .unwrap();
    assert_eq!(acme["settings"]["authType"], "saml");
    assert_eq!(acme["settings"]["inactivityTime"], 15);
}

async fn problems_are_named_by_their_path(backend: Backend) {
    let store = backend.store().await;
    let (ids, clock) = (SeededIds::new(8), ManualClock::new(START, 1));
    let fails = |doc: Value| {
        let store = store.clone();
        let (ids, clock) = (&ids, &clock);
        async move {
            let parsed = match parse(&doc.to_string()) {
                Ok(d) => d,
                Err(e) => return e.to_string(),
            };
            apply(store.as_ref(), &parsed, ids, clock)
                .await
                .map(|a| panic!("{doc} applied: {a}"))
                .unwrap_err()
                .to_string()
        }
    };
    let mut doc = document();
    doc["projects"][0]["users"][1]["email"] = json!("not-an-email");
    let e = fails(doc).await;
    assert!(e.starts_with("projects[0].users[1]"), "{e}");
    assert!(e.contains("not-an-email"), "{e}");

    let mut doc = document();
    doc["projects"][0]["roles"][1]["permissionNames"] = json!("users.read");
    let e = fails(doc).await;
    assert!(
        e.starts_with("projects[0].roles[1].permissionNames:"),
        "{e}"
    );

    let mut doc = document();
    doc["projects"][0]["tenants"][1]["settings"] =
        json!({"sessionTokenExpirationUnit": "fortnights"});
    let e = fails(doc).await;
    assert!(e.starts_with("projects[0].tenants[1].settings:"), "{e}");

    let mut doc = document();
    doc["projects"][0]["colour"] = json!("blue");
    assert!(
        fails(doc)
            .await
            .starts_with("projects[0].colour: unknown field")
    );

    let mut doc = document();
    doc["projects"][0]["users"][0]["userId"] = json!("U ann");
    assert!(fails(doc).await.starts_with("projects[0].users[0].userId:"));

    let mut doc = document();
    doc["projects"][0]["tenants"][0]["parent"] = json!("acme-eu");
    doc["projects"][0]["tenants"][1]["parent"] = json!("acme");
    assert!(fails(doc).await.contains("cycle"));

    // An attribute defined differently is refused, not changed in place.
    let mut doc = document();
    doc["projects"][0]["users"] = json!([]);
    apply(
        store.as_ref(),
        &parse(&doc.to_string()).unwrap(),
        &ids,
        &clock,
    )
    .await
    .unwrap();
    doc["projects"][0]["customAttributes"][0]["type"] = json!("number");
    let e = fails(doc).await;
    assert!(e.starts_with("projects[0].customAttributes[0]:"), "{e}");
    assert!(e.contains("defined differently"), "{e}");
}

/// `roster serve --seed`: the seed's key opens its project, and the store gets no
/// first-start project of its own.
#[tokio::test]
async fn serve_applies_its_seed_before_serving() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, document().to_string()).unwrap();
    let db = format!("sqlite://{}", dir.path().join("seeded.db").display());
    let server = Server::start(&db, &[("ROSTER_SEED", seed.to_str().unwrap())]);
    assert!(
        !server.stdout.contains("Management key"),
        "no first-start key: {}",
        server.stdout
    );
    let (status, body) = call(
        &server.url,
        &format!("Bearer {PROJECT}:{KEY}"),
        reqwest::Method::GET,
        "/v1/mgmt/user?loginId=ann@acme.com",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["userId"], "U-ann");
    assert_eq!(body["user"]["customAttributes"]["plan"], "pro");
}

/// The example seed of the README applies, twice, and the second time changes nothing.
#[tokio::test]
async fn the_readme_example_seed_applies() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/seed.json"
    ))
    .unwrap();
    let store = Backend::Sqlite.store().await;
    let (ids, clock) = (SeededIds::new(9), ManualClock::new(START, 1));
    let doc = parse(&text).unwrap();
    let first = apply(store.as_ref(), &doc, &ids, &clock).await.unwrap();
    assert_eq!((first.created, first.changed), (14, 0));
    let second = apply(store.as_ref(), &doc, &ids, &clock).await.unwrap();
    assert_eq!((second.created, second.changed), (0, 0));
}

/// Beyond loopback, a seed's short key is refused before anything is applied.
#[test]
fn a_short_seed_key_is_refused_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, document().to_string()).unwrap();
    let db = format!("sqlite://{}", dir.path().join("exposed.db").display());
    let out = std::process::Command::new(crate::process::BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--database-url", &db])
        .args(["--seed", seed.to_str().unwrap()])
        .env_remove("ROSTER_PROJECT_ID")
        .env_remove("ROSTER_MANAGEMENT_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("projects[0].managementKeys[0] is shorter than"),
        "{stderr}"
    );
}
