//! Users one at a time and in batches: creation, loading, login IDs, the patch rules
//! as a backend must keep them, deletion, and hostile text.

use super::*;

pub async fn create_and_load_users(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let made = create(
        store,
        &p,
        "ann@example.com",
        RawUserPatch {
            name: s("Ann Smith"),
            given_name: s("Ann"),
            family_name: s("Smith"),
            email: s("ann@example.com"),
            phone: s("+1-555-555-5555"),
            verified_email: Setting::Set(true),
            role_names: list(&["admin"]),
            user_tenants: Setting::Set(vec![RawTenantAssignment {
                tenant_id: s("t1"),
                role_names: list(&["editor", "viewer"]),
            }]),
            custom_attributes: obj(json!({"age": 41, "plan": "gold"})),
            additional_login_ids: list(&["ann"]),
            sso_app_ids: list(&["app1"]),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(made.status, UserStatus::Invited, "new users start invited");
    assert_eq!((made.version, made.created, made.modified), (1, NOW, NOW));
    let by_login = must_load(store, &p, "ann@example.com").await;
    assert_eq!(by_login, made, "what is loaded is what was created");
    assert_eq!(
        must_load(store, &p, "ann").await,
        made,
        "additional login IDs select too"
    );
    assert_eq!(
        must_load(store, &p, made.id.as_str()).await,
        made,
        "user IDs select too"
    );
    let by_id = store
        .load_user(&p, UserSelector::UserId(made.id.as_str()))
        .await
        .unwrap();
    assert_eq!(by_id.as_ref(), Some(&made));
    let not_by_login = store
        .load_user(&p, UserSelector::UserId("ann@example.com"))
        .await
        .unwrap();
    assert!(not_by_login.is_none(), "userId never matches a login ID");
    assert!(load(store, &p, "nobody").await.is_none());
    assert_eq!(made.phone.as_ref().unwrap().as_str(), "+15555555555");
    assert_eq!(logins(&made), ["ann@example.com", "ann"]);

    let loaded = store
        .load_users(&p, &[made.id.to_string(), "U-none".into()])
        .await
        .unwrap();
    assert_eq!(loaded, vec![made.clone()]);

    // Creation checks what a patch checks.
    let (out, _) = create_users(
        store,
        &p,
        &[
            new_user(
                "bad-role",
                RawUserPatch {
                    role_names: list(&["ghost"]),
                    ..Default::default()
                },
            ),
            new_user(
                "bad-attr",
                RawUserPatch {
                    custom_attributes: obj(json!({"age": "old"})),
                    ..Default::default()
                },
            ),
            new_user(
                "bad-tenant",
                RawUserPatch {
                    user_tenants: Setting::Set(vec![RawTenantAssignment {
                        tenant_id: s("t9"),
                        role_names: Setting::NotSet,
                    }]),
                    ..Default::default()
                },
            ),
            new_user(
                "bad-plan",
                RawUserPatch {
                    custom_attributes: obj(json!({"plan": "bronze"})),
                    ..Default::default()
                },
            ),
            new_user(
                "test-status",
                RawUserPatch {
                    status: s("enabled"),
                    ..Default::default()
                },
            ),
        ],
        &origin(),
    )
    .await
    .unwrap();
    for (i, o) in out.iter().take(4).enumerate() {
        match o {
            CreateOutcome::Failed { error, .. } => {
                assert_eq!(error.code, ErrorCode::ValidationFailure, "item {i}")
            }
            CreateOutcome::Created(u) => panic!("item {i} should fail, created {u:?}"),
        }
    }
    match &out[4] {
        CreateOutcome::Created(u) => assert_eq!(u.status, UserStatus::Enabled),
        other => panic!("{other:?}"),
    }
    assert!(
        load(store, &p, "bad-role").await.is_none(),
        "a failed creation writes nothing"
    );
}

pub async fn login_ids_are_unique(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let a = create(
        store,
        &p,
        "a",
        RawUserPatch {
            additional_login_ids: list(&["a2"]),
            ..Default::default()
        },
    )
    .await;
    let (out, _) = create_users(
        store,
        &p,
        &[
            new_user("a", RawUserPatch::default()),
            new_user("a2", RawUserPatch::default()),
            new_user("b", RawUserPatch::default()),
            new_user("b", RawUserPatch::default()),
            new_user(
                "c",
                RawUserPatch {
                    additional_login_ids: list(&["a"]),
                    ..Default::default()
                },
            ),
        ],
        &origin(),
    )
    .await
    .unwrap();
    let codes: Vec<Option<ErrorCode>> = out
        .iter()
        .map(|o| match o {
            CreateOutcome::Created(_) => None,
            CreateOutcome::Failed { error, .. } => Some(error.code),
        })
        .collect();
    assert_eq!(
        codes,
        [
            Some(ErrorCode::AlreadyExists),
            Some(ErrorCode::AlreadyExists),
            None,
            Some(ErrorCode::AlreadyExists),
            Some(ErrorCode::AlreadyExists),
        ]
    );
    // Patching a login ID onto another user fails that item only.
    let out = patch(
        store,
        &p,
        vec![
            ready(
                "b",
                RawUserPatch {
                    additional_login_ids: list(&["a2"]),
                    name: s("x"),
                    ..Default::default()
                },
            ),
            ready(
                "b",
                RawUserPatch {
                    name: s("kept"),
                    ..Default::default()
                },
            ),
        ],
        NOW,
    )
    .await;
    assert!(
        matches!(&out[0], PatchOutcome::Failed { failure, .. } if failure.error.code == ErrorCode::AlreadyExists)
    );
    assert!(matches!(&out[1], PatchOutcome::Patched(u) if u.name == "kept"));
    assert_eq!(must_load(store, &p, "a2").await.id, a.id);
    // After its owner releases it, a login ID is free, even later in the same batch.
    let out = patch(
        store,
        &p,
        vec![
            ready(
                "a",
                RawUserPatch {
                    additional_login_ids: list(&[]),
                    ..Default::default()
                },
            ),
            ready(
                "b",
                RawUserPatch {
                    additional_login_ids: list(&["a2"]),
                    ..Default::default()
                },
            ),
        ],
        NOW,
    )
    .await;
    assert!(
        out.iter().all(|o| matches!(o, PatchOutcome::Patched(_))),
        "{out:?}"
    );
    assert_eq!(logins(&must_load(store, &p, "a2").await), ["b", "a2"]);
    assert_eq!(logins(&must_load(store, &p, "a").await), ["a"]);
}

pub async fn patch_batches_apply_in_order(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let a = create(
        store,
        &p,
        "a",
        RawUserPatch {
            name: s("A"),
            custom_attributes: obj(json!({"age": 1})),
            ..Default::default()
        },
    )
    .await;
    create(store, &p, "b", RawUserPatch::default()).await;
    let later = Millis(NOW.0 + 5_000);
    let out = patch(
        store,
        &p,
        vec![
            ready(
                "a",
                RawUserPatch {
                    given_name: s("first"),
                    custom_attributes: obj(json!({"nick": "x"})),
                    ..Default::default()
                },
            ),
            ready(
                "ghost",
                RawUserPatch {
                    name: s("nobody"),
                    ..Default::default()
                },
            ),
            ready(
                "b",
                RawUserPatch {
                    role_names: list(&["admin", "ghost"]),
                    name: s("never"),
                    ..Default::default()
                },
            ),
            PatchItem::Unaddressable {
                message: "loginId is required".into(),
            },
            ready(
                a.id.as_str(),
                RawUserPatch {
                    family_name: s("second"),
                    custom_attributes: obj(json!({"age": null})),
                    ..Default::default()
                },
            ),
            PatchItem::Invalid {
                selector: "b".into(),
                error: roster_domain::Error::validation("email: bad"),
            },
        ],
        later,
    )
    .await;
    assert_eq!(out.len(), 6);
    let PatchOutcome::Patched(first) = &out[0] else {
        panic!("{:?}", out[0])
    };
    assert_eq!(
        (
            first.name.as_str(),
            first.given_name.as_str(),
            first.version
        ),
        ("A", "first", 2)
    );
    assert!(
        matches!(&out[1], PatchOutcome::Failed { selector, failure } if selector == "ghost" && failure.user.is_none())
    );
    let PatchOutcome::Failed { failure, .. } = &out[2] else {
        panic!("{:?}", out[2])
    };
    assert_eq!(
        failure.error.message,
        "roleNames: role \"ghost\" does not exist"
    );
    assert_eq!(
        failure.user.as_ref().map(|u| u.name.as_str()),
        Some(""),
        "the stored user"
    );
    assert!(matches!(
        &out[3],
        PatchOutcome::Unaddressable { index: 3, .. }
    ));
    let PatchOutcome::Patched(last) = &out[4] else {
        panic!("{:?}", out[4])
    };
    assert_eq!(
        (
            last.given_name.as_str(),
            last.family_name.as_str(),
            last.version
        ),
        ("first", "second", 3)
    );
    assert_eq!(
        Value::Object(last.custom_attributes.clone()),
        json!({"nick": "x"})
    );
    assert!(matches!(&out[5], PatchOutcome::Failed { failure, .. } if failure.user.is_some()));

    let stored = must_load(store, &p, "a").await;
    assert_eq!(&stored, &**last, "what was returned is what was stored");
    assert_eq!((stored.modified, stored.created), (later, NOW));
    let b = must_load(store, &p, "b").await;
    assert_eq!(
        (b.name.as_str(), b.version, b.role_names.len()),
        ("", 1, 0),
        "failed items write nothing"
    );

    // A batch that changes nothing writes nothing and moves no version.
    let out = patch(
        store,
        &p,
        vec![ready(
            "a",
            RawUserPatch {
                name: s("A"),
                ..Default::default()
            },
        )],
        Millis(later.0 + 1),
    )
    .await;
    assert!(matches!(&out[0], PatchOutcome::Patched(u) if u.version == 3 && u.modified == later));
}

pub async fn deleting_users(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let a = create(
        store,
        &p,
        "a",
        RawUserPatch {
            additional_login_ids: list(&["a-alt"]),
            role_names: list(&["admin"]),
            ..Default::default()
        },
    )
    .await;
    let b = create(store, &p, "b", RawUserPatch::default()).await;
    let c = create(store, &p, "c", RawUserPatch::default()).await;
    assert!(
        store
            .delete_user(&p, UserSelector::LoginOrUserId("a-alt"), &origin())
            .await
            .unwrap()
    );
    assert!(load(store, &p, "a").await.is_none());
    assert!(
        !store
            .delete_user(&p, UserSelector::LoginOrUserId("a"), &origin())
            .await
            .unwrap()
    );
    // Its login IDs are free again.
    let again = create(store, &p, "a-alt", RawUserPatch::default()).await;
    assert_ne!(again.id, a.id);
    assert!(
        store
            .delete_user(&p, UserSelector::UserId(b.id.as_str()), &origin())
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_user(&p, UserSelector::UserId("c"), &origin())
            .await
            .unwrap(),
        "userId is not a login ID"
    );
    assert_eq!(
        store
            .delete_users(&p, &[c.id.to_string(), "U-missing".into()], &origin())
            .await
            .unwrap(),
        1
    );
    let tester = CreateItem::Ready {
        id: UserId::generate(&ids()),
        user: NewUser::parse(RawNewUser {
            login_id: s("t"),
            test: true,
            ..Default::default()
        })
        .unwrap(),
    };
    create_users(store, &p, &[tester], &origin()).await.unwrap();
    assert_eq!(store.delete_test_users(&p, &origin()).await.unwrap(), 1);
    let mut q = UserQuery::new();
    q.test_users = TestUsers::Include;
    assert_eq!(search(store, &p, q).await.0, vec!["a-alt".to_string()]);
}

pub async fn hostile_strings_are_data(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let hostile = [
        "o'brien\"; DROP TABLE users; --",
        "%_\\",
        "' OR 1=1 --",
        "Ünïcødé 用户 🚀",
        "$.\"age\"",
        "[\"json\"]",
    ];
    for h in hostile {
        let u = create(
            store,
            &p,
            h,
            RawUserPatch {
                name: s(h),
                picture: s(h),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(must_load(store, &p, h).await, u, "{h}");
        let mut q = UserQuery::new();
        q.text = h.to_string();
        let (found, _) = search(store, &p, q).await;
        assert_eq!(found, vec![h.to_string()], "text search for {h}");
    }
    let mut q = UserQuery::new();
    q.login_ids = hostile.iter().map(|h| (*h).to_string()).collect();
    assert_eq!(search(store, &p, q).await.1, hostile.len() as u64);
    assert!(load(store, &p, "' OR '1'='1").await.is_none());
}
