//! Every list a user holds (login IDs, roles, tenants with their roles, SSO apps,
//! attributes) survives a write and a read unchanged.

use super::*;

pub async fn lists_round_trip(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    create(store, &p, "u", RawUserPatch::default()).await;
    let out = patch(
        store,
        &p,
        vec![ready(
            "u",
            RawUserPatch {
                role_names: list(&["viewer", "admin"]),
                user_tenants: Setting::Set(vec![
                    RawTenantAssignment {
                        tenant_id: s("t2"),
                        role_names: list(&["viewer"]),
                    },
                    RawTenantAssignment {
                        tenant_id: s("t1"),
                        role_names: list(&["editor", "admin"]),
                    },
                ]),
                sso_app_ids: list(&["s2", "s1"]),
                additional_login_ids: list(&["u3", "u2"]),
                ..Default::default()
            },
        )],
        NOW,
    )
    .await;
    let PatchOutcome::Patched(patched) = &out[0] else {
        panic!("{:?}", out[0])
    };
    let u = must_load(store, &p, "u").await;
    assert_eq!(&u, &**patched);
    let names = |v: &[RoleName]| v.iter().map(|r| r.as_str().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&u.role_names), ["viewer", "admin"], "order is kept");
    assert_eq!(
        u.tenants
            .iter()
            .map(|t| t.tenant_id.as_str())
            .collect::<Vec<_>>(),
        ["t2", "t1"]
    );
    assert_eq!(names(&u.tenants[1].role_names), ["editor", "admin"]);
    assert_eq!(u.sso_app_ids, ["s2", "s1"]);
    assert_eq!(logins(&u), ["u", "u3", "u2"]);
    let catalog = store.catalog(&p).await.unwrap();
    assert_eq!(
        catalog.permissions_of(&u.role_names),
        ["users.read", "users.write"]
    );
    assert_eq!(
        catalog.tenant_permissions_of(&u.tenants[1].tenant_id, &u.tenants[1].role_names),
        ["users.read", "users.write"]
    );
    assert_eq!(catalog.tenant_name(&u.tenants[0].tenant_id), "Tenant Two");
    // Replacing lists replaces them whole.
    patch(
        store,
        &p,
        vec![ready(
            "u",
            RawUserPatch {
                role_names: list(&[]),
                user_tenants: Setting::Set(vec![RawTenantAssignment {
                    tenant_id: s("t1"),
                    role_names: Setting::Reset,
                }]),
                ..Default::default()
            },
        )],
        NOW,
    )
    .await;
    let u = must_load(store, &p, "u").await;
    assert!(u.role_names.is_empty());
    assert_eq!(u.tenants.len(), 1);
    assert!(u.tenants[0].role_names.is_empty());
    assert_eq!(logins(&u), ["u", "u3", "u2"], "absent lists are kept");
    // Same tenants, other roles in them; then the same tenants in another order.
    let tenants = |list: &[(&str, &[&str])]| {
        Setting::Set(
            list.iter()
                .map(|(t, r)| RawTenantAssignment {
                    tenant_id: s(t),
                    role_names: list_of(r),
                })
                .collect(),
        )
    };
    fn list_of(v: &[&str]) -> Setting<Vec<String>> {
        Setting::Set(v.iter().map(|x| (*x).to_string()).collect())
    }
    for wanted in [
        vec![("t1", &["editor", "viewer"][..]), ("t2", &["admin"][..])],
        vec![("t1", &["viewer"][..]), ("t2", &[][..])],
        vec![("t2", &["viewer"][..]), ("t1", &["editor"][..])],
    ] {
        patch(
            store,
            &p,
            vec![ready(
                "u",
                RawUserPatch {
                    user_tenants: tenants(&wanted),
                    ..Default::default()
                },
            )],
            NOW,
        )
        .await;
        let u = must_load(store, &p, "u").await;
        let got: Vec<(String, Vec<String>)> = u
            .tenants
            .iter()
            .map(|t| (t.tenant_id.to_string(), names(&t.role_names)))
            .collect();
        let want: Vec<(String, Vec<String>)> = wanted
            .iter()
            .map(|(t, r)| {
                (
                    (*t).to_string(),
                    r.iter().map(|x| (*x).to_string()).collect(),
                )
            })
            .collect();
        assert_eq!(got, want);
    }
}

/// A batch reads every user it names whole, however many, named by login ID or by user
/// ID; so does loading users by ID. Each user's
/// lists differ, and each comes back in its order.
pub async fn many_users_load_whole(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let n = 300;
    let tenant = |t: &str, roles: &[&str]| RawTenantAssignment {
        tenant_id: s(t),
        role_names: list(roles),
    };
    let items: Vec<CreateItem> = (0..n)
        .map(|i| {
            let extra = [format!("many{i}-b"), format!("many{i}-a")];
            new_user(
                Box::leak(format!("many{i}").into_boxed_str()),
                RawUserPatch {
                    role_names: list([&["viewer", "admin"][..], &["admin"], &[]][i % 3]),
                    user_tenants: Setting::Set(match i % 3 {
                        0 => vec![
                            tenant("t2", &["viewer"]),
                            tenant("t1", &["editor", "admin"]),
                        ],
                        1 => vec![tenant("t1", &["admin", "editor"])],
                        _ => vec![],
                    }),
                    additional_login_ids: if i % 2 == 0 {
                        list(&[extra[0].as_str(), extra[1].as_str()])
                    } else {
                        Setting::NotSet
                    },
                    custom_attributes: obj(json!({"age": i})),
                    ..Default::default()
                },
            )
        })
        .collect();
    let (out, _) = create_users(store, &p, &items, &origin()).await.unwrap();
    let created: Vec<User> = out
        .into_iter()
        .map(|o| match o {
            CreateOutcome::Created(u) => (*u).clone(),
            CreateOutcome::Failed { error, .. } => panic!("creating failed: {error}"),
        })
        .collect();
    // Half named by login ID (the last of their login IDs, when they have several), half
    // by user ID; the only change is the name.
    let patches: Vec<PatchItem> = created
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let selector = if i % 4 < 2 {
                logins(u).last().unwrap().to_string()
            } else {
                u.id.to_string()
            };
            ready(
                &selector,
                RawUserPatch {
                    name: s(&format!("Many {i}")),
                    ..Default::default()
                },
            )
        })
        .collect();
    let out = patch(store, &p, patches, Millis(NOW.0 + 1)).await;
    let mut wanted = Vec::new();
    for (i, (o, before)) in out.iter().zip(&created).enumerate() {
        let PatchOutcome::Patched(got) = o else {
            panic!("user {i}: {o:?}")
        };
        let mut want = before.clone();
        want.name = format!("Many {i}");
        want.version += 1;
        want.modified = Millis(NOW.0 + 1);
        assert_eq!(&**got, &want, "user {i} was not read whole");
        wanted.push(want);
    }
    assert_eq!(wanted[3].tenants.len(), 2, "the fixture has tenants");
    assert_eq!(logins(&wanted[4]).len(), 3, "the fixture has login IDs");
    let mut ids: Vec<String> = wanted.iter().rev().map(|u| u.id.to_string()).collect();
    // Named twice, near each other and far apart: each user still comes once.
    ids.push(wanted[7].id.to_string());
    ids.push(wanted[299].id.to_string());
    ids.push("U-nobody".into());
    let loaded = store.load_users(&p, &ids).await.unwrap();
    assert_eq!(loaded, wanted, "by ID: each once, whole, in creation order");
    assert_eq!(must_load(store, &p, "many299").await, wanted[299]);
}

/// Patch user `x`; the user as patched, which must be the user as stored.
async fn patch_x(store: &dyn Store, p: &ProjectId, raw: RawUserPatch) -> User {
    let out = patch(store, p, vec![ready("x", raw)], NOW).await;
    let PatchOutcome::Patched(u) = &out[0] else {
        panic!("{:?}", out[0])
    };
    let stored = must_load(store, p, "x").await;
    assert_eq!(&stored, &**u, "read back as patched");
    stored
}

/// Lists edited one row at a time read back in their order: a role or tenant added
/// after the others, one taken away, a list reordered, positions left with gaps by a
/// cascade, a login ID moving from one user to another in one batch.
pub async fn list_edits_keep_their_order(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    store
        .create_roles(
            &p,
            &[
                (RoleId::generate(&ids()), role_spec("r3", None, &[])),
                (RoleId::generate(&ids()), role_spec("r4", None, &[])),
            ],
            &origin(),
        )
        .await
        .unwrap();
    create(store, &p, "x", RawUserPatch::default()).await;
    create(store, &p, "y", RawUserPatch::default()).await;
    let roles = |names: &[&str]| RawUserPatch {
        role_names: list(names),
        ..Default::default()
    };
    let names = |u: &User| -> Vec<String> {
        u.role_names
            .iter()
            .map(|r| r.as_str().to_string())
            .collect()
    };
    patch_x(store, &p, roles(&["admin", "viewer", "r3"])).await;
    // A cascade leaves a gap: admin, then r3 two positions on.
    store
        .delete_roles(
            &p,
            &[RoleRef::Id(
                store
                    .all_roles(&p)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|r| r.name.as_str() == "viewer")
                    .unwrap()
                    .id,
            )],
            false,
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(names(&must_load(store, &p, "x").await), ["admin", "r3"]);
    for wanted in [
        &["admin", "r3", "r4"][..],
        &["r4", "admin"],
        &["r4"],
        &["r4", "admin", "r3"],
        &["admin", "r3"],
        &["r3", "r4", "admin"],
        &[],
        &["admin"],
    ] {
        assert_eq!(names(&patch_x(store, &p, roles(wanted)).await), wanted);
    }

    let tenants = |list: &[(&str, &[&str])]| RawUserPatch {
        user_tenants: Setting::Set(
            list.iter()
                .map(|(t, r)| RawTenantAssignment {
                    tenant_id: s(t),
                    role_names: super::list(r),
                })
                .collect(),
        ),
        ..Default::default()
    };
    let memberships = |u: &User| -> Vec<(String, Vec<String>)> {
        u.tenants
            .iter()
            .map(|t| {
                (
                    t.tenant_id.as_str().to_string(),
                    t.role_names
                        .iter()
                        .map(|r| r.as_str().to_string())
                        .collect(),
                )
            })
            .collect()
    };
    let own = |list: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
        list.iter()
            .map(|(t, r)| {
                (
                    (*t).to_string(),
                    r.iter().map(|x| (*x).to_string()).collect(),
                )
            })
            .collect()
    };
    for wanted in [
        &[("t1", &["editor"][..]), ("t2", &[])][..],
        &[("t1", &["editor", "admin"])],
        &[("t1", &["admin"]), ("t2", &["r4"])],
        &[("t2", &["r4"]), ("t1", &["admin", "editor"])],
        &[("t2", &[]), ("t1", &["editor", "admin"])],
        &[("t1", &["editor"])],
    ] {
        assert_eq!(
            memberships(&patch_x(store, &p, tenants(wanted)).await),
            own(wanted)
        );
    }

    let logins_of = |extra: &[&str]| RawUserPatch {
        additional_login_ids: list(extra),
        ..Default::default()
    };
    for wanted in [
        &["x2", "x3"][..],
        &["x3"],
        &["x3", "x4"],
        &["x4", "x3"],
        &["x4", "x3", "m1"],
    ] {
        let u = patch_x(store, &p, logins_of(wanted)).await;
        assert_eq!(logins(&u)[0], "x", "the first login ID stays");
        assert_eq!(&logins(&u)[1..], wanted);
    }
    // m1 moves from x to y in one batch.
    let out = patch(
        store,
        &p,
        vec![
            ready("x", logins_of(&["x4", "x3"])),
            ready("y", logins_of(&["m1"])),
        ],
        NOW,
    )
    .await;
    assert!(
        out.iter().all(|o| matches!(o, PatchOutcome::Patched(_))),
        "{out:?}"
    );
    assert_eq!(logins(&must_load(store, &p, "m1").await), ["y", "m1"]);
    assert_eq!(logins(&must_load(store, &p, "x").await), ["x", "x4", "x3"]);
}
