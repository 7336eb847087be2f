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
