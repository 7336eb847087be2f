//! The conformance suite: what every backend must do, written once.
//!
//! Each check takes a store and works in projects of its own (fresh random IDs), so the
//! checks can share one database and run in any order. The test binary runs every check
//! against every backend it has (SQLite today, in memory and in a file), through the
//! [`checks!`](crate::checks) list.
//!
//! This is test code: a failed expectation panics with a message saying what the
//! backend did wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;

use roster_domain::ErrorCode;
use roster_domain::attribute::{AttributeDef, AttributeType, SelectOption};
use roster_domain::create::{NewUser, RawNewUser};
use roster_domain::ids::{KeyId, PermissionId, ProjectId, RandomIds, RoleId, TenantId, UserId};
use roster_domain::keys::ManagementKey;
use roster_domain::names::{AttributeName, Label, PermissionName, RoleName};
use roster_domain::patch::{PatchItem, PatchOutcome, RawTenantAssignment, RawUserPatch, UserPatch};
use roster_domain::permission::{PermissionRef, PermissionUpdate};
use roster_domain::role::{RoleRef, RoleSpec, RoleUpdate};
use roster_domain::search::{TenantRoleFilter, TestUsers, UserQuery};
use roster_domain::setting::Setting;
use roster_domain::status::UserStatus;
use roster_domain::tenant::TenantSpec;
use roster_domain::time::Millis;
use roster_domain::user::User;
use serde_json::{Map, Value, json};

use crate::auth::authenticate;
use crate::batch::{CreateItem, CreateOutcome, create_users, patch_users};
use crate::{Store, StoredKey, UserSelector};

/// Every check, by name. The test binary expands this into one test per check and
/// backend: `roster_store::checks!(my_macro)` calls `my_macro!(name)` for each.
#[macro_export]
macro_rules! checks {
    ($m:ident) => {
        $m!(projects_and_keys);
        $m!(create_and_load_users);
        $m!(login_ids_are_unique);
        $m!(patch_batches_apply_in_order);
        $m!(lists_round_trip);
        $m!(search_filters);
        $m!(search_pages_and_sorts);
        $m!(deleting_users);
        $m!(tenants);
        $m!(roles);
        $m!(permissions);
        $m!(attributes);
        $m!(projects_are_isolated);
        $m!(hostile_strings_are_data);
        $m!(large_batches);
        $m!(concurrent_batches_lose_nothing);
    };
}

const NOW: Millis = Millis(1_764_000_000_000);

fn ids() -> RandomIds {
    RandomIds
}

/// A fresh project with a catalog: roles `admin` (perm `users.write`) and `viewer` (perm
/// `users.read`), tenants `t1` ("Tenant One", with its own role `editor`) and `t2`,
/// attributes `age` (number), `nick` (string), `plan` (single select gold/silver).
async fn fixture(store: &dyn Store) -> ProjectId {
    let project = ProjectId::generate(&ids());
    store
        .create_project(&project, &Label::parse("conformance").unwrap(), NOW)
        .await
        .unwrap();
    store
        .create_permissions(
            &project,
            &[
                (
                    PermissionId::generate(&ids()),
                    perm("users.read"),
                    "read users".into(),
                ),
                (
                    PermissionId::generate(&ids()),
                    perm("users.write"),
                    String::new(),
                ),
            ],
        )
        .await
        .unwrap();
    for (id, name) in [("t1", "Tenant One"), ("t2", "Tenant Two")] {
        store
            .create_tenant(&project, &tenant_id(id), &tenant_spec(name), NOW)
            .await
            .unwrap();
    }
    store
        .create_roles(
            &project,
            &[
                (
                    RoleId::generate(&ids()),
                    role_spec("admin", None, &["users.write"]),
                ),
                (
                    RoleId::generate(&ids()),
                    role_spec("viewer", None, &["users.read"]),
                ),
                (
                    RoleId::generate(&ids()),
                    role_spec("editor", Some("t1"), &["users.write", "users.read"]),
                ),
            ],
            NOW,
        )
        .await
        .unwrap();
    store
        .create_attributes(
            &project,
            &[
                attr("age", AttributeType::Number, &[]),
                attr("nick", AttributeType::String, &[]),
                attr("plan", AttributeType::SingleSelect, &["gold", "silver"]),
            ],
        )
        .await
        .unwrap();
    project
}

fn perm(s: &str) -> PermissionName {
    PermissionName::parse(s).unwrap()
}

fn tenant_id(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

fn tenant_spec(name: &str) -> TenantSpec {
    TenantSpec {
        name: Label::parse(name).unwrap(),
        self_provisioning_domains: vec![],
        custom_attributes: Map::new(),
        enforce_sso: false,
        enforce_sso_exclusions: vec![],
        federated_app_ids: vec![],
        disabled: false,
        parent: None,
        role_inheritance: String::new(),
        default_roles: vec![],
    }
}

fn role_spec(name: &str, tenant: Option<&str>, perms: &[&str]) -> RoleSpec {
    RoleSpec {
        name: RoleName::parse(name).unwrap(),
        description: format!("the {name} role"),
        permission_names: perms.iter().map(|p| perm(p)).collect(),
        tenant_id: tenant.map(tenant_id),
        default: false,
        private: false,
    }
}

fn attr(name: &str, kind: AttributeType, options: &[&str]) -> AttributeDef {
    AttributeDef {
        name: AttributeName::parse(name).unwrap(),
        kind,
        display_name: name.to_uppercase(),
        options: options
            .iter()
            .map(|o| SelectOption {
                value: (*o).into(),
                label: o.to_uppercase(),
            })
            .collect(),
        default_value: Value::Null,
        view_permissions: vec![],
        edit_permissions: vec![],
        required: false,
    }
}

fn s(v: &str) -> Setting<String> {
    Setting::Set(v.to_string())
}

fn list(v: &[&str]) -> Setting<Vec<String>> {
    Setting::Set(v.iter().map(|x| (*x).to_string()).collect())
}

fn obj(v: Value) -> Setting<Map<String, Value>> {
    Setting::Set(v.as_object().cloned().unwrap())
}

fn new_user(login: &str, fields: RawUserPatch) -> CreateItem {
    let user = NewUser::parse(RawNewUser {
        login_id: s(login),
        fields,
        ..Default::default()
    })
    .unwrap();
    CreateItem::Ready {
        id: UserId::generate(&ids()),
        user,
    }
}

async fn create(store: &dyn Store, project: &ProjectId, login: &str, fields: RawUserPatch) -> User {
    let (out, _) = create_users(store, project, &[new_user(login, fields)], NOW)
        .await
        .unwrap();
    match out.into_iter().next().unwrap() {
        CreateOutcome::Created(u) => u,
        CreateOutcome::Failed { error, .. } => panic!("creating {login} failed: {error}"),
    }
}

fn ready(selector: &str, raw: RawUserPatch) -> PatchItem {
    PatchItem::Ready {
        selector: selector.to_string(),
        patch: UserPatch::parse(raw).unwrap(),
    }
}

async fn patch(
    store: &dyn Store,
    project: &ProjectId,
    items: Vec<PatchItem>,
    now: Millis,
) -> Vec<PatchOutcome> {
    patch_users(store, project, &items, now).await.unwrap().0
}

async fn load(store: &dyn Store, project: &ProjectId, selector: &str) -> Option<User> {
    store
        .load_user(project, UserSelector::LoginOrUserId(selector))
        .await
        .unwrap()
}

async fn must_load(store: &dyn Store, project: &ProjectId, selector: &str) -> User {
    load(store, project, selector)
        .await
        .unwrap_or_else(|| panic!("user {selector} not found"))
}

fn logins(u: &User) -> Vec<&str> {
    u.login_ids.iter().map(|l| l.as_str()).collect()
}

async fn search(store: &dyn Store, project: &ProjectId, q: UserQuery) -> (Vec<String>, u64) {
    let (users, total) = store.search_users(project, &q).await.unwrap();
    let mut names: Vec<String> = users.iter().map(|u| logins(u)[0].to_string()).collect();
    names.sort();
    (names, total)
}

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
        id: KeyId::generate(&ids()),
        name: "ci".into(),
        hash: k.hash(),
        created: NOW,
        expires,
        revoked: None,
    };
    assert!(store.add_key(&p, &stored(&key, None)).await.unwrap());
    assert!(
        !store.add_key(&p, &stored(&key, None)).await.unwrap(),
        "same digest twice is a no-op"
    );
    assert!(authenticate(store, &p, &key, NOW).await.unwrap());
    let wrong = ManagementKey::generate(&ids());
    assert!(!authenticate(store, &p, &wrong, NOW).await.unwrap());

    let other = ProjectId::generate(&ids());
    store.create_project(&other, &name, NOW).await.unwrap();
    assert!(
        !authenticate(store, &other, &key, NOW).await.unwrap(),
        "a key only opens its own project"
    );
    let ghost = ProjectId::generate(&ids());
    assert!(!authenticate(store, &ghost, &key, NOW).await.unwrap());
    let missing = store
        .add_key(&ghost, &stored(&key, None))
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::ProjectNotFound);

    let expiring = ManagementKey::generate(&ids());
    store
        .add_key(&p, &stored(&expiring, Some(Millis(NOW.0 + 10))))
        .await
        .unwrap();
    assert!(authenticate(store, &p, &expiring, NOW).await.unwrap());
    assert!(
        !authenticate(store, &p, &expiring, Millis(NOW.0 + 10))
            .await
            .unwrap()
    );

    let keys = store.keys(&p).await.unwrap();
    assert_eq!(keys.len(), 2);
    let first = keys.iter().find(|k| k.hash.matches(&key.hash())).unwrap();
    assert!(store.revoke_key(&p, &first.id, NOW).await.unwrap());
    assert!(
        !authenticate(store, &p, &key, NOW).await.unwrap(),
        "a revoked key is refused"
    );
    assert!(
        authenticate(store, &p, &expiring, NOW).await.unwrap(),
        "other keys still work"
    );
    assert!(
        !store.revoke_key(&other, &first.id, NOW).await.unwrap(),
        "keys are per project"
    );
}

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
        NOW,
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
        NOW,
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
    assert_eq!(&stored, last, "what was returned is what was stored");
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
    assert_eq!(&u, patched);
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

pub async fn search_filters(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let t0 = Millis(NOW.0 - 10_000);
    let mk = |login: &'static str, f: RawUserPatch| new_user(login, f);
    create_users(
        store,
        &p,
        &[
            mk(
                "alice",
                RawUserPatch {
                    email: s("alice@acme.com"),
                    name: s("Alice Liddell"),
                    status: s("enabled"),
                    role_names: list(&["admin"]),
                    custom_attributes: obj(json!({"plan": "gold", "age": 30})),
                    verified_email: Setting::Set(true),
                    sso_app_ids: list(&["app-a"]),
                    ..Default::default()
                },
            ),
            mk(
                "bob",
                RawUserPatch {
                    phone: s("+44 20 7946 0018"),
                    status: s("disabled"),
                    user_tenants: Setting::Set(vec![RawTenantAssignment {
                        tenant_id: s("t1"),
                        role_names: list(&["editor"]),
                    }]),
                    custom_attributes: obj(json!({"plan": "silver", "nick": "bobby"})),
                    ..Default::default()
                },
            ),
            mk(
                "carol",
                RawUserPatch {
                    user_tenants: Setting::Set(vec![
                        RawTenantAssignment {
                            tenant_id: s("t1"),
                            role_names: list(&["editor", "viewer"]),
                        },
                        RawTenantAssignment {
                            tenant_id: s("t2"),
                            role_names: Setting::NotSet,
                        },
                    ]),
                    ..Default::default()
                },
            ),
        ],
        t0,
    )
    .await
    .unwrap();
    let test_item = CreateItem::Ready {
        id: UserId::generate(&ids()),
        user: NewUser::parse(RawNewUser {
            login_id: s("tester"),
            test: true,
            ..Default::default()
        })
        .unwrap(),
    };
    create_users(store, &p, &[test_item], NOW).await.unwrap();
    patch(
        store,
        &p,
        vec![ready(
            "carol",
            RawUserPatch {
                name: s("Carol 100% Real"),
                ..Default::default()
            },
        )],
        Millis(NOW.0 + 1_000),
    )
    .await;

    let q = |f: &dyn Fn(&mut UserQuery)| {
        let mut q = UserQuery::new();
        f(&mut q);
        q
    };
    let all = search(store, &p, UserQuery::new()).await;
    assert_eq!(
        all,
        (vec!["alice".into(), "bob".into(), "carol".into()], 3),
        "test users are hidden by default"
    );
    let cases: Vec<(UserQuery, Vec<&str>)> = vec![
        (
            q(&|q| q.test_users = TestUsers::Include),
            vec!["alice", "bob", "carol", "tester"],
        ),
        (q(&|q| q.test_users = TestUsers::Only), vec!["tester"]),
        (
            q(&|q| q.login_ids = vec!["bob".into(), "zed".into()]),
            vec!["bob"],
        ),
        (
            q(&|q| q.emails = vec!["alice@acme.com".into()]),
            vec!["alice"],
        ),
        (q(&|q| q.phones = vec!["+442079460018".into()]), vec!["bob"]),
        (
            q(&|q| q.statuses = vec![UserStatus::Enabled, UserStatus::Disabled]),
            vec!["alice", "bob"],
        ),
        (
            q(&|q| q.statuses = vec![UserStatus::Invited]),
            vec!["carol"],
        ),
        (q(&|q| q.tenant_ids = vec!["t2".into()]), vec!["carol"]),
        (
            q(&|q| q.tenant_ids = vec!["t1".into(), "t2".into()]),
            vec!["bob", "carol"],
        ),
        (q(&|q| q.role_names = vec!["admin".into()]), vec!["alice"]),
        (
            q(&|q| q.role_names = vec!["editor".into()]),
            vec!["bob", "carol"],
        ),
        (
            q(&|q| {
                q.tenant_roles = vec![TenantRoleFilter {
                    tenant_id: "t1".into(),
                    role_names: vec!["editor".into(), "viewer".into()],
                    all: true,
                }]
            }),
            vec!["carol"],
        ),
        (
            q(&|q| {
                q.tenant_roles = vec![TenantRoleFilter {
                    tenant_id: "t1".into(),
                    role_names: vec!["editor".into(), "viewer".into()],
                    all: false,
                }]
            }),
            vec!["bob", "carol"],
        ),
        (
            q(&|q| q.custom_attributes = vec![("plan".into(), json!("gold"))]),
            vec!["alice"],
        ),
        (
            q(&|q| q.custom_attributes = vec![("plan".into(), json!(["gold", "silver"]))]),
            vec!["alice", "bob"],
        ),
        (
            q(&|q| q.custom_attributes = vec![("age".into(), json!(30))]),
            vec!["alice"],
        ),
        (
            q(&|q| q.custom_attributes = vec![("age".into(), json!("30"))]),
            vec![],
        ),
        (
            q(&|q| {
                q.custom_attributes = vec![
                    ("plan".into(), json!("gold")),
                    ("nick".into(), json!("bobby")),
                ]
            }),
            vec![],
        ),
        (
            q(&|q| q.custom_attributes = vec![("no such key!".into(), json!(1))]),
            vec![],
        ),
        (q(&|q| q.sso_app_ids = vec!["app-a".into()]), vec!["alice"]),
        (q(&|q| q.text = "LIDDELL".into()), vec!["alice"]),
        (q(&|q| q.text = "+4420".into()), vec!["bob"]),
        (q(&|q| q.text = "acme.com".into()), vec!["alice"]),
        (q(&|q| q.text = "100%".into()), vec!["carol"]),
        (q(&|q| q.text = "%".into()), vec!["carol"]),
        (q(&|q| q.verified_email = Some(true)), vec!["alice"]),
        (q(&|q| q.verified_email = Some(false)), vec!["bob", "carol"]),
        (q(&|q| q.from_created = Some(NOW)), vec![]),
        (
            q(&|q| q.to_created = Some(t0)),
            vec!["alice", "bob", "carol"],
        ),
        (
            q(&|q| q.from_modified = Some(Millis(NOW.0 + 1))),
            vec!["carol"],
        ),
        (q(&|q| q.to_modified = Some(NOW)), vec!["alice", "bob"]),
    ];
    for (i, (query, want)) in cases.into_iter().enumerate() {
        let (got, total) = search(store, &p, query.clone()).await;
        assert_eq!(got, want, "case {i}: {query:?}");
        assert_eq!(total, want.len() as u64, "case {i}: total");
    }
}

pub async fn search_pages_and_sorts(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let items: Vec<CreateItem> = (0..25)
        .map(|i| {
            new_user(
                Box::leak(format!("user{i:02}").into_boxed_str()),
                RawUserPatch {
                    name: s(&format!("{}", 24 - i)),
                    ..Default::default()
                },
            )
        })
        .collect();
    create_users(store, &p, &items, NOW).await.unwrap();
    let mut seen = BTreeSet::new();
    for page in 0..3 {
        let mut q = UserQuery::new();
        q.paginate(10, page, 0);
        let (users, total) = store.search_users(&p, &q).await.unwrap();
        assert_eq!(total, 25, "total counts every match, not the page");
        assert_eq!(users.len(), if page < 2 { 10 } else { 5 });
        for u in users {
            assert!(seen.insert(u.id.clone()), "pages do not overlap");
        }
    }
    assert_eq!(seen.len(), 25);
    let mut q = UserQuery::new();
    q.sort = vec![(roster_domain::search::SortField::LoginId, true)];
    q.paginate(3, 0, 0);
    let (users, _) = store.search_users(&p, &q).await.unwrap();
    assert_eq!(
        users.iter().map(|u| logins(u)[0]).collect::<Vec<_>>(),
        ["user24", "user23", "user22"]
    );
    let mut q = UserQuery::new();
    q.paginate(2, 0, 4);
    q.sort = vec![(roster_domain::search::SortField::LoginId, false)];
    let (users, _) = store.search_users(&p, &q).await.unwrap();
    assert_eq!(
        users.iter().map(|u| logins(u)[0]).collect::<Vec<_>>(),
        ["user04", "user05"],
        "offset wins over page"
    );
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
            .delete_user(&p, UserSelector::LoginOrUserId("a-alt"))
            .await
            .unwrap()
    );
    assert!(load(store, &p, "a").await.is_none());
    assert!(
        !store
            .delete_user(&p, UserSelector::LoginOrUserId("a"))
            .await
            .unwrap()
    );
    // Its login IDs are free again.
    let again = create(store, &p, "a-alt", RawUserPatch::default()).await;
    assert_ne!(again.id, a.id);
    assert!(
        store
            .delete_user(&p, UserSelector::UserId(b.id.as_str()))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_user(&p, UserSelector::UserId("c"))
            .await
            .unwrap(),
        "userId is not a login ID"
    );
    assert_eq!(
        store
            .delete_users(&p, &[c.id.to_string(), "U-missing".into()])
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
    create_users(store, &p, &[tester], NOW).await.unwrap();
    assert_eq!(store.delete_test_users(&p).await.unwrap(), 1);
    let mut q = UserQuery::new();
    q.test_users = TestUsers::Include;
    assert_eq!(search(store, &p, q).await.0, vec!["a-alt".to_string()]);
}

pub async fn tenants(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let dup = store
        .create_tenant(&p, &tenant_id("t1"), &tenant_spec("Other"), NOW)
        .await
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::AlreadyExists);
    assert!(dup.message.starts_with("id:"), "{dup}");
    let dup = store
        .create_tenant(&p, &tenant_id("t3"), &tenant_spec("Tenant One"), NOW)
        .await
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::AlreadyExists);
    assert!(dup.message.starts_with("name:"), "{dup}");
    let mut child = tenant_spec("Child");
    child.parent = Some(tenant_id("nope"));
    let e = store
        .create_tenant(&p, &tenant_id("c"), &child, NOW)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailure);
    child.parent = Some(tenant_id("t1"));
    child.custom_attributes = json!({"region": "eu"}).as_object().cloned().unwrap();
    child.self_provisioning_domains = vec!["child.example".into()];
    store
        .create_tenant(&p, &tenant_id("c"), &child, NOW)
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
        .update_tenant(&p, &tenant_id("t1"), &renamed)
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
        .update_tenant(&p, &tenant_id("zz"), &renamed)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TenantNotFound);
    let e = store
        .update_tenant(&p, &tenant_id("t2"), &renamed)
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
        .delete_tenant(&p, &tenant_id("t1"), false)
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
        .delete_tenant(&p, &tenant_id("t1"), false)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TenantNotFound);

    store
        .delete_tenant(&p, &tenant_id("t2"), true)
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
            NOW,
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
            NOW,
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
            NOW,
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
            NOW,
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
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);

    store
        .delete_roles(&p, &[RoleRef::Id(su.id.clone())], false)
        .await
        .unwrap();
    let u = must_load(store, &p, "u").await;
    assert_eq!(
        u.role_names.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        ["viewer"],
        "deleted roles leave users"
    );
    let e = store
        .delete_roles(&p, &[RoleRef::Id(su.id.clone())], false)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleNotFound);
    store
        .delete_roles(&p, &[RoleRef::Id(su.id.clone())], true)
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
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    store
        .delete_permissions(&p, &[PermissionRef::Id(all[0].id.clone())], false)
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
        .delete_permissions(&p, &[PermissionRef::Name(perm("users.view"))], false)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionNotFound);
    store
        .delete_permissions(&p, &[PermissionRef::Name(perm("users.view"))], true)
        .await
        .unwrap();
}

pub async fn attributes(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let defs = store.all_attributes(&p).await.unwrap();
    assert_eq!(
        defs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["age", "nick", "plan"],
        "creation order"
    );
    assert_eq!(defs[2].options.len(), 2);
    let e = store
        .create_attributes(&p, &[attr("age", AttributeType::String, &[])])
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    create(
        store,
        &p,
        "u",
        RawUserPatch {
            custom_attributes: obj(json!({"age": 3, "nick": "n"})),
            ..Default::default()
        },
    )
    .await;
    store
        .delete_attributes(&p, &["age".into(), "never-defined".into()])
        .await
        .unwrap();
    let u = must_load(store, &p, "u").await;
    assert_eq!(
        Value::Object(u.custom_attributes),
        json!({"nick": "n"}),
        "values of a deleted attribute go too"
    );
    let catalog = store.catalog(&p).await.unwrap();
    assert!(catalog.attribute("age").is_none());
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
            .delete_user(&p2, UserSelector::UserId(u1.id.as_str()))
            .await
            .unwrap()
    );
    assert_eq!(
        store.delete_users(&p2, &[u1.id.to_string()]).await.unwrap(),
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
        .delete_tenant(&p2, &tenant_id("t1"), true)
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
    let (out, _) = create_users(store, &p, &items, NOW).await.unwrap();
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
    let (_, total) = store.search_users(&p, &q).await.unwrap();
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
    create_users(&*store, &p, &items, NOW).await.unwrap();
    let attrs: Vec<AttributeDef> = (0..writers)
        .map(|w| attr(&format!("w{w}"), AttributeType::Number, &[]))
        .collect();
    store.create_attributes(&p, &attrs).await.unwrap();
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
                let (out, _) = patch_users(&*store, &p, &items, NOW).await.unwrap();
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
