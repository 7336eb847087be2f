//! The audit trail: every change writes its records in its own transaction (a batch one
//! per user, set-based; a cascade one per user it changed; the catalog and keys one
//! each), a failed or unaudited change writes none, the search reads exactly what the
//! domain's rule says, newest first and paged, and pruning deletes only old records.

use roster_domain::audit::{AuditData, AuditKind, AuditQuery, AuditRecord};
use roster_domain::password::Password;
use roster_domain::patch::PasswordChange;

use super::*;

/// Every record of a project, newest first (within the first 1,000).
async fn trail(store: &dyn Store, p: &ProjectId) -> Vec<AuditRecord> {
    trail_where(store, p, AuditQuery::default()).await.0
}

async fn trail_where(store: &dyn Store, p: &ProjectId, q: AuditQuery) -> (Vec<AuditRecord>, u64) {
    store
        .search_audit(p, &q.check().unwrap(), SEARCH_TIMEOUT)
        .await
        .unwrap()
}

fn actions_of(records: &[AuditRecord]) -> Vec<&str> {
    records.iter().map(|r| r.action.as_str()).collect()
}

fn changes(r: &AuditRecord) -> Map<String, Value> {
    r.data.get("changes").as_object().unwrap().clone()
}

pub async fn audit_records_every_change(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    // The fixture's catalog: 2 permissions, 2 tenants, 3 roles, 3 attributes.
    let setup = trail(store, &p).await;
    let mut kinds = actions_of(&setup);
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "CustomAttributeCreated",
            "CustomAttributeCreated",
            "CustomAttributeCreated",
            "PermissionCreated",
            "PermissionCreated",
            "RoleCreated",
            "RoleCreated",
            "RoleCreated",
            "TenantCreated",
            "TenantCreated",
        ]
    );
    for r in &setup {
        assert_eq!(
            (r.actor.as_str(), r.remote_address.as_str()),
            (ACTOR, "127.0.0.1")
        );
        assert_eq!(r.key.as_ref().map(KeyId::as_str), Some(ACTOR));
        assert_eq!((r.occurred, r.kind), (NOW, AuditKind::Info));
    }
    let editor = setup
        .iter()
        .find(|r| r.data.get("name") == "editor")
        .unwrap();
    assert_eq!(editor.tenants, ["t1"]);

    // A created user: its fields; a patch: what changed, old and new; nothing for a
    // patch that changes nothing.
    let ann = create(
        store,
        &p,
        "ann@x.io",
        RawUserPatch {
            name: s("Ann"),
            user_tenants: Setting::Set(vec![RawTenantAssignment {
                tenant_id: s("t1"),
                role_names: list(&["editor"]),
            }]),
            ..RawUserPatch::default()
        },
    )
    .await;
    let later = Millis(NOW.0 + 1_000);
    let rename = |name: &str| {
        ready(
            "ann@x.io",
            RawUserPatch {
                name: s(name),
                custom_attributes: obj(json!({"age": 7})),
                ..RawUserPatch::default()
            },
        )
    };
    patch(store, &p, vec![rename("Ann B"), rename("Ann B")], later).await;
    let t = trail(store, &p).await;
    assert_eq!(actions_of(&t[..2]), ["UserModified", "UserCreated"]);
    let (modified, created) = (&t[0], &t[1]);
    assert_eq!(created.user_id, ann.id.as_str());
    assert_eq!(created.login_ids, ["ann@x.io"]);
    assert_eq!(created.tenants, ["t1"]);
    assert_eq!(changes(created)["name"], json!({"old": "", "new": "Ann"}));
    assert_eq!(modified.occurred, later);
    assert_eq!(
        Value::Object(changes(modified).clone()),
        json!({
            "name": {"old": "Ann", "new": "Ann B"},
            "customAttributes.age": {"old": null, "new": 7},
        })
    );
    assert_eq!(
        t.len(),
        setup.len() + 2,
        "the second, identical patch is no change"
    );

    // A password: recorded as changed, never its hash.
    let hash = Password::parse("s3cret!").unwrap().hash(&ids()).unwrap();
    let set = roster_domain::change::password(PasswordChange::Set {
        hash: hash.clone(),
        expired: false,
    });
    patch(
        store,
        &p,
        vec![PatchItem::Ready {
            selector: "ann@x.io".into(),
            patch: set,
        }],
        later,
    )
    .await;
    let r = &trail(store, &p).await[0];
    assert_eq!(changes(r)["password"], json!({"changed": true}));
    let text = r.data.as_str().to_string();
    assert!(
        !text.contains(hash.as_stored()) && !text.contains("argon2"),
        "{text}"
    );

    // Tenants: a change lists its fields; a deleted tenant changes its members (one
    // record each, naming the cause) and deletes the users it was the only tenant of.
    let mut renamed = tenant_spec("Tenant Uno");
    renamed.disabled = true;
    store
        .update_tenant(
            &p,
            &tenant_id("t1"),
            &TenantChange::Replace(renamed),
            &at(later),
        )
        .await
        .unwrap();
    let r = &trail(store, &p).await[0];
    assert_eq!(
        (r.action.as_str(), r.tenants.as_slice()),
        ("TenantModified", &["t1".to_string()][..])
    );
    assert_eq!(
        r.data.get("changes")["name"],
        json!({"old": "Tenant One", "new": "Tenant Uno"})
    );
    assert_eq!(
        r.data.get("changes")["disabled"],
        json!({"old": false, "new": true})
    );

    // A role rename changes its holders: version and a record.
    let before = must_load(store, &p, "ann@x.io").await;
    let rename_role = RoleUpdate {
        target: RoleRef::Name {
            name: RoleName::parse("editor").unwrap(),
            tenant_id: Some(tenant_id("t1")),
        },
        new_name: Some(RoleName::parse("writer").unwrap()),
        description: String::new(),
        permission_names: vec![],
        default: false,
        private: false,
    };
    store
        .update_roles(&p, &[rename_role], &at(later))
        .await
        .unwrap();
    assert_eq!(
        must_load(store, &p, "ann@x.io").await.version,
        before.version + 1
    );
    let t = trail(store, &p).await;
    let cascade = t
        .iter()
        .find(|r| {
            r.action == "UserModified" && r.occurred == later && !r.data.get("cause").is_null()
        })
        .unwrap();
    assert_eq!(cascade.data.get("cause"), "RoleModified");
    assert_eq!(cascade.user_id, ann.id.as_str());
    assert_eq!(cascade.login_ids, ["ann@x.io"]);
    assert_eq!(
        cascade.data.get("renamedRoles"),
        json!([{"old": "editor", "new": "writer"}])
    );
    assert!(
        t.iter()
            .any(|r| r.action == "RoleModified" && r.data.get("newName") == "writer")
    );

    // Deleting an attribute definition changes the users that had a value.
    store
        .delete_attributes(&p, &["age".into()], &at(later))
        .await
        .unwrap();
    let t = trail(store, &p).await;
    assert_eq!(
        actions_of(&t[..2])
            .iter()
            .filter(|a| **a == "UserModified")
            .count(),
        1
    );
    let cascade = t
        .iter()
        .find(|r| r.data.get("cause") == json!("CustomAttributeDeleted"))
        .unwrap();
    assert_eq!(
        (
            cascade.user_id.as_str(),
            cascade.data.get("deletedAttributes").clone()
        ),
        (ann.id.as_str(), json!(["age"]))
    );
    assert_eq!(
        cascade.tenants,
        ["t1"],
        "a cascade names the user's tenants"
    );
    assert_eq!(
        cascade.data.get("changes"),
        json!({"customAttributes.age": {"old": 7, "new": null}}),
        "the values a deleted definition takes away are recorded"
    );
    assert!(
        t.iter()
            .any(|r| r.action == "CustomAttributeDeleted" && r.data.get("name") == "age")
    );

    // Deleting t1 with cascade deletes ann (t1 was her only tenant), recorded with her
    // login IDs.
    store
        .delete_tenant(&p, &tenant_id("t1"), true, &at(later))
        .await
        .unwrap();
    assert!(load(store, &p, "ann@x.io").await.is_none());
    let t = trail(store, &p).await;
    let deleted = t.iter().find(|r| r.action == "UserDeleted").unwrap();
    assert_eq!(
        (deleted.user_id.as_str(), deleted.login_ids.clone()),
        (ann.id.as_str(), vec!["ann@x.io".to_string()])
    );
    assert_eq!(
        (deleted.data.get("cause").clone(), deleted.tenants.clone()),
        (json!("TenantDeleted"), vec!["t1".to_string()])
    );
    assert!(
        t.iter()
            .any(|r| r.action == "TenantDeleted" && r.data.get("cascade") == true)
    );

    // Deleting users: one record each, with the login IDs they had.
    create(store, &p, "bo@x.io", RawUserPatch::default()).await;
    let cy = create(store, &p, "cy@x.io", RawUserPatch::default()).await;
    store
        .delete_user(&p, UserSelector::LoginOrUserId("bo@x.io"), &at(later))
        .await
        .unwrap();
    store
        .delete_users(
            &p,
            &[cy.id.as_str().to_string(), "nobody".into()],
            &at(later),
        )
        .await
        .unwrap();
    let gone: Vec<Vec<String>> = trail(store, &p)
        .await
        .iter()
        .take(2)
        .map(|r| {
            assert_eq!(r.action, "UserDeleted");
            r.login_ids.clone()
        })
        .collect();
    assert_eq!(
        gone,
        [vec!["cy@x.io".to_string()], vec!["bo@x.io".to_string()]]
    );

    // Keys: created, changed, revoked, deleted; never the digest.
    let key = ManagementKey::generate(&ids());
    let stored = StoredKey::new(KeyId::generate(&ids()), "ci".into(), key.hash(), NOW);
    assert!(store.add_key(&p, &stored, &at(later)).await.unwrap());
    let update = KeyUpdate {
        name: "ci-2".into(),
        description: String::new(),
        permitted_ips: vec![],
        active: false,
    };
    store
        .update_key(&p, &stored.id, &update, &at(later))
        .await
        .unwrap()
        .unwrap();
    assert!(store.revoke_key(&p, &stored.id, &at(later)).await.unwrap());
    assert_eq!(
        store
            .delete_keys(&p, std::slice::from_ref(&stored.id), &at(later))
            .await
            .unwrap(),
        1
    );
    let t = trail(store, &p).await;
    assert_eq!(
        actions_of(&t[..4]),
        [
            "ManagementKeyDeleted",
            "ManagementKeyRevoked",
            "ManagementKeyModified",
            "ManagementKeyCreated"
        ]
    );
    assert_eq!(
        (
            t[1].data.get("keyId").clone(),
            t[2].data.get("name").clone()
        ),
        (json!(stored.id.as_str()), json!("ci-2"))
    );
    let text: String = t[..4].iter().map(|r| r.data.as_str()).collect();
    assert!(
        !text.contains(key.expose()) && !text.contains(&stored.hash.to_hex()),
        "{text}"
    );
}

pub async fn audit_is_atomic_with_its_change(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let start = trail(store, &p).await.len();
    // A failed call writes nothing: the role that does not exist fails the whole delete.
    let missing = RoleRef::Name {
        name: RoleName::parse("ghost").unwrap(),
        tenant_id: None,
    };
    let admin = RoleRef::Name {
        name: RoleName::parse("admin").unwrap(),
        tenant_id: None,
    };
    create(
        store,
        &p,
        "ann@x.io",
        RawUserPatch {
            role_names: list(&["admin"]),
            ..RawUserPatch::default()
        },
    )
    .await;
    assert!(
        store
            .delete_roles(&p, &[admin, missing], false, &origin())
            .await
            .is_err()
    );
    assert_eq!(
        trail(store, &p).await.len(),
        start + 1,
        "only ann's creation"
    );
    // With the audit trail off, changes are made and nothing is recorded.
    let quiet = origin().unaudited();
    let items = [ready(
        "ann@x.io",
        RawUserPatch {
            name: s("Quiet"),
            ..RawUserPatch::default()
        },
    )];
    let out = patch_users(store, &p, &items, &quiet)
        .await
        .unwrap()
        .outcomes;
    assert!(matches!(out[0], PatchOutcome::Patched(_)));
    store
        .create_tenant(&p, &tenant_id("t9"), &tenant_spec("Nine"), &quiet)
        .await
        .unwrap();
    store
        .delete_users(
            &p,
            &[must_load(store, &p, "ann@x.io").await.id.into_string()],
            &quiet,
        )
        .await
        .unwrap();
    assert_eq!(trail(store, &p).await.len(), start + 1);
}

pub async fn audit_batches_record_every_user(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    const N: usize = 2_500;
    let items: Vec<CreateItem> = (0..N)
        .map(|i| new_user(&format!("u{i}@x.io"), RawUserPatch::default()))
        .collect();
    create_users(store, &p, &items, &origin()).await.unwrap();
    let patches: Vec<PatchItem> = (0..N)
        .map(|i| {
            ready(
                &format!("u{i}@x.io"),
                RawUserPatch {
                    name: s(&format!("User {i}")),
                    ..RawUserPatch::default()
                },
            )
        })
        .collect();
    patch(store, &p, patches, Millis(NOW.0 + 1)).await;
    let by = |action: &str| AuditQuery {
        actions: vec![action.into()],
        ..AuditQuery::default()
    };
    let (page, total) = trail_where(store, &p, by("UserModified")).await;
    assert_eq!((page.len(), total), (1_000, N as u64));
    assert_eq!(trail_where(store, &p, by("UserCreated")).await.1, N as u64);
    // Pages follow each other without overlap, newest first.
    let mut seen = BTreeSet::new();
    for page in 0..3 {
        let (records, _) = trail_where(
            store,
            &p,
            AuditQuery {
                page,
                ..by("UserModified")
            },
        )
        .await;
        for r in records {
            assert!(seen.insert(r.user_id.clone()), "{} twice", r.user_id);
        }
    }
    assert_eq!(seen.len(), N);
}

/// Records of every shape, for the filters to tell apart.
fn sample(i: i64) -> AuditRecord {
    let origin = Origin::key(
        &KeyId::from_stored(format!("K{}", i % 3)),
        Some(std::net::Ipv4Addr::new(10, 0, 0, (i % 4) as u8).into()),
        Millis(NOW.0 + i * 1_000),
    );
    let action = ["UserCreated", "UserModified", "Exported", "TenantModified"][(i % 4) as usize];
    let mut r = AuditRecord::new(&origin, action);
    r.user_id = if i % 5 == 0 {
        String::new()
    } else {
        format!("U{}", i % 6)
    };
    r.login_ids = (0..(i % 3))
        .map(|n| format!("u{}-{n}@x.io", i % 6))
        .collect();
    r.tenants = (0..(i % 3)).map(|n| format!("t{}", (i + n) % 4)).collect();
    let mark = if i % 7 == 0 { "Marked" } else { "plain" };
    let note = json!({"note": format!("Note {i} {mark}")});
    r.data = AuditData::from_map(note.as_object().unwrap());
    r
}

pub async fn audit_search_reads_as_the_rule_says(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let other = fixture(store).await;
    let records: Vec<AuditRecord> = (1..=60).map(sample).collect();
    store.record(&p, &records).await.unwrap();
    store.record(&other, &records[..5]).await.unwrap();
    // Only the sample, not the fixture's own records.
    let base = AuditQuery {
        from: Some(Millis(NOW.0 + 1)),
        ..AuditQuery::default()
    };
    let queries: Vec<AuditQuery> = vec![
        base.clone(),
        AuditQuery {
            user_ids: vec!["U1".into(), "U4".into()],
            ..base.clone()
        },
        AuditQuery {
            actions: vec!["Exported".into()],
            ..base.clone()
        },
        AuditQuery {
            excluded_actions: vec!["UserCreated".into(), "UserModified".into()],
            ..base.clone()
        },
        AuditQuery {
            login_ids: vec!["u2-1@x.io".into(), "u3-0@x.io".into()],
            ..base.clone()
        },
        AuditQuery {
            tenants: vec!["t1".into()],
            ..base.clone()
        },
        AuditQuery {
            tenants: vec!["t1".into()],
            no_tenants: true,
            ..base.clone()
        },
        AuditQuery {
            remote_addresses: vec!["10.0.0.2".into()],
            ..base.clone()
        },
        AuditQuery {
            text: "mARKED".into(),
            ..base.clone()
        },
        AuditQuery {
            text: "u4-1@".into(),
            ..base.clone()
        },
        AuditQuery {
            text: "k2".into(),
            ..base.clone()
        },
        AuditQuery {
            from: Some(Millis(NOW.0 + 20_000)),
            to: Some(Millis(NOW.0 + 30_000)),
            ..base.clone()
        },
        AuditQuery {
            devices: vec!["Bot".into()],
            ..base.clone()
        },
        AuditQuery {
            actions: vec!["UserModified".into()],
            tenants: vec!["t2".into(), "t3".into()],
            text: "note".into(),
            ..base.clone()
        },
        AuditQuery {
            limit: 7,
            page: 2,
            ..base.clone()
        },
    ];
    for q in queries {
        let q = q.check().unwrap();
        let mut want: Vec<&AuditRecord> = records.iter().filter(|r| q.matches(r)).collect();
        want.reverse(); // newest first
        let total = want.len() as u64;
        let want: Vec<&AuditRecord> = want
            .into_iter()
            .skip(q.offset() as usize)
            .take(q.limit as usize)
            .collect();
        let (got, got_total) = store.search_audit(&p, &q, SEARCH_TIMEOUT).await.unwrap();
        assert_eq!(got_total, total, "{q:?}");
        assert_eq!(got.iter().collect::<Vec<_>>(), want, "{q:?}");
    }
    // Another project's records are its own.
    let (mine, _) = store
        .search_audit(&other, &base.clone().check().unwrap(), SEARCH_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(mine.len(), 5);
}

pub async fn audit_pruning_deletes_only_old_records(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let other = fixture(store).await;
    // The fixtures' records are at NOW; these are older and newer.
    let at_time = |t: i64, action: &str| AuditRecord::new(&at(Millis(NOW.0 + t)), action);
    let old: Vec<AuditRecord> = (0..30).map(|i| at_time(-10_000 - i, "Old")).collect();
    let new: Vec<AuditRecord> = (0..5).map(|i| at_time(10_000 + i, "New")).collect();
    for project in [&p, &other] {
        store.record(project, &old).await.unwrap();
        store.record(project, &new).await.unwrap();
    }
    let count = |project: ProjectId, action: &'static str| async move {
        let q = AuditQuery {
            actions: vec![action.into()],
            ..AuditQuery::default()
        }
        .check()
        .unwrap();
        store
            .search_audit(&project, &q, SEARCH_TIMEOUT)
            .await
            .unwrap()
            .1
    };
    // Other suites share the database: prune only what is older than all their records
    // would be wrong to assume, so count this suite's own.
    let before = Millis(NOW.0 - 1);
    let mut pruned = 0;
    loop {
        let n = store.prune_audit(before, 7).await.unwrap();
        assert!(n <= 7, "a round deletes at most its limit, not {n}");
        pruned += n;
        if n == 0 {
            break;
        }
    }
    assert!(pruned >= 60, "both projects' old records, {pruned}");
    for project in [&p, &other] {
        assert_eq!(count(project.clone(), "Old").await, 0);
        assert_eq!(count(project.clone(), "New").await, 5);
        assert!(!trail(store, project).await.iter().any(|r| r.occurred < NOW));
        assert!(
            trail(store, project)
                .await
                .iter()
                .any(|r| r.occurred == NOW)
        );
    }
}
