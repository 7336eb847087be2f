//! `roster_store::copy` between real stores: SQLite file to PostgreSQL and back, every
//! datum compared, not only the counts; a non-empty target refused; a copy that stops
//! half-way leaves the target empty, and a second run completes it.
//!
//! (The command line around it, with a store of 100,000 users, is tested in `binary`.)

use std::sync::Arc;

use roster_domain::audit::{AuditData, AuditRecord};
use roster_store::copy::{CopyError, Progress, copy_store};
use roster_store::{ExportTx, Store};
use roster_store_sqlite::SqliteStore;
use serde_json::json;

use crate::helpers::{Backend, PROJECT, TestApp, origin};

/// Progress that records what it was told; it can stop the copy by panicking once the
/// users are under way, as an interruption would.
#[derive(Default)]
struct Recorder {
    steps: Vec<String>,
    users: Vec<(u64, u64)>,
    fail_after_users: bool,
}

impl Progress for Recorder {
    fn step(&mut self, message: &str) {
        self.steps.push(message.to_string());
    }

    fn users(&mut self, done: u64, total: u64) {
        self.users.push((done, total));
        assert!(
            !(self.fail_after_users && done > 0),
            "interrupted on purpose"
        );
    }
}

/// A store with one of everything: two projects, keys (one revoked), permissions,
/// tenants (one a child), project and tenant roles, every attribute type, and users
/// with every field and list set, test users among them.
async fn rich_store(backend: Backend) -> TestApp {
    let app = TestApp::on(backend).await;
    app.seed_catalog().await;
    app.ok(
        "POST",
        "/v1/mgmt/tenant/create",
        json!({"id": "t1child", "name": "Child", "parent": "t1", "selfProvisioningDomains": ["x.com"],
               "customAttributes": {"tier": 2}}),
    )
    .await;
    app.ok(
        "POST",
        "/v1/mgmt/user/customattribute/create",
        json!({"attributes": [
            {"name": "plan", "type": "singleselect", "options": ["gold", "silver"]},
            {"name": "tags", "type": "multiselect", "options": ["a", "b"]},
            {"name": "born", "type": "date"}
        ]}),
    )
    .await;
    let mut users = Vec::new();
    for i in 0..30 {
        users.push(json!({
            "loginId": format!("user{i}@example.com"),
            "email": format!("user{i}@example.com"),
            "phone": if i % 3 == 0 { json!(format!("+1555000{i:04}")) } else { json!(null) },
            "name": format!("User {i}"),
            "givenName": "Given", "middleName": "M", "familyName": "Family",
            "picture": "https://example.com/p.png",
            "verifiedEmail": i % 2 == 0,
            "status": if i % 5 == 0 { "disabled" } else { "enabled" },
            "roleNames": if i % 2 == 0 { json!(["admin", "viewer"]) } else { json!(["viewer"]) },
            "userTenants": [
                {"tenantId": "t1", "roleNames": ["editor", "viewer"]},
                {"tenantId": "t1child"}
            ],
            "ssoAppIds": ["app1"],
            "additionalLoginIds": [format!("alias{i}")],
            "customAttributes": {"age": i, "nick": "n", "vip": true, "plan": "gold", "tags": ["a", "b"]},
            "test": i % 7 == 0,
        }));
    }
    app.ok(
        "POST",
        "/v1/mgmt/user/create/batch",
        json!({"users": users}),
    )
    .await;
    app.ok(
        "PATCH",
        "/v1/mgmt/user/patch/batch",
        json!({"users": [{"loginId": "user1@example.com", "name": "Patched"}]}),
    )
    .await;
    // What only the one-purpose endpoints set: a password (its hash), recovery email and
    // phone, tenant settings and default roles.
    app.ok(
        "POST",
        "/v1/mgmt/user/password/set/temporary",
        json!({"loginId": "user3@example.com", "password": "Copy-me-1"}),
    )
    .await;
    app.ok(
        "POST",
        "/v1/mgmt/user/update/recovery/email",
        json!({"loginId": "user4@example.com", "recoveryEmail": "r4@example.com", "verified": true}),
    )
    .await;
    app.ok(
        "POST",
        "/v1/mgmt/user/update/recovery/phone",
        json!({"loginId": "user4@example.com", "recoveryPhone": "+15550104"}),
    )
    .await;
    app.ok(
        "POST",
        "/v1/mgmt/tenant/settings",
        json!({"tenantId": "t1", "enabled": true, "sessionTokenExpiration": 15, "domains": ["a.io"]}),
    )
    .await;
    // A read-only key limited to addresses.
    app.store
        .add_key(
            &roster_domain::ids::ProjectId::parse(crate::helpers::PROJECT).unwrap(),
            &roster_store::StoredKey {
                id: roster_domain::ids::KeyId::from_stored("K2ReadOnlyCopyKey".into()),
                name: "read-only".into(),
                hash: roster_domain::keys::ManagementKey::parse("a-read-only-key")
                    .unwrap()
                    .hash(),
                created: crate::helpers::START,
                expires: Some(roster_domain::time::Millis(
                    crate::helpers::START.0 + 60_000,
                )),
                revoked: None,
                read_only: true,
                permitted_ips: vec![
                    roster_domain::keys::IpRange::parse("10.0.0.0/8").unwrap(),
                    roster_domain::keys::IpRange::parse("2001:db8::1").unwrap(),
                ],
                description: "dashboards".into(),
                active: false,
                rebac: serde_json::json!({"companyRoles": ["Read Only"]})
                    .as_object()
                    .cloned()
                    .unwrap(),
            },
            &origin(),
        )
        .await
        .unwrap();
    app.ok(
        "POST",
        "/v1/mgmt/tenant/updateDefaultRoles",
        json!({"id": "t1", "defaultRoles": ["viewer"]}),
    )
    .await;
    app
}

/// Everything an export shows, as comparable text.
async fn snapshot(store: &dyn Store) -> Vec<String> {
    let mut ex: Box<dyn ExportTx> = store.begin_export().await.unwrap();
    let mut out = vec![format!("{:?}", ex.counts().await.unwrap())];
    for p in ex.projects().await.unwrap() {
        out.push(format!("{p:?}"));
        out.push(format!("{:?}", ex.keys(&p.id).await.unwrap()));
        out.push(format!("{:?}", ex.permissions(&p.id).await.unwrap()));
        out.push(format!("{:?}", ex.tenants(&p.id).await.unwrap()));
        out.push(format!("{:?}", ex.roles(&p.id).await.unwrap()));
        out.push(format!("{:?}", ex.attributes(&p.id).await.unwrap()));
    }
    let mut after = None;
    loop {
        let page = ex.users(after, 7).await.unwrap();
        // A password hash prints redacted; compare the stored text too.
        out.extend(page.users.iter().map(|u| {
            let hash =
                u.1.password_hash
                    .as_ref()
                    .map(|h| h.as_stored().to_string());
            format!("{u:?} {hash:?}")
        }));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    // The audit trail, record by record, in the order it was written.
    let mut after = None;
    loop {
        let page = ex.audit(after, 7).await.unwrap();
        // `data` compared as JSON: PostgreSQL gives it back with its own spacing.
        out.extend(page.records.iter().map(|(p, r)| {
            let data = AuditData::from_map(&r.data.to_map());
            format!("{p:?} {:?}", AuditRecord { data, ..r.clone() })
        }));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    out
}

async fn sqlite_file(dir: &tempfile::TempDir, name: &str) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.path().join(name).display());
    Arc::new(SqliteStore::open(&url).await.unwrap())
}

/// SQLite to SQLite always; through PostgreSQL and back when there is one. Every datum
/// arrives, and the copies answer the API exactly as the original does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_holds_everything_and_answers_alike() {
    let dir = tempfile::tempdir().unwrap();
    let source = rich_store(Backend::Sqlite).await;
    let file = sqlite_file(&dir, "copy.db").await;
    let mut chain: Vec<Arc<dyn Store>> = vec![source.store.clone(), file];
    if crate::postgres::server_url().is_some() {
        chain.insert(1, crate::postgres::fresh_store().await);
    }
    let want = snapshot(source.store.as_ref()).await;
    let search =
        json!({"withTestUser": true, "sort": [{"field": "email", "desc": true}], "limit": 100});
    let want_search = source
        .ok("POST", "/v2/mgmt/user/search", search.clone())
        .await;
    for pair in chain.windows(2) {
        let mut progress = Recorder::default();
        let checks = copy_store(pair[0].as_ref(), pair[1].as_ref(), &mut progress)
            .await
            .unwrap();
        assert!(checks.iter().all(|c| c.source == c.target), "{checks:?}");
        assert_eq!(
            checks.iter().find(|c| c.table == "users").unwrap().target,
            30
        );
        assert_eq!(progress.users.last(), Some(&(30, 30)));
        assert!(
            checks
                .iter()
                .find(|c| c.table == "audit_records")
                .unwrap()
                .target
                > 30
        );
        assert_eq!(snapshot(pair[1].as_ref()).await, want, "{:?}", pair[1]);
        let copy = TestApp::on_store(pair[1].clone(), Default::default()).await;
        assert_eq!(
            copy.ok("POST", "/v2/mgmt/user/search", search.clone())
                .await,
            want_search
        );
        let (status, _) = copy.load("alias3").await;
        assert_eq!(status, 200, "the key and the login IDs came along");
    }
}

/// A target that holds anything is refused and left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_is_not_empty_is_refused() {
    let source = rich_store(Backend::Sqlite).await;
    let target = TestApp::on(Backend::Sqlite).await;
    let before = snapshot(target.store.as_ref()).await;
    let err = copy_store(
        source.store.as_ref(),
        target.store.as_ref(),
        &mut Recorder::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CopyError::TargetNotEmpty(_)), "{err}");
    assert!(err.to_string().contains("projects: 1 row,"), "{err}");
    assert_eq!(snapshot(target.store.as_ref()).await, before);
    assert!(
        target
            .store
            .project_exists(&roster_domain::ids::ProjectId::parse(PROJECT).unwrap())
            .await
            .unwrap()
    );
}

/// A copy stopped half-way (here by a panic once users are being written) commits
/// nothing; running it again completes it.
async fn an_interrupted_copy_leaves_nothing(backend: Backend) {
    let source = rich_store(Backend::Sqlite).await;
    let target = backend.store().await;
    let (from, to) = (source.store.clone(), target.clone());
    let stopped = tokio::spawn(async move {
        let mut progress = Recorder {
            fail_after_users: true,
            ..Recorder::default()
        };
        copy_store(from.as_ref(), to.as_ref(), &mut progress).await
    })
    .await;
    assert!(stopped.is_err(), "the copy was stopped");
    let empty = snapshot(target.as_ref()).await;
    assert!(
        empty[0].contains("rows: 0") && !empty[0].contains("rows: 1"),
        "{empty:?}"
    );
    copy_store(
        source.store.as_ref(),
        target.as_ref(),
        &mut Recorder::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        snapshot(target.as_ref()).await,
        snapshot(source.store.as_ref()).await
    );
}

crate::each_backend!(an_interrupted_copy_leaves_nothing);
