//! Large batches, and many writers at once: nothing is lost, no race is a failure.

use super::*;

pub async fn large_batches(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let n = 2_000;
    let items: Vec<CreateItem> = (0..n)
        .map(|i| {
            new_user(
                Box::leak(format!("bulk{i}@example.com").into_boxed_str()),
                RawUserPatch {
                    role_names: list(&["viewer"]),
                    user_tenants: Setting::Set(vec![RawTenantAssignment {
                        tenant_id: s("t1"),
                        role_names: list(&["editor"]),
                    }]),
                    ..Default::default()
                },
            )
        })
        .collect();
    let (out, _) = create_users(store, &p, &items, &origin()).await.unwrap();
    assert!(out.iter().all(|o| matches!(o, CreateOutcome::Created(_))));
    let patches: Vec<PatchItem> = (0..n)
        .map(|i| {
            ready(
                &format!("bulk{i}@example.com"),
                RawUserPatch {
                    name: s(&format!("Bulk {i}")),
                    role_names: list(&["admin"]),
                    custom_attributes: obj(json!({"age": i})),
                    ..Default::default()
                },
            )
        })
        .collect();
    let out = patch(store, &p, patches, Millis(NOW.0 + 1)).await;
    assert!(out.iter().all(|o| matches!(o, PatchOutcome::Patched(_))));
    let mut q = UserQuery::new();
    q.role_names = vec!["admin".into()];
    q.paginate(10, 0, 0);
    let (_, total) = store.search_users(&p, &q, SEARCH_TIMEOUT).await.unwrap();
    assert_eq!(total, n as u64);
    let u = must_load(store, &p, "bulk1999@example.com").await;
    assert_eq!(
        (u.name.as_str(), u.version, u.tenants.len()),
        ("Bulk 1999", 2, 1)
    );
    assert_eq!(u.custom_attributes.get("age"), Some(&json!(1999)));
}

pub async fn concurrent_batches_lose_nothing(store: Arc<dyn Store>) {
    let p = fixture(&*store).await;
    let users = 20;
    let writers = 6;
    let rounds = 5;
    let items: Vec<CreateItem> = (0..users)
        .map(|i| {
            new_user(
                Box::leak(format!("c{i}").into_boxed_str()),
                RawUserPatch::default(),
            )
        })
        .collect();
    create_users(&*store, &p, &items, &origin()).await.unwrap();
    let attrs: Vec<AttributeDef> = (0..writers)
        .map(|w| attr(&format!("w{w}"), AttributeType::Number, &[]))
        .collect();
    store
        .create_attributes(&p, &attrs, &origin())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..rounds {
                let items: Vec<PatchItem> = (0..users)
                    .map(|i| {
                        ready(
                            &format!("c{i}"),
                            RawUserPatch {
                                custom_attributes: obj(json!({ format!("w{w}"): round })),
                                ..Default::default()
                            },
                        )
                    })
                    .collect();
                let out = patch_users(&*store, &p, &items, &origin())
                    .await
                    .unwrap()
                    .outcomes;
                assert!(out.iter().all(|o| matches!(o, PatchOutcome::Patched(_))));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for i in 0..users {
        let u = must_load(&*store, &p, &format!("c{i}")).await;
        for w in 0..writers {
            assert_eq!(
                u.custom_attributes.get(&format!("w{w}")),
                Some(&json!(rounds - 1)),
                "user c{i}, writer {w}"
            );
        }
        assert_eq!(
            u.version,
            1 + i64::from(writers) * i64::from(rounds),
            "every change moved the version"
        );
    }
}

/// Many create batches at once, each creating its own users and one login ID they all
/// want: exactly one gets it, the others fail that item alone (already exists), and no
/// batch fails whole.
pub async fn racing_creates_fail_items_not_batches(store: Arc<dyn Store>) {
    let p = fixture(&*store).await;
    let writers = 8;
    let start = Arc::new(tokio::sync::Barrier::new(writers));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        let p = p.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let items = vec![
                new_user(&format!("own{w}"), RawUserPatch::default()),
                new_user("wanted", RawUserPatch::default()),
            ];
            create_users(&*store, &p, &items, &origin())
                .await
                .unwrap()
                .0
        }));
    }
    let mut winners = 0;
    for t in tasks {
        let out = t.await.unwrap();
        assert!(matches!(out[0], CreateOutcome::Created(_)), "{out:?}");
        match &out[1] {
            CreateOutcome::Created(_) => winners += 1,
            CreateOutcome::Failed { error, .. } => {
                assert_eq!(error.code, ErrorCode::AlreadyExists, "{error}");
            }
        }
    }
    assert_eq!(winners, 1);
    let (found, total) = search(&*store, &p, UserQuery::new()).await;
    assert_eq!(total, writers as u64 + 1, "{found:?}");
}

/// Many batches at once, each giving a different user the same extra login ID: one
/// wins, the others fail that item, and the login ID ends with exactly one owner.
pub async fn racing_login_id_claims_fail_items_not_batches(store: Arc<dyn Store>) {
    let p = fixture(&*store).await;
    let writers = 8;
    let items: Vec<CreateItem> = (0..writers)
        .map(|w| new_user(&format!("claimer{w}"), RawUserPatch::default()))
        .collect();
    create_users(&*store, &p, &items, &origin()).await.unwrap();
    let start = Arc::new(tokio::sync::Barrier::new(writers));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        let p = p.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let item = ready(
                &format!("claimer{w}"),
                RawUserPatch {
                    additional_login_ids: list(&["contested"]),
                    ..Default::default()
                },
            );
            patch_users(&*store, &p, &[item], &origin())
                .await
                .unwrap()
                .outcomes
        }));
    }
    let mut winners = Vec::new();
    for (w, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap().remove(0) {
            PatchOutcome::Patched(_) => winners.push(w),
            PatchOutcome::Failed { failure, .. } => {
                assert_eq!(
                    failure.error.code,
                    ErrorCode::AlreadyExists,
                    "{}",
                    failure.error
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let owner = must_load(&*store, &p, "contested").await;
    assert_eq!(
        logins(&owner),
        [format!("claimer{}", winners[0]).as_str(), "contested"]
    );
}

/// Single patches committed in groups: sixty at once, from three keys, over six users,
/// some failing. Each succeeds or fails alone, nothing is lost (every patch adds its own
/// attribute key to the same JSON), `version` counts every change, and each patch has
/// its own audit record under its own key.
pub async fn grouped_single_patches_are_each_their_own(store: Arc<dyn Store>) {
    use crate::group::GroupCommit;
    use roster_domain::audit::AuditQuery;

    let p = fixture(&*store).await;
    for i in 0..6 {
        create(&*store, &p, &format!("g{i}@x.io"), RawUserPatch::default()).await;
    }
    let groups = Arc::new(GroupCommit::new());
    let mut tasks = Vec::new();
    for n in 0..60usize {
        let (store, groups, p) = (store.clone(), groups.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            let origin = Origin::key(
                &KeyId::from_stored(format!("K{}", n % 3)),
                None,
                Millis(NOW.0 + 1),
            );
            // Every tenth patch names a role that does not exist: it fails alone.
            let roles: &[&str] = if n % 10 == 9 { &["nope"] } else { &["viewer"] };
            let item = ready(
                &format!("g{}@x.io", n % 6),
                RawUserPatch {
                    custom_attributes: obj(json!({"nick": format!("n{n}")})),
                    role_names: list(roles),
                    ..Default::default()
                },
            );
            let (outcome, _) = groups.patch(store, &p, item, origin).await.unwrap();
            (n, outcome)
        }));
    }
    let mut failed = 0;
    for t in tasks {
        let (n, outcome) = t.await.unwrap();
        match outcome {
            PatchOutcome::Patched(u) => {
                assert!(n % 10 != 9, "patch {n} should have failed");
                assert_eq!(u.custom_attributes["nick"], json!(format!("n{n}")));
            }
            PatchOutcome::Failed { failure, .. } => {
                assert_eq!(n % 10, 9, "patch {n} failed: {:?}", failure.error);
                failed += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(failed, 6);
    // The patches of one user applied one after another: each moved its version (the
    // first changes roles and the nick, every later one the nick alone).
    for i in 0..6 {
        let u = must_load(&*store, &p, &format!("g{i}@x.io")).await;
        let applied = (0..60).filter(|n| n % 6 == i && n % 10 != 9).count() as i64;
        assert_eq!(u.version, 1 + applied, "g{i}");
        assert_eq!(u.role_names, vec![RoleName::parse("viewer").unwrap()]);
    }
    let q = AuditQuery {
        actions: vec!["UserModified".into()],
        ..AuditQuery::default()
    }
    .check()
    .unwrap();
    let (records, total) = store.search_audit(&p, &q, SEARCH_TIMEOUT).await.unwrap();
    assert_eq!(total, 54, "one record per applied patch");
    for k in 0..3 {
        let by_key = records
            .iter()
            .filter(|r| r.actor == format!("K{k}"))
            .count();
        assert_eq!(by_key, 18, "K{k}");
    }
}

/// A batch that waits for users another batch holds loads them as that batch left them:
/// the lists it changed, and the login IDs it moved, so a selector that named one user
/// when the waiting batch began names, once it has its users, the user that holds that
/// login ID now. (PostgreSQL reads a user's lists as of the start of the statement that
/// then waits for the user's lock; this is where it must notice and read again.)
pub async fn a_waiting_batch_loads_what_the_holder_left(store: Arc<dyn Store>) {
    let p = fixture(&*store).await;
    let aliased = RawUserPatch {
        additional_login_ids: list(&["alias"]),
        ..Default::default()
    };
    create(&*store, &p, "h0", aliased).await;
    create(&*store, &p, "h1", RawUserPatch::default()).await;

    // The holder moves `alias` from h0 to h1 and gives each a role, while a batch
    // naming `alias` and h1 waits; then it changes h1's roles alone.
    let rounds: [(&[&str], Vec<PatchItem>, &[&str]); 2] = [
        (
            &["h0", "h1"],
            vec![
                ready(
                    "h0",
                    RawUserPatch {
                        additional_login_ids: list(&[]),
                        role_names: list(&["viewer"]),
                        ..Default::default()
                    },
                ),
                ready(
                    "h1",
                    RawUserPatch {
                        additional_login_ids: list(&["alias"]),
                        role_names: list(&["admin"]),
                        ..Default::default()
                    },
                ),
            ],
            &["alias", "h1"],
        ),
        (
            &["h1"],
            vec![ready(
                "h1",
                RawUserPatch {
                    role_names: list(&["admin", "viewer"]),
                    user_tenants: Setting::Set(vec![RawTenantAssignment {
                        tenant_id: s("t1"),
                        role_names: list(&["editor"]),
                    }]),
                    ..Default::default()
                },
            )],
            &["h1"],
        ),
    ];
    for (round, (held, items, wanted)) in rounds.into_iter().enumerate() {
        let mut holder = store.begin_users(&p).await.unwrap();
        let catalog = holder.catalog().await.unwrap();
        let (users, owners) = holder.load_for_batch(held, &["alias"]).await.unwrap();
        let waiter = {
            let store = store.clone();
            let p = p.clone();
            let wanted: Vec<String> = wanted.iter().map(|w| (*w).to_string()).collect();
            tokio::spawn(async move {
                let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
                let mut tx = store.begin_users(&p).await.unwrap();
                tx.catalog().await.unwrap();
                tx.load_for_batch(&wanted, &[]).await.unwrap().0
            })
        };
        // Time for the waiter to start loading and wait for the holder's locks.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let mut ws = roster_domain::patch::Workspace::new(users, owners);
        let outcomes = ws.apply_batch(&items, &catalog, Millis(NOW.0 + 1));
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, PatchOutcome::Patched(_))),
            "round {round}: {outcomes:?}"
        );
        holder.write(&ws.into_changes(), &catalog).await.unwrap();
        holder.commit().await.unwrap();

        let loaded = waiter.await.unwrap();
        let now = must_load(&*store, &p, "h1").await;
        // `alias` is h1's now: the waiter has h1 alone, as the holder left it.
        assert_eq!(loaded.len(), 1, "round {round}: {loaded:?}");
        let h1 = &loaded[0];
        assert_eq!(logins(h1), ["h1", "alias"], "round {round}");
        assert_eq!(h1.version, now.version, "round {round}");
        assert_eq!(h1.role_names, now.role_names, "round {round}");
        assert_eq!(h1.tenants, now.tenants, "round {round}");
    }
    let h1 = must_load(&*store, &p, "h1").await;
    assert_eq!(
        (h1.version, h1.role_names.len(), h1.tenants.len()),
        (3, 2, 1)
    );
}
