//! The SDK's one-purpose changes as a store sees them: the user fields only they set
//! (password hash, recovery email and phone) are written and read back whole, a login ID
//! rename frees the old ID, and tenant changes are applied to the tenant as it stands.
//! And the changes a catalog change makes to users (cascades) move their versions.

use roster_domain::change::{self, ListOp};
use roster_domain::password::Password;
use roster_domain::patch::PasswordChange;

use super::*;

fn item(selector: &str, patch: UserPatch) -> PatchItem {
    PatchItem::Ready {
        selector: selector.to_string(),
        patch,
    }
}

async fn apply_one(store: &dyn Store, p: &ProjectId, selector: &str, change: UserPatch) -> User {
    match patch(store, p, vec![item(selector, change)], NOW)
        .await
        .pop()
        .unwrap()
    {
        PatchOutcome::Patched(u) => (*u).clone(),
        other => panic!("the change of {selector} failed: {other:?}"),
    }
}

pub async fn user_changes_round_trip(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    create(store, &p, "ana@x.io", RawUserPatch::default()).await;
    create(store, &p, "bo@x.io", RawUserPatch::default()).await;

    let hash = Password::parse("s3cret!").unwrap().hash(&ids()).unwrap();
    let temp = change::password(PasswordChange::Set {
        hash: hash.clone(),
        expired: true,
    });
    let u = apply_one(store, &p, "ana@x.io", temp).await;
    assert_eq!(u.version, 2);
    let mut rec = change::recovery_email(Some("r@x.io"), Some(true)).unwrap();
    rec.recovery_phone = change::recovery_phone(Some("+1 555 0100"), None)
        .unwrap()
        .recovery_phone;
    apply_one(store, &p, "ana@x.io", rec).await;
    let stored = must_load(store, &p, "ana@x.io").await;
    assert!(stored.has_password && stored.password_expired);
    assert_eq!(stored.password_hash.as_ref(), Some(&hash));
    assert!(stored.password_hash.as_ref().unwrap().verify("s3cret!"));
    assert_eq!(
        stored.recovery_email.as_ref().map(|e| e.as_str()),
        Some("r@x.io")
    );
    assert!(stored.verified_recovery_email);
    assert_eq!(
        stored.recovery_phone.as_ref().map(|p| p.as_str()),
        Some("+15550100")
    );
    assert!(!stored.verified_recovery_phone);
    assert_eq!(stored.version, 3);

    // Renaming a login ID frees the old one; taking another user's fails the item.
    let renamed = apply_one(
        store,
        &p,
        "ana@x.io",
        change::login_id("ana@x.io", Some("ann@x.io")).unwrap(),
    )
    .await;
    assert_eq!(logins(&renamed), ["ann@x.io"]);
    assert!(load(store, &p, "ana@x.io").await.is_none());
    assert_eq!(
        logins(&must_load(store, &p, "ann@x.io").await),
        ["ann@x.io"]
    );
    create(store, &p, "ana@x.io", RawUserPatch::default()).await;
    let out = patch(
        store,
        &p,
        vec![item(
            "ann@x.io",
            change::login_id("ann@x.io", Some("bo@x.io")).unwrap(),
        )],
        NOW,
    )
    .await;
    match &out[0] {
        PatchOutcome::Failed { failure, .. } => {
            assert_eq!(failure.error.code, ErrorCode::AlreadyExists);
        }
        other => panic!("taking bo@x.io should fail, not {other:?}"),
    }

    // Tenant roles added join the tenant; removing the tenant drops its roles.
    let u = apply_one(
        store,
        &p,
        "bo@x.io",
        change::roles(ListOp::Add, Some("t1"), vec!["editor".into()]).unwrap(),
    )
    .await;
    assert_eq!(u.tenants.len(), 1);
    let stored = must_load(store, &p, "bo@x.io").await;
    assert_eq!(stored.tenants, u.tenants);
    assert_eq!(stored.tenants[0].role_names[0].as_str(), "editor");
    apply_one(
        store,
        &p,
        "bo@x.io",
        change::tenant(false, Some("t1")).unwrap(),
    )
    .await;
    assert!(must_load(store, &p, "bo@x.io").await.tenants.is_empty());
}

pub async fn tenant_changes_keep_the_rest(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let t1 = tenant_id("t1");
    let mut settings = Map::new();
    settings.insert("enabled".into(), json!(true));
    settings.insert("sessionTokenExpiration".into(), json!(30));
    let patch1 = TenantPatch {
        disabled: Some(true),
        settings,
        ..TenantPatch::default()
    };
    store
        .update_tenant(&p, &t1, &TenantChange::Patch(patch1), &origin())
        .await
        .unwrap();
    let t = store.load_tenant(&p, &t1).await.unwrap().unwrap();
    assert_eq!(t.spec.name.as_str(), "Tenant One", "a patch keeps the name");
    assert!(t.spec.disabled);
    assert_eq!(
        t.spec.settings.get("sessionTokenExpiration"),
        Some(&json!(30))
    );

    let mut more = Map::new();
    more.insert("sessionTokenExpiration".into(), json!(60));
    let patch2 = TenantPatch {
        default_roles: Some(vec![RoleName::parse("viewer").unwrap()]),
        settings: more,
        ..TenantPatch::default()
    };
    store
        .update_tenant(&p, &t1, &TenantChange::Patch(patch2), &origin())
        .await
        .unwrap();
    let t = store.load_tenant(&p, &t1).await.unwrap().unwrap();
    assert_eq!(t.spec.settings.get("enabled"), Some(&json!(true)));
    assert_eq!(
        t.spec.settings.get("sessionTokenExpiration"),
        Some(&json!(60))
    );
    assert_eq!(t.spec.default_roles[0].as_str(), "viewer");

    // A full update replaces the tenant's fields but not its settings.
    store
        .update_tenant(
            &p,
            &t1,
            &TenantChange::Replace(tenant_spec("Renamed")),
            &origin(),
        )
        .await
        .unwrap();
    let t = store.load_tenant(&p, &t1).await.unwrap().unwrap();
    assert_eq!(t.spec.name.as_str(), "Renamed");
    assert!(!t.spec.disabled && t.spec.default_roles.is_empty());
    assert_eq!(t.spec.settings.get("enabled"), Some(&json!(true)));

    let e = store
        .update_tenant(
            &p,
            &tenant_id("nope"),
            &TenantChange::Patch(TenantPatch::default()),
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TenantNotFound);
    // A patch that would take another tenant's name changes nothing.
    let e = store
        .update_tenant(
            &p,
            &t1,
            &TenantChange::Patch(TenantPatch {
                name: Some(Label::parse("Tenant Two").unwrap()),
                disabled: Some(true),
                ..TenantPatch::default()
            }),
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    let t = store.load_tenant(&p, &t1).await.unwrap().unwrap();
    assert!(!t.spec.disabled, "a refused patch changes nothing");
}

pub async fn racing_tenant_patches_lose_nothing(store: Arc<dyn Store>) {
    let p = fixture(&*store).await;
    let keys = [
        "refreshTokenExpiration",
        "sessionTokenExpiration",
        "stepupTokenExpiration",
        "inactivityTime",
    ];
    let mut tasks = Vec::new();
    for (i, key) in keys.into_iter().enumerate() {
        for round in 0..5u64 {
            let store = store.clone();
            let p = p.clone();
            tasks.push(tokio::spawn(async move {
                let mut settings = Map::new();
                settings.insert(key.into(), json!(i as u64 * 100 + round));
                store
                    .update_tenant(
                        &p,
                        &tenant_id("t1"),
                        &TenantChange::Patch(TenantPatch {
                            settings,
                            ..TenantPatch::default()
                        }),
                        &origin(),
                    )
                    .await
                    .unwrap();
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let t = store
        .load_tenant(&p, &tenant_id("t1"))
        .await
        .unwrap()
        .unwrap();
    for key in keys {
        assert!(
            t.spec.settings.contains_key(key),
            "the setting {key} was lost to a concurrent patch"
        );
    }
}

/// A cascade is a change: renaming or deleting a role, deleting a tenant and deleting an
/// attribute definition move `version` (by one) and `modifiedTime` of every user they
/// change, and of no other.
pub async fn cascades_move_versions(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let fields = RawUserPatch {
        role_names: list(&["admin"]),
        user_tenants: Setting::Set(vec![RawTenantAssignment {
            tenant_id: s("t1"),
            role_names: list(&["editor", "viewer"]),
        }]),
        custom_attributes: obj(json!({"age": 3, "nick": "a"})),
        ..RawUserPatch::default()
    };
    let ann = create(store, &p, "ann@x.io", fields).await;
    let bob = create(store, &p, "bob@x.io", RawUserPatch::default()).await;
    let state = |u: &User| (u.version, u.modified);
    let mut now = NOW;
    let mut expect = state(&ann);
    let step = |now: &mut Millis| {
        *now = Millis(now.0 + 1_000);
        *now
    };

    // Deleting two attributes the user has changes it once.
    let when = step(&mut now);
    store
        .delete_attributes(&p, &["age".into(), "nick".into()], &at(when))
        .await
        .unwrap();
    expect = (expect.0 + 1, when);
    let a = must_load(store, &p, "ann@x.io").await;
    assert_eq!((state(&a), a.custom_attributes.len()), (expect, 0));

    // Renaming a role changes its holders; an update that keeps the name does not.
    let rename = |to: &str| RoleUpdate {
        target: RoleRef::Name {
            name: RoleName::parse("admin").unwrap(),
            tenant_id: None,
        },
        new_name: Some(RoleName::parse(to).unwrap()),
        description: String::new(),
        permission_names: vec![],
        default: false,
        private: false,
    };
    let when = step(&mut now);
    store
        .update_roles(&p, &[rename("admin")], &at(when))
        .await
        .unwrap();
    assert_eq!(state(&must_load(store, &p, "ann@x.io").await), expect);
    store
        .update_roles(&p, &[rename("boss")], &at(when))
        .await
        .unwrap();
    expect = (expect.0 + 1, when);
    let a = must_load(store, &p, "ann@x.io").await;
    assert_eq!((state(&a), a.role_names[0].as_str()), (expect, "boss"));

    // Deleting a role the user holds in a tenant changes it.
    let when = step(&mut now);
    store
        .delete_roles(
            &p,
            &[RoleRef::Name {
                name: RoleName::parse("editor").unwrap(),
                tenant_id: Some(tenant_id("t1")),
            }],
            false,
            &at(when),
        )
        .await
        .unwrap();
    expect = (expect.0 + 1, when);
    let a = must_load(store, &p, "ann@x.io").await;
    assert_eq!(state(&a), expect);
    assert_eq!(a.tenants[0].role_names.len(), 1);

    // Deleting a tenant changes its members.
    let when = step(&mut now);
    store
        .delete_tenant(&p, &tenant_id("t1"), false, &at(when))
        .await
        .unwrap();
    expect = (expect.0 + 1, when);
    let a = must_load(store, &p, "ann@x.io").await;
    assert_eq!((state(&a), a.tenants.len()), (expect, 0));

    // Bob had none of it: nothing moved.
    assert_eq!(state(&must_load(store, &p, "bob@x.io").await), state(&bob));
}
