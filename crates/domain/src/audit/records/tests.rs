//! The records' contents: what a user's diff shows, and what it never shows.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::audit::{AppEvent, AuditKind, AuditQuery};
use crate::ids::UserId;
use crate::login_id::LoginId;
use crate::password::PasswordHash;
use crate::time::Millis;

fn origin() -> Origin {
    Origin::key(
        &KeyId::from_stored("K1".into()),
        Some("10.0.0.7".parse().unwrap()),
        Millis(5_000),
    )
}

fn alice() -> User {
    let mut u = User::blank(
        UserId::from_stored("U1".into()),
        LoginId::parse("alice@example.com").unwrap(),
        Millis(1_000),
    );
    u.name = "Alice".into();
    u.custom_attributes.insert("age".into(), json!(30));
    u
}

#[test]
fn a_change_lists_only_the_fields_that_changed_with_old_and_new_values() {
    let before = alice();
    let mut after = before.clone();
    after.name = "Alice B".into();
    after.email = Some(Email::parse("a@example.com").unwrap());
    after.custom_attributes.remove("age");
    after.custom_attributes.insert("nick".into(), json!("al"));
    after.tenants.push(UserTenant {
        tenant_id: TenantId::from_stored("t1".into()),
        role_names: vec![RoleName::from_stored("editor".into())],
    });
    let r = user(&origin(), Some(&before), &after);
    assert_eq!(r.action, actions::USER_MODIFIED);
    assert_eq!(r.actor, "K1");
    assert_eq!(r.remote_address, "10.0.0.7");
    assert_eq!(r.occurred, Millis(5_000));
    assert_eq!(r.user_id, "U1");
    assert_eq!(r.login_ids, vec!["alice@example.com"]);
    assert_eq!(r.tenants, vec!["t1"]);
    assert_eq!(
        Value::Object(r.data.to_map()),
        json!({"changes": {
            "name": {"old": "Alice", "new": "Alice B"},
            "email": {"old": null, "new": "a@example.com"},
            "customAttributes.age": {"old": 30, "new": null},
            "customAttributes.nick": {"old": null, "new": "al"},
            "userTenants": {"old": [], "new": [{"tenantId": "t1", "roleNames": ["editor"]}]},
        }})
    );
}

#[test]
fn a_password_is_recorded_as_changed_and_never_shown() {
    let before = alice();
    let mut after = before.clone();
    after.has_password = true;
    after.password_hash = Some(PasswordHash::from_stored(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
    ));
    let r = user(&origin(), Some(&before), &after);
    let text = r.data.as_str().to_string();
    assert_eq!(r.data.get("changes")["password"], json!({"changed": true}));
    assert!(!text.contains("argon2"), "{text}");
    assert_eq!(
        r.data.get("changes").as_object().unwrap().len(),
        1,
        "{text}"
    );
}

#[test]
fn a_new_user_lists_what_it_was_given_and_a_tenant_it_left_is_named() {
    let created = alice();
    let r = user(&origin(), None, &created);
    assert_eq!(r.action, actions::USER_CREATED);
    assert_eq!(
        r.data.get("changes")["name"],
        json!({"old": "", "new": "Alice"})
    );
    assert_eq!(
        r.data.get("changes")["customAttributes.age"],
        json!({"old": null, "new": 30})
    );
    assert!(
        r.data.get("changes").get("status").is_none(),
        "invited is the default"
    );

    let mut member = alice();
    member.tenants.push(UserTenant {
        tenant_id: TenantId::from_stored("t9".into()),
        role_names: vec![],
    });
    let r = user(&origin(), Some(&member), &alice());
    assert_eq!(r.tenants, vec!["t9"]);
}

#[test]
fn a_batch_records_each_change_unless_the_audit_is_off() {
    let before = Arc::new(alice());
    let mut next = alice();
    next.name = "B".into();
    let changes = vec![
        UserChange {
            user: Arc::new(next),
            before: Some(before),
            created: false,
            login_ids_changed: false,
            roles_changed: false,
            tenants_changed: false,
            memberships_changed: false,
        },
        UserChange::created(Arc::new(alice())),
    ];
    let records = batch(&origin(), &changes);
    let kinds: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(kinds, [actions::USER_MODIFIED, actions::USER_CREATED]);
    assert!(batch(&origin().unaudited(), &changes).is_empty());
}

#[test]
fn a_tenant_change_lists_the_fields_that_changed() {
    let spec = TenantSpec {
        name: crate::names::Label::parse("Acme").unwrap(),
        self_provisioning_domains: vec![],
        custom_attributes: Map::new(),
        enforce_sso: false,
        enforce_sso_exclusions: vec![],
        federated_app_ids: vec![],
        disabled: false,
        parent: None,
        role_inheritance: String::new(),
        default_roles: vec![],
        settings: Map::new(),
    };
    let mut next = spec.clone();
    next.disabled = true;
    let id = TenantId::from_stored("t1".into());
    let r = tenant_modified(&origin(), &id, &spec, &next);
    assert_eq!(r.tenants, vec!["t1"]);
    assert_eq!(
        Value::Object(r.data.to_map()),
        json!({"changes": {"disabled": {"old": false, "new": true}}})
    );
}

#[test]
fn an_application_event_needs_its_own_action_a_known_type_an_actor_and_a_tenant() {
    let event = AppEvent {
        action: "Exported".into(),
        kind: "warn".into(),
        actor_id: "app-1".into(),
        tenant_id: "t1".into(),
        user_id: "U1".into(),
        data: json!({"rows": 3}).as_object().unwrap().clone(),
    };
    let r = event.record(&origin()).unwrap();
    assert_eq!(r.actor, "app-1");
    assert_eq!(r.key.as_ref().map(KeyId::as_str), Some("K1"));
    assert_eq!(r.kind, AuditKind::Warn);
    assert_eq!(r.tenants, vec!["t1"]);

    for (broken, words) in [
        (
            AppEvent {
                action: actions::USER_DELETED.into(),
                ..event.clone()
            },
            "action",
        ),
        (
            AppEvent {
                action: " ".into(),
                ..event.clone()
            },
            "action",
        ),
        (
            AppEvent {
                kind: "debug".into(),
                ..event.clone()
            },
            "type",
        ),
        (
            AppEvent {
                actor_id: String::new(),
                ..event.clone()
            },
            "actorId",
        ),
        (
            AppEvent {
                tenant_id: String::new(),
                ..event.clone()
            },
            "tenantId",
        ),
    ] {
        let e = broken.record(&origin()).unwrap_err();
        assert!(e.message.starts_with(words), "{e:?}");
    }
}

#[test]
fn the_query_matches_as_documented() {
    let mut r = user(&origin(), None, &alice());
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery::default();
        f(&mut q);
        q.check().unwrap()
    };
    assert!(q(|_| {}).matches(&r));
    assert!(q(|q| q.login_ids = vec!["alice@example.com".into()]).matches(&r));
    assert!(!q(|q| q.excluded_actions = vec![actions::USER_CREATED.into()]).matches(&r));
    assert!(q(|q| q.text = "ALICE".into()).matches(&r));
    assert!(!q(|q| q.devices = vec!["Bot".into()]).matches(&r));
    assert!(!q(|q| q.tenants = vec!["t1".into()]).matches(&r));
    assert!(
        q(|q| {
            q.tenants = vec!["t1".into()];
            q.no_tenants = true;
        })
        .matches(&r)
    );
    r.tenants = vec!["t1".into()];
    assert!(q(|q| q.tenants = vec!["t1".into()]).matches(&r));
    assert!(!q(|q| q.from = Some(Millis(5_001))).matches(&r));
    assert!(q(|q| q.to = Some(Millis(5_000))).matches(&r));
    assert_eq!(q(|_| {}).limit, crate::audit::MAX_PAGE);
    let big = AuditQuery {
        limit: 1_001,
        ..AuditQuery::default()
    };
    assert!(big.check().is_err());
}
