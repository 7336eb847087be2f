//! Unit and property tests of the patch rules, on the pure functions alone.

use super::*;
use crate::attribute::{AttributeDef, AttributeType};
use crate::catalog::Catalog;
use crate::error::ErrorCode;
use crate::ids::RoleId;
use crate::names::{AttributeName, PermissionName};
use crate::role::Role;
use proptest::prelude::*;
use serde_json::json;

fn role(name: &str, tenant: Option<&str>) -> Role {
    Role {
        id: RoleId::from_stored(format!("ROL{name}{}", tenant.unwrap_or(""))),
        name: RoleName::from_stored(name.into()),
        description: String::new(),
        permission_names: vec![PermissionName::from_stored(format!("{name}.perm"))],
        tenant_id: tenant.map(|t| TenantId::from_stored(t.into())),
        default: false,
        private: false,
        created: Millis(0),
    }
}

fn attr(name: &str, kind: AttributeType) -> AttributeDef {
    AttributeDef {
        name: AttributeName::from_stored(name.into()),
        kind,
        display_name: name.into(),
        options: vec![],
        default_value: Value::Null,
        view_permissions: vec![],
        edit_permissions: vec![],
        required: false,
    }
}

fn catalog() -> Catalog {
    Catalog::new(
        [
            role("admin", None),
            role("viewer", None),
            role("editor", Some("t1")),
        ],
        [
            (TenantId::from_stored("t1".into()), "Tenant One".into()),
            (TenantId::from_stored("t2".into()), "Tenant Two".into()),
        ],
        [
            attr("age", AttributeType::Number),
            attr("nick", AttributeType::String),
            attr("vip", AttributeType::Boolean),
        ],
    )
}

fn user(id: &str, login: &str) -> User {
    User::blank(
        UserId::from_stored(id.into()),
        LoginId::parse(login).unwrap_or_else(|_| LoginId::from_stored(login.into())),
        Millis(1_000),
    )
}

fn raw(v: Value) -> RawUserPatch {
    // A tiny reader for tests: the real one is the HTTP layer's DTO.
    let o = v.as_object().cloned().unwrap_or_default();
    let s = |k: &str| match o.get(k) {
        None => Setting::NotSet,
        Some(Value::Null) => Setting::Reset,
        Some(Value::String(x)) => Setting::Set(x.clone()),
        Some(other) => Setting::Set(other.to_string()),
    };
    let b = |k: &str| match o.get(k) {
        None => Setting::NotSet,
        Some(Value::Bool(x)) => Setting::Set(*x),
        Some(_) => Setting::Reset,
    };
    let list = |k: &str| match o.get(k) {
        None => Setting::NotSet,
        Some(Value::Array(a)) => Setting::Set(
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect(),
        ),
        Some(_) => Setting::Reset,
    };
    RawUserPatch {
        name: s("name"),
        given_name: s("givenName"),
        middle_name: s("middleName"),
        family_name: s("familyName"),
        email: s("email"),
        phone: s("phone"),
        picture: s("picture"),
        verified_email: b("verifiedEmail"),
        verified_phone: b("verifiedPhone"),
        status: s("status"),
        role_names: list("roleNames"),
        user_tenants: match o.get("userTenants") {
            None => Setting::NotSet,
            Some(Value::Array(a)) => Setting::Set(
                a.iter()
                    .map(|t| RawTenantAssignment {
                        tenant_id: match t.get("tenantId") {
                            Some(Value::String(x)) => Setting::Set(x.clone()),
                            _ => Setting::NotSet,
                        },
                        role_names: match t.get("roleNames") {
                            Some(Value::Array(r)) => Setting::Set(
                                r.iter()
                                    .map(|x| x.as_str().unwrap_or_default().to_string())
                                    .collect(),
                            ),
                            _ => Setting::NotSet,
                        },
                    })
                    .collect(),
            ),
            Some(_) => Setting::Reset,
        },
        sso_app_ids: list("ssoAppIds"),
        additional_login_ids: list("additionalIdentifiers"),
        custom_attributes: match o.get("customAttributes") {
            None => Setting::NotSet,
            Some(Value::Object(m)) => Setting::Set(m.clone()),
            Some(_) => Setting::Reset,
        },
        scim: b("scim"),
        expected_version: match o.get("expectedVersion") {
            None => Setting::NotSet,
            Some(v) => v.as_i64().map_or(Setting::Reset, Setting::Set),
        },
    }
}

fn patch(v: Value) -> UserPatch {
    match UserPatch::parse(raw(v)) {
        Ok(p) => p,
        Err(e) => panic!("patch did not parse: {e}"),
    }
}

fn apply(u: &User, v: Value) -> Result<User, Error> {
    apply_patch(u, &patch(v), &catalog(), &HashMap::new(), Millis(5_000))
}

#[test]
fn absent_and_null_fields_leave_the_user_alone() {
    let mut u = user("U1", "a@x.io");
    u.name = "Ann".into();
    u.custom_attributes.insert("age".into(), json!(30));
    let same = apply(&u, json!({})).unwrap();
    assert_eq!(
        same, u,
        "an empty patch changes nothing, not even the version"
    );
    let same = apply(
        &u,
        json!({"name": null, "roleNames": null, "customAttributes": null}),
    )
    .unwrap();
    assert_eq!(same, u);
}

#[test]
fn scalars_replace_and_empty_strings_clear() {
    let mut u = user("U1", "a@x.io");
    u.email = Some(Email::from_stored("a@x.io".into()));
    u.name = "Ann".into();
    let next = apply(
        &u,
        json!({"name": "", "givenName": "Ann", "email": "", "phone": "+1 (555) 555-5555"}),
    )
    .unwrap();
    assert_eq!(next.name, "");
    assert_eq!(next.given_name, "Ann");
    assert_eq!(next.email, None);
    assert_eq!(next.phone.as_ref().map(Phone::as_str), Some("+15555555555"));
    assert_eq!(next.version, 2);
    assert_eq!(next.modified, Millis(5_000));
    assert_eq!(next.created, u.created);
}

#[test]
fn bad_email_phone_and_status_name_their_field() {
    let e = UserPatch::parse(raw(json!({"email": "nope"}))).unwrap_err();
    assert_eq!(e.field, "email");
    let e = UserPatch::parse(raw(json!({"phone": "555"}))).unwrap_err();
    assert_eq!(e.field, "phone");
    let e = UserPatch::parse(raw(json!({"status": "active"}))).unwrap_err();
    assert_eq!(e.field, "status");
    assert_eq!(
        patch(json!({"status": ""})).status,
        None,
        "\"\" leaves the status"
    );
}

#[test]
fn roles_replace_the_list_and_must_exist() {
    let u = user("U1", "a");
    let next = apply(&u, json!({"roleNames": ["admin", "viewer", "admin"]})).unwrap();
    assert_eq!(
        next.role_names
            .iter()
            .map(RoleName::as_str)
            .collect::<Vec<_>>(),
        ["admin", "viewer"]
    );
    let cleared = apply(&next, json!({"roleNames": []})).unwrap();
    assert!(cleared.role_names.is_empty());
    let err = apply(&u, json!({"roleNames": ["admin", "ghost"]})).unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationFailure);
    assert_eq!(err.message, "roleNames: role \"ghost\" does not exist");
    let err = apply(&u, json!({"roleNames": ["editor"]})).unwrap_err();
    assert!(
        err.message.contains("\"editor\""),
        "tenant roles are not project roles"
    );
}

#[test]
fn tenants_replace_the_list_with_roles_from_tenant_or_project() {
    let u = user("U1", "a");
    let next = apply(
        &u,
        json!({"userTenants": [{"tenantId": "t1", "roleNames": ["editor", "viewer"]}, {"tenantId": "t2"}]}),
    )
    .unwrap();
    assert_eq!(next.tenants.len(), 2);
    assert_eq!(next.tenants[1].role_names, Vec::<RoleName>::new());
    let only_t2 = apply(&next, json!({"userTenants": [{"tenantId": "t2"}]})).unwrap();
    assert_eq!(only_t2.tenants.len(), 1, "tenants not named are removed");
    let err = apply(&u, json!({"userTenants": [{"tenantId": "t3"}]})).unwrap_err();
    assert_eq!(
        err.message,
        "userTenants[0].tenantId: tenant \"t3\" does not exist"
    );
    let err = apply(
        &u,
        json!({"userTenants": [{"tenantId": "t2", "roleNames": ["editor"]}]}),
    )
    .unwrap_err();
    assert!(
        err.message
            .starts_with("userTenants[0].roleNames: role \"editor\"")
    );
    let e = UserPatch::parse(raw(json!({"userTenants": [{"roleNames": []}]}))).unwrap_err();
    assert_eq!(e.to_string(), "userTenants[0].tenantId: is required");
    let e = UserPatch::parse(raw(
        json!({"userTenants": [{"tenantId": "t1"}, {"tenantId": "t1"}]}),
    ))
    .unwrap_err();
    assert_eq!(e.field, "userTenants");
}

#[test]
fn custom_attributes_merge_per_key_and_null_removes() {
    let mut u = user("U1", "a");
    u.custom_attributes.insert("age".into(), json!(30));
    u.custom_attributes.insert("nick".into(), json!("annie"));
    let next = apply(&u, json!({"customAttributes": {"vip": true, "nick": null}})).unwrap();
    assert_eq!(
        Value::Object(next.custom_attributes),
        json!({"age": 30, "vip": true})
    );
    let err = apply(&u, json!({"customAttributes": {"age": "thirty"}})).unwrap_err();
    assert_eq!(
        err.message,
        "customAttributes.age: expected a number, found the string \"thirty\""
    );
    let err = apply(&u, json!({"customAttributes": {"shoeSize": 42}})).unwrap_err();
    assert_eq!(
        err.message,
        "customAttributes.shoeSize: is not a custom attribute of this project"
    );
}

#[test]
fn additional_identifiers_keep_the_primary_and_refuse_others_login_ids() {
    let u = user("U1", "a");
    let other = user("U2", "b");
    let mut ws = Workspace::new(vec![u, other], []);
    let c = catalog();
    let p = patch(json!({"additionalIdentifiers": ["a2", "a", "a2"]}));
    let next = ws.patch("a", &p, &c, Millis(9)).unwrap();
    assert_eq!(
        next.login_ids
            .iter()
            .map(LoginId::as_str)
            .collect::<Vec<_>>(),
        ["a", "a2"]
    );
    assert_eq!(ws.resolve("a2").map(|u| u.id.as_str()), Some("U1"));
    let taken = patch(json!({"additionalIdentifiers": ["a2"]}));
    let f = ws.patch("b", &taken, &c, Millis(9)).unwrap_err();
    assert_eq!(f.error.code, ErrorCode::AlreadyExists);
    assert!(f.error.message.starts_with("additionalIdentifiers:"));
    assert_eq!(f.user.as_ref().map(|u| u.id.as_str()), Some("U2"));
    // Released by U1, then free for U2, as if the items had been sent one by one.
    ws.patch(
        "U1",
        &patch(json!({"additionalIdentifiers": []})),
        &c,
        Millis(9),
    )
    .unwrap();
    assert!(ws.resolve("a2").is_none());
    ws.patch("b", &taken, &c, Millis(9)).unwrap();
    assert_eq!(ws.resolve("a2").map(|u| u.id.as_str()), Some("U2"));
}

#[test]
fn selectors_prefer_login_ids_over_user_ids() {
    let a = user("U1", "U2");
    let b = user("U2", "b");
    let ws = Workspace::new(vec![a, b], []);
    assert_eq!(ws.resolve("U2").map(|u| u.id.as_str()), Some("U1"));
    assert_eq!(ws.resolve("U1").map(|u| u.id.as_str()), Some("U1"));
    assert_eq!(ws.resolve("b").map(|u| u.id.as_str()), Some("U2"));
    assert!(ws.resolve("nobody").is_none());
}

#[test]
fn an_expected_version_must_be_the_users() {
    let u = user("U1", "a");
    assert_eq!(u.version, 1);
    let next = apply(&u, json!({"name": "n", "expectedVersion": 1})).unwrap();
    assert_eq!(next.version, 2);
    let e = apply(&u, json!({"name": "n", "expectedVersion": 2})).unwrap_err();
    assert_eq!(e.code, ErrorCode::VersionChanged);
    assert_eq!(
        e.message,
        "expectedVersion: the user is at version 1, not 2: it changed since it was read; read it again"
    );
    // In a batch, an item sees the version the items before it left.
    let mut ws = Workspace::new(vec![user("U1", "a")], []);
    let items: Vec<PatchItem> = [(1, "x"), (2, "y"), (2, "z")]
        .into_iter()
        .map(|(v, name)| PatchItem::Ready {
            selector: "a".into(),
            patch: patch(json!({"name": name, "expectedVersion": v})),
        })
        .collect();
    let out = ws.apply_batch(&items, &catalog(), Millis(7));
    assert!(matches!(&out[0], PatchOutcome::Patched(u) if u.version == 2));
    assert!(matches!(&out[1], PatchOutcome::Patched(u) if u.version == 3 && u.name == "y"));
    assert!(
        matches!(&out[2], PatchOutcome::Failed { failure, .. } if failure.error.code == ErrorCode::VersionChanged)
    );
}

#[test]
fn a_batch_applies_in_order_and_reports_each_item() {
    let mut ws = Workspace::new(vec![user("U1", "a"), user("U2", "b")], []);
    let c = catalog();
    let items = vec![
        PatchItem::Ready {
            selector: "a".into(),
            patch: patch(json!({"name": "first"})),
        },
        PatchItem::Ready {
            selector: "ghost".into(),
            patch: patch(json!({"name": "x"})),
        },
        PatchItem::Unaddressable {
            message: "loginId is required".into(),
        },
        PatchItem::Ready {
            selector: "b".into(),
            patch: patch(json!({"roleNames": ["ghost"], "name": "never"})),
        },
        PatchItem::Ready {
            selector: "a".into(),
            patch: patch(json!({"familyName": "second"})),
        },
    ];
    let out = ws.apply_batch(&items, &c, Millis(7));
    let PatchOutcome::Patched(first) = &out[0] else {
        panic!("{:?}", out[0])
    };
    assert_eq!(
        (first.name.as_str(), first.family_name.as_str()),
        ("first", "")
    );
    assert!(
        matches!(&out[1], PatchOutcome::Failed { failure, .. } if failure.user.is_none() && failure.error.code == ErrorCode::UserNotFound)
    );
    assert!(matches!(
        &out[2],
        PatchOutcome::Unaddressable { index: 2, .. }
    ));
    let PatchOutcome::Failed { failure, .. } = &out[3] else {
        panic!("{:?}", out[3])
    };
    assert_eq!(failure.user.as_ref().map(|u| u.name.as_str()), Some(""));
    let PatchOutcome::Patched(last) = &out[4] else {
        panic!("{:?}", out[4])
    };
    assert_eq!(
        (last.name.as_str(), last.family_name.as_str()),
        ("first", "second")
    );
    assert_eq!(last.version, 3);
    let changes = ws.into_changes();
    assert_eq!(changes.len(), 1, "the failed user is not written");
    assert_eq!(changes[0].user.family_name, "second");
    assert!(!changes[0].roles_changed && !changes[0].login_ids_changed);
}

#[test]
fn creation_checks_what_a_patch_checks_and_that_the_login_id_is_free() {
    let mut ws = Workspace::new(vec![user("U1", "a")], []);
    let c = catalog();
    let blank = user("U9", "a");
    let f = ws
        .create(blank, &UserPatch::default(), &c, Millis(1))
        .unwrap_err();
    assert_eq!(f.error.code, ErrorCode::AlreadyExists);
    let f = ws
        .create(
            user("U9", "new"),
            &patch(json!({"roleNames": ["ghost"]})),
            &c,
            Millis(1),
        )
        .unwrap_err();
    assert_eq!(f.error.code, ErrorCode::ValidationFailure);
    let made = ws
        .create(
            user("U9", "new"),
            &patch(json!({"roleNames": ["admin"], "name": "N"})),
            &c,
            Millis(1),
        )
        .unwrap();
    assert_eq!((made.version, made.status), (1, UserStatus::Invited));
    assert_eq!(ws.resolve("new").map(|u| u.id.as_str()), Some("U9"));
    let changes = ws.into_changes();
    assert!(changes[0].created);
}

fn any_patch_json() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        Just(Value::Null),
        Just(json!("")),
        "[a-z]{1,6}".prop_map(Value::from)
    ];
    let email = prop_oneof![Just(json!("ok@x.io")), Just(json!("bad")), Just(json!(""))];
    let roles = prop::collection::vec(
        prop_oneof![Just("admin"), Just("viewer"), Just("ghost")],
        0..3,
    );
    let attrs = prop::collection::btree_map(
        prop_oneof![
            Just("age".to_string()),
            Just("nick".to_string()),
            Just("ghost".to_string())
        ],
        prop_oneof![
            Just(Value::Null),
            Just(json!(1)),
            Just(json!("s")),
            Just(json!(true))
        ],
        0..3,
    );
    (
        prop::option::of(name),
        prop::option::of(email),
        prop::option::of(roles),
        prop::option::of(attrs),
    )
        .prop_map(|(n, e, r, a)| {
            let mut o = Map::new();
            if let Some(n) = n {
                o.insert("name".into(), n);
            }
            if let Some(e) = e {
                o.insert("email".into(), e);
            }
            if let Some(r) = r {
                o.insert("roleNames".into(), json!(r));
            }
            if let Some(a) = a {
                o.insert("customAttributes".into(), json!(a));
            }
            Value::Object(o)
        })
}

proptest! {
    /// A failing patch changes nothing; a succeeding one changes the version exactly
    /// when it changes the data; fields the patch does not name never move.
    #[test]
    fn patches_are_atomic_and_versioned(patches in prop::collection::vec(any_patch_json(), 1..12)) {
        let c = catalog();
        let mut ws = Workspace::new(vec![user("U1", "a")], []);
        for p in &patches {
            let before = ws.resolve("a").cloned().ok_or_else(|| TestCaseError::fail("lost user"))?;
            let parsed = UserPatch::parse(raw(p.clone()));
            let Ok(parsed) = parsed else { continue };
            match ws.patch("a", &parsed, &c, Millis(42)) {
                Err(f) => {
                    prop_assert_eq!(f.user.as_ref(), Some(&before));
                    prop_assert_eq!(ws.resolve("a"), Some(&before));
                }
                Ok(after) => {
                    prop_assert_eq!(ws.resolve("a"), Some(&after));
                    if after.same_data(&before) {
                        prop_assert_eq!(after.version, before.version);
                    } else {
                        prop_assert_eq!(after.version, before.version + 1);
                    }
                    if p.get("email").is_none() { prop_assert_eq!(&after.email, &before.email); }
                    if p.get("roleNames").is_none() { prop_assert_eq!(&after.role_names, &before.role_names); }
                    if p.get("name").is_none_or(Value::is_null) { prop_assert_eq!(&after.name, &before.name); }
                    prop_assert!(c.dangling_references(&after).is_empty());
                }
            }
        }
    }
}
