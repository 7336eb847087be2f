//! A batch read ahead of its write transaction ([`UserStore::read_ahead`]): what it
//! read is used under the write lock only while nothing the rules depend on has changed
//! ([`UserTx::unchanged`]), and the users it read are then the transaction's to write.
//! Backends that read nothing ahead pass by saying so.

use roster_domain::patch::Workspace;

use super::*;
use crate::{ReadAhead, UserStore};

/// Whether what `ahead` read for `selectors` and `login_ids` still holds now.
async fn still(
    store: &dyn Store,
    project: &ProjectId,
    login_ids: &[&str],
    selectors: &[&str],
    ahead: &ReadAhead,
) -> bool {
    let mut tx = store.begin_users(project).await.unwrap();
    tx.unchanged(login_ids, &ahead.seen(selectors))
        .await
        .unwrap()
}

/// A change made between a batch's read ahead and its check.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// A user read was patched.
    Patched,
    /// A user read was deleted.
    Deleted,
    /// A selector that named nobody is now a login ID.
    NobodyIsNowALoginId,
    /// A login ID read as ownerless now has an owner.
    OwnerlessLoginIdNowOwned,
    /// The catalog changed.
    Catalog,
    /// A selector that named a user by its ID is now another user's login ID.
    UserIdIsNowAnothersLoginId,
}

async fn make(store: &dyn Store, p: &ProjectId, change: Change) {
    let patch_one = |selector: &str, raw: RawUserPatch| vec![ready(selector, raw)];
    match change {
        Change::Patched => {
            let items = patch_one(
                "ra40",
                RawUserPatch {
                    given_name: s("Forty"),
                    ..Default::default()
                },
            );
            patch(store, p, items, NOW).await;
        }
        Change::Deleted => {
            store
                .delete_user(p, UserSelector::LoginOrUserId("ra41"), &origin())
                .await
                .unwrap();
        }
        Change::NobodyIsNowALoginId => {
            create(store, p, "ghost", RawUserPatch::default()).await;
        }
        Change::OwnerlessLoginIdNowOwned => {
            create(store, p, "free@example.com", RawUserPatch::default()).await;
        }
        Change::Catalog => {
            store
                .create_roles(
                    p,
                    &[(RoleId::generate(&ids()), role_spec("auditor", None, &[]))],
                    &origin(),
                )
                .await
                .unwrap();
        }
        Change::UserIdIsNowAnothersLoginId => {
            let ra1 = must_load(store, p, "ra1").await;
            let items = patch_one(
                "ra42",
                RawUserPatch {
                    additional_login_ids: list(&[ra1.id.as_str()]),
                    ..Default::default()
                },
            );
            let out = patch(store, p, items, NOW).await;
            assert!(matches!(out[0], PatchOutcome::Patched(_)), "{out:?}");
        }
    }
}

pub async fn read_ahead_holds_only_while_nothing_changed(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let items: Vec<CreateItem> = (0..80)
        .map(|i| {
            new_user(
                Box::leak(format!("ra{i}").into_boxed_str()),
                RawUserPatch {
                    role_names: list(&["viewer"]),
                    ..Default::default()
                },
            )
        })
        .collect();
    create_users(store, &p, &items, &origin()).await.unwrap();
    let by_id = must_load(store, &p, "ra1").await;
    let mut names: Vec<String> = (0..80).map(|i| format!("ra{i}")).collect();
    // ra1 again, by its ID; and a selector that names nobody.
    names.extend([by_id.id.to_string(), "ghost".to_string()]);
    let selectors: Vec<&str> = names.iter().map(String::as_str).collect();
    let login_ids = ["ra2", "free@example.com"];

    let read = || async {
        UserStore::read_ahead(store, &p, &selectors, &login_ids)
            .await
            .unwrap()
    };
    let Some(ahead) = read().await else {
        // This backend reads nothing ahead: its batches load under the write lock.
        let mut tx = store.begin_users(&p).await.unwrap();
        let seen = ReadAhead {
            catalog: tx.catalog().await.unwrap(),
            users: Vec::new(),
            keys: Vec::new(),
            owners: Vec::new(),
        }
        .seen(&selectors);
        assert!(
            !tx.unchanged(&login_ids, &seen).await.unwrap(),
            "a backend that reads nothing ahead trusts nothing read ahead"
        );
        return;
    };
    assert_eq!(ahead.users.len(), 80, "each user once");
    assert_eq!(
        ahead.owners.len(),
        1,
        "ra2 has an owner; free@example.com none"
    );
    assert!(ahead.catalog.project_role("viewer").is_some());
    let seen = ahead.seen(&selectors);
    assert_eq!(seen.by_id, [by_id.id.to_string()]);
    assert_eq!(seen.nobody, ["ghost"]);

    // Nothing changed: the transaction writes the users read ahead as if it had loaded
    // them.
    let mut tx = store.begin_users(&p).await.unwrap();
    assert!(tx.unchanged(&login_ids, &seen).await.unwrap());
    let mut ws = Workspace::new(ahead.users.clone(), ahead.owners.clone());
    let patches = [
        ready(
            "ra3",
            RawUserPatch {
                name: s("Three"),
                ..Default::default()
            },
        ),
        ready(
            by_id.id.as_str(),
            RawUserPatch {
                role_names: list(&["admin"]),
                ..Default::default()
            },
        ),
    ];
    let outcomes = ws.apply_batch(&patches, &ahead.catalog, NOW);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, PatchOutcome::Patched(_)))
    );
    tx.write(&ws.into_changes(), &ahead.catalog).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(must_load(store, &p, "ra3").await.name, "Three");
    let ra1 = must_load(store, &p, "ra1").await;
    assert_eq!(ra1.role_names, [RoleName::parse("admin").unwrap()]);
    // Those writes moved two versions: what was read before them no longer holds.
    assert!(!still(store, &p, &login_ids, &selectors, &ahead).await);

    // Each change the rules depend on, made between the read and the check, fails it.
    let changes = [
        Change::Patched,
        Change::Deleted,
        Change::NobodyIsNowALoginId,
        Change::OwnerlessLoginIdNowOwned,
        Change::Catalog,
        Change::UserIdIsNowAnothersLoginId,
    ];
    for change in changes {
        let ahead = read().await.unwrap();
        assert!(
            still(store, &p, &login_ids, &selectors, &ahead).await,
            "{change:?}: nothing changed yet"
        );
        make(store, &p, change).await;
        assert!(
            !still(store, &p, &login_ids, &selectors, &ahead).await,
            "{change:?}: the check still held"
        );
    }

    // And a whole batch over what it cannot trust loads again under the lock: the
    // outcome is that of the store as it is.
    let outcomes = patch(
        store,
        &p,
        selectors
            .iter()
            .map(|selector| {
                ready(
                    selector,
                    RawUserPatch {
                        family_name: s("Batch"),
                        ..Default::default()
                    },
                )
            })
            .collect(),
        NOW,
    )
    .await;
    let patched = outcomes
        .iter()
        .filter(|o| matches!(o, PatchOutcome::Patched(_)))
        .count();
    // 80 users, ra41 deleted; ra1 by its ID (now ra42's login ID, so ra42); "ghost"
    // created: every selector but ra41's names someone.
    assert_eq!(patched, selectors.len() - 1);
    assert_eq!(must_load(store, &p, "ghost").await.family_name, "Batch");
}
