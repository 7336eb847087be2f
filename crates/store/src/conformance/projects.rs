//! Projects, management keys, and the wall between projects.

use super::*;

pub async fn projects_and_keys(store: Arc<dyn Store>) {
    let store = &*store;
    let p = ProjectId::generate(&ids());
    let name = Label::parse("p").unwrap();
    assert!(!store.project_exists(&p).await.unwrap());
    store.create_project(&p, &name, NOW).await.unwrap();
    assert!(store.has_projects().await.unwrap());
    assert!(store.project_exists(&p).await.unwrap());
    let dup = store.create_project(&p, &name, NOW).await.unwrap_err();
    assert_eq!(dup.code, ErrorCode::AlreadyExists);
    assert!(
        !store.ensure_project(&p, &name, NOW).await.unwrap(),
        "ensure is idempotent"
    );

    let key = ManagementKey::generate(&ids());
    let stored = |k: &ManagementKey, expires: Option<Millis>| StoredKey {
        expires,
        ..StoredKey::new(KeyId::generate(&ids()), "ci".into(), k.hash(), NOW)
    };
    assert!(
        store
            .add_key(&p, &stored(&key, None), &origin())
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_key(&p, &stored(&key, None), &origin())
            .await
            .unwrap(),
        "same digest twice is a no-op"
    );
    assert!(
        authenticate(store, &p, &key, None, NOW)
            .await
            .unwrap()
            .is_some()
    );
    let wrong = ManagementKey::generate(&ids());
    assert!(
        authenticate(store, &p, &wrong, None, NOW)
            .await
            .unwrap()
            .is_none()
    );

    let other = ProjectId::generate(&ids());
    store.create_project(&other, &name, NOW).await.unwrap();
    assert!(
        authenticate(store, &other, &key, None, NOW)
            .await
            .unwrap()
            .is_none(),
        "a key only opens its own project"
    );
    let ghost = ProjectId::generate(&ids());
    assert!(
        authenticate(store, &ghost, &key, None, NOW)
            .await
            .unwrap()
            .is_none()
    );
    let missing = store
        .add_key(&ghost, &stored(&key, None), &origin())
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::ProjectNotFound);

    let expiring = ManagementKey::generate(&ids());
    store
        .add_key(&p, &stored(&expiring, Some(Millis(NOW.0 + 10))), &origin())
        .await
        .unwrap();
    assert!(
        authenticate(store, &p, &expiring, None, NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        authenticate(store, &p, &expiring, None, Millis(NOW.0 + 10))
            .await
            .unwrap()
            .is_none()
    );

    let keys = store.keys(&p).await.unwrap();
    assert_eq!(keys.len(), 2);
    let first = keys.iter().find(|k| k.hash.matches(&key.hash())).unwrap();
    assert!(store.revoke_key(&p, &first.id, &origin()).await.unwrap());
    assert!(
        authenticate(store, &p, &key, None, NOW)
            .await
            .unwrap()
            .is_none(),
        "a revoked key is refused"
    );
    assert!(
        authenticate(store, &p, &expiring, None, NOW)
            .await
            .unwrap()
            .is_some(),
        "other keys still work"
    );
    assert!(
        !store
            .revoke_key(&other, &first.id, &origin())
            .await
            .unwrap(),
        "keys are per project"
    );

    // A read-only key limited to addresses: both kept, and the addresses enforced.
    let limited = ManagementKey::generate(&ids());
    let ranges = vec![
        IpRange::parse("10.0.0.0/8").unwrap(),
        IpRange::parse("2001:db8::1").unwrap(),
    ];
    store
        .add_key(
            &p,
            &StoredKey {
                read_only: true,
                permitted_ips: ranges.clone(),
                ..stored(&limited, None)
            },
            &origin(),
        )
        .await
        .unwrap();
    let kept = store.keys(&p).await.unwrap();
    let kept = kept
        .iter()
        .find(|k| k.hash.matches(&limited.hash()))
        .unwrap();
    assert!(kept.read_only);
    assert_eq!(kept.permitted_ips, ranges);
    let from = |a: &str| Some(a.parse::<std::net::IpAddr>().unwrap());
    let access = authenticate(store, &p, &limited, from("10.9.8.7"), NOW)
        .await
        .unwrap()
        .expect("a permitted address gets in");
    assert!(access.read_only);
    assert_eq!(access.key, kept.id);
    for refused in [from("192.0.2.1"), from("2001:db8::2"), None] {
        assert!(
            authenticate(store, &p, &limited, refused, NOW)
                .await
                .unwrap()
                .is_none(),
            "a key used from elsewhere is refused like a wrong key"
        );
    }
    let open = authenticate(store, &p, &expiring, from("192.0.2.1"), NOW)
        .await
        .unwrap()
        .expect("a key without ranges works from anywhere");
    assert!(!open.read_only);

    // Updating a key: an inactive key is refused until it is active again.
    let update = |active: bool| KeyUpdate {
        name: "renamed".into(),
        description: "what it is for".into(),
        permitted_ips: vec![],
        active,
    };
    let changed = store
        .update_key(&p, &kept.id, &update(false), &origin())
        .await
        .unwrap()
        .expect("the key exists");
    assert_eq!(
        (
            changed.name.as_str(),
            changed.description.as_str(),
            changed.active
        ),
        ("renamed", "what it is for", false)
    );
    assert!(changed.permitted_ips.is_empty() && changed.read_only);
    assert!(
        authenticate(store, &p, &limited, None, NOW)
            .await
            .unwrap()
            .is_none(),
        "an inactive key is refused"
    );
    store
        .update_key(&p, &kept.id, &update(true), &origin())
        .await
        .unwrap();
    assert!(
        authenticate(store, &p, &limited, None, NOW)
            .await
            .unwrap()
            .is_some(),
        "active again, from anywhere now"
    );
    assert!(
        store
            .update_key(&other, &kept.id, &update(true), &origin())
            .await
            .unwrap()
            .is_none(),
        "keys are per project"
    );
    let ghost_key = KeyId::from_stored("K-none".into());
    assert_eq!(
        store
            .delete_keys(&p, &[kept.id.clone(), ghost_key], &origin())
            .await
            .unwrap(),
        1
    );
    assert!(
        authenticate(store, &p, &limited, None, NOW)
            .await
            .unwrap()
            .is_none(),
        "a deleted key is gone"
    );
}

pub async fn projects_are_isolated(store: Arc<dyn Store>) {
    let store = &*store;
    let p1 = fixture(store).await;
    let p2 = fixture(store).await;
    let u1 = create(
        store,
        &p1,
        "same@example.com",
        RawUserPatch {
            name: s("one"),
            ..Default::default()
        },
    )
    .await;
    let u2 = create(
        store,
        &p2,
        "same@example.com",
        RawUserPatch {
            name: s("two"),
            ..Default::default()
        },
    )
    .await;
    assert_ne!(u1.id, u2.id);
    assert_eq!(must_load(store, &p1, "same@example.com").await.name, "one");
    assert!(
        load(store, &p2, u1.id.as_str()).await.is_none(),
        "user IDs do not cross projects"
    );
    let out = patch(
        store,
        &p2,
        vec![ready(
            u1.id.as_str(),
            RawUserPatch {
                name: s("hijack"),
                ..Default::default()
            },
        )],
        NOW,
    )
    .await;
    assert!(
        matches!(&out[0], PatchOutcome::Failed { failure, .. } if failure.error.code == ErrorCode::UserNotFound)
    );
    assert!(
        !store
            .delete_user(&p2, UserSelector::UserId(u1.id.as_str()), &origin())
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .delete_users(&p2, &[u1.id.to_string()], &origin())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.load_users(&p2, &[u1.id.to_string()]).await.unwrap(),
        vec![]
    );
    let mut q = UserQuery::new();
    q.user_ids = vec![u1.id.to_string()];
    assert_eq!(search(store, &p2, q).await.1, 0);
    store
        .delete_tenant(&p2, &tenant_id("t1"), true, &origin())
        .await
        .unwrap();
    assert!(
        store
            .load_tenant(&p1, &tenant_id("t1"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(must_load(store, &p1, "same@example.com").await, u1);
}

/// Several first starts at once (nodes starting together on one empty database): one
/// project is created, never two. On a store that already has projects, none is.
pub async fn first_start_happens_once(store: Arc<dyn Store>) {
    let was_empty = !store.has_projects().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let project = Project {
                id: ProjectId::generate(&ids()),
                name: Label::parse("first").unwrap(),
                created: NOW,
            };
            let key = ManagementKey::generate(&ids());
            let stored = StoredKey::new(
                KeyId::generate(&ids()),
                "first start".into(),
                key.hash(),
                NOW,
            );
            let made = store
                .create_first_project(&project, &stored, &origin())
                .await
                .unwrap();
            (made, project.id, key)
        }));
    }
    let mut made = Vec::new();
    for t in tasks {
        let (created, project, key) = t.await.unwrap();
        if created {
            made.push((project, key));
        } else {
            assert!(
                !store.project_exists(&project).await.unwrap(),
                "a first start that lost created its project anyway"
            );
        }
    }
    assert_eq!(
        made.len(),
        usize::from(was_empty),
        "one first project, or none"
    );
    for (project, key) in made {
        assert!(
            authenticate(&*store, &project, &key, None, NOW)
                .await
                .unwrap()
                .is_some()
        );
    }
    assert!(store.has_projects().await.unwrap());
}
