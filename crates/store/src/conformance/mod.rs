//! The conformance suite: what every backend must do, written once.
//!
//! Each check takes a store and works in projects of its own (fresh random IDs), so the
//! checks can share one database and run in any order. The test binary runs every check
//! against every backend (SQLite in memory and in a file, PostgreSQL), through the
//! [`checks!`](crate::checks) list. The checks are grouped by what they concern:
//! [`projects`], [`users`], [`lists`], [`columns`] (a batch writes the columns it
//! changed), [`read_ahead`] (a batch's reads ahead of the write lock), [`search`], [`catalog`], [`attributes`], [`changes`] (the SDK's
//! one-purpose user and tenant changes), [`audit`] (the audit trail) and
//! [`concurrency`].
//!
//! This is test code: a failed expectation panics with a message saying what the
//! backend did wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attributes;
mod audit;
mod catalog;
mod changes;
mod columns;
mod concurrency;
mod lists;
mod projects;
mod read_ahead;
mod search;
mod users;

pub use attributes::*;
pub use audit::*;
pub use catalog::*;
pub use changes::*;
pub use columns::*;
pub use concurrency::*;
pub use lists::*;
pub use projects::*;
pub use read_ahead::*;
pub use search::*;
pub use users::*;

use std::collections::BTreeSet;
use std::sync::Arc;

use roster_domain::ErrorCode;
use roster_domain::attribute::{AttributeDef, AttributeType, SelectOption};
use roster_domain::audit::Origin;
use roster_domain::create::{NewUser, RawNewUser};
use roster_domain::ids::{KeyId, PermissionId, ProjectId, RandomIds, RoleId, TenantId, UserId};
use roster_domain::keys::{IpRange, ManagementKey};
use roster_domain::names::{AttributeName, Label, PermissionName, RoleName};
use roster_domain::patch::{PatchItem, PatchOutcome, RawTenantAssignment, RawUserPatch, UserPatch};
use roster_domain::permission::{PermissionRef, PermissionUpdate};
use roster_domain::role::{RoleRef, RoleSpec, RoleUpdate};
use roster_domain::search::{TenantRoleFilter, TestUsers, UserQuery};
use roster_domain::setting::Setting;
use roster_domain::status::UserStatus;
use roster_domain::tenant::{TenantChange, TenantPatch, TenantSpec};
use roster_domain::time::Millis;
use roster_domain::user::User;
use serde_json::{Map, Value, json};

use crate::auth::authenticate;
use crate::batch::{CreateItem, CreateOutcome, create_users, patch_users};
use crate::{KeyUpdate, Project, Store, StoredKey, UserSelector};

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
        $m!(list_edits_keep_their_order);
        $m!(batches_write_each_changed_column);
        $m!(many_users_load_whole);
        $m!(read_ahead_holds_only_while_nothing_changed);
        $m!(search_filters);
        $m!(search_pages_and_sorts);
        $m!(deleting_users);
        $m!(tenants);
        $m!(roles);
        $m!(permissions);
        $m!(catalog_changes_are_seen_at_once);
        $m!(the_key_check_sees_the_catalog_version);
        $m!(attributes);
        $m!(attribute_updates);
        $m!(projects_are_isolated);
        $m!(hostile_strings_are_data);
        $m!(large_batches);
        $m!(concurrent_batches_lose_nothing);
        $m!(a_waiting_batch_loads_what_the_holder_left);
        $m!(grouped_single_patches_are_each_their_own);
        $m!(first_start_happens_once);
        $m!(search_reads_alike_everywhere);
        $m!(racing_creates_fail_items_not_batches);
        $m!(racing_login_id_claims_fail_items_not_batches);
        $m!(user_changes_round_trip);
        $m!(tenant_changes_keep_the_rest);
        $m!(racing_tenant_patches_lose_nothing);
        $m!(cascades_move_versions);
        $m!(audit_records_every_change);
        $m!(audit_is_atomic_with_its_change);
        $m!(audit_batches_record_every_user);
        $m!(audit_search_reads_as_the_rule_says);
        $m!(audit_pruning_deletes_only_old_records);
    };
}

const NOW: Millis = Millis(1_764_000_000_000);

/// Long enough for any search of the suite.
const SEARCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn ids() -> RandomIds {
    RandomIds
}

/// The key every change of the suite is made with.
const ACTOR: &str = "K-conformance";

/// A change made at `now` with the suite's key, from 127.0.0.1.
fn at(now: Millis) -> Origin {
    Origin::key(
        &KeyId::from_stored(ACTOR.into()),
        Some(std::net::Ipv4Addr::LOCALHOST.into()),
        now,
    )
}

/// A change made at [`NOW`].
fn origin() -> Origin {
    at(NOW)
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
            &origin(),
        )
        .await
        .unwrap();
    for (id, name) in [("t1", "Tenant One"), ("t2", "Tenant Two")] {
        store
            .create_tenant(&project, &tenant_id(id), &tenant_spec(name), &origin())
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
            &origin(),
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
            &origin(),
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
        settings: Map::new(),
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
    let (out, _) = create_users(store, project, &[new_user(login, fields)], &origin())
        .await
        .unwrap();
    match out.into_iter().next().unwrap() {
        CreateOutcome::Created(u) => (*u).clone(),
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
    patch_users(store, project, &items, &at(now))
        .await
        .unwrap()
        .outcomes
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
    let (users, total) = store
        .search_users(project, &q, SEARCH_TIMEOUT)
        .await
        .unwrap();
    let mut names: Vec<String> = users.iter().map(|u| logins(u)[0].to_string()).collect();
    names.sort();
    (names, total)
}
