//! A batch writes only the data columns its users changed: every column, changed alone
//! or with others, in a statement that also sets columns a given user did not change,
//! must read back as written, and what a user did not change must stay.

use roster_domain::patch::UserChange;

use super::*;
use crate::user_columns::{DataColumn, give_other_value};

/// Load the users `names` names in a write transaction, give user `i` the changes `change(i, user)`
/// makes (then a new version and time), write and commit them; returns the users as
/// written.
async fn write_changed(
    store: &dyn Store,
    project: &ProjectId,
    names: &[String],
    change: impl Fn(usize, &mut User),
) -> Vec<User> {
    let mut tx = store.begin_users(project).await.unwrap();
    let catalog = tx.catalog().await.unwrap();
    let selectors: Vec<&str> = names.iter().map(String::as_str).collect();
    let (loaded, _) = tx.load_for_batch(&selectors, &[]).await.unwrap();
    let mut changes = Vec::new();
    for (i, login) in names.iter().enumerate() {
        let before = loaded
            .iter()
            .find(|u| logins(u)[0] == login)
            .unwrap_or_else(|| panic!("{login} not loaded"))
            .clone();
        let mut after = before.clone();
        change(i, &mut after);
        after.version += 1;
        after.modified = Millis(after.modified.0 + 1);
        changes.push(UserChange {
            user: Arc::new(after),
            before: Some(Arc::new(before)),
            created: false,
            login_ids_changed: false,
            roles_changed: false,
            tenants_changed: false,
            memberships_changed: false,
        });
    }
    tx.write(&changes, &catalog).await.unwrap();
    tx.commit().await.unwrap();
    changes.iter().map(|c| (*c.user).clone()).collect()
}

pub async fn batches_write_each_changed_column(store: Arc<dyn Store>) {
    let store = &*store;
    let p = fixture(store).await;
    let columns = DataColumn::ALL.len();
    // One user per column, one that changes several (indexed and not), one that
    // changes no data column at all (only its version moves).
    let mut names = Vec::new();
    for i in 0..columns + 2 {
        let login = format!("col{i}");
        create(
            store,
            &p,
            &login,
            RawUserPatch {
                name: s(&format!("Name {i}")),
                given_name: s("Given"),
                family_name: s("Family"),
                email: s(&format!("col{i}@example.com")),
                phone: s(&format!("+1415777{i:04}")),
                verified_email: Setting::Set(true),
                custom_attributes: obj(json!({"age": 41, "plan": "gold"})),
                sso_app_ids: list(&["app"]),
                role_names: list(&["viewer"]),
                ..Default::default()
            },
        )
        .await;
        names.push(login);
    }
    let written = write_changed(store, &p, &names, |i, u| {
        if i < columns {
            give_other_value(u, DataColumn::ALL[i], 100 + i);
        } else if i == columns {
            for c in [
                DataColumn::Email,
                DataColumn::Name,
                DataColumn::CustomAttributes,
                DataColumn::Test,
            ] {
                give_other_value(u, c, 200);
            }
        }
    })
    .await;
    let ids: Vec<String> = written.iter().map(|u| u.id.to_string()).collect();
    let mut read = store.load_users(&p, &ids).await.unwrap();
    read.sort_by_key(|u| names.iter().position(|l| l == logins(u)[0]));
    for (read, written) in read.iter().zip(&written) {
        assert_eq!(
            read,
            written,
            "{} reads back as written",
            logins(written)[0]
        );
    }
    assert_eq!(read.len(), written.len());

    // A batch whose users all changed no data column: only versions and times move.
    let bumped = write_changed(store, &p, &names[..2], |_, _| {}).await;
    for u in &bumped {
        let read = must_load(store, &p, logins(u)[0]).await;
        assert_eq!(&read, u);
        assert_eq!(read.version, 3);
    }
    // And one that changes a single column of every user.
    let renamed = write_changed(store, &p, &names, |i, u| {
        give_other_value(u, DataColumn::GivenName, 300 + i);
    })
    .await;
    for u in &renamed {
        assert_eq!(&must_load(store, &p, logins(u)[0]).await, u);
    }
}
