//! Tenants, roles and permissions (custom attribute definitions are in `attributes`).

use super::*;

pub async fn tenants(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let dup = store
        .create_tenant(&p, &tenant_id("t1"), &tenant_spec("Other"), &origin())
        .await
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::AlreadyExists);
    assert!(dup.message.starts_with("id:"), "{dup}");
    let dup = store
        .create_tenant(&p, &tenant_id("t3"), &tenant_spec("Tenant One"), &origin())
        .await
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::AlreadyExists);
    assert!(dup.message.starts_with("name:"), "{dup}");
    let mut child = tenant_spec("Child");
    child.parent = Some(tenant_id("nope"));
    let e = store
        .create_tenant(&p, &tenant_id("c"), &child, &origin())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailure);
    child.parent = Some(tenant_id("t1"));
    child.custom_attributes = json!({"region": "eu"}).as_object().cloned().unwrap();
    child.self_provisioning_domains = vec!["child.example".into()];
    store
        .create_tenant(&p, &tenant_id("c"), &child, &origin())
        .await
        .unwrap();
    let t1 = store
        .load_tenant(&p, &tenant_id("t1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t1.successors, vec![tenant_id("c")]);
    let c = store
        .load_tenant(&p, &tenant_id("c"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((c.spec.clone(), c.created), (child.clone(), NOW));

    let mut renamed = tenant_spec("Tenant Uno");
    renamed.disabled = true;
    store
        .update_tenant(
            &p,
            &tenant_id("t1"),
            &TenantChange::Replace(renamed.clone()),
            &origin(),
        )
        .await
        .unwrap();
    let t1 = store
        .load_tenant(&p, &tenant_id("t1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (t1.spec.name.as_str(), t1.spec.disabled),
        ("Tenant Uno", true)
    );
    let e = store
        .update_tenant(
            &p,
            &tenant_id("zz"),
            &TenantChange::Replace(renamed.clone()),
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TenantNotFound);
    let e = store
        .update_tenant(
            &p,
            &tenant_id("t2"),
            &TenantChange::Replace(renamed.clone()),
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    assert_eq!(
        store
            .catalog(&p)
            .await
            .unwrap()
            .tenant_name(&tenant_id("t1")),
        "Tenant Uno"
    );

    // Deleting a tenant removes its memberships and its roles; cascade removes the
    // users it leaves with no tenant.
    create(
        store,
        &p,
        "only-t1",
        RawUserPatch {
            user_tenants: Setting::Set(vec![RawTenantAssignment {
                tenant_id: s("t1"),
                role_names: list(&["editor"]),
            }]),
            ..Default::default()
        },
    )
    .await;
    create(
        store,
        &p,
        "both",
        RawUserPatch {
            user_tenants: Setting::Set(vec![
                RawTenantAssignment {
                    tenant_id: s("t1"),
                    role_names: list(&["editor"]),
                },
                RawTenantAssignment {
                    tenant_id: s("t2"),
                    role_names: Setting::NotSet,
                },
            ]),
            ..Default::default()
        },
    )
    .await;
    store
        .delete_tenant(&p, &tenant_id("t1"), false, &origin())
        .await
        .unwrap();
    let only = must_load(store, &p, "only-t1").await;
    assert!(only.tenants.is_empty());
    let both = must_load(store, &p, "both").await;
    assert_eq!(both.tenants.len(), 1);
    assert!(
        store
            .all_roles(&p)
            .await
            .unwrap()
            .iter()
            .all(|r| r.name.as_str() != "editor")
    );
    assert_eq!(
        store
            .load_tenant(&p, &tenant_id("c"))
            .await
            .unwrap()
            .unwrap()
            .spec
            .parent,
        None
    );
    let e = store
        .delete_tenant(&p, &tenant_id("t1"), false, &origin())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TenantNotFound);

    store
        .delete_tenant(&p, &tenant_id("t2"), true, &origin())
        .await
        .unwrap();
    assert!(
        load(store, &p, "both").await.is_none(),
        "cascade deletes users left without a tenant"
    );
    assert!(
        load(store, &p, "only-t1").await.is_some(),
        "cascade spares users of no tenant"
    );
    let all = store.all_tenants(&p).await.unwrap();
    assert_eq!(all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["c"]);
}

pub async fn roles(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let e = store
        .create_roles(
            &p,
            &[(RoleId::generate(&ids()), role_spec("admin", None, &[]))],
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    // The same name is fine in a tenant; a batch is all or nothing.
    let e = store
        .create_roles(
            &p,
            &[
                (
                    RoleId::generate(&ids()),
                    role_spec("admin", Some("t2"), &[]),
                ),
                (
                    RoleId::generate(&ids()),
                    role_spec("x", None, &["no.such.permission"]),
                ),
            ],
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailure);
    assert!(
        store
            .all_roles(&p)
            .await
            .unwrap()
            .iter()
            .all(|r| r.tenant_id.is_none() || r.name.as_str() != "admin")
    );
    let e = store
        .create_roles(
            &p,
            &[(RoleId::generate(&ids()), role_spec("r", Some("t9"), &[]))],
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailure);
    store
        .create_roles(
            &p,
            &[(
                RoleId::generate(&ids()),
                role_spec("admin", Some("t2"), &["users.read"]),
            )],
            &origin(),
        )
        .await
        .unwrap();

    create(
        store,
        &p,
        "u",
        RawUserPatch {
            role_names: list(&["admin", "viewer"]),
            user_tenants: Setting::Set(vec![RawTenantAssignment {
                tenant_id: s("t2"),
                role_names: list(&["admin"]),
            }]),
            ..Default::default()
        },
    )
    .await;
    let catalog = store.catalog(&p).await.unwrap();
    let u = must_load(store, &p, "u").await;
    assert_eq!(
        catalog.tenant_permissions_of(&tenant_id("t2"), &u.tenants[0].role_names),
        ["users.read"],
        "the tenant's own role wins"
    );

    store
        .update_roles(
            &p,
            &[RoleUpdate {
                target: RoleRef::Name {
                    name: RoleName::parse("admin").unwrap(),
                    tenant_id: None,
                },
                new_name: Some(RoleName::parse("superuser").unwrap()),
                description: "renamed".into(),
                permission_names: vec![perm("users.read"), perm("users.write")],
                default: true,
                private: false,
            }],
            &origin(),
        )
        .await
        .unwrap();
    let u = must_load(store, &p, "u").await;
    assert_eq!(
        u.role_names.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        ["superuser", "viewer"],
        "renames are seen by users"
    );
    let roles = store.all_roles(&p).await.unwrap();
    let su = roles
        .iter()
        .find(|r| r.name.as_str() == "superuser")
        .unwrap();
    assert_eq!(
        (
            su.description.as_str(),
            su.default,
            su.permission_names.len()
        ),
        ("renamed", true, 2)
    );
    let e = store
        .update_roles(
            &p,
            &[RoleUpdate {
                target: RoleRef::Id(RoleId::from_stored("ROLnone".into())),
                new_name: None,
                description: String::new(),
                permission_names: vec![],
                default: false,
                private: false,
            }],
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleNotFound);
    let e = store
        .update_roles(
            &p,
            &[RoleUpdate {
                target: RoleRef::Id(su.id.clone()),
                new_name: Some(RoleName::parse("viewer").unwrap()),
                description: String::new(),
                permission_names: vec![],
                default: false,
                private: false,
            }],
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);

    store
        .delete_roles(&p, &[RoleRef::Id(su.id.clone())], false, &origin())
        .await
        .unwrap();
    let u = must_load(store, &p, "u").await;
    assert_eq!(
        u.role_names.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        ["viewer"],
        "deleted roles leave users"
    );
    let e = store
        .delete_roles(&p, &[RoleRef::Id(su.id.clone())], false, &origin())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleNotFound);
    store
        .delete_roles(&p, &[RoleRef::Id(su.id.clone())], true, &origin())
        .await
        .unwrap();
    store
        .delete_roles(
            &p,
            &[RoleRef::Name {
                name: RoleName::parse("admin").unwrap(),
                tenant_id: Some(tenant_id("t2")),
            }],
            false,
            &origin(),
        )
        .await
        .unwrap();
    let u = must_load(store, &p, "u").await;
    assert!(u.tenants[0].role_names.is_empty());
}

pub async fn permissions(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let e = store
        .create_permissions(
            &p,
            &[(
                PermissionId::generate(&ids()),
                perm("users.read"),
                String::new(),
            )],
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    store
        .update_permissions(
            &p,
            &[PermissionUpdate {
                target: PermissionRef::Name(perm("users.read")),
                new_name: Some(perm("users.view")),
                description: String::new(),
            }],
            &origin(),
        )
        .await
        .unwrap();
    let all = store.all_permissions(&p).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|p| (p.name.as_str(), p.description.as_str()))
            .collect::<Vec<_>>(),
        [("users.view", ""), ("users.write", "")]
    );
    let viewer = store
        .all_roles(&p)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name.as_str() == "viewer")
        .unwrap();
    assert_eq!(
        viewer.permission_names,
        vec![perm("users.view")],
        "renames are seen by roles"
    );
    let e = store
        .update_permissions(
            &p,
            &[PermissionUpdate {
                target: PermissionRef::Name(perm("users.view")),
                new_name: Some(perm("users.write")),
                description: String::new(),
            }],
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    store
        .delete_permissions(
            &p,
            &[PermissionRef::Id(all[0].id.clone())],
            false,
            &origin(),
        )
        .await
        .unwrap();
    let viewer = store
        .all_roles(&p)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name.as_str() == "viewer")
        .unwrap();
    assert!(
        viewer.permission_names.is_empty(),
        "deleted permissions leave roles"
    );
    let e = store
        .delete_permissions(
            &p,
            &[PermissionRef::Name(perm("users.view"))],
            false,
            &origin(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionNotFound);
    store
        .delete_permissions(
            &p,
            &[PermissionRef::Name(perm("users.view"))],
            true,
            &origin(),
        )
        .await
        .unwrap();
}

/// A project's catalog is kept between reads ([`crate::catalog_cache`]), and every
/// change of it, by any path (roles, their permission lists, permissions renamed or
/// deleted, tenants renamed or deleted with their roles, attribute definitions), is
/// seen by the very next read, and by the next batch, single or read ahead.
pub async fn catalog_changes_are_seen_at_once(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let other = fixture(store).await;
    let first = store.catalog(&p).await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &store.catalog(&p).await.unwrap()),
        "an unchanged catalog is read once"
    );
    let perms = |c: &roster_domain::catalog::Catalog, role: &str| -> Vec<String> {
        c.permissions_of(&[RoleName::parse(role).unwrap()])
    };

    store
        .create_roles(
            &p,
            &[(
                RoleId::generate(&ids()),
                role_spec("auditor", None, &["users.read"]),
            )],
            &origin(),
        )
        .await
        .unwrap();
    let c = store.catalog(&p).await.unwrap();
    assert_eq!(perms(&c, "auditor"), ["users.read"], "a role created");
    assert!(
        Arc::ptr_eq(&c, &store.catalog(&p).await.unwrap()),
        "kept again once read"
    );

    store
        .update_permissions(
            &p,
            &[PermissionUpdate {
                target: PermissionRef::Name(perm("users.read")),
                new_name: Some(perm("users.view")),
                description: String::new(),
            }],
            &origin(),
        )
        .await
        .unwrap();
    let c = store.catalog(&p).await.unwrap();
    assert_eq!(perms(&c, "auditor"), ["users.view"], "a permission renamed");

    store
        .update_roles(
            &p,
            &[RoleUpdate {
                target: RoleRef::Name {
                    name: RoleName::parse("auditor").unwrap(),
                    tenant_id: None,
                },
                new_name: None,
                description: "the auditor role".into(),
                permission_names: vec![perm("users.write")],
                default: false,
                private: false,
            }],
            &origin(),
        )
        .await
        .unwrap();
    let c = store.catalog(&p).await.unwrap();
    assert_eq!(perms(&c, "auditor"), ["users.write"], "a permission list");

    store
        .delete_permissions(
            &p,
            &[PermissionRef::Name(perm("users.write"))],
            false,
            &origin(),
        )
        .await
        .unwrap();
    let c = store.catalog(&p).await.unwrap();
    assert!(perms(&c, "auditor").is_empty(), "a permission deleted");

    store
        .update_tenant(
            &p,
            &tenant_id("t2"),
            &TenantChange::Replace(tenant_spec("Tenant Deux")),
            &origin(),
        )
        .await
        .unwrap();
    let c = store.catalog(&p).await.unwrap();
    assert_eq!(
        c.tenant_name(&tenant_id("t2")),
        "Tenant Deux",
        "a tenant renamed"
    );

    store
        .delete_tenant(&p, &tenant_id("t1"), false, &origin())
        .await
        .unwrap();
    let c = store.catalog(&p).await.unwrap();
    assert!(c.tenant("t1").is_none(), "a tenant deleted");
    assert!(c.tenant_role("t1", "editor").is_none(), "with its roles");

    store
        .create_attributes(&p, &[attr("team", AttributeType::String, &[])], &origin())
        .await
        .unwrap();
    assert!(store.catalog(&p).await.unwrap().attribute("team").is_some());
    store
        .update_attributes(
            &p,
            &[AttributeDef {
                display_name: "Squad".into(),
                ..attr("team", AttributeType::String, &[])
            }],
            &origin(),
        )
        .await
        .unwrap();
    let c = store.catalog(&p).await.unwrap();
    assert_eq!(c.attribute("team").unwrap().display_name, "Squad");
    store
        .delete_attributes(&p, &["team".to_string()], &origin())
        .await
        .unwrap();
    assert!(store.catalog(&p).await.unwrap().attribute("team").is_none());

    store
        .delete_roles(
            &p,
            &[RoleRef::Name {
                name: RoleName::parse("auditor").unwrap(),
                tenant_id: None,
            }],
            false,
            &origin(),
        )
        .await
        .unwrap();
    assert!(
        store
            .catalog(&p)
            .await
            .unwrap()
            .project_role("auditor")
            .is_none(),
        "a role deleted"
    );
    let other_catalog = store.catalog(&other).await.unwrap();
    assert!(
        other_catalog.tenant("t1").is_some() && other_catalog.project_role("admin").is_some(),
        "another project's catalog is its own"
    );

    // Batches, one user and many (read ahead where the store does), see a role made
    // after the catalog they would have kept.
    let logins: Vec<String> = (0..80).map(|i| format!("cat{i}@example.com")).collect();
    let items: Vec<CreateItem> = logins
        .iter()
        .map(|l| new_user(l, RawUserPatch::default()))
        .collect();
    create_users(store, &p, &items, &origin()).await.unwrap();
    for (n, role) in [(1, "late"), (80, "later")] {
        store.catalog(&p).await.unwrap();
        store
            .create_roles(
                &p,
                &[(RoleId::generate(&ids()), role_spec(role, None, &[]))],
                &origin(),
            )
            .await
            .unwrap();
        let items: Vec<PatchItem> = logins[..n]
            .iter()
            .map(|l| {
                ready(
                    l,
                    RawUserPatch {
                        role_names: list(&[role]),
                        ..Default::default()
                    },
                )
            })
            .collect();
        let outcomes = patch(store, &p, items, NOW).await;
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, PatchOutcome::Patched(_))),
            "a batch of {n} with the new role {role}: {outcomes:?}"
        );
        let u = must_load(store, &p, &logins[0]).await;
        assert_eq!(u.role_names, vec![RoleName::parse(role).unwrap()]);
    }
}

/// Two stores on one database (two nodes): a catalog one of them keeps gives way to a
/// change the other makes, at the next read. Not in [`checks!`](crate::checks), which
/// hands each check one store; the test binary calls it with two.
pub async fn catalog_changes_on_another_node_are_seen(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let p = fixture(&*a).await;
    assert!(a.catalog(&p).await.unwrap().project_role("ops").is_none());
    b.create_roles(
        &p,
        &[(
            RoleId::generate(&ids()),
            role_spec("ops", None, &["users.read"]),
        )],
        &origin(),
    )
    .await
    .unwrap();
    assert_eq!(
        a.catalog(&p)
            .await
            .unwrap()
            .permissions_of(&[RoleName::parse("ops").unwrap()]),
        ["users.read"],
        "the other node's new role"
    );
    b.delete_tenant(&p, &tenant_id("t2"), false, &origin())
        .await
        .unwrap();
    assert!(a.catalog(&p).await.unwrap().tenant("t2").is_none());
    // A batch on the first node sees the second's change too.
    create(&*a, &p, "n@example.com", RawUserPatch::default()).await;
    b.create_roles(
        &p,
        &[(RoleId::generate(&ids()), role_spec("night", None, &[]))],
        &origin(),
    )
    .await
    .unwrap();
    let out = patch(
        &*a,
        &p,
        vec![ready(
            "n@example.com",
            RawUserPatch {
                role_names: list(&["night"]),
                ..Default::default()
            },
        )],
        NOW,
    )
    .await;
    assert!(matches!(out[0], PatchOutcome::Patched(_)), "{out:?}");
}

/// A request's key check reads its project's catalog version with the keys
/// ([`crate::KeyRing`]), and the catalog a read renders with at that version
/// ([`crate::UserStore::catalog_seen`]) is the project's catalog when the check ran:
/// a change made before the check is seen, and a version the project has left is
/// never served, nor another project's catalog.
pub async fn the_key_check_sees_the_catalog_version(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let key = ManagementKey::generate(&ids());
    let stored = StoredKey::new(KeyId::generate(&ids()), "ci".into(), key.hash(), NOW);
    store.add_key(&p, &stored, &origin()).await.unwrap();
    let seen = || async {
        authenticate(store, &p, &key, None, NOW)
            .await
            .unwrap()
            .expect("the key opens its project")
            .catalog_version
    };
    let before = seen().await;
    assert!(
        before.is_some(),
        "a project with a key has a catalog version"
    );
    assert_eq!(store.key_ring(&p).await.unwrap().catalog_version, before);
    let c = store.catalog_seen(&p, before).await.unwrap();
    assert!(c.project_role("ops").is_none());
    assert!(
        Arc::ptr_eq(&c, &store.catalog_seen(&p, before).await.unwrap()),
        "the catalog is kept at the version seen"
    );

    store
        .create_roles(
            &p,
            &[(
                RoleId::generate(&ids()),
                role_spec("ops", None, &["users.read"]),
            )],
            &origin(),
        )
        .await
        .unwrap();
    let after = seen().await;
    assert_ne!(
        after, before,
        "a change of the catalog moves the version seen"
    );
    let ops = [RoleName::parse("ops").unwrap()];
    assert_eq!(
        store
            .catalog_seen(&p, after)
            .await
            .unwrap()
            .permissions_of(&ops),
        ["users.read"],
        "the catalog at the version seen after the change"
    );
    assert_eq!(
        store
            .catalog_seen(&p, before)
            .await
            .unwrap()
            .permissions_of(&ops),
        ["users.read"],
        "a version the project has left is never served"
    );

    let other = fixture(store).await;
    let theirs = store.catalog_seen(&other, after).await.unwrap();
    assert!(
        theirs.project_role("ops").is_none(),
        "another project's version opens only its own catalog"
    );
}
